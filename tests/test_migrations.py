"""Schema migrations cannot race: many processes opening a fresh data dir at once all succeed."""

from __future__ import annotations

import multiprocessing
import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest

from reviewer.feedback.store import MIGRATIONS
from reviewer.settings import Settings

PROCESSES = 8
TRIALS = 20


def _open_at_barrier(settings: Settings, barrier: Any, errors: Any) -> None:
    """One process's first start: wait for the others, then open (and so migrate) the flag book."""
    try:
        from reviewer.feedback.store import open_flags

        barrier.wait(timeout=30)
        open_flags(settings).list()
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        errors.put(traceback.format_exc(limit=3))


def start_at_once(settings: Settings, processes: int = PROCESSES) -> list[str]:
    """Fork `processes` children that open the flag book together; their tracebacks, if any."""
    context = multiprocessing.get_context("fork")  # the parent's imports are shared: the start is the race
    barrier = context.Barrier(processes)
    errors = context.Queue()
    children = [context.Process(target=_open_at_barrier, args=(settings, barrier, errors)) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    failures += [f"exit code {c.exitcode}" for c in children if c.exitcode != 0 and not failures]
    return failures


def test_eight_processes_migrate_a_fresh_sqlite_flag_store_together(tmp_path: Path) -> None:
    failed_trials = {}
    for trial in range(TRIALS):
        settings = Settings(data_dir=tmp_path / f"trial-{trial}", embeddings="hash")
        failures = start_at_once(settings)
        if failures:
            failed_trials[trial] = failures
        with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert db.execute("SELECT COUNT(*) FROM flags").fetchone()[0] == 0
    first = next(iter(failed_trials.values()), [""])[0]
    assert not failed_trials, f"{len(failed_trials)} of {TRIALS} trials failed; first: {first}"


@pytest.mark.parametrize("start", [0, 1])
def test_migrations_apply_from_any_version_once(tmp_path: Path, start: int) -> None:
    """A store left at an older version is moved up exactly once, even by several processes."""
    from reviewer.feedback.store import open_flags

    settings = Settings(data_dir=tmp_path / "d", embeddings="hash")
    if start:
        open_flags(settings)
    assert not start_at_once(settings, processes=4)
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
