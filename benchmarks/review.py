"""Review latency with 1,000 long conversations ingested, and the LLM path's round trips.

    python benchmarks/review.py [--n 1000] [--runs 30] [--delay 0.5]

Prints, for a one-page draft: p50/p95 of `reviewer review` from the command line (a new process
each time) and of a warm in-process review; then, against a fake OpenAI-compatible server on
127.0.0.1 that answers after a fixed delay, the number of LLM calls, the sequential round trips
(wall time / delay) and the prompt tokens per review.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.conversations import write_csv  # noqa: E402
from reviewer.graph import build_context, review_draft  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.objections import refresh_themes  # noqa: E402
from reviewer.settings import Settings  # noqa: E402

DRAFT = ROOT / "corpus" / "drafts" / "landing_page.md"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms   (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "conversations.csv"
        write_csv(csv_path, n=args.n)
        settings = Settings(data_dir=Path(tmp) / "data")
        ingest_paths([csv_path], settings)
        themes = refresh_themes(settings)
        print(
            f"machine: {os.cpu_count()} cores; {args.n} conversations ingested, {len(themes)} themes; "
            f"draft {DRAFT.name}"
        )

        cli = []
        env = {**os.environ, "REVIEWER_DATA_DIR": str(settings.data_dir)}
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "reviewer", "review", str(DRAFT), "--format", "json", "--fail-on", "never"],
                env=env,
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            cli.append(time.perf_counter() - started)
        print(f"command line (new process): {percentiles(cli)}")

        ctx = build_context(settings)
        review_draft(ctx, path=DRAFT)  # first run pays for imports and caches
        warm = []
        for _ in range(args.runs):
            started = time.perf_counter()
            review = review_draft(ctx, path=DRAFT)
            warm.append(time.perf_counter() - started)
        print(f"warm, in process:           {percentiles(warm)}")
        quotes_from_customers = sum(1 for f in review.objections for e in f.evidence)
        print(
            f"findings: {len(review.objections)} objections with {quotes_from_customers} customer quotes, "
            f"{len(review.brand)} brand, {len(review.tone)} tone"
        )

        llm_round_trips(settings, args.delay)


def llm_round_trips(settings: Settings, delay: float) -> None:
    from reviewer.llm import LLMClient
    from tests.fakes import FakeOpenAIServer, Reply
    from tests.review_helpers import model_answer

    with FakeOpenAIServer(default=Reply(content=model_answer, delay=delay)) as server:
        llm_settings = settings.model_copy(
            update={"model": "openai/fake-model", "api_base": server.base_url, "api_key": "sk-bench"}
        )
        ctx = build_context(llm_settings, llm=LLMClient(llm_settings, cache=False))
        started = time.perf_counter()
        review = review_draft(ctx, path=DRAFT)
        wall = time.perf_counter() - started
    print(
        f"LLM path (fake server, {delay:.1f} s per answer): {review.usage.llm_calls} calls, "
        f"{wall / delay:.1f} sequential round trips ({wall:.2f} s), "
        f"{review.usage.prompt_tokens} prompt tokens per review"
    )


if __name__ == "__main__":
    main()
