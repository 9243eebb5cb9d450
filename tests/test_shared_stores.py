"""One note store and one flag-book connection per process, shared by every thread of a batch."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.batch import scan
from reviewer.cli import app
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR

REPO = Path(__file__).resolve().parent.parent
DRAFTS = CORPUS_DIR / "drafts"
RUNS = 10


@pytest.fixture(scope="module")
def flagged_data(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with one missed-objection flag, as a rep would leave it."""
    target = tmp_path_factory.mktemp("flagged") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    result = CliRunner().invoke(
        app,
        [
            "flag",
            "--draft",
            str(DRAFTS / "landing_page.md"),
            "--missed",
            "customers keep asking whether it runs on-prem",
            "--data-dir",
            str(target),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "SETTLE_SECONDS", 0.05)


def _batch_runs(data: Path, out_root: Path, concurrency: int | None) -> dict[int, list[str]]:
    """`reviewer batch corpus/drafts` RUNS times in a row, each a new process; the failed drafts per run."""
    drafts = sorted(p.name for p in scan.discover(DRAFTS))
    env = {**os.environ, "PYTHONPATH": str(REPO), "REVIEWER_DATA_DIR": str(data)}
    failures: dict[int, list[str]] = {}
    for run in range(RUNS):
        out = out_root / f"run-{run}"
        args = [sys.executable, "-m", "reviewer", "batch", str(DRAFTS), "--out", str(out), "--fail-on", "never"]
        if concurrency:
            args += ["--concurrency", str(concurrency)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        summary = json.loads((out / "summary.json").read_text("utf-8")) if (out / "summary.json").exists() else {}
        rows = summary.get("drafts", [])
        failed = [f"{row['path']}: {row['reason']}" for row in rows if row["status"] != "reviewed"]
        if done.returncode != 0 or failed or sorted(row["path"] for row in rows) != drafts:
            failures[run] = failed or [done.stderr[-2000:]]
    return failures


def test_batch_with_flags_never_fails_a_draft(flagged_data: Path, tmp_path: Path) -> None:
    """The demo folder, flags present, at the default concurrency and at 8: ten runs each, none fails.

    Each run is a new process (the race was in opening the store for the first time); the two
    series run side by side on copies of the same data dir.
    """
    results: dict[str, dict[int, list[str]]] = {}

    def series(name: str, concurrency: int | None) -> None:
        data = tmp_path / f"data-{name}"
        shutil.copytree(flagged_data, data)
        results[name] = _batch_runs(data, tmp_path / f"out-{name}", concurrency)

    threads = [threading.Thread(target=series, args=args) for args in (("default", None), ("8", 8))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"default", "8"}
    failed = {name: runs for name, runs in results.items() if runs}
    assert not failed, f"runs with failed drafts (of {RUNS} per series): {failed}"


def test_threads_opening_the_store_at_once_get_one_store(demo_settings: Settings, tmp_path: Path) -> None:
    from reviewer.store import open_store

    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data)
    settings = Settings(data_dir=data)
    barrier = threading.Barrier(8)
    opened: list[object] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(open_store(settings))
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({id(store) for store in opened}) == 1
    assert opened[0].stats()["notes"] > 0  # type: ignore[attr-defined]


def test_a_review_with_flags_opens_no_new_database_connection(
    flagged_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewer.graph import build_context, review_draft

    data = tmp_path / "data"
    shutil.copytree(flagged_data, data)
    ctx = build_context(Settings(data_dir=data))
    review_draft(ctx, path=DRAFTS / "landing_page.md")  # warm: every store is open now
    opened: list[object] = []
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    review = review_draft(ctx, path=DRAFTS / "landing_page.md")
    assert any(e.note_id.startswith("flag-") for f in review.objections for e in f.evidence)
    assert opened == []


def test_the_flag_book_is_reopened_when_its_file_is_replaced(tmp_path: Path) -> None:
    from reviewer.feedback import open_flags

    settings = Settings(data_dir=tmp_path / "d", embeddings="hash")
    open_flags(settings).add_missed("customers ask about on-prem")
    (settings.data_dir / "feedback.sqlite3").unlink()
    for leftover in settings.data_dir.glob("feedback.sqlite3-*"):
        leftover.unlink()
    book = open_flags(settings)
    assert book.list() == []
    book.add_missed("customers ask about SSO")
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM flags").fetchone()[0] == 1
