"""Schema migrations cannot race: many processes opening a fresh data dir at once all succeed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer.feedback.store import MIGRATIONS
from reviewer.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PROCESSES = 8
TRIALS = 20


def start_trials(trials: list[Settings], tmp_path: Path, processes: int = PROCESSES) -> dict[str, list[str]]:
    """Each trial: `processes` processes start at once on its fresh store (tests/race.py); failures by trial."""
    listing = tmp_path / "trials.json"
    listing.write_text(json.dumps([t.model_dump(mode="json") for t in trials]), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.race", str(listing), str(processes)],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def report(failed: dict[str, list[str]]) -> str:
    first = next(iter(failed.values()), [""])[0]
    return f"{len(failed)} of {TRIALS} trials failed; first: {first}"


def test_eight_processes_migrate_a_fresh_sqlite_flag_store_together(tmp_path: Path) -> None:
    trials = [Settings(data_dir=tmp_path / f"trial-{n}", embeddings="hash") for n in range(TRIALS)]
    failed = start_trials(trials, tmp_path)
    assert not failed, report(failed)
    for settings in trials:
        with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert db.execute("SELECT COUNT(*) FROM flags").fetchone()[0] == 0


@pytest.mark.parametrize("start", [0, 1])
def test_migrations_apply_from_any_version_once(tmp_path: Path, start: int) -> None:
    """A store left at an older version is moved up exactly once, even by several processes."""
    from reviewer.feedback.store import open_flags

    settings = Settings(data_dir=tmp_path / "d", embeddings="hash")
    if start:
        open_flags(settings)
    assert not start_trials([settings], tmp_path, processes=4)
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
