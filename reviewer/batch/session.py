"""One batch over one folder: import feedback, build the context once, run passes, keep the summary."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from reviewer.batch import scan
from reviewer.batch.runner import FORMAT_CHOICES, BatchRunner, Listener, PassResult, relative_name
from reviewer.batch.summary import rows_for, write_summary
from reviewer.graph.context import ReviewContext
from reviewer.settings import Settings

FEEDBACK_SUFFIXES = (".csv", ".json", ".jsonl")


def import_feedback(root: Path, settings: Settings) -> Any:
    """Import the reps' flags dropped in `root/feedback/` (CSV or JSON), if the feedback stage exists.

    The feedback stage is built in parallel with batch (issue 8): it is looked up at call time, and
    a build without it simply has no flags to import.
    """
    folder = root / scan.FEEDBACK_DIR
    if not folder.is_dir() or importlib.util.find_spec("reviewer.feedback") is None:
        return None
    feedback = importlib.import_module("reviewer.feedback")
    importer = getattr(feedback, "import_feedback_folder", None)
    open_flags = getattr(feedback, "open_flags", None)
    if importer is None or open_flags is None:
        return None
    book = open_flags(settings)
    try:
        return importer(folder, book)
    finally:
        close = getattr(book, "close", None)
        if callable(close):
            close()


class BatchSession:
    """Drafts under `root`, reports and summary under `out` (skipped while scanning if inside root)."""

    def __init__(
        self,
        settings: Settings,
        root: Path,
        out: Path,
        *,
        fmt: str = "both",
        concurrency: int | None = None,
        stop: threading.Event | None = None,
        listener: Listener | None = None,
        build: Callable[[Settings], ReviewContext] | None = None,
    ) -> None:
        self.settings = settings
        self.root = root.resolve()
        self.out = out.resolve()
        self.formats = FORMAT_CHOICES[fmt]
        self.concurrency = concurrency
        self.stop = stop or threading.Event()
        self.listener = listener
        self._build = build
        self.runner: BatchRunner | None = None
        self.feedback_report: Any = None

    @property
    def excluded(self) -> list[Path]:
        return [self.out] if self.out.is_relative_to(self.root) else []

    def prepare(self) -> BatchRunner:
        """Import feedback, then (re)build the shared review context; the corpus versions come with it."""
        from reviewer.graph import build_context

        self.feedback_report = import_feedback(self.root, self.settings)
        ctx = (self._build or build_context)(self.settings)
        self.runner = BatchRunner(
            ctx,
            self.root,
            self.out,
            formats=self.formats,
            concurrency=self.concurrency,
            stop=self.stop,
            listener=self.listener,
        )
        return self.runner

    def drafts(self) -> list[Path]:
        return scan.discover(self.root, self.excluded)

    def is_draft(self, path: Path) -> bool:
        return scan.is_candidate(path, self.root, self.excluded)

    def is_scanned_dir(self, path: Path) -> bool:
        return scan.is_scanned_dir(path, self.root, self.excluded)

    def is_feedback(self, path: Path) -> bool:
        return path.parent == self.root / scan.FEEDBACK_DIR and path.suffix.lower() in FEEDBACK_SUFFIXES

    def review(self, paths: Iterable[Path], *, max_wait: float = 0.0) -> tuple[PassResult, list[Path]]:
        """Review the settled ones of `paths`; returns the pass and the files still being written."""
        assert self.runner is not None, "prepare() first"
        ready, busy = scan.settle(paths, max_wait=max_wait)
        return self.runner.run(ready), busy

    def drain(self) -> PassResult:
        """Review what the shared job queue holds now (a dead worker's drafts); nothing without one."""
        assert self.runner is not None, "prepare() first"
        return self.runner.drain()

    @property
    def shared(self) -> bool:
        """True when several workers share this folder through the job queue."""
        return self.runner is not None and self.runner.queue is not None

    def write_summary(self) -> list[dict[str, Any]]:
        """Rebuild the summary from the journal for the drafts in the folder now."""
        runner = self.runner
        assert runner is not None, "prepare() first"

        def write() -> list[dict[str, Any]]:
            names = [relative_name(p, self.root) for p in self.drafts()]
            rows = rows_for(names, runner.manifest, runner.ctx.versions)
            write_summary(self.out, self.root, rows, runner.ctx.versions)
            return rows

        if runner.queue is None:
            return write()
        # Workers write it one at a time, each reading the journal inside the lock: the last one to
        # write has seen every finished draft, whichever worker finished last.
        with runner.queue.database.locked(f"batch-summary:{runner.queue.out_dir}"):
            return write()
