"""Objection mining at 1k, 10k and 100k conversations: time and peak memory of a full mine, and of
an update that adds 1% new calls, on generated conversations and on the real STAR set repeated.

    python benchmarks/objections.py [--sizes 1000 10000 100000] [--sets generated star]

Each size runs in its own process, so its peak memory is its own. Mining here starts from the
notes and the vectors of their chunks, as `reviewer objections` reads them from the store; the
embedding that ingest does is timed apart. Limits (issue 15): linear growth; 100,000 calls in
under 10 minutes and 4 GB; an update of 1% new calls about 1% of a full mine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT_100K_S = 600
LIMIT_100K_GB = 4.0
PAGE = 2000  # calls made and mined at a time, as mining pages through the store


def _notes(kind: str, n: int, first: int = 0) -> list:
    from reviewer.models import CallNote

    if kind == "star":
        from benchmarks.datasets import gong_notes

        base, _ = gong_notes("star")
        out = []
        for i in range(first, first + n):
            note = base[i % len(base)]
            out.append(CallNote(**{**note.model_dump(), "note_id": f"{note.note_id}-{i // len(base)}"}))
        return out
    import csv
    import io

    from benchmarks.conversations import COLUMNS, generate_conversations
    from reviewer.ingest.csv_reader import read_csv
    from reviewer.settings import Settings

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for c in generate_conversations(n, seed=0, first=first):
        writer.writerow([c[k] for k in ("call_id", "account", "owner", "date", "stage", "segment", "product", "notes")])
    notes, _ = read_csv(Path("generated.csv"), buffer.getvalue(), Settings(redact=False))
    return notes


def one(kind: str, n: int) -> dict:
    from reviewer.embeddings import get_embedder
    from reviewer.ingest.chunking import chunk_note
    from reviewer.objections.mining import Concerns, concerns_of, facts_of, full_mine, themes_of, update
    from reviewer.settings import Settings

    settings = Settings(data_dir=Path("/tmp/unused"))
    embedder = get_embedder(settings)
    timings = {"embed": 0.0, "extract": 0.0}

    def batch(first: int, count: int) -> tuple[Concerns, dict]:
        """Concerns and facts of `count` calls from `first`, read in pages as mining reads the store."""
        parts, facts = [], {}
        for start in range(first, first + count, PAGE):
            notes = _notes(kind, min(PAGE, first + count - start), first=start)
            chunks = [c for note in notes for c in chunk_note(note)]
            began = time.perf_counter()
            vectors = embedder.embed([c.text for c in chunks])
            timings["embed"] += time.perf_counter() - began
            began = time.perf_counter()
            parts.append(concerns_of(notes, chunks, vectors))
            facts.update(facts_of(notes))
            timings["extract"] += time.perf_counter() - began
        return Concerns.joined(parts), facts

    concerns, facts = batch(0, n)
    extract_s = timings["extract"]
    started = time.perf_counter()
    state = full_mine(facts, concerns, {i: "" for i in facts}, None, embedder, "bench")
    themes = themes_of(state)
    full_s = extract_s + time.perf_counter() - started
    timings["extract"] = 0.0
    fresh, fresh_facts = batch(n, max(1, n // 100))
    started = time.perf_counter()
    ok = update(state, fresh_facts, fresh, {i: "" for i in fresh_facts}, None, embedder)
    themes_of(state)
    update_s = timings["extract"] + time.perf_counter() - started
    began = time.perf_counter()
    blob = state.model_dump_json()
    json_s = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    return {
        "set": kind, "n": n, "statements": len(concerns.statements), "themes": len(themes), "embed_s": timings["embed"],
        "full_s": full_s, "update_s": update_s, "updated_in_place": ok, "state_mb": len(blob) / 1e6,
        "state_write_s": json_s, "peak_gb": peak,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--sets", nargs="+", default=["generated", "star"])
    parser.add_argument("--one", nargs=2, metavar=("SET", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'set':10} {'calls':>7} {'concerns':>9} {'themes':>6} {'embed s':>8} {'mine s':>7} {'GB peak':>8} "
          f"{'+1% s':>7} {'+1%/mine':>9}")  # fmt: skip
    for kind in args.sets:
        rows = []
        for n in args.sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--one", kind, str(n)], capture_output=True, text=True, check=False
            )
            if done.returncode:
                print(f"{kind:10} {n:>7} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            ratio = row["update_s"] / max(row["full_s"], 1e-9)
            print(
                f"{kind:10} {n:>7} {row['statements']:>9} {row['themes']:>6} {row['embed_s']:>8.1f} "
                f"{row['full_s']:>7.1f} {row['peak_gb']:>8.2f} {row['update_s']:>7.2f} {ratio:>8.1%}"
                + ("" if row["updated_in_place"] else "  (update re-clustered)")
            )
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            growth = (b["full_s"] / a["full_s"]) / (b["n"] / a["n"])
            print(f"{kind:10} time per call {a['n']} -> {b['n']}: x{growth:.2f} (1.0 = linear)")
        big = [r for r in rows if r["n"] >= 100000]
        for r in big:
            print(
                f"{kind:10} 100k limits: mine {r['full_s']:.0f} s of {LIMIT_100K_S} s, "
                f"peak {r['peak_gb']:.2f} GB of {LIMIT_100K_GB} GB"
            )


if __name__ == "__main__":
    main()
