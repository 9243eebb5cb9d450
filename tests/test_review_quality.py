"""Offline review quality on labelled drafts: the demo set it was calibrated on, and a held-out set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reviewer.graph import build_context, review_draft
from tests.demo import CORPUS_DIR

HOLDOUT = Path(__file__).parent / "fixtures" / "holdout_drafts"
# Floors: (recall of ignored themes, highest false-flag rate on addressed themes, contradictions found).
FLOORS = {"demo": (0.80, 0.10, 1.0), "held-out": (0.85, 0.25, 1.0)}


def _score(ctx, labels_file: Path, drafts: Path) -> tuple[float, float, float]:
    labels = yaml.safe_load(labels_file.read_text("utf-8"))["drafts"]
    flagged = ignored = false_flags = addressed = caught = contradictions = 0
    for name, label in labels.items():
        review = review_draft(ctx, path=drafts / name)
        status = {f.theme_id: f.status for f in review.objections}
        for theme in label.get("ignores", []):
            ignored += 1
            flagged += status.get(theme) in {"unaddressed", "partial", "contradicted"}
        for theme in label.get("addresses", []):
            addressed += 1
            false_flags += status.get(theme) in {"unaddressed", "contradicted"}
        for theme in label.get("contradicts", []):
            contradictions += 1
            caught += status.get(theme) == "contradicted"
    return flagged / ignored, false_flags / max(addressed, 1), caught / max(contradictions, 1)


@pytest.mark.parametrize(
    ("name", "labels", "drafts"),
    [
        ("demo", CORPUS_DIR / "labels.yaml", CORPUS_DIR / "drafts"),
        ("held-out", HOLDOUT / "labels.yaml", HOLDOUT),
    ],
)
def test_offline_engine_finds_ignored_themes_without_flagging_answered_ones(demo_settings, name, labels, drafts):
    recall, false_flag, contradicted = _score(build_context(demo_settings), labels, drafts)
    print(
        f"\n{name} drafts: recall of ignored themes {recall:.2f}, false flags on addressed themes "
        f"{false_flag:.2f}, contradictions found {contradicted:.2f}"
    )
    min_recall, max_false_flag, min_contradicted = FLOORS[name]
    assert recall >= min_recall
    assert false_flag <= max_false_flag
    assert contradicted >= min_contradicted
