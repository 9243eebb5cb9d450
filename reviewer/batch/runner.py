"""Review many drafts at once: skip the unchanged, write reports atomically, then the manifest entry."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from reviewer.atomic import write_atomic
from reviewer.batch.jobs import MAX_ATTEMPTS, Job, open_queue
from reviewer.batch.state import DraftResult, Entry, open_journal, settles
from reviewer.drafts import load_draft_bytes
from reviewer.errors import InputError, ReviewerError, StoreError
from reviewer.graph.context import ReviewContext
from reviewer.models import Review

# Report file suffix per format, appended to the draft's own name: x.md → x.md.review.json.
REPORT_SUFFIX = {"json": ".review.json", "markdown": ".review.md"}
FORMAT_CHOICES: dict[str, tuple[str, ...]] = {
    "both": ("json", "markdown"),
    "json": ("json",),
    "markdown": ("markdown",),
}
TOP_FINDINGS = 3
LLM_CONCURRENCY = 8
LOCK_NAME = ".reviewer-batch.lock"
# What `write_atomic` leaves behind when the process is killed between write and rename.
_STALE_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")
# In a folder shared by several workers, a temporary file this old is no live worker's (they rename
# theirs within moments of creating it).
SHARED_TEMP_AGE = 600.0

Outcome = Literal["started", "reviewed", "skipped", "failed", "gone", "cancelled", "queued", "lost"]
Listener = Callable[[Outcome, str, Entry | None], None]

log = logging.getLogger(__name__)


# Reports live in a shared folder: readable by the group and others as the umask allows, not 0600
# (the temporary file `write_atomic` renames is private). Read once: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def publish(path: Path, text: str) -> None:
    """Write a report or summary file atomically, readable like any file the user creates."""
    write_atomic(path, text)
    os.chmod(path, 0o666 & ~_UMASK)


class BatchLocked(ReviewerError):
    """Another batch is already writing to the same output folder."""


def default_concurrency(ctx: ReviewContext) -> int:
    """Cores for the offline engine (CPU bound); more for a model, whose calls mostly wait."""
    return (os.cpu_count() or 1) if ctx.llm is None else LLM_CONCURRENCY


@contextmanager
def batch_lock(out: Path, *, shared: bool = False) -> Iterator[None]:
    """One batch per output folder; the OS drops the lock when the holder dies, even by SIGKILL.

    `shared` (a database URL is set): workers on the folder share it through the job queue and take no
    lock; only temporary files too old to be a live worker's are cleared.
    """
    from filelock import FileLock, Timeout

    out.mkdir(parents=True, exist_ok=True)
    if shared:
        _remove_stale_temp_files(out, older_than=SHARED_TEMP_AGE)
        yield
        return
    lock = FileLock(str(out / LOCK_NAME))
    try:
        lock.acquire(timeout=1)
    except Timeout:
        raise BatchLocked(f"another batch is writing to {out}; wait for it to finish") from None
    try:
        _remove_stale_temp_files(out)
        yield
    finally:
        lock.release()


def _remove_stale_temp_files(out: Path, older_than: float = 0.0) -> None:
    """Half-written temporary files of a killed run; only called while holding the lock, or for old ones."""
    now = time.time()
    for current, _dirs, files in os.walk(out):
        for name in files:
            if _STALE_TEMP.match(name):
                path = Path(current, name)
                try:
                    if older_than and now - path.stat().st_mtime < older_than:
                        continue
                except FileNotFoundError:
                    continue
                path.unlink(missing_ok=True)


@dataclass
class PassResult:
    """What one pass over some drafts did, by relative path."""

    reviewed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # handed to the job queue (shared folders only)
    seconds: float = 0.0

    @property
    def elsewhere(self) -> list[str]:
        """Drafts this worker queued that another worker reviewed (or still reviews)."""
        here = set(self.reviewed) | set(self.failed)
        return [rel for rel in self.queued if rel not in here]


def relative_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def report_path(out: Path, rel: str, fmt: str) -> Path:
    return out / (rel + REPORT_SUFFIX[fmt])


class BatchRunner:
    """Reviews drafts under `root` into `out` with one shared context and N threads."""

    def __init__(
        self,
        ctx: ReviewContext,
        root: Path,
        out: Path,
        *,
        formats: tuple[str, ...] = FORMAT_CHOICES["both"],
        concurrency: int | None = None,
        stop: threading.Event | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.ctx = ctx
        self.root = root
        self.out = out
        self.formats = formats
        self.concurrency = max(1, concurrency or default_concurrency(ctx))
        self.stop = stop or threading.Event()
        self.listener = listener
        self.manifest = open_journal(out, ctx.settings)
        # With the journal in Postgres, drafts go through the job queue that several workers share.
        self.queue = open_queue(self.manifest, dict(ctx.versions), ctx.settings.batch_lease_seconds)
        self._poll = min(1.0, ctx.settings.batch_lease_seconds / 4)

    def run(self, paths: Iterable[Path]) -> PassResult:
        """Review `paths` (files under root), N at once; unchanged drafts with complete reports are skipped."""
        started = time.perf_counter()
        result = PassResult()
        paths = list(paths)
        if self.queue is not None:
            return self._run_shared(paths, result, started)
        if not paths:
            return result
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(paths)), thread_name_prefix="batch")
        try:
            futures = [pool.submit(self.process, path) for path in paths]
            for future in as_completed(futures):
                outcome, rel = future.result()
                if outcome in ("reviewed", "skipped", "failed"):
                    getattr(result, outcome).append(rel)
        finally:
            # On Ctrl-C, queued drafts are dropped and the running ones finish their reports.
            pool.shutdown(wait=True, cancel_futures=True)
        result.seconds = time.perf_counter() - started
        return result

    def _run_shared(self, paths: list[Path], result: PassResult, started: float) -> PassResult:
        """Queue what `paths` need, then review jobs (anyone's) until none of this folder is open."""
        for path in paths:
            if self.stop.is_set():
                break
            outcome, rel = self._offer(path)
            if outcome in ("skipped", "failed", "queued"):
                getattr(result, outcome).append(rel)
        self._work_off(result, wait=True)
        result.seconds = time.perf_counter() - started
        return result

    def drain(self) -> PassResult:
        """Review whatever the queue holds for this folder now (orphans of a dead worker), without waiting."""
        started = time.perf_counter()
        result = PassResult()
        if self.queue is not None:
            self._work_off(result, wait=False)
        result.seconds = time.perf_counter() - started
        return result

    def _work_off(self, result: PassResult, *, wait: bool) -> None:
        """N threads take jobs; with `wait`, until no job is open (others' included, so leases that run
        out are taken over and the summary written after is whole)."""
        assert self.queue is not None
        queue, lock = self.queue, threading.Lock()

        def take() -> None:
            while not self.stop.is_set():
                job = queue.claim()
                if job is None:
                    if not wait or queue.open_jobs() == 0:
                        return
                    self.stop.wait(self._poll)
                    continue
                outcome, rel = self._process_job(job)
                if outcome in ("reviewed", "failed"):
                    with lock:
                        getattr(result, outcome).append(rel)

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="batch") as pool:
            for future in [pool.submit(take) for _ in range(self.concurrency)]:
                future.result()

    def _offer(self, path: Path) -> tuple[Outcome, str]:
        """Skip a draft the journal or the queue settles, else put its bytes in the job queue."""
        assert self.queue is not None
        draft = self._unsettled(path)
        if not isinstance(draft, _Unsettled):
            return draft

        def settled(entry: Entry | None) -> bool:
            return settles(entry, draft.sha256, draft.versions, self.formats, self.out)

        if self.queue.offer(draft.rel, draft.sha256, settled) == "settled":
            return self._skipped(draft.rel)
        return "queued", draft.rel

    def _process_job(self, job: Job) -> tuple[Outcome, str]:
        """One job taken from the queue: its draft's bytes, checked against the job's, reviewed."""
        assert self.queue is not None
        rel, versions = job.path, dict(self.ctx.versions)
        try:
            data = self._read(self.root / rel)
        except FileNotFoundError:
            self.queue.drop(job)  # deleted since it was queued: nothing to review
            return "gone", rel
        except OSError as exc:
            return self._failed(rel, job.sha256, versions, f"cannot read file ({exc.strerror or exc})", True, job)
        sha256 = hashlib.sha256(data).hexdigest()
        if sha256 != job.sha256:  # changed since it was queued: the new bytes are queued instead
            self.queue.drop(job)
            return self._offer(self.root / rel)
        if job.attempts > MAX_ATTEMPTS:
            reason = f"its review was cut off {job.attempts - 1} times (the worker stopped each time)"
            return self._failed(rel, sha256, versions, reason, False, job)
        return self._review(rel, sha256, data, versions, job)

    def _read(self, path: Path) -> bytes:
        # One read serves the hash and the parse, so the journal names the bytes reviewed.
        with path.open("rb") as handle:
            return handle.read(self.ctx.settings.max_draft_bytes + 1)

    def _tell(self, outcome: Outcome, rel: str, entry: Entry | None = None) -> None:
        if self.listener is not None:
            self.listener(outcome, rel, entry)

    def process(self, path: Path) -> tuple[Outcome, str]:
        """One draft from bytes to reports and manifest entry; never raises for a bad draft."""
        if self.stop.is_set():
            return "cancelled", relative_name(path, self.root)
        draft = self._unsettled(path)
        if not isinstance(draft, _Unsettled):
            return draft
        return self._review(draft.rel, draft.sha256, draft.data, draft.versions)

    def _unsettled(self, path: Path) -> _Unsettled | tuple[Outcome, str]:
        """A listed draft's bytes when the journal does not settle them, else what became of the draft:
        gone (deleted since it was listed), failed (unreadable; retried next run) or skipped (done)."""
        rel, versions = relative_name(path, self.root), dict(self.ctx.versions)
        try:
            data = self._read(path)
        except FileNotFoundError:
            return "gone", rel
        except OSError as exc:
            return self._failed(rel, "", versions, f"cannot read file ({exc.strerror or exc})", retry=True)
        sha256 = hashlib.sha256(data).hexdigest()
        if self.manifest.is_done(rel, sha256, versions, self.formats, self.out):
            return self._skipped(rel)
        return _Unsettled(rel, versions, data, sha256)

    def _skipped(self, rel: str) -> tuple[Outcome, str]:
        self._tell("skipped", rel, self.manifest.get(rel))
        return "skipped", rel

    def _review(
        self, rel: str, sha256: str, data: bytes, versions: dict[str, str], job: Job | None = None
    ) -> tuple[Outcome, str]:
        """Review the bytes of one draft into its reports and journal entry; never raises for a bad draft."""
        self._tell("started", rel)
        from reviewer.graph import review_draft

        try:
            draft = load_draft_bytes(data, rel, self.ctx.settings)
            review = review_draft(self.ctx, draft=draft)
        except InputError as exc:
            return self._failed(rel, sha256, versions, exc.reason, False, job)
        except TimeoutError as exc:  # a model or a lock that did not answer: worth another try next run
            return self._failed(rel, sha256, versions, f"timed out ({exc or 'no answer in time'})", True, job)
        except Exception:  # one broken draft must not stop the batch; the log keeps the traceback
            log.exception("reviewing %s failed", rel)
            return self._failed(
                rel, sha256, versions, "the review stopped unexpectedly (the log has the details)", True, job
            )
        try:
            entry = self._write_reports(rel, sha256, versions, review, job)
        except _LeaseLost:
            return "lost", rel
        except (OSError, StoreError) as exc:  # a full disk, a lost database: retried on the next run
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            why = f"cannot record its report in {self.out}: {reason}"
            return self._failed(rel, sha256, versions, why, True, job)
        self._tell("reviewed", rel, entry)
        return "reviewed", rel

    def _record(self, entry: Entry, job: Job | None) -> None:
        """Put `entry` in the journal; for a queued job, together with the job's end (if still held)."""
        if job is None or self.queue is None:
            self.manifest.put(entry)
        elif not self.queue.finish(job, entry):
            raise _LeaseLost(entry.path)

    def _failed(
        self, rel: str, sha256: str, versions: dict[str, str], reason: str, retry: bool = False, job: Job | None = None
    ) -> tuple[Outcome, str]:
        entry = Entry(
            path=rel, sha256=sha256, versions=versions, status="failed", reason=reason, retry=retry, finished_at=_now()
        )
        try:
            self._record(entry, job)
        except _LeaseLost:
            return "lost", rel
        except (OSError, StoreError) as exc:
            # Told all the same; with no entry recorded, the next run tries the draft again.
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            entry = entry.model_copy(update={"reason": f"{reason} (not recorded in the journal: {why})", "retry": True})
        self._tell("failed", rel, entry)
        return "failed", rel

    def _write_reports(
        self, rel: str, sha256: str, versions: dict[str, str], review: Review, job: Job | None = None
    ) -> Entry:
        from reviewer.report import render

        if job is not None and self.queue is not None and not self.queue.holds(job):
            # Stalled past the lease: another worker has the draft now and writes its reports.
            raise _LeaseLost(rel)
        reports = {}
        for fmt in self.formats:
            target = report_path(self.out, rel, fmt)
            publish(target, render(review, fmt))
            reports[fmt] = target.relative_to(self.out).as_posix()
        # Last: the entry is the proof that the reports above are complete.
        entry = Entry(
            path=rel,
            sha256=sha256,
            versions=versions,
            status="reviewed",
            reports=reports,
            result=summarise(review),
            reason="",
            retry=False,
            finished_at=_now(),
        )
        self._record(entry, job)
        return entry


