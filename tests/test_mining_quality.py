"""Mining on real conversations of four domains: extraction against blind labels, themes against topics.

Floors sit a little under the figures measured with the one setting (printed with -s); the sets
come from ../shared/data beside the clone and the tests skip where it is absent.
"""

from __future__ import annotations

import pytest

from benchmarks import datasets
from benchmarks.extraction import score
from benchmarks.themes import evaluate

# set -> (precision, recall) on the report part of the labels. Measured (2 cores, static embeddings):
# demo 0.94/0.38, casino 0.33/0.56, star (the 75 labelled rows in its first 1,000 calls) 0.85/0.77, abcd 0.80/0.73.
EXTRACTION_FLOORS = {"demo": (0.85, 0.30), "casino": (0.25, 0.45), "star": (0.65, 0.55), "abcd": (0.70, 0.60)}
# set -> (topics recovered by the top 15 themes, purity). Measured with the noise passes (i12), the
# one sentence splitter and majority ties broken alphabetically (they followed the hash seed): demo
# 6 of 10, 0.67 (was 4, 0.70); casino 3 of 3, 0.41; star (its first 1,000 calls, to keep the suite
# short) 7 of 17, 0.89; abcd 4 of 9, 0.56. A fresh install on 2026-12-02 (the same direct pins; the
# transitive ones, unpinned then, are in constraints.txt since) gives demo 5 of 10, 0.79; casino
# 3 of 3, 0.39; star 6 of 17, 0.91; abcd 5 of 9, 0.58: the demo floor follows it. On another
# machine (AMD EPYC, other float rounding) star gave 9 of 17 at purity 0.82: its purity floor
# leaves that room. With majority ties going to the label the theme holds the larger share of
# (reviewer/objections/evaluation.py; purity cannot move with a tie): demo 8 of 10, casino 3 of 3,
# star 8 of 17, abcd 8 of 9, one topic of room each. With greetings' replies out of the concerns:
# casino 3 of 3 at 0.38, star 9 of 17 at 0.82, the others the same. With mining that no longer
# moves with float rounding (each pass samples by a rank drawn once, a tie at a radius counts as
# inside; the same figures on either machine and under noise of 1e-6 on every vector): demo 10 of
# 10 at 0.74, casino 3 of 3 at 0.40, star 10 of 17 at 0.88, abcd 8 of 9 at 0.48 (its 50 calls
# make 10 themes; the old 0.59 was one draw of the rounding).
THEME_FLOORS = {"demo": (7, 0.62), "casino": (2, 0.35), "star": (7, 0.80), "abcd": (7, 0.45)}
STAR_CALLS = 1000


@pytest.fixture(scope="module", params=sorted(EXTRACTION_FLOORS))
def loaded(request: pytest.FixtureRequest) -> tuple[str, list, dict | None]:
    name = request.param
    if name != "demo" and datasets.shared_dir(name) is None:
        pytest.skip(f"../shared/data/{name} is absent")
    if name == "star":  # its first 1,000 calls (a third of the set) keep the suite short
        notes, spans = datasets.gong_notes("star", limit=STAR_CALLS, redact=False)
        return name, notes, spans
    notes, spans = datasets.set_notes(name)
    return name, notes, spans


def test_extraction_precision_and_recall(loaded) -> None:
    name, notes, spans = loaded
    result = score(name, notes, spans)
    print(
        f"\n{name}: extraction precision {result.precision:.2f}, recall {result.recall:.2f}"
        f" ({result.unmatched} unmatched)"
    )
    precision, recall = EXTRACTION_FLOORS[name]
    assert name == "star" or result.unmatched <= 10  # star: only the labelled calls among those read
    assert result.precision >= precision and result.recall >= recall


def test_themes_recover_the_labelled_topics(loaded) -> None:
    name, notes, _ = loaded
    result, themes = evaluate(notes, datasets.set_topics(name))
    print(f"\n{name}: {result.recovered} of {result.topics} topics recovered, purity {result.purity:.2f}")
    recovered, purity = THEME_FLOORS[name]
    assert result.recovered >= recovered and result.purity >= purity
    for theme in themes:
        parts = [p.strip() for p in theme.label.split(",")]
        assert not (len(parts) > 1 and all(len(p.split()) == 1 for p in parts)), theme.label
