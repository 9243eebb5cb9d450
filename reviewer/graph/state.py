"""The review workflow's state: what each step reads and the partial updates it returns."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from reviewer.drafts import Draft
from reviewer.models import BrandFinding, ObjectionFinding, Review, Usage
from reviewer.review.coverage import CoverageVerdict
from reviewer.review.relevance import RelevantTheme


def merge_dicts(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    """Timings from parallel steps add up key by key."""
    return {**left, **right}


def add_usage(left: Usage | None, right: Usage | None) -> Usage:
    if left is None or right is None:
        return right or left or Usage()
    return Usage(
        llm_calls=left.llm_calls + right.llm_calls,
        prompt_tokens=left.prompt_tokens + right.prompt_tokens,
        completion_tokens=left.completion_tokens + right.completion_tokens,
        cost_usd=round(left.cost_usd + right.cost_usd, 6),
    )


class ReviewInput(TypedDict, total=False):
    """What a caller gives the workflow: a path or an already loaded draft, and optional hints."""

    path: str
    draft: Draft
    segment: str | None
    product: str | None


class ReviewState(TypedDict, total=False):
    """Everything the steps pass along; list and dict fields merge across parallel steps."""

    path: str
    segment: str | None
    product: str | None
    draft: Draft  # the loaded, segmented draft
    draft_vectors: list[list[float]]  # one embedding per draft sentence
    themes: list[RelevantTheme]  # themes judged for this draft, with evidence retrieved from the store
    suppressed: list[str]  # finding ids reps marked wrong on this draft (the feedback step)
    brand: list[BrandFinding]  # deterministic rule findings
    verdicts: list[CoverageVerdict]  # the coverage judge's status per theme
    objections: list[ObjectionFinding]  # coverage findings, one per relevant theme
    tone: list[BrandFinding]  # tone and claim findings against the narrative guideline
    usage: Annotated[Usage, add_usage]  # LLM calls and tokens
    notices: Annotated[list[str], operator.add]  # messages for the user (e.g. an offline fallback)
    fallback: Annotated[bool, operator.or_]  # true when the model failed and offline judges took over
    score: int  # 0-100
    verdict: str  # ready, needs work, blocked
    timings: Annotated[dict[str, float], merge_dicts]  # seconds per step
    review: Review  # the final report object
