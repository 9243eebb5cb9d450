"""Watch mode: review drafts as they appear or change, debounced, until `stop` is set."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from reviewer.batch.runner import PassResult
from reviewer.batch.session import BatchSession

# A file is reviewed once no event touched it for this long (editors save in several writes).
DEBOUNCE_SECONDS = 1.0
# Safety net for lost events (inotify queue overflow, folders moved in whole): a full pass this often.
RESCAN_SECONDS = 300.0
# With workers sharing the folder: how often an idle worker looks for drafts a dead worker left.
QUEUE_POLL_SECONDS = 1.0
_IGNORED_EVENTS = {"opened", "closed_no_write"}


class _Changes(FileSystemEventHandler):
    """Collects changed paths from the observer thread; the watch loop drains them."""

    def __init__(self, session: BatchSession) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.touched: dict[Path, float] = {}
        self.full_pass = False

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        now = time.monotonic()
        with self.lock:
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                path = Path(str(raw)) if raw else None
                if path is None:
                    continue
                if event.is_directory:
                    # A folder moved or copied in brings files without events of their own.
                    if event.event_type in ("created", "moved", "deleted") and self.session.is_scanned_dir(path):
                        self.full_pass = True
                elif self.session.is_draft(path) or self.session.is_feedback(path):
                    self.touched[path] = now  # our own reports and summary never get here
                else:
                    continue
                self.wake.set()

    def due(self, debounce: float) -> tuple[list[Path], bool]:
        """Paths quiet for `debounce` seconds (removed from the queue), and whether a full pass is asked."""
        now = time.monotonic()
        with self.lock:
            ready = [p for p, t in self.touched.items() if now - t >= debounce]
            for path in ready:
                del self.touched[path]
            full, self.full_pass = self.full_pass, False
        return ready, full

    def requeue(self, paths: list[Path]) -> None:
        now = time.monotonic()
        with self.lock:
            for path in paths:
                self.touched.setdefault(path, now)


def watch(
    session: BatchSession,
    stop: threading.Event,
    *,
    debounce: float | None = None,
    rescan: float | None = None,
    on_pass: Callable[[PassResult], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    started: threading.Event | None = None,
) -> None:
    """Run a full pass, then review what changes until `stop` is set; the summary follows each change.

    `session` must be prepared. `started` is set once the first pass is done and events are watched.
    """
    debounce = DEBOUNCE_SECONDS if debounce is None else debounce
    rescan = RESCAN_SECONDS if rescan is None else rescan
    changes = _Changes(session)
    observer = Observer()
    observer.schedule(changes, str(session.root), recursive=True)
    observer.start()  # before the first pass, so a file dropped during it is not missed

    def full() -> None:
        result, busy = session.review(session.drafts())
        changes.requeue(busy)
        session.write_summary()
        if on_pass:
            on_pass(result)

    last_full = last_poll = time.monotonic()
    try:
        full()
        if started is not None:
            started.set()
        while not stop.is_set():
            changes.wake.wait(timeout=min(0.2, debounce or 0.2))
            changes.wake.clear()
            paths, want_full = changes.due(debounce)
            if not paths and not want_full and time.monotonic() - last_full < rescan:
                if session.shared and time.monotonic() - last_poll >= QUEUE_POLL_SECONDS:
                    last_poll = time.monotonic()
                    _help_others(session, on_pass, on_error)
                continue
            try:
                if any(session.is_feedback(p) for p in paths):
                    session.prepare()  # new flags: a new context, and versions that redo what they change
                    want_full = True
                if want_full or time.monotonic() - last_full >= rescan:
                    last_full = time.monotonic()
                    full()
                    continue
                drafts = [p for p in paths if p.is_file() and session.is_draft(p)]
                result, busy = session.review(drafts)
                changes.requeue(busy)
                # Deleted and renamed drafts leave the summary too.
                session.write_summary()
                if on_pass and (result.reviewed or result.failed):
                    on_pass(result)
            except Exception as exc:  # noqa: BLE001 - a watcher keeps watching; the next change retries
                if on_error:
                    on_error(f"{type(exc).__name__}: {exc}")
    finally:
        observer.stop()
        observer.join(timeout=5)


def _help_others(
    session: BatchSession, on_pass: Callable[[PassResult], None] | None, on_error: Callable[[str], None] | None
) -> None:
    """Take over the queued drafts no live worker holds (a killed worker's, once its lease ran out)."""
    try:
        result = session.drain()
        if result.reviewed or result.failed:
            session.write_summary()
            if on_pass:
                on_pass(result)
    except Exception as exc:  # noqa: BLE001 - the next poll retries
        if on_error:
            on_error(f"{type(exc).__name__}: {exc}")
