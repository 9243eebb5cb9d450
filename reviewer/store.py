"""The call-note store: the only module that opens Chroma (embedded, or a server by URL)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from reviewer.errors import StoreError
from reviewer.models import CallNote, Chunk, Turn
from reviewer.settings import Settings

NOTES = "call_notes"
CHUNKS = "call_chunks"
_NOTE_FIELDS = ("date", "account", "rep", "contact", "outcome", "segment", "product", "language")
_PAGE = 2000
_LOOKUP = 500  # source paths per `$in` query
_OVERFETCH = (3, 12)  # nearest chunks asked for per one wanted, in turn, when a filter is applied here


def _hit(chunk_id: str, text: str, meta: Any, distance: float, with_metadata: bool) -> tuple[Any, ...]:
    """One query result: the chunk, its cosine similarity and, when asked, the chunk's metadata."""
    chunk = Chunk(
        chunk_id=chunk_id,
        note_id=str(meta["note_id"]),
        index=int(meta["index"]),
        text=text,
        role=meta.get("role", "unknown"),
        speaker=meta.get("speaker"),
        start=int(meta["start"]),
        end=int(meta["end"]),
    )
    return (chunk, 1.0 - float(distance), meta) if with_metadata else (chunk, 1.0 - float(distance))


def _local_filter(where: dict[str, Any]) -> bool:
    """Whether `where` is made only of equalities and `$ne` (joined by `$and`), which `_passes` applies."""
    if set(where) == {"$and"}:
        return all(_local_filter(part) for part in where["$and"])
    return len(where) == 1 and all(
        not key.startswith("$") and (not isinstance(value, dict) or (len(value) == 1 and set(value) <= {"$eq", "$ne"}))
        for key, value in where.items()
    )


def _passes(meta: dict[str, Any], where: dict[str, Any]) -> bool:
    """Whether a chunk's metadata passes a filter `_local_filter` accepts, as Chroma would judge it."""
    if "$and" in where:
        return all(_passes(meta, part) for part in where["$and"])
    ((key, condition),) = where.items()
    if isinstance(condition, dict):
        ((operator, value),) = condition.items()
        return meta.get(key) != value if operator == "$ne" else meta.get(key) == value
    return meta.get(key) == condition


