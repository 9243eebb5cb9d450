"""Several `reviewer batch --watch` workers on one folder share its drafts through Postgres leases.

Against a real PostgreSQL (tests/pg_server.py) and `chroma run` on 127.0.0.1: three worker processes,
one SIGKILLed while it holds a draft; every draft is reviewed once per version, the killed worker's
draft is finished by another after its lease runs out, and the summary is whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from reviewer.batch.jobs import MAX_ATTEMPTS, JobQueue
from reviewer.batch.state import DatabaseJournal, DraftResult, Entry
from reviewer.database import open_database
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR, DEMO_GUIDELINES, DEMO_TAXONOMY
from tests.test_chroma_server import ChromaServer, serve_chroma

REPO = Path(__file__).resolve().parent.parent
DRAFTS = 18
LEASE = 3.0  # seconds: short, so the killed worker's draft is taken over within the test
REVIEWED_LINE = re.compile(r"^reviewed (\S+): score", re.MULTILINE)


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(sql, params).fetchall()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def make_drafts(folder: Path, count: int) -> list[str]:
    """`count` drafts: demo drafts, each with a numbered line of its own so no two have the same bytes."""
    sources = sorted(p for p in (CORPUS_DIR / "drafts").iterdir() if p.suffix in (".md", ".txt"))
    names = []
    for number in range(count):
        source = sources[number % len(sources)]
        target = folder / f"team{number % 3}" / f"{source.stem}_{number:02}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text("utf-8") + f"\n\nReference {number}: ask us for a walkthrough.\n", "utf-8")
        old = time.time() - 60  # settled already
        os.utime(target, (old, old))
        names.append(target.relative_to(folder).as_posix())
    return names


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    yield from serve_chroma(tmp_path_factory)


def worker_env(data: Path, database_url: str, chroma_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env.update(
        PYTHONPATH=str(REPO),
        REVIEWER_DATA_DIR=str(data),
        REVIEWER_CHROMA_URL=chroma_url,
        REVIEWER_DATABASE_URL=database_url,
        REVIEWER_BATCH_LEASE_SECONDS=str(LEASE),
        REVIEWER_TAXONOMY=str(DEMO_TAXONOMY),
        REVIEWER_GUIDELINES=str(DEMO_GUIDELINES),
    )
    return env


def start_worker(drafts: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = ["batch", str(drafts), "--out", str(out), "--watch", "--concurrency", "1", "--fail-on", "never"]
    return subprocess.Popen(
        [sys.executable, "-m", "reviewer", *command],
        env=env,
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def summary(out: Path) -> dict:
    try:
        return json.loads((out / "summary.json").read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def test_three_watch_workers_one_killed_review_every_draft_once(
    postgres_url: str, chroma: ChromaServer, tmp_path: Path
) -> None:
    data, drafts, out = tmp_path / "data", tmp_path / "drafts", tmp_path / "reviews"
    env = worker_env(data, postgres_url, chroma.url)
    ingest = subprocess.run(
        [sys.executable, "-m", "reviewer", "ingest", str(CORPUS_DIR / "notes")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    names = make_drafts(drafts, DRAFTS)
    # The victim starts alone and is frozen (SIGSTOP) while it holds a draft, so the kill always lands
    # mid-review: started together, one warm worker once reviewed all 18 before the victim held any.
    victim = start_worker(drafts, out, env)
    workers = [victim]
    try:
        held = "SELECT path FROM batch_jobs WHERE state = 'running' AND lease_owner LIKE %s"
        mine = (f"%:{victim.pid}:%",)

        def holding() -> set[str]:
            try:
                return {row[0] for row in query(postgres_url, held, mine)}
            except Exception:  # the table does not exist until a worker has started
                return set()

        def frozen_holding() -> bool:
            if not holding():
                return False
            victim.send_signal(signal.SIGSTOP)
            if holding():  # still held once frozen: its review cannot finish now
                return True
            victim.send_signal(signal.SIGCONT)
            return False

        # A cold worker on two cores loaded by the suite: generous, and with its log if it runs out.
        try:
            wait_for(frozen_holding, 300, "the first worker to hold a draft")
        except AssertionError as exc:
            victim.kill()
            jobs = query(postgres_url, "SELECT path, state, lease_owner FROM batch_jobs")
            raise AssertionError(f"{exc}; jobs {jobs}\n{victim.communicate()[1][-2000:]}") from None
        cut_off = holding()
        # Killed at once: frozen, it could hold a row lock the others would wait on.
        workers += [start_worker(drafts, out, env) for _ in range(2)]
        victim.send_signal(signal.SIGKILL)
        _, victim_err = victim.communicate(timeout=30)

        def whole() -> bool:
            got = summary(out)
            return (
                bool(got)
                and got["totals"]["reviewed"] == DRAFTS
                and not query(postgres_url, "SELECT 1 FROM batch_jobs WHERE state <> 'done'")
            )

        wait_for(whole, 180, "the other workers to finish every draft")
        outputs = []
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
            stdout, stderr = worker.communicate(timeout=30)
            assert worker.returncode == 0, stderr
            assert "stopped watching" in stdout
            outputs.append(stderr)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    # Each draft reviewed once: one "reviewed" line in all the workers' logs together (the killed
    # one's included), and one claim per job except the killed worker's, taken over once.
    lines = Counter(REVIEWED_LINE.findall(victim_err + "".join(outputs)))
    assert set(lines) == set(names) and set(lines.values()) == {1}, lines
    jobs = query(postgres_url, "SELECT path, attempts, lease_owner FROM batch_jobs")
    assert sorted(path for path, *_ in jobs) == sorted(names)
    for path, attempts, owner in jobs:
        if path in cut_off:
            assert attempts == 2 and f":{victim.pid}:" not in owner, (path, attempts, owner)
        else:
            assert attempts == 1, (path, attempts, owner)
    finished = summary(out)
    assert sorted(row["path"] for row in finished["drafts"]) == sorted(names)
    assert {(row["status"], row["current"]) for row in finished["drafts"]} == {("reviewed", True)}
    for row in finished["drafts"]:
        assert all((out / report).is_file() for report in row["reports"].values())
    assert query(postgres_url, "SELECT COUNT(*) FROM batch_journal")[0][0] == DRAFTS


def entry(path: str, sha256: str, versions: dict[str, str]) -> Entry:
    result = DraftResult(score=80, verdict="ready")
    return Entry(path=path, sha256=sha256, versions=versions, status="reviewed", result=result, finished_at="now")


def test_a_lease_that_runs_out_is_taken_over_and_a_finished_job_is_not_queued_again(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url, embeddings="hash")
    versions = {"corpus": "c1", "rules": "r1"}
    journal = DatabaseJournal(tmp_path / "out", open_database(settings, "batch.sqlite3"))
    first, second = JobQueue(journal, versions, 1.0), JobQueue(journal, versions, 1.0)
    always_redo: Callable[[Entry | None], bool] = lambda _entry: False  # noqa: E731

    assert first.offer("a.md", "sha-a", always_redo) == "queued"
    assert second.offer("a.md", "sha-a", always_redo) == "queued"  # the same job, not a second one
    taken = first.claim()
    assert taken is not None and taken.attempts == 1
    assert second.claim() is None  # held by `first`, whose heartbeat keeps the lease
    time.sleep(2.5)  # over two lease lengths: renewed meanwhile
    assert second.claim() is None and first.holds(taken)

    # A worker that stops beating (killed) loses the job to the next claim once its lease runs out.
    with journal.database.transaction(write=True) as db:
        db.execute("UPDATE batch_jobs SET lease_owner = 'dead-worker', lease_expires = now() - interval '1 second'")
    again = second.claim()
    assert again is not None and again.attempts == 2 and not first.holds(taken)
    assert not first.finish(taken, entry("a.md", "sha-a", versions))  # too late: recorded by the new holder
    assert journal.get("a.md") is None
    assert second.finish(again, entry("a.md", "sha-a", versions))
    assert journal.get("a.md") is not None and second.open_jobs() == 0

    # Finished and settled by its entry: offering it again queues nothing; lost reports do.
    assert first.offer("a.md", "sha-a", lambda found: found is not None) == "settled"
    assert first.offer("a.md", "sha-a", always_redo) == "queued" and first.open_jobs() == 1


def test_a_draft_that_kills_every_worker_is_recorded_as_failed(postgres_url: str, tmp_path: Path) -> None:
    from reviewer.batch.runner import BatchRunner

    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url, embeddings="hash")
    root, out = tmp_path / "drafts", tmp_path / "out"
    root.mkdir()
    (root / "deadly.md").write_text("# A draft\n\nSome text.\n", "utf-8")
    # No review runs (the draft fails before one starts): a context with settings and versions will do.
    ctx = SimpleNamespace(settings=settings, versions={"corpus": "c1"}, llm=None)
    runner = BatchRunner(ctx, root, out, concurrency=1)  # type: ignore[arg-type]
    assert runner.queue is not None
    sha = hashlib.sha256((root / "deadly.md").read_bytes()).hexdigest()
    runner.queue.offer("deadly.md", sha, lambda _e: False)
    for _ in range(MAX_ATTEMPTS):  # each claim's worker "dies": its lease is made to run out at once
        assert runner.queue.claim() is not None
        with runner.queue.database.transaction(write=True) as db:
            db.execute("UPDATE batch_jobs SET lease_owner = 'dead', lease_expires = now() - interval '1 second'")
    result = runner.drain()
    assert result.failed == ["deadly.md"]
    recorded = runner.manifest.get("deadly.md")
    assert recorded is not None and "cut off 3 times" in recorded.reason and not recorded.retry


def test_compose_scales_workers_on_postgres_that_only_the_internal_network_reaches() -> None:
    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=3` needs both absent
    assert "--watch" in worker["command"]
    assert worker["environment"]["REVIEWER_DATABASE_URL"].startswith("postgresql://")
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "chroma"):
        assert "ports" not in services[name] and services[name]["networks"] == ["internal"], name
    for name in ("ui", "api"):  # the same flags as the workers
        assert services[name]["environment"]["REVIEWER_DATABASE_URL"] == worker["environment"]["REVIEWER_DATABASE_URL"]
