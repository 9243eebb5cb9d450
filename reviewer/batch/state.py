"""The journal of finished work for an output folder: what was reviewed, with which versions, where.

It lives in Postgres when `REVIEWER_DATABASE_URL` is set (`DatabaseJournal`), else in a file in the
folder (`OUT/.reviewer-batch.jsonl`, one entry per line, the last line for a draft wins):
an entry is appended and fsynced only after both reports are on disk, so after a crash at any moment
every entry points at complete reports, and reports without an entry are redone. A line torn by a
kill is ignored. Appending keeps each finished draft O(1); the journal is rewritten atomically
(compacted) when it has grown well past one line per draft, and whenever a torn line was found.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from reviewer.atomic import write_atomic
from reviewer.settings import Settings

MANIFEST_NAME = ".reviewer-batch.jsonl"
# Compact once the journal holds this many superseded lines beyond one per draft.
COMPACT_SLACK = 200


class DraftResult(BaseModel):
    """What the summary shows of one reviewed draft, kept so unchanged drafts need no re-reading."""

    score: int = Field(description="0-100, higher is better.")
    verdict: str = Field(description="ready, needs work or blocked.")
    errors: int = 0
    warnings: int = 0
    suggestions: int = 0
    top_findings: list[str] = Field(default_factory=list, description="The most severe findings, one line each.")


class Entry(BaseModel):
    """One draft's last outcome: reviewed (with its reports) or failed (with the reason)."""

    path: str = Field(description="The draft's path relative to the batch folder, with '/' separators.")
    sha256: str = Field(description="SHA-256 of the draft's bytes when it was reviewed.")
    versions: dict[str, str] = Field(description="Corpus, rules, model and flags versions the review used.")
    status: Literal["reviewed", "failed"]
    reports: dict[str, str] = Field(default_factory=dict, description="Report paths relative to OUT, by format.")
    result: DraftResult | None = None
    reason: str = Field("", description="Why the draft could not be reviewed.")
    retry: bool = Field(False, description="A failure worth retrying on the next run (not a bad file).")
    finished_at: str = ""


def append_whole(path: Path, data: bytes) -> None:
    """Append `data` and fsync, or leave the file as it was: a full disk never leaves half a line."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.fstat(fd).st_size
        try:
            written = os.write(fd, data)
            if written != len(data):  # a short write: the disk filled up mid-line
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, start)  # frees what the partial line took
            raise
    finally:
        os.close(fd)


class Journal:
    """What every journal answers: an entry by draft path, whether a draft needs no new review."""

    def get(self, path: str) -> Entry | None:
        raise NotImplementedError

    def put(self, entry: Entry) -> None:
        raise NotImplementedError

    def is_done(self, path: str, sha256: str, versions: dict[str, str], formats: tuple[str, ...], out: Path) -> bool:
        """True when `path` needs no new review: same bytes and versions, and complete reports
        (or a failure of the same bytes that is not worth retrying)."""
        return settles(self.get(path), sha256, versions, formats, out)


def settles(entry: Entry | None, sha256: str, versions: dict[str, str], formats: tuple[str, ...], out: Path) -> bool:
    """True when `entry` is a finished review of these bytes and versions, or a failure not worth retrying."""
    if entry is None or entry.sha256 != sha256 or entry.versions != versions:
        return False
    if entry.status == "failed":
        return not entry.retry
    return all(fmt in entry.reports and (out / entry.reports[fmt]).is_file() for fmt in formats)


class Manifest(Journal):
    """Entries by draft path, loaded from and appended to the journal file in OUT; thread-safe."""

    def __init__(self, out: Path) -> None:
        self.path = out / MANIFEST_NAME
        self._lock = threading.Lock()
        self._lines = 0
        self.entries: dict[str, Entry] = {}
        torn = self._load()
        if torn or self._lines > len(self.entries) + COMPACT_SLACK:
            self.compact()

    def _load(self) -> bool:
        """Read the journal; True when a line was unreadable (a kill mid-append, or a hand edit)."""
        try:
            raw = self.path.read_text("utf-8")
        except FileNotFoundError:
            return False
        torn = bool(raw) and not raw.endswith("\n")
        for line in raw.splitlines():
            try:
                entry = Entry.model_validate(json.loads(line))
            except (ValueError, ValidationError):
                torn = True
                continue
            self.entries[entry.path] = entry
            self._lines += 1
        return torn

    def get(self, path: str) -> Entry | None:
        with self._lock:
            return self.entries.get(path)

    def put(self, entry: Entry) -> None:
        """Record an entry durably (appended and fsynced) before returning."""
        line = (entry.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_whole(self.path, line)
            self.entries[entry.path] = entry
            self._lines += 1
            if self._lines > len(self.entries) + COMPACT_SLACK:
                self._compact()

    def compact(self) -> None:
        with self._lock:
            self._compact()

    def _compact(self) -> None:
        text = "".join(e.model_dump_json() + "\n" for _, e in sorted(self.entries.items()))
        write_atomic(self.path, text)
        self._lines = len(self.entries)


# The journal in Postgres (REVIEWER_DATABASE_URL): one row per output folder and draft, replaced in
# one statement, so a crash leaves the old row or the new one, never half of either.
JOURNAL_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE batch_journal (
            out_dir TEXT NOT NULL,
            path TEXT NOT NULL,
            entry TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            PRIMARY KEY (out_dir, path)
        )""",
    ],
]


class DatabaseJournal(Journal):
    """Entries of one output folder in the database; every read is fresh, so several hosts share it."""

    def __init__(self, out: Path, database: Any) -> None:
        self.out_dir = str(out.resolve())
        self.database = database
        database.migrate_once("batch", JOURNAL_MIGRATIONS)

    def get(self, path: str) -> Entry | None:
        with self.database.transaction() as db:
            return self.read(db, path)

    def put(self, entry: Entry) -> None:
        with self.database.transaction(write=True) as db:
            self.write(db, entry)

    def read(self, db: Any, path: str) -> Entry | None:
        """The entry of `path`, inside the caller's transaction."""
        sql = "SELECT entry FROM batch_journal WHERE out_dir = ? AND path = ?"
        row = db.execute(sql, (self.out_dir, path)).fetchone()
        return Entry.model_validate_json(row["entry"]) if row else None

    def write(self, db: Any, entry: Entry) -> None:
        """Record `entry` inside the caller's transaction (the job queue finishes a job in the same one)."""
        db.execute(
            "INSERT INTO batch_journal (out_dir, path, entry, finished_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (out_dir, path) DO UPDATE SET entry = excluded.entry, finished_at = excluded.finished_at",
            (self.out_dir, entry.path, entry.model_dump_json(), entry.finished_at),
        )

    @property
    def entries(self) -> dict[str, Entry]:
        with self.database.transaction() as db:
            rows = db.execute("SELECT entry FROM batch_journal WHERE out_dir = ?", (self.out_dir,)).fetchall()
        found = [Entry.model_validate_json(row["entry"]) for row in rows]
        return {entry.path: entry for entry in found}


def open_journal(out: Path, settings: Settings) -> Journal:
    """The journal of `out`: a table in Postgres when a database URL is set, else the file in OUT."""
    from reviewer.database import open_database, postgres_url

    if postgres_url(settings):
        return DatabaseJournal(out, open_database(settings, "batch.sqlite3"))
    return Manifest(out)
