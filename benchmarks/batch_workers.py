"""Batch on several workers: wall time of one `reviewer batch` worker against three on the same folder.

Each run is real processes sharing a real PostgreSQL job queue (REVIEWER_DATABASE_URL) and a
`chroma run` server, both on 127.0.0.1: first offline (CPU bound: three workers gain only as far as
the cores allow), then against a fake OpenAI-compatible server that takes 1 s per completion (the
case several workers are for: waiting on a model, where three workers should take about a third).
Two walls per run: one pass from a cold start (starting the workers to the last one exiting, each
process's imports and context build included, which on one host compete for its cores), and warm
(`--watch` workers whose context is built when the drafts are moved in, until the summary shows every
draft reviewed: the throughput of running workers). Each run gets a fresh database, its own copy of
the data dir (an empty LLM answer cache) and its own output.

Run: .venv/bin/python benchmarks/batch_workers.py [--drafts 60] [--llm-drafts 24]
Skips (exit 0, with the reason) without PostgreSQL's binaries or the chroma command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.*, when run as a script

from benchmarks.batch import fake_judge, make_drafts  # noqa: E402
from benchmarks.datasets import CORPUS as CORPUS_DIR  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LLM_DELAY = 1.0
LLM_CONCURRENCY = 8  # per worker, the batch's default with a model
# Three workers waiting on a model should take at most this share of one worker's wall time.
TARGET_LLM_SHARE = 0.5


def skip_reason() -> str | None:
    from tests.pg_server import Unavailable, locate
    from tests.test_chroma_server import chroma_command

    try:
        locate()
    except Unavailable as exc:
        return str(exc)
    if chroma_command() is None:
        return "the chroma command is not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (the postgres extra brings it)"
    return None


def base_env(data: Path, chroma_url: str) -> dict[str, str]:
    from tests.demo import DEMO_GUIDELINES, DEMO_TAXONOMY

    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env.update(
        PYTHONPATH=str(REPO),
        REVIEWER_DATA_DIR=str(data),
        REVIEWER_CHROMA_URL=chroma_url,
        REVIEWER_TAXONOMY=str(DEMO_TAXONOMY),
        REVIEWER_GUIDELINES=str(DEMO_GUIDELINES),
    )
    return env


def run_workers(count: int, drafts: Path, out: Path, env: dict[str, str]) -> tuple[float, int]:
    """Start `count` one-pass workers on `drafts`; (wall seconds until the last exits, drafts reviewed)."""
    command = [sys.executable, "-m", "reviewer", "batch", str(drafts), "--out", str(out), "--fail-on", "never"]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=1800)
        if worker.returncode != 0:
            raise RuntimeError(f"a worker exited with {worker.returncode}: {stderr[-2000:]}")
    wall = time.perf_counter() - started
    rows = json.loads((out / "summary.json").read_text("utf-8"))["drafts"]
    reviewed = sum(row["status"] == "reviewed" for row in rows)
    if reviewed != len(rows):
        raise RuntimeError(f"{len(rows) - reviewed} of {len(rows)} drafts not reviewed")
    return wall, reviewed


def run_watching(count: int, drafts: Path, watched: Path, out: Path, env: dict[str, str]) -> tuple[float, int]:
    """Start `count` watch workers on an empty folder, wait until each has built its context, then move
    `drafts` in; (wall seconds until the summary shows every draft reviewed, drafts reviewed)."""
    watched.mkdir()
    command = [sys.executable, "-m", "reviewer", "batch", str(watched), "--out", str(out), "--watch"]
    workers = [
        subprocess.Popen(
            [*command, "--fail-on", "never"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    ready = [threading.Event() for _ in workers]
    logs: list[list[str]] = [[] for _ in workers]

    def drain(worker: subprocess.Popen[str], seen: threading.Event, log: list[str]) -> None:
        assert worker.stderr is not None
        for line in worker.stderr:  # read to the end, so a full pipe never blocks a worker
            log.append(line)
            if line.startswith("watching "):
                seen.set()

    readers = [threading.Thread(target=drain, args=job, daemon=True) for job in zip(workers, ready, logs)]
    for reader in readers:
        reader.start()
    try:
        for seen, log in zip(ready, logs):
            if not seen.wait(600):
                raise RuntimeError(f"a worker did not start watching: {''.join(log)[-2000:]}")
        total = sum(1 for _ in drafts.rglob("*") if _.is_file())
        started = time.perf_counter()
        drafts.rename(watched / "incoming")  # one folder event: every worker makes a full pass
        while True:
            try:
                totals = json.loads((out / "summary.json").read_text("utf-8"))["totals"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                totals = {}
            if totals.get("reviewed") == total:
                break
            if time.perf_counter() - started > 1800 or any(w.poll() is not None for w in workers):
                raise RuntimeError(f"the drafts were not all reviewed: {totals}, {''.join(logs[0])[-2000:]}")
            time.sleep(0.05)
        return time.perf_counter() - started, total
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.communicate(timeout=120)


def compare(label: str, work: Path, server: Any, chroma_url: str, drafts: Path, model: dict[str, str]) -> list[float]:
    """Wall seconds of one worker, then three, on copies of `drafts`: one pass from a cold start, and
    watch workers already started (context built) when the drafts arrive. Returns the warm figures."""
    warm = []
    for count in (1, 3):
        for mode in ("cold", "warm"):
            name = f"{label}-{count}-{mode}"
            copy = work / f"data-{name}"
            shutil.copytree(work / "data", copy)  # an LLM answer cache of its own: no run answers from another's
            env = {**base_env(copy, chroma_url), **model, "REVIEWER_DATABASE_URL": server.create_database()}
            workers = f"{count} worker{'s' if count > 1 else ''}"
            if mode == "cold":
                wall, reviewed = run_workers(count, drafts, work / f"out-{name}", env)
                print(f"{label}: {workers}, one pass from a cold start: {reviewed} drafts in {wall:.1f} s wall")
                continue
            shutil.copytree(drafts, work / f"drafts-{name}")
            wall, reviewed = run_watching(
                count, work / f"drafts-{name}", work / f"watched-{name}", work / f"out-{name}", env
            )
            print(f"{label}: {workers} watching, context built: {reviewed} drafts in {wall:.1f} s wall")
            warm.append(wall)
    return warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=60, help="offline drafts (default 60)")
    parser.add_argument("--llm-drafts", type=int, default=24, help="drafts against the fake model (default 24)")
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    from tests.fakes import FakeOpenAIServer, Reply
    from tests.pg_server import PostgresServer, locate
    from tests.test_chroma_server import ChromaServer

    work = Path(tempfile.mkdtemp(prefix="reviewer-workers-bench-"))
    postgres = PostgresServer(*locate()).start()
    chroma = ChromaServer(work / "chroma")
    try:
        chroma.wait()
        ingest = subprocess.run(
            [sys.executable, "-m", "reviewer", "ingest", str(CORPUS_DIR / "notes")],
            env=base_env(work / "data", chroma.url),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if ingest.returncode:
            raise RuntimeError(f"ingest failed: {ingest.stderr[-2000:]}")
        print(f"cores: {os.cpu_count()} · PostgreSQL and chroma run on 127.0.0.1 · demo corpus ingested")

        make_drafts(work / "offline", args.drafts, seed=1)
        one, three = compare("offline", work, postgres, chroma.url, work / "offline", {})
        print(f"offline, warm: 3 workers take {three / one:.2f}x the wall time of one (CPU bound: the cores limit it)")

        make_drafts(work / "llm", args.llm_drafts, seed=2)
        with FakeOpenAIServer(Reply(content=fake_judge, delay=LLM_DELAY)) as fake:
            model = {
                "REVIEWER_MODEL": "openai/fake-model",
                "REVIEWER_API_BASE": fake.base_url,
                "REVIEWER_API_KEY": "sk-test",
            }
            one, three = compare("llm", work, postgres, chroma.url, work / "llm", model)
        share = three / one
        print(
            f"llm, warm (fake server, {LLM_DELAY:.0f} s per completion, {LLM_CONCURRENCY} at once per worker): "
            f"3 workers take {share:.2f}x the wall time of one (target <= {TARGET_LLM_SHARE}x)"
        )
        return 0 if share <= TARGET_LLM_SHARE else 1
    finally:
        chroma.stop()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
