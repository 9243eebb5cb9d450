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
from reviewer.store import FileRecords, NoteStore, open_store, writer_lock

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
        keys = [str(path.resolve()) for path in files]
        stored = store.file_digests(keys)
        pending = _Pending(store, embedder, report)
        for position, (path, key) in enumerate(zip(files, keys), start=1):
            if progress:
                progress(str(path), position, len(files))
            paged = path.suffix.lower() == ".json"  # only JSON files can be Gong pages (path lookups cost)
            if paged and gong.is_call_page(path):
                report.metadata_files += 1
                continue
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                report.skipped.append(SkippedFile(path=str(path), reason=exc.strerror or str(exc)))
                continue
            if paged and gong.covers(path):
                digest = hashlib.sha256(f"{digest}+{gong.digest}".encode()).hexdigest()
            if stored.get(key) == digest:
                report.files_unchanged += 1
                continue
            if not marked:
                store.begin_write()
                marked = True
            try:
                records = _read_file(path, key, digest, settings, report, gong)
            except InputError as exc:
                report.skipped.append(SkippedFile(path=str(path), reason=exc.reason))
                continue
            pending.add(records, replaces=key in stored)
            changes.append(f"{key}={digest}")
        pending.flush()
        if prune:
            seen = set(keys)
            roots = [p.resolve() for p in paths]
            gone = [s for s in sorted(store.source_paths() - seen) if any(_is_under(Path(s), r) for r in roots)]
            if gone and not marked:
                store.begin_write()
                marked = True
            store.delete_files(gone)
            report.pruned_files += len(gone)
            changes += [f"{stored_path}=gone" for stored_path in gone]
        if changes:
            previous = store.corpus_version
            store.bump_version(hashlib.sha256("\n".join([previous, *changes]).encode()).hexdigest()[:16])
        elif marked:  # only skipped files: nothing changed, but the mark is cleared
            store.bump_version(store.corpus_version)
        report.corpus_version = store.corpus_version
    report.seconds = time.perf_counter() - started
    return report


def _read_file(
    path: Path, key: str, digest: str, settings: Settings, report: IngestReport, gong: GongIndex | None = None
) -> FileRecords:
    notes, warnings = read_notes_with_warnings(path, settings, gong)
    report.warnings.extend(f"{path}: {w}" for w in warnings)
    if not notes:
        raise InputError(path, "no call notes found in the file")
    chunks: list[Chunk] = [c for note in notes for c in chunk_note(note)]
    if not chunks:
        raise InputError(path, "the notes have no text")
    return FileRecords(source_path=key, file_sha=digest, notes=notes, chunks=chunks)


class _Pending:
    """Files read but not yet written: a folder of one file per call is written many files at a time."""

    def __init__(self, store: NoteStore, embedder: Embedder, report: IngestReport) -> None:
        self.store, self.embedder, self.report = store, embedder, report
        self.files: list[FileRecords] = []
        self.replace: list[str] = []
        self.note_ids: set[str] = set()
        self.chunk_count = 0

    def add(self, records: FileRecords, *, replaces: bool) -> None:
        ids = {n.note_id for n in records.notes}
        if not self.note_ids.isdisjoint(ids):
            # One upsert takes each id once; a later file reusing an id overwrites it, as one file at a time did.
            self.flush()
        self.files.append(records)
        self.note_ids |= ids
        self.chunk_count += len(records.chunks)
        if replaces:
            self.replace.append(records.source_path)
        if self.chunk_count >= self.store.max_batch:
            self.flush()

    def flush(self) -> None:
        if not self.files:
            return
        texts = [c.text for f in self.files for c in f.chunks]
        vectors = np.concatenate(
            [self.embedder.embed(texts[i : i + _EMBED_SLICE]) for i in range(0, len(texts), _EMBED_SLICE)]
        )
        self.store.add_files(self.files, vectors, replace=self.replace)
        self.report.files_ingested += len(self.files)
        self.report.notes += sum(len(f.notes) for f in self.files)
        self.report.chunks += len(texts)
        self.files, self.replace, self.note_ids, self.chunk_count = [], [], set(), 0


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