@dataclass(frozen=True)
class _Unsettled:
    """A draft read for review: its name under the root, the engine's versions, its bytes and their hash."""

    rel: str
    versions: dict[str, str]
    data: bytes
    sha256: str


class _LeaseLost(Exception):
    """This worker's lease on a job ran out and another worker took the draft over."""


_RANK = {"error": 0, "warning": 1, "suggestion": 2}
_STATUS = {"contradicted": "contradicted", "unaddressed": "ignored", "partial": "partly answered"}


def summarise(review: Review) -> DraftResult:
    """Score, verdict, finding counts and the few most severe findings, one line each."""
    from reviewer.report import counts

    ranked: list[tuple[int, int, str]] = [
        (_RANK[f.severity], -f.frequency, f"[{f.severity}] {f.label}: {_STATUS[f.status]} ({f.frequency} calls)")
        for f in review.objections
        if f.status != "addressed"
    ]
    ranked += [
        (_RANK[b.severity], 0, f"[{b.severity}] {b.rule} (line {b.line}): {b.message}")
        for b in [*review.brand, *review.tone]
    ]
    found = counts(review)
    return DraftResult(
        score=review.score,
        verdict=review.verdict,
        errors=found["error"],
        warnings=found["warning"],
        suggestions=found["suggestion"],
        top_findings=[line for *_, line in sorted(ranked, key=lambda r: (r[0], r[1]))[:TOP_FINDINGS]],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
