"""Batch benchmark: drafts/s offline for 200 one-page drafts, and 50 drafts at concurrency 8 against a
fake OpenAI-compatible server that takes 1 s per chat completion (wall time next to total delay / 8).

Run: .venv/bin/python benchmarks/batch.py (exit 1 when the LLM ratio misses the target)
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fakes, when run as a script

from benchmarks.datasets import CORPUS as CORPUS_DIR
from reviewer.batch.session import BatchSession  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.objections import refresh_themes  # noqa: E402
from reviewer.settings import Settings  # noqa: E402

OFFLINE_DRAFTS = 200
LLM_DRAFTS = 50
LLM_CONCURRENCY = 8
LLM_DELAY = 1.0
TARGET_RATIO = 1.3

OPENERS = [
    "Month-end close without the invoice pile.",
    "Approvals your controller can trust.",
    "From inbox to ERP, without retyping.",
    "Built for finance teams of ten to two hundred.",
    "See every open invoice before the auditor does.",
]
CLOSERS = [
    "Ask us for a 30-minute walkthrough with your own invoices.",
    "Your data stays in Frankfurt; the DPA is on our trust page.",
    "Most teams connect DATEV in an afternoon with our onboarding team.",
    "Talk to a customer in your industry before you decide.",
]


def make_drafts(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` one-page drafts: a demo draft with a varied title, opener and closing line."""
    rng = random.Random(seed)
    sources = [p for p in sorted((CORPUS_DIR / "drafts").iterdir()) if p.suffix in (".md", ".txt")]
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(count):
        source = sources[number % len(sources)]
        text = source.read_text("utf-8")
        body = f"# Draft {number}: {rng.choice(OPENERS)}\n\n{text}\n\n{rng.choice(CLOSERS)} (ref {seed}-{number})\n"
        path = folder / f"team{number % 5}" / f"{source.stem}_{number:03}{source.suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, "utf-8")
        made.append(path)
    old = time.time() - 60  # already settled: the benchmark measures reviews, not waiting
    for path in made:
        os.utime(path, (old, old))
    return made


def fake_judge(request: dict[str, Any]) -> str:
    """A valid answer for whichever judge prompt arrives: every theme_id asked for is judged."""
    prompt = " ".join(str(m.get("content", "")) for m in request.get("messages", []))
    if "theme_id" in prompt and "judgements" in prompt:
        ids = list(dict.fromkeys(re.findall(r"^theme_id: (\S+)$", prompt, flags=re.MULTILINE)))
        judgements = [
            {
                "theme_id": theme_id,
                "status": "partial",
                "draft_quote": None,
                "evidence_note_ids": [],
                "rationale": "The draft touches the topic without a provable answer.",
                "suggestion": "Name the system, the figure or the certificate that answers it.",
            }
            for theme_id in ids
        ]
        return json.dumps({"judgements": judgements})
    return json.dumps({"issues": []})


def run_batch(settings: Settings, drafts: Path, out: Path, concurrency: int) -> tuple[float, float, Any]:
    """(context build seconds, review seconds, pass result) for one full pass."""
    session = BatchSession(settings, drafts, out, concurrency=concurrency)
    started = time.perf_counter()
    session.prepare()
    built = time.perf_counter() - started
    started = time.perf_counter()
    result, busy = session.review(session.drafts())
    reviewing = time.perf_counter() - started
    assert not busy and not result.failed, (busy, result.failed)
    session.write_summary()
    return built, reviewing, result


def main() -> int:
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="reviewer-batch-bench-"))
    try:
        settings = Settings(data_dir=work / "data")
        started = time.perf_counter()
        ingest_paths([CORPUS_DIR / "notes"], settings)
        refresh_themes(settings)
        print(f"cores: {cores} · demo corpus ingested in {time.perf_counter() - started:.1f} s")

        make_drafts(work / "offline", OFFLINE_DRAFTS, seed=1)
        built, seconds, result = run_batch(settings, work / "offline", work / "offline-out", cores)
        print(
            f"offline: {len(result.reviewed)} drafts in {seconds:.2f} s at concurrency {cores} = "
            f"{len(result.reviewed) / seconds:.1f} drafts/s (context built once in {built:.2f} s)"
        )
        _, again, skipped = run_batch(settings, work / "offline", work / "offline-out", cores)
        print(f"offline rerun: {len(skipped.skipped)} unchanged drafts skipped in {again:.2f} s")

        from tests.fakes import FakeOpenAIServer, Reply

        shutil.copytree(settings.data_dir, work / "llm-data")  # an empty LLM answer cache of its own
        make_drafts(work / "llm", LLM_DRAFTS, seed=2)
        with FakeOpenAIServer(Reply(content=fake_judge, delay=LLM_DELAY)) as server:
            llm_settings = Settings(
                data_dir=work / "llm-data",
                model="openai/fake-model",
                api_base=server.base_url,
                api_key="sk-test",
            )
            _, wall, result = run_batch(llm_settings, work / "llm", work / "llm-out", LLM_CONCURRENCY)
            calls = len(server.chat_requests)
        ideal = calls * LLM_DELAY / LLM_CONCURRENCY
        fallbacks = sum(
            json.loads(p.read_text("utf-8"))["engine"]["fallback"] for p in (work / "llm-out").rglob("*.review.json")
        )
        ratio = wall / ideal if ideal else float("inf")
        print(
            f"llm (fake server, {LLM_DELAY:.0f} s per completion): {len(result.reviewed)} drafts, {calls} chat calls "
            f"at concurrency {LLM_CONCURRENCY}: wall {wall:.2f} s, ideal {ideal:.2f} s (total delay / "
            f"{LLM_CONCURRENCY}), ratio {ratio:.2f}x (target <= {TARGET_RATIO}x), {fallbacks} offline fallbacks"
        )
        return 0 if ratio <= TARGET_RATIO and not fallbacks else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
