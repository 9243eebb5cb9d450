"""With REVIEWER_DATABASE_URL set, flags, review checkpoints and the batch journal live in Postgres.

Against a real PostgreSQL started on 127.0.0.1 for the test session (tests/pg_server.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.batch import scan
from reviewer.batch.state import MANIFEST_NAME
from reviewer.cli import app
from reviewer.graph import build_context, review_draft
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR, DEMO_SETTINGS
from tests.test_checkpoints import interrupt_review
from tests.test_migrations import TRIALS, report, start_trials

DRAFTS = CORPUS_DIR / "drafts"


def query(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def data_dir(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("pg") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    # Other tests may have opened the SQLite flag book in the shared demo data dir: the test below
    # checks that a Postgres URL never creates one, so the copy starts without it.
    for leftover in target.glob("feedback.sqlite3*"):
        leftover.unlink()
    return target


def test_flags_are_stored_in_postgres(postgres_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_DATABASE_URL", postgres_url)
    result = CliRunner().invoke(
        app,
        ["flag", "--draft", str(DRAFTS / "landing_page.md"), "--missed", "customers ask whether it runs on-prem"]
        + ["--data-dir", str(data_dir)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert query(postgres_url, "SELECT kind, text FROM flags") == [("missed", "customers ask whether it runs on-prem")]
    assert not (data_dir / "feedback.sqlite3").exists()
    ctx = build_context(Settings(data_dir=data_dir, database_url=postgres_url, **DEMO_SETTINGS))
    review = review_draft(ctx, path=DRAFTS / "landing_page.md")
    assert any(e.note_id.startswith("flag-") for f in review.objections for e in f.evidence)


def test_review_checkpoints_are_kept_in_postgres(
    postgres_url: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = build_context(Settings(data_dir=data_dir, database_url=postgres_url, **DEMO_SETTINGS))
    draft = tmp_path / "page.md"
    shutil.copy(DRAFTS / "one_pager.md", draft)
    interrupt_review(ctx, draft, monkeypatch)
    assert query(postgres_url, "SELECT COUNT(DISTINCT thread_id) FROM checkpoints") == [(1,)]
    steps: list[str] = []
    review = review_draft(ctx, path=draft, checkpoint=True, on_step=steps.append)
    assert "load" not in steps and "report" in steps and review.score >= 0
    assert query(postgres_url, "SELECT COUNT(*) FROM checkpoints") == [(0,)]  # finished: deleted
    assert not (data_dir / "checkpoints.sqlite3").exists()


def test_the_batch_journal_is_kept_in_postgres(
    postgres_url: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "SETTLE_SECONDS", 0.05)
    monkeypatch.setenv("REVIEWER_DATABASE_URL", postgres_url)
    folder = tmp_path / "drafts"
    folder.mkdir()
    for name in ("one_pager.md", "email_campaign.txt"):
        shutil.copy(DRAFTS / name, folder / name)
    (folder / "broken.md").write_bytes(b"")
    out = tmp_path / "out"
    args = ["batch", str(folder), "--out", str(out), "--data-dir", str(data_dir), "--fail-on", "never"]
    first = CliRunner().invoke(app, args, catch_exceptions=False)
    assert "2 reviewed" in first.stdout and "1 failed" in first.stdout
    rows = query(postgres_url, "SELECT path FROM batch_journal ORDER BY path")
    assert rows == [("broken.md",), ("email_campaign.txt",), ("one_pager.md",)]
    assert not (out / MANIFEST_NAME).exists()
    second = CliRunner().invoke(app, args, catch_exceptions=False)
    assert "0 reviewed, 3 skipped" in second.stdout  # the empty file is not retried either


def test_eight_processes_migrate_a_fresh_postgres_database_together(postgres_server, tmp_path: Path) -> None:
    urls = [postgres_server.create_database() for _ in range(TRIALS)]
    trials = [Settings(data_dir=tmp_path / "unused", database_url=url, embeddings="hash") for url in urls]
    failed = start_trials(trials, tmp_path)
    assert not failed, report(failed)
    for url in urls:
        assert query(url, "SELECT version FROM feedback_schema") == [(1,)]
