"""Drafts shared out between several batch workers: a job table in Postgres, taken with leases.

With `REVIEWER_DATABASE_URL` set, every worker on one output folder (on one host or many, sharing the
folder) puts each draft it finds needing a review into `batch_jobs`, one row per draft, bytes and
versions, and takes rows one at a time with `SELECT ... FOR UPDATE SKIP LOCKED`: whichever workers see
a draft, it is reviewed once per version. A taken row carries a lease that the worker's heartbeat renews
while it reviews; a worker killed midway stops renewing, its lease runs out, and another worker takes
the draft. The journal stays the record of finished work: a job's entry and its `done` are written in
one transaction.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from reviewer.batch.state import DatabaseJournal, Entry

# A draft whose review was cut off this many times (its worker died each time) is recorded as failed,
# not handed to a fourth worker to kill.
MAX_ATTEMPTS = 3

JOB_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE batch_jobs (
            out_dir TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            versions_key TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            lease_owner TEXT,
            lease_expires TIMESTAMPTZ,
            attempts INTEGER NOT NULL DEFAULT 0,
            queued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (out_dir, path, sha256, versions_key)
        )""",
        "CREATE INDEX batch_jobs_open ON batch_jobs (out_dir, versions_key, state)",
    ],
]

Offered = Literal["queued", "settled"]
# One job row: its key, in `_key`'s order.
_JOB = "out_dir = ? AND path = ? AND sha256 = ? AND versions_key = ?"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One draft's bytes to review, held by this worker until `lease` runs out or it is finished."""

    path: str
    sha256: str
    attempts: int


def versions_key(versions: dict[str, str]) -> str:
    return json.dumps(versions, sort_keys=True)


