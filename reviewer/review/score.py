"""The 0-100 score and the verdict: how objection and brand findings weigh in (see README)."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.models import BrandFinding, ObjectionFinding

OBJECTION_PENALTY = {"error": 15.0, "warning": 7.0, "suggestion": 3.0}
CONTRADICTION_PENALTY = 20.0
BRAND_PENALTY = {"error": 5.0, "warning": 2.0, "suggestion": 0.5}
BRAND_CAP = 30.0  # style alone never sinks a draft that answers its customers


def score_review(
    objections: Sequence[ObjectionFinding], brand: Sequence[BrandFinding], tone: Sequence[BrandFinding]
) -> tuple[int, str]:
    """Score (100 = nothing to fix) and verdict: blocked on any error, needs work below 80."""
    penalty = objection_penalty(objections)
    penalty += min(sum(BRAND_PENALTY[f.severity] for f in [*brand, *tone]), BRAND_CAP)
    score = max(0, min(100, round(100 - penalty)))
    has_error = any(f.severity == "error" and f.status != "addressed" for f in objections) or any(
        f.severity == "error" for f in [*brand, *tone]
    )
    verdict = "blocked" if has_error else ("needs work" if score < 80 else "ready")
    return score, verdict


def objection_penalty(objections: Sequence[ObjectionFinding]) -> float:
    """What the objection findings take off the score, before it is clamped to 0-100."""
    return sum(
        CONTRADICTION_PENALTY if f.status == "contradicted" else OBJECTION_PENALTY[f.severity]
        for f in objections
        if f.status != "addressed"
    )