def _clean(meta: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Chroma metadata takes scalars only, and no None."""
    return {k: v for k, v in meta.items() if v is not None and isinstance(v, str | int | float | bool)}


@dataclass(frozen=True)
class Passage:
    """A stored chunk returned by a similarity query, with the metadata of its note."""

    chunk: Chunk
    similarity: float
    language: str | None
    outcome: str | None
    date: str | None


def _groups(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class FileRecords:
    """One file's notes and their chunks, as the ingest read them."""

    source_path: str
    file_sha: str
    notes: Sequence[CallNote]
    chunks: Sequence[Chunk]


Records = dict[str, Any]  # the ids, embeddings, documents and metadatas of one Chroma upsert


def build_records(files: Sequence[FileRecords], chunk_vectors: np.ndarray) -> tuple[Records, Records]:
    """The chunk and note records the store writes for these files (the benchmark writes them raw)."""
    chunk_ids: list[str] = []
    chunk_docs: list[str] = []
    chunk_metas: list[dict[str, Any]] = []
    note_rows: list[np.ndarray] = []
    note_ids: list[str] = []
    note_docs: list[str] = []
    note_metas: list[dict[str, Any]] = []
    row = 0
    for file in files:
        by_note: dict[str, list[int]] = {}
        note_meta = {n.note_id: n for n in file.notes}
        for chunk in file.chunks:
            note = note_meta[chunk.note_id]
            by_note.setdefault(chunk.note_id, []).append(row)
            row += 1
            chunk_ids.append(chunk.chunk_id)
            chunk_docs.append(chunk.text)
            chunk_metas.append(
                _clean(
                    {
                        "note_id": chunk.note_id,
                        "index": chunk.index,
                        "role": chunk.role,
                        "speaker": chunk.speaker,
                        "start": chunk.start,
                        "end": chunk.end,
                        "source_path": file.source_path,
                        "file_sha": file.file_sha,
                        "source": note.source,
                        **{f: getattr(note, f) for f in _NOTE_FIELDS},
                    }
                )
            )
        kept = [n for n in file.notes if by_note.get(n.note_id)]
        for position, note in enumerate(kept):
            note_rows.append(chunk_vectors[by_note[note.note_id]].mean(axis=0))
            note_ids.append(note.note_id)
            note_docs.append(note.text)
            # The file's first note carries its digest for the one-query unchanged-file check.
            note_metas.append(_note_metadata(note, file.source_path, file.file_sha, len(kept), head=position == 0))
    note_vectors = np.stack(note_rows) if note_rows else np.zeros((0, chunk_vectors.shape[1]), dtype=np.float32)
    note_vectors /= np.maximum(np.linalg.norm(note_vectors, axis=1, keepdims=True), 1e-9)
    return (
        {"ids": chunk_ids, "embeddings": chunk_vectors, "documents": chunk_docs, "metadatas": chunk_metas},
        {"ids": note_ids, "embeddings": note_vectors, "documents": note_docs, "metadatas": note_metas},
    )


def upsert_records(collection: Any, records: Records, max_batch: int) -> None:
    """Upsert records in the largest batches the Chroma client accepts."""
    for start in range(0, len(records["ids"]), max_batch):
        stop = start + max_batch
        collection.upsert(**{key: values[start:stop] for key, values in records.items()})


class NoteStore:
    """Notes and their chunks in two Chroma collections, with the embedding model that built them."""

    def __init__(self, settings: Settings, embedding_model: str) -> None:
        self.settings = settings
        self.embedding_model = embedding_model
        self.client = _open_client(settings)
        self.max_batch = self.client.get_max_batch_size()
        space = {"hnsw": {"space": "cosine"}}
        with self.writing("create its collections"):
            self._collections(space, embedding_model)
        built_with = (self.notes.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model:
            raise StoreError(
                f"the store at {self.location} was built with the embedding model {built_with!r}, "
                f"but {embedding_model!r} is configured; set REVIEWER_EMBEDDINGS to match it, or "
                "ingest into a new data dir"
            )

    def _collections(self, space: dict[str, Any], embedding_model: str) -> None:
        self.notes = self.client.get_or_create_collection(
            NOTES,
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
            metadata={"embedding_model": embedding_model, "corpus_version": "empty"},
        )
        self.chunks = self.client.get_or_create_collection(
            CHUNKS,
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
            metadata={"embedding_model": embedding_model},
        )

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    @contextmanager
    def writing(self, what: str) -> Iterator[None]:
        """Chroma's errors while writing (a full disk, a server gone) as one clear StoreError."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb raises many types (Rust, sqlite, HTTP) here
            where = ""
            if not self.settings.chroma_url:
                try:
                    free = shutil.disk_usage(self.settings.chroma_dir).free
                    where = f"; is its disk full? {free / 1024 / 1024:.1f} MB free"
                except OSError:
                    pass
            raise StoreError(
                f"the store at {self.location} could not {what}: {type(exc).__name__}: {exc}{where}"
            ) from exc

    # ---- versions -------------------------------------------------------------------------
    @property
    def corpus_version(self) -> str:
        """Changes whenever the stored notes change; reviews and themes are keyed by it."""
        meta = self.client.get_collection(NOTES, embedding_function=None).metadata or {}  # type: ignore[arg-type]
        return str(meta.get("corpus_version", "empty"))

    def bump_version(self, digest: str) -> None:
        """Record the new corpus version (and that the writer finished)."""
        with self.writing("record the new corpus version"):
            self.notes.modify(metadata={"embedding_model": self.embedding_model, "corpus_version": digest})
        if not self.settings.chroma_url:
            write_manifest(self.settings, digest, self.embedding_model)

    # ---- writing --------------------------------------------------------------------------
    def file_digests(self, source_paths: Sequence[str]) -> dict[str, str]:
        """The stored digest of each of these files the store holds, in one query per few hundred files.

        Notes are written last, in batches; a writer killed between two batches leaves fewer notes
        than the file has (`file_notes`), and the file counts as not stored, so it is written again.
        """
        found: dict[str, str] = {}
        for group in _groups(list(source_paths), _LOOKUP):
            got = self.notes.get(
                where={"$and": [{"source_path": {"$in": group}}, {"file_head": True}]},
                include=["metadatas"],
                limit=len(group),
            )
            for meta in got["metadatas"] or []:
                path = str(meta["source_path"])
                # A file stored in part maps to "": it matches no digest, and its rest is replaced.
                found[path] = str(meta["file_sha"]) if self._whole(path, meta) else ""
        missing = [p for p in source_paths if p not in found]
        if missing and self.notes.count() and not self.notes.get(where={"file_head": True}, limit=1)["ids"]:
            # A store written before files had a head note: one lookup per file, as it was then.
            for path in missing:
                digest = self.file_digest(path)
                if digest is not None:
                    found[path] = digest
        return found

    def file_digest(self, source_path: str) -> str | None:
        """The sha256 of one file as stored, or None when it is not stored whole."""
        got = self.notes.get(where={"source_path": source_path}, include=["metadatas"], limit=1)
        metas = got["metadatas"] or []
        return str(metas[0]["file_sha"]) if metas and self._whole(source_path, metas[0]) else None

    def _whole(self, source_path: str, meta: Any) -> bool:
        expected = meta.get("file_notes")
        if expected is None or int(expected) <= 1:
            return True  # one note: written whole or not at all
        return len(self.notes.get(where={"source_path": source_path}, include=[])["ids"]) == int(expected)

    @property
    def interrupted(self) -> bool:
        """True when a writer began changing the store and never recorded the new version (killed)."""
        meta = self.client.get_collection(NOTES, embedding_function=None).metadata or {}  # type: ignore[arg-type]
        return bool(meta.get("writing"))

    def begin_write(self) -> None:
        """Mark the store as changing until `bump_version`, so a rerun after a kill bumps the version."""
        with self.writing("mark the store as being written"):
            self.notes.modify(
                metadata={
                    "embedding_model": self.embedding_model,
                    "corpus_version": self.corpus_version,
                    "writing": "1",
                }
            )

    def delete_files(self, source_paths: Sequence[str]) -> int:
        """Remove the notes and chunks of these files; returns how many notes went."""
        removed = 0
        for group in _groups(list(source_paths), _LOOKUP):
            where: dict[str, Any] = {"source_path": {"$in": group}}
            ids = self.notes.get(where=where, include=[])["ids"]
            with self.writing(f"delete the notes of {len(group)} files"):
                for batch in _groups(ids, self.max_batch):
                    self.notes.delete(ids=batch)
                self.chunks.delete(where=where)
            removed += len(ids)
        return removed

    def add_files(
        self, files: Sequence[FileRecords], chunk_vectors: np.ndarray, *, replace: Sequence[str] = ()
    ) -> None:
        """Store several files' notes and chunks in maximal batches, replacing what `replace` had before.

        `chunk_vectors` holds one row per chunk, the files' chunks in order. Writing many files at
        once matters: each Chroma write has a fixed cost far above a single record's.
        """
        self.delete_files(replace)
        chunk_records, note_records = build_records(files, chunk_vectors)
        with self.writing(f"store the notes of {len(files)} files"):
            for records, collection in ((chunk_records, self.chunks), (note_records, self.notes)):
                upsert_records(collection, records, self.max_batch)

    # ---- reading --------------------------------------------------------------------------
    def source_paths(self) -> set[str]:
        return {str(m["source_path"]) for m in self._all_metadatas(self.notes)}

    def iter_notes(self, where: dict[str, Any] | None = None) -> Iterator[CallNote]:
        offset = 0
        while True:
            got = self.notes.get(where=where, include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for note_id, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or []):
                yield _note_from(note_id, text, meta)
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    def get_notes(self, note_ids: Sequence[str]) -> dict[str, CallNote]:
        if not note_ids:
            return {}
        got = self.notes.get(ids=list(dict.fromkeys(note_ids)), include=["documents", "metadatas"])
        return {i: _note_from(i, t, m) for i, t, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [])}

    def query_chunks(
        self,
        vectors: np.ndarray,
        n_results: int = 10,
        where: dict[str, Any] | None = None,
        *,
        with_metadata: bool = False,
        texts: bool = True,
        records: dict[str, tuple[str | None, dict[str, Any]]] | None = None,
    ) -> list[list[Any]]:
        """Nearest chunks for each query vector: (chunk, cosine similarity[, metadata]).

        Without `texts` the chunks come back with empty text (Chroma reads a chunk's document apart
        from its metadata, at a cost), for callers that need only where a chunk lies in its note.
        `records` (chunk id -> document or None, metadata) is a cache of chunk rows the caller keeps
        for as long as the stored notes do not change; rows read here are added to it.

        Chroma answers a filtered query by listing every chunk that passes the filter first, and it
        reads the metadata of every result row by row: seconds at 100,000 calls for a broad filter
        such as "not the seller". So a filter of equalities and `$ne` is applied here: the nearest
        chunks are asked for without it (ids and distances only, a few times as many as wanted),
        their texts and metadata read in one lookup, and the first that pass kept, which is the
        answer Chroma's filter gives whenever enough of them pass. A row left short is asked for
        more, then, still short, with the filter in Chroma.
        """
        if len(vectors) == 0:
            return []
        queries = np.asarray(vectors, dtype=np.float32)
        if where is None or not _local_filter(where):
            return self._query(queries, n_results, where, with_metadata, texts)
        rows: list[list[Any]] = [[] for _ in range(len(queries))]
        pending = list(range(len(queries)))
        kept = {} if records is None else records  # another thread may add to or evict from it
        local: dict[str, tuple[str | None, dict[str, Any]]] = {}  # the rows this query looked at
        for factor in _OVERFETCH:
            asked = n_results * factor
            got = self.chunks.query(query_embeddings=queries[pending], n_results=asked, include=["distances"])
            for chunk_id in dict.fromkeys(i for row in got["ids"] for i in row if i not in local):
                record = kept.get(chunk_id)
                if record is not None and (record[0] is not None or not texts):
                    local[chunk_id] = record
            unread = list(dict.fromkeys(i for row in got["ids"] for i in row if i not in local))
            if unread:
                read = self.chunks.get(ids=unread, include=["documents", "metadatas"] if texts else ["metadatas"])
                documents = (read["documents"] or []) if texts else [None] * len(read["ids"])
                fresh = dict(zip(read["ids"], zip(documents, read["metadatas"] or [])))
                local.update(fresh)
                kept.update(fresh)
            short = []
            for index, ids, distances in zip(pending, got["ids"], got["distances"] or []):
                passing = [(i, d) for i, d in zip(ids, distances) if i in local and _passes(local[i][1], where)]
                if len(passing) >= n_results or len(ids) < asked:  # enough, or every chunk was looked at
                    rows[index] = [
                        _hit(i, (local[i][0] or "") if texts else "", local[i][1], d, with_metadata)
                        for i, d in passing[:n_results]
                    ]
                else:
                    short.append(index)
            pending = short
            if not pending:
                return rows
        for index, row in zip(pending, self._query(queries[pending], n_results, where, with_metadata, texts)):
            rows[index] = row
        return rows

    def _query(
        self, vectors: np.ndarray, n_results: int, where: dict[str, Any] | None, with_metadata: bool, texts: bool
    ) -> list[list[Any]]:
        """Nearest chunks with `where` applied inside Chroma's query."""
        got = self.chunks.query(
            query_embeddings=vectors,
            n_results=n_results,
            where=where,
            include=["documents", "metadatas", "distances"] if texts else ["metadatas", "distances"],
        )
        documents = (got["documents"] or []) if texts else [[""] * len(ids) for ids in got["ids"]]
        return [
            [_hit(i, d, m, dist, with_metadata) for i, d, m, dist in zip(ids, docs, metas, dists)]
            for ids, docs, metas, dists in zip(got["ids"], documents, got["metadatas"] or [], got["distances"] or [])
        ]

    def query_passages(
        self,
        vectors: np.ndarray,
        n_results: int = 10,
        *,
        language: str | None = None,
        segment: str | None = None,
        product: str | None = None,
        note_ids: Sequence[str] | None = None,
        texts: bool = True,
        records: dict[str, tuple[str | None, dict[str, Any]]] | None = None,
    ) -> list[list[Passage]]:
        """Nearest non-seller chunks for each query vector, filtered by the note's metadata.

        Seller-only chunks are left out in the query itself; a chunk that joins a customer turn
        and a seller reply has role "unknown" and comes back, so callers pick the customer's
        words inside it. `texts` and `records` are as in `query_chunks`.
        """
        conditions: list[dict[str, Any]] = [{"role": {"$ne": "seller"}}]
        for key, value in (("language", language), ("segment", segment), ("product", product)):
            if value:
                conditions.append({key: value})
        if note_ids is not None:
            conditions.append({"note_id": {"$in": list(dict.fromkeys(note_ids))}})
        where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        hits = self.query_chunks(
            vectors, n_results=n_results, where=where, with_metadata=True, texts=texts, records=records
        )
        return [
            [
                Passage(
                    chunk=chunk,
                    similarity=similarity,
                    language=str(meta.get("language", "")) or None,
                    outcome=meta.get("outcome"),  # type: ignore[arg-type]
                    date=meta.get("date"),  # type: ignore[arg-type]
                )
                for chunk, similarity, meta in row
            ]
            for row in hits
        ]

    def chunk_vectors(self, note_ids: Sequence[str] | None = None) -> tuple[list[Chunk], np.ndarray]:
        """The stored chunks (text not loaded) and their vectors: every chunk, or those of some notes.

        Mining reads these instead of embedding the notes again.
        """
        chunks: list[Chunk] = []
        parts: list[np.ndarray] = []
        if note_ids is None:
            pages: Iterator[dict[str, Any]] = self._pages(self.chunks, include=["metadatas", "embeddings"])
        else:
            wanted = list(dict.fromkeys(note_ids))
            pages = (
                self.chunks.get(where={"note_id": {"$in": wanted[i : i + _PAGE]}}, include=["metadatas", "embeddings"])
                for i in range(0, len(wanted), _PAGE)
            )
        for got in pages:
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or []):
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id,
                        note_id=str(meta["note_id"]),
                        index=int(meta["index"]),
                        text="",
                        role=meta.get("role", "unknown"),
                        speaker=meta.get("speaker"),
                        start=int(meta["start"]),
                        end=int(meta["end"]),
                    )
                )
            if len(got["ids"]):
                parts.append(np.asarray(got["embeddings"], dtype=np.float32))
        return chunks, (np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32))

    def note_versions(self) -> dict[str, str]:
        """note id -> the digest of the file it came from: what changed since an earlier mine."""
        versions: dict[str, str] = {}
        for got in self._pages(self.notes, include=["metadatas"]):
            for note_id, meta in zip(got["ids"], got["metadatas"] or []):
                versions[note_id] = str(meta.get("file_sha", ""))
        return versions

    def stats(self) -> dict[str, Any]:
        metas = list(self._all_metadatas(self.notes))
        return {
            "store": self.location,
            "embedding_model": self.embedding_model,
            "corpus_version": self.corpus_version,
            "notes": len(metas),
            "chunks": self.chunks.count(),
            "files": len({m["source_path"] for m in metas}),
            "by_source": dict(Counter(str(m.get("source", "?")) for m in metas).most_common()),
            "by_language": dict(Counter(str(m.get("language", "?")) for m in metas).most_common()),
            "by_outcome": dict(Counter(str(m.get("outcome", "unknown")) for m in metas).most_common()),
        }

    def _all_metadatas(self, collection: Any) -> Iterator[dict[str, Any]]:
        for got in self._pages(collection, include=["metadatas"]):
            yield from got["metadatas"] or []

    @staticmethod
    def _pages(collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            got = collection.get(include=include, limit=_PAGE, offset=offset)
            yield got
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE


def _note_metadata(
    note: CallNote, source_path: str, file_sha: str, file_notes: int, *, head: bool = False
) -> dict[str, Any]:
    return _clean(
        {
            "file_head": head or None,
            **{f: getattr(note, f) for f in _NOTE_FIELDS},
            "source": note.source,
            "source_path": source_path,
            "file_sha": file_sha,
            "file_notes": file_notes,  # how many notes the file has: a partly written file is seen as such
            # Turns as (speaker, role, start, end): their text is the note's, so it is not stored twice.
            "turns": json.dumps([[t.speaker, t.role, t.start, t.end] for t in note.turns], ensure_ascii=False),
            "extra": json.dumps(note.metadata, ensure_ascii=False),
        }
    )


def _note_from(note_id: str, text: str, meta: dict[str, Any]) -> CallNote:
    return CallNote(
        note_id=note_id,
        text=text,
        source=str(meta.get("source", "")),
        source_path=str(meta.get("source_path", "")),
        turns=[_turn_from(t, text) for t in json.loads(str(meta.get("turns", "[]")))],
        metadata=json.loads(str(meta.get("extra", "{}"))),
        **{f: meta.get(f) for f in _NOTE_FIELDS if meta.get(f) is not None},
    )


def _turn_from(stored: Any, text: str) -> Turn:
    """A turn from its stored (speaker, role, start, end); stores written before that kept whole turns."""
    if isinstance(stored, dict):
        return Turn(**stored)
    speaker, role, start, end = stored
    return Turn(speaker=speaker, role=role, start=start, end=end, text=text[start:end])


def _open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise StoreError(f"REVIEWER_CHROMA_URL {settings.chroma_url!r} is not a URL")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # the client checks the server on connect
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """Only one process writes the embedded store; a second waits briefly, then gives up clearly."""
    if settings.chroma_url:  # the server serialises writes itself
        yield
        return
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.data_dir / ".writer.lock"))
    started = time.monotonic()
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout:
        raise StoreError(
            f"another process is writing to the store in {settings.data_dir} "
            f"(waited {time.monotonic() - started:.0f} s); try again when it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _manifest_path(settings: Settings) -> Path:
    return settings.data_dir / "corpus.json"


def write_manifest(settings: Settings, corpus_version: str, embedding_model: str) -> None:
    """Record the embedded store's version beside it, so readers need not open Chroma to learn it."""
    from reviewer.atomic import write_atomic

    write_atomic(
        _manifest_path(settings), json.dumps({"corpus_version": corpus_version, "embedding_model": embedding_model})
    )


def read_manifest(settings: Settings) -> dict[str, str] | None:
    """The embedded store's version and embedding model, or None (server mode, or never ingested)."""
    path = _manifest_path(settings)
    if settings.chroma_url or not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and {"corpus_version", "embedding_model"} <= set(data) else None


_OPEN: dict[tuple[int, str], NoteStore] = {}
_OPEN_LOCK = threading.Lock()


def open_store(settings: Settings, embedding_model: str | None = None) -> NoteStore:
    """The store for these settings, opened once per process and shared by every thread.

    Chroma's clients must not be created from several threads at once (its system cache races),
    so the first opening happens under a lock and later callers get the same store. The store is
    checked against the configured embedding backend (or `embedding_model`).
    """
    from reviewer.embeddings import backend_name

    model = embedding_model or backend_name(settings)
    key = (os.getpid(), settings.chroma_url or str(settings.chroma_dir.resolve()))  # a forked child opens its own
    with _OPEN_LOCK:
        store = _OPEN.get(key)
        if store is None:
            store = _OPEN[key] = NoteStore(settings, model)
    if store.embedding_model != model:
        raise StoreError(
            f"the store at {store.location} was built with the embedding model {store.embedding_model!r}, "
            f"but {model!r} is configured; set REVIEWER_EMBEDDINGS to match it, or ingest into a new data dir"
        )
    return store