class JobQueue:
    """The jobs of one output folder and one set of versions, as seen by one worker process."""

    def __init__(self, journal: DatabaseJournal, versions: dict[str, str], lease_seconds: float) -> None:
        self.journal = journal
        self.database = journal.database
        self.out_dir = journal.out_dir
        self.versions_key = versions_key(versions)
        self.lease = lease_seconds
        # Host and pid, so an operator (or a test) can tell whose lease a row holds.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._heartbeat: threading.Thread | None = None
        self._lock = threading.Lock()
        self.database.migrate_once("batch_jobs", JOB_MIGRATIONS)

    def _key(self, path: str, sha256: str) -> tuple[str, str, str, str]:
        return (self.out_dir, path, sha256, self.versions_key)

    def offer(self, path: str, sha256: str, settled: Callable[[Entry | None], bool]) -> Offered:
        """Queue these bytes of `path` unless they are queued, being reviewed, or `settled` by the journal.

        The job row is locked while the journal is read, so a worker finishing it at this moment is
        seen finished: a done job is queued again only when its entry no longer settles it (its
        reports were lost, or it failed in a way worth retrying).
        """
        key = self._key(path, sha256)
        with self.database.transaction(write=True) as db:
            db.execute(
                "INSERT INTO batch_jobs (out_dir, path, sha256, versions_key) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                key,
            )
            row = db.execute(f"SELECT state FROM batch_jobs WHERE {_JOB} FOR UPDATE", key).fetchone()
            if row["state"] != "done":
                return "queued"
            if settled(self.journal.read(db, path)):
                return "settled"
            db.execute(
                "UPDATE batch_jobs SET state = 'queued', attempts = 0, lease_owner = NULL, lease_expires = NULL, "
                f"queued_at = now() WHERE {_JOB}",
                key,
            )
        return "queued"

    def claim(self) -> Job | None:
        """Take the oldest queued job, or one whose worker's lease ran out; None when there is none."""
        with self.database.transaction(write=True) as db:
            row = db.execute(
                "UPDATE batch_jobs SET state = 'running', lease_owner = ?, "
                "lease_expires = now() + make_interval(secs => ?), attempts = attempts + 1 "
                "WHERE (out_dir, path, sha256, versions_key) = ("
                "  SELECT out_dir, path, sha256, versions_key FROM batch_jobs"
                "  WHERE out_dir = ? AND versions_key = ?"
                "    AND (state = 'queued' OR (state = 'running' AND lease_expires < now()))"
                "  ORDER BY queued_at, path LIMIT 1 FOR UPDATE SKIP LOCKED"
                ") RETURNING path, sha256, attempts",
                (self.owner, self.lease, self.out_dir, self.versions_key),
            ).fetchone()
        if row is None:
            return None
        self._start_heartbeat()
        return Job(path=row["path"], sha256=row["sha256"], attempts=row["attempts"])

    def open_jobs(self) -> int:
        """Jobs of this folder and versions not done yet: queued, or held by a worker (alive or not)."""
        with self.database.transaction() as db:
            row = db.execute(
                "SELECT COUNT(*) AS n FROM batch_jobs WHERE out_dir = ? AND versions_key = ? AND state <> 'done'",
                (self.out_dir, self.versions_key),
            ).fetchone()
        return int(row["n"])

    def holds(self, job: Job) -> bool:
        """True while this worker's lease on `job` stands (checked before its reports are written)."""
        with self.database.transaction() as db:
            row = db.execute(
                f"SELECT 1 AS held FROM batch_jobs WHERE {_JOB} AND state = 'running' AND lease_owner = ?",
                (*self._key(job.path, job.sha256), self.owner),
            ).fetchone()
        return row is not None

    def finish(self, job: Job, entry: Entry) -> bool:
        """Record `entry` in the journal and mark the job done, in one transaction, if the lease still
        stands; False when another worker took the job over (its lease ran out), which then records it."""
        with self.database.transaction(write=True) as db:
            done = db.execute(
                f"UPDATE batch_jobs SET state = 'done', lease_expires = NULL "
                f"WHERE {_JOB} AND state = 'running' AND lease_owner = ?",
                (*self._key(job.path, job.sha256), self.owner),
            ).rowcount
            if done:
                self.journal.write(db, entry)
        return bool(done)

    def drop(self, job: Job) -> None:
        """Forget a job whose draft is gone or changed since it was queued (the new bytes get their own)."""
        with self.database.transaction(write=True) as db:
            db.execute(
                f"DELETE FROM batch_jobs WHERE {_JOB} AND lease_owner = ?",
                (*self._key(job.path, job.sha256), self.owner),
            )

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat, name="batch-lease", daemon=True)
                self._heartbeat.start()

    def _beat(self) -> None:
        """Renew this worker's leases three times per lease; ends once it holds none (a claim restarts it)."""
        pause = threading.Event()  # never set: only its timed wait is used
        while not pause.wait(self.lease / 3):
            # Under the lock, so a claim made while the last lease ends finds the thread gone and starts one.
            with self._lock:
                try:
                    with self.database.transaction(write=True) as db:
                        held = db.execute(
                            "UPDATE batch_jobs SET lease_expires = now() + make_interval(secs => ?) "
                            "WHERE lease_owner = ? AND state = 'running'",
                            (self.lease, self.owner),
                        ).rowcount
                except Exception:  # noqa: BLE001 - a lost database: the next beat tries again
                    log.warning("could not renew the batch leases of %s", self.owner, exc_info=True)
                    continue
                if not held:
                    self._heartbeat = None
                    return


def open_queue(journal: Any, versions: dict[str, str], lease_seconds: float) -> JobQueue | None:
    """The job queue for a journal kept in Postgres; None for the file journal (one worker per folder)."""
    if isinstance(journal, DatabaseJournal) and journal.database.postgres:
        return JobQueue(journal, versions, lease_seconds)
    return None


def is_shared(settings: Any) -> bool:
    """True when batches share their work through the database (several workers on one folder)."""
    from reviewer.database import postgres_url

    return bool(postgres_url(settings))
