"""Which files under a folder are drafts to review, and which of them have stopped changing."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from reviewer.drafts import SUPPORTED_SUFFIXES

# A file counts as written once its size and mtime hold still this long (seconds).
SETTLE_SECONDS = 1.0
# A one-shot batch waits at most this long for files still being written, then leaves them for the next run.
MAX_SETTLE_WAIT = 30.0
FEEDBACK_DIR = "feedback"
# Editors, office suites and downloaders leave these beside the real file while they work.
TEMP_SUFFIXES = frozenset({".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swx", ".bak"})
# Our own reports, should they end up in the drafts folder: never review a review.
REPORT_SUFFIXES = (".review.md", ".review.json")


def is_ignored_name(name: str) -> bool:
    """Hidden, temporary, lock and backup files (`.x.swp`, `~$x.docx`, `x.part`, `x~`) and our reports."""
    lower = name.lower()
    return (
        name.startswith((".", "~"))
        or name.endswith("~")
        or Path(lower).suffix in TEMP_SUFFIXES
        or lower.endswith(REPORT_SUFFIXES)
    )


def is_draft_name(name: str) -> bool:
    return not is_ignored_name(name) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES


def _is_excluded_dir(path: Path, root: Path, excluded: Iterable[Path]) -> bool:
    """Hidden folders, `feedback/` folders (rep flags, not drafts) and the output folder."""
    if path == root:
        return False
    return path.name.startswith(".") or path.name == FEEDBACK_DIR or any(path == e for e in excluded)


def is_scanned_dir(path: Path, root: Path, excluded: Iterable[Path] = ()) -> bool:
    """True when `discover` looks inside the folder `path` (absolute)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    excluded = list(excluded)
    current = root
    for part in rel.parts:
        current = current / part
        if _is_excluded_dir(current, root, excluded):
            return False
    return True


def is_candidate(path: Path, root: Path, excluded: Iterable[Path] = ()) -> bool:
    """True when `path` (absolute, under `root`) is a draft `discover` would list, by name alone."""
    return path != root and is_draft_name(path.name) and is_scanned_dir(path.parent, root, excluded)


def discover(root: Path, excluded: Iterable[Path] = ()) -> list[Path]:
    """Every draft file under `root`, recursively, sorted; symlinked folders are not followed."""
    excluded = [e.resolve() for e in excluded]
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not _is_excluded_dir(here / d, root, excluded))
        for name in files:
            path = here / name
            if is_draft_name(name) and path.is_file():
                found.append(path)
    return sorted(found)


def _snapshot(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def settle(
    paths: Iterable[Path], *, interval: float | None = None, max_wait: float = 0.0
) -> tuple[list[Path], list[Path]]:
    """Split `paths` into (settled, busy): a file is settled when it is older than `interval`, or its
    size and mtime did not change over one `interval` (clock skew on shared drives makes mtime alone
    unreliable). Waits up to `max_wait` for busy files before giving up on them; gone files are dropped.
    """
    interval = SETTLE_SECONDS if interval is None else interval
    pending: dict[Path, tuple[int, int]] = {}
    settled: list[Path] = []
    now = time.time_ns()
    for path in paths:
        snap = _snapshot(path)
        if snap is None:
            continue
        if now - snap[1] >= interval * 1e9:
            settled.append(path)
        else:
            pending[path] = snap
    deadline = time.monotonic() + max_wait
    while pending:
        time.sleep(interval)
        still: dict[Path, tuple[int, int]] = {}
        for path, before in pending.items():
            snap = _snapshot(path)
            if snap is None:
                continue
            if snap == before:
                settled.append(path)
            else:
                still[path] = snap
        pending = still
        if time.monotonic() >= deadline:
            break
    return sorted(settled), sorted(pending)
