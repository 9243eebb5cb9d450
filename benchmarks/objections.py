"""Objection mining on 1,000 generated long conversations: time to build themes, and their quality.

    python benchmarks/objections.py [--n 1000]

The generator's phrasings were written apart from the demo notes and the taxonomy, so the
precision and recall printed here are on data the thresholds were not tuned on.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conversations import write_csv  # noqa: E402
from reviewer.embeddings import get_embedder  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.objections import load_themes, refresh_themes  # noqa: E402
from reviewer.objections.themes import score_against_labels  # noqa: E402
from reviewer.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "conversations.csv"
        truth = write_csv(csv_path, n=args.n)
        settings = Settings(data_dir=Path(tmp) / "data")
        get_embedder(settings)
        ingest_paths([csv_path], settings)
        started = time.perf_counter()
        themes = refresh_themes(settings)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        load_themes(settings)
        load_s = time.perf_counter() - started

    tp, fp, fn = score_against_labels(themes, truth)
    print(f"machine: {os.cpu_count()} cores; {args.n} conversations")
    print(f"build themes: {build_s:.2f} s; read stored themes: {load_s * 1000:.0f} ms")
    print(f"note-to-theme precision {tp / max(tp + fp, 1):.2f}, recall {tp / max(tp + fn, 1):.2f} (held-out phrasing)")
    print("top themes by impact:")
    for theme in themes[:10]:
        loss = "-" if theme.loss_rate is None else f"{theme.loss_rate:.0%}"
        quote = theme.quotes[0].quote[:90] if theme.quotes else ""
        print(f"  {theme.label[:34]:34} {theme.frequency:5} calls  lost {loss:>4}  “{quote}”")


if __name__ == "__main__":
    main()
