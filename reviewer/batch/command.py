"""`reviewer batch`: review a folder of drafts, once or watching it; exit codes for CI."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from reviewer.cli_common import (
    BatchFormat,
    DataDir,
    FailLevel,
    FailOn,
    ModelOption,
    err,
    exit_because,
    fail,
    format_option,
    out,
    settings_for,
)
from reviewer.errors import ReviewerError
from reviewer.text import plural


def default_out(root: Path) -> Path:
    """`DIR/../reviews`, or `./reviews` when DIR is the working folder or a filesystem root."""
    cwd = Path.cwd().resolve()
    if root == cwd or root.parent == root:
        return cwd / "reviews"
    return root.parent / "reviews"


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and the first Ctrl-C ask for a clean stop (running reviews finish); a second Ctrl-C aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fails(row: dict[str, Any], fail_on: FailLevel) -> bool:
    if row["status"] != "reviewed":
        return False
    if fail_on is FailLevel.error:
        return bool(row["errors"])
    return fail_on is FailLevel.warning and bool(row["errors"] + row["warnings"])


def batch(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of drafts, searched recursively.")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", metavar="OUT", help="Where reports and the summary go (default: DIR/../reviews)."),
    ] = None,
    watch_mode: Annotated[
        bool, typer.Option("--watch", help="Keep running: review drafts as they appear or change.")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            metavar="N",
            min=1,
            help="Drafts reviewed at once (default: cores offline, 8 with a model).",
        ),
    ] = None,
    fail_on: FailOn = FailLevel.error,
    output: Annotated[BatchFormat, format_option("Reports to write.")] = BatchFormat.both,
    data_dir: DataDir = None,
    model: ModelOption = None,
) -> None:
    """Review every draft in a folder: new and changed ones only, reports mirrored in OUT, a summary."""
    from reviewer.batch.jobs import is_shared
    from reviewer.batch.runner import BatchLocked, batch_lock
    from reviewer.batch.session import BatchSession

    root = folder.resolve()
    if not root.is_dir():
        fail(f"{folder}: {'not a folder' if root.exists() else 'folder not found'}")
    target = (out_dir or default_out(root)).resolve()
    if target == root:
        fail(f"--out {target} is the drafts folder itself; choose another folder")
    settings = settings_for(data_dir, model=model)
    try:
        shared = is_shared(settings)  # workers on several hosts share the folder through the database
    except ReviewerError as exc:
        fail(str(exc))
    stop = threading.Event()
    console = _Console(watch_mode)
    session = BatchSession(
        settings, root, target, fmt=output.value, concurrency=concurrency, stop=stop, listener=console.hear
    )
    started = time.perf_counter()
    try:
        with batch_lock(target, shared=shared), _stop_on_signals(stop):
            try:
                runner = session.prepare()
            except ReviewerError as exc:
                fail(str(exc))
            _say_feedback(session.feedback_report)
            if watch_mode:
                from reviewer.batch.watch import watch

                err.print(f"watching {root} → {target} ({runner.concurrency} at once); Ctrl-C stops", markup=False)
                watch(session, stop, on_pass=console.pass_line, on_error=console.error)
                out.print("stopped watching", markup=False)
                return
            rows, busy = console.one_pass(session)
    except BatchLocked as exc:
        fail(str(exc))
    except ReviewerError as exc:  # the shared job queue's database went away mid-pass
        fail(str(exc))
    except OSError as exc:  # the summary could not be written (a full disk); reports already are, or failed
        fail(f"cannot write the summary to {target}: {exc.strerror or exc}")
    for row in rows:
        if row["status"] == "failed" and row["path"] not in console.failed_now:
            err.print(f"failed (unchanged since an earlier run) {row['path']}: {row['reason']}", markup=False)
    tally = console.tally
    line = (
        f"{plural(len(rows), 'draft')}: {tally['reviewed']} reviewed, {tally['skipped']} skipped (unchanged), "
        f"{tally['failed']} failed in {time.perf_counter() - started:.1f} s · summary {target / 'index.html'}"
    )
    if console.result is not None and console.result.elsewhere:
        line += f" · {len(console.result.elsewhere)} by other workers"
    if busy:
        line += f" · {len(busy)} still being written, left for the next run"
    out.print(line, markup=False)
    if stop.is_set():
        exit_because(130, "stopped before the end: the rest is reviewed on the next run")
    if not rows:
        err.print(f"no drafts found in {root}", markup=False)
        return
    # A draft failed in this pass counts as failed even when the journal could not record it (a full disk).
    if all(r["status"] == "failed" or r["path"] in console.failed_now for r in rows):
        exit_because(2, f"none of the {plural(len(rows), 'draft')} could be reviewed (reasons above)")
    blocking = [r for r in rows if _fails(r, fail_on)]
    if blocking:
        exit_because(1, f"{plural(len(blocking), 'draft')} with findings at --fail-on {fail_on} block publishing")


def _say_feedback(report: Any) -> None:
    """What importing `DIR/feedback/` did (the feedback stage's ImportReport), in one line or two."""
    if report is None:
        return
    imported, duplicates = getattr(report, "imported", 0), getattr(report, "duplicates", 0)
    if imported or duplicates:
        err.print(f"feedback: {plural(imported, 'flag')} imported, {duplicates} already known", markup=False)
    for path, reason in getattr(report, "skipped", []):
        err.print(f"feedback file skipped {path}: {reason}", markup=False)


class _Console:
    """Progress on stderr: a bar in a terminal, one line per draft in logs (CI, the worker)."""

    def __init__(self, watching: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.lines = watching or not err.is_terminal
        self.tally: Counter[str] = Counter()
        self.failed_now: set[str] = set()
        self.result: Any = None  # the pass of a one-shot batch
        self.lock = threading.Lock()
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=self.lines,
        )
        self.task = self.bar.add_task("scanning", total=None, counts="")

    def one_pass(self, session: Any) -> tuple[list[dict[str, Any]], list[Path]]:
        """Review everything under the folder once (waiting briefly for files still being written)."""
        from reviewer.batch import scan

        with self.bar:
            drafts = session.drafts()
            self.bar.update(self.task, total=len(drafts), description="reviewing")
            self.result, busy = session.review(drafts, max_wait=scan.MAX_SETTLE_WAIT)
        return session.write_summary(), busy

    def hear(self, outcome: str, rel: str, entry: Any) -> None:
        with self.lock:
            if outcome == "started":
                self.bar.update(self.task, description=rel if len(rel) <= 40 else "…" + rel[-39:])
                return
            self.tally[outcome] += 1
            done = self.tally
            counts = f"{done['reviewed']} reviewed · {done['skipped']} skipped · {done['failed']} failed"
            self.bar.update(self.task, advance=1, counts=counts)
            if outcome == "failed":
                self.failed_now.add(rel)
                err.print(f"failed {rel}: {entry.reason}", markup=False)
            elif outcome == "reviewed" and self.lines:
                result = entry.result
                err.print(
                    f"reviewed {rel}: score {result.score}/100, {result.verdict} — {plural(result.errors, 'error')}, "
                    f"{plural(result.warnings, 'warning')}",
                    markup=False,
                )

    def pass_line(self, result: Any) -> None:
        err.print(
            f"{time.strftime('%H:%M:%S')} {len(result.reviewed)} reviewed, {len(result.skipped)} skipped, "
            f"{len(result.failed)} failed in {result.seconds:.1f} s; summary updated",
            markup=False,
        )

    def error(self, message: str) -> None:
        err.print(f"error (still watching): {message}", markup=False)
