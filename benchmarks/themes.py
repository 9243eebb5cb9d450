"""Themes against each set's labelled topics: how many topics the top themes recover, how pure they are.

    python benchmarks/themes.py [--sets demo casino star abcd] [--top 15]

Topics: the demo's labels.yaml themes per note, star's tasks, abcd's flows, casino's customer-side
top priority. A topic is recovered when it is the majority label of at least one of the top themes
(by impact); purity is the share of the top themes' conversations that carry their theme's majority
label. Every set is mined with the same settings and no taxonomy (the demo also with its own).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datasets import CORPUS, SETS, present_sets, set_notes, set_topics  # noqa: E402
from reviewer.embeddings import get_embedder  # noqa: E402
from reviewer.models import CallNote, Theme  # noqa: E402
from reviewer.objections import mine_themes  # noqa: E402
from reviewer.objections.evaluation import TopicScore, topic_recovery  # noqa: E402
from reviewer.settings import Settings  # noqa: E402


def evaluate(
    notes: list[CallNote], topics: dict, taxonomy: Path | None = None, top: int = 15
) -> tuple[TopicScore, list[Theme]]:
    settings = Settings(taxonomy=taxonomy)
    themes = mine_themes(notes, settings, get_embedder(settings))
    return topic_recovery(themes, topics, top=top), themes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; top {args.top} themes by impact")
    print(f"{'set':16} {'calls':>6} {'themes':>6} {'topics':>6} {'recovered':>9} {'purity':>6} {'mine s':>7}")
    for name in present_sets(args.sets, 16):
        notes, topics = set_notes(name)[0], set_topics(name)
        runs = [(name, None)] + ([("demo+taxonomy", CORPUS / "objections.yaml")] if name == "demo" else [])
        for label, taxonomy in runs:
            started = time.perf_counter()
            score, themes = evaluate(notes, topics, taxonomy, args.top)
            seconds = time.perf_counter() - started
            print(
                f"{label:16} {len(notes):>6} {len(themes):>6} {score.topics:>6} {score.recovered:>9} "
                f"{score.purity:>6.2f} {seconds:>7.1f}"
            )
            for theme in sorted(themes, key=lambda t: -t.impact)[:5]:
                print(f"    {theme.frequency:>5}  {theme.label[:70]}  [{score.majority.get(theme.theme_id, '-')}]")


if __name__ == "__main__":
    main()
