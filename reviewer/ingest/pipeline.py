"""Ingest: read files into notes, chunk, embed and upsert them, idempotently, under the writer lock."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from reviewer.embeddings import Embedder, get_embedder
from reviewer.errors import InputError
from reviewer.ingest.chunking import chunk_note
from reviewer.ingest.files import SUPPORTED_EXTENSIONS, iter_note_files, iter_unread_files
from reviewer.ingest.gong import GongIndex
from reviewer.ingest.readers import read_notes_with_warnings
from reviewer.models import Chunk
from reviewer.settings import Settings
from reviewer.store import NoteStore, open_store, writer_lock

# Embedding in slices keeps memory flat and lets the progress bar move on one huge CSV.
_EMBED_SLICE = 1024

Progress = Callable[[str, int, int], None]


class SkippedFile(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    """What an ingest did, for the summary line and for tests."""

    files_seen: int = 0
    files_ingested: int = 0
    files_unchanged: int = 0
    notes: int = 0
    chunks: int = 0
    pruned_files: int = 0
    metadata_files: int = Field(0, description="Files read only for metadata (Gong call pages).")
    skipped: list[SkippedFile] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    corpus_version: str = ""
    seconds: float = 0.0

    resumed: bool = Field(False, description="An earlier ingest was killed midway; this one finished it.")

    @property
    def changed(self) -> bool:
        return self.files_ingested > 0 or self.pruned_files > 0 or self.resumed


def ingest_paths(
    paths: list[Path], settings: Settings, *, prune: bool = False, progress: Progress | None = None
) -> IngestReport:
    """Ingest files and folders; unchanged files cost one lookup, bad files are skipped with a reason."""
    started = time.perf_counter()
    report = IngestReport()
    for path in paths:
        if not path.exists():
            report.skipped.append(SkippedFile(path=str(path), reason="no such file or folder"))
    existing = [p for p in paths if p.exists()]
    files = list(iter_note_files(existing))
    for unread in iter_unread_files(existing):
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        kind = unread.suffix or "(no extension)"
        report.skipped.append(
            SkippedFile(path=str(unread), reason=f"file type {kind} is not read: expected {supported}")
        )
    report.files_seen = len(files)
    # Gong pages join across files: the call pages are indexed first, transcript pages read with them.
    gong = GongIndex.scan(f for f in files if f.suffix.lower() == ".json")
    report.warnings.extend(gong.warnings)
    embedder = get_embedder(settings)
    with writer_lock(settings):
        store = open_store(settings, embedder.name)
        # A writer killed before it recorded the version: its files look unchanged now, so the
        # version is bumped regardless (themes are rebuilt from what is stored).
        report.resumed = store.interrupted
        changes: list[str] = ["finished an interrupted ingest"] if report.resumed else []
        marked = False
        for position, path in enumerate(files, start=1):
            if progress:
                progress(str(path), position, len(files))
            key = str(path.resolve())
            if gong.is_call_page(path):
                report.metadata_files += 1
                continue
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                report.skipped.append(SkippedFile(path=str(path), reason=exc.strerror or str(exc)))
                continue
            if gong.covers(path):
                digest = hashlib.sha256(f"{digest}+{gong.digest}".encode()).hexdigest()
            if store.file_digest(key) == digest:
                report.files_unchanged += 1
                continue
            if not marked:
                store.begin_write()
                marked = True
            try:
                _ingest_file(path, key, digest, store, embedder, settings, report, gong)
            except InputError as exc:
                report.skipped.append(SkippedFile(path=str(path), reason=exc.reason))
                continue
            changes.append(f"{key}={digest}")
        if prune:
            seen = {str(f.resolve()) for f in files}
            roots = [p.resolve() for p in paths]
            for stored in sorted(store.source_paths() - seen):
                if any(_is_under(Path(stored), root) for root in roots):
                    if not marked:
                        store.begin_write()
                        marked = True
                    store.delete_file(stored)
                    report.pruned_files += 1
                    changes.append(f"{stored}=gone")
        if changes:
            previous = store.corpus_version
            store.bump_version(hashlib.sha256("\n".join([previous, *changes]).encode()).hexdigest()[:16])
        elif marked:  # only skipped files: nothing changed, but the mark is cleared
            store.bump_version(store.corpus_version)
        report.corpus_version = store.corpus_version
    report.seconds = time.perf_counter() - started
    return report


def _ingest_file(
    path: Path,
    key: str,
    digest: str,
    store: NoteStore,
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
    gong: GongIndex | None = None,
) -> None:
    notes, warnings = read_notes_with_warnings(path, settings, gong)
    report.warnings.extend(f"{path}: {w}" for w in warnings)
    if not notes:
        raise InputError(path, "no call notes found in the file")
    chunks: list[Chunk] = [c for note in notes for c in chunk_note(note)]
    if not chunks:
        raise InputError(path, "the notes have no text")
    texts = [c.text for c in chunks]
    vectors = [embedder.embed(texts[i : i + _EMBED_SLICE]) for i in range(0, len(texts), _EMBED_SLICE)]
    store.add_file(key, digest, notes, chunks, np.concatenate(vectors))
    report.files_ingested += 1
    report.notes += len(notes)
    report.chunks += len(chunks)


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
