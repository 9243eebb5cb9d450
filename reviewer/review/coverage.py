"""The offline coverage judge: does the draft answer, partly answer, ignore or contradict a theme?

Plain similarity between an objection and a draft sentence barely separates drafts that answer
it from drafts that ignore it (a question and its answer are not alike, and every sentence of a
draft is on topic). So a sentence is judged on two signals, calibrated on the demo labels:
  - distinctive terms: the theme's own terms (the taxonomy's keywords, or the words that set its
    statements apart from the rest of the corpus) named in the sentence;
  - contrast: how much closer the sentence is to this theme's objections and to what sellers
    answered them in calls than to the draft's other themes.
An absolute promise ("live in a day", "no IT needed") contradicts a theme whose customer quotes
speak of that topic (months, rollouts, IT capacity).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from pydantic import BaseModel

from reviewer.drafts import Draft
from reviewer.models import Span, Status
from reviewer.review.relevance import RelevantTheme

# Calibrated on corpus/labels.yaml and checked on tests/fixtures/holdout_drafts (test_review_quality.py).
ADDRESSED_TERMS = 2  # a sentence naming this many of the theme's distinctive terms answers it
ADDRESSED_CONTRAST = 0.30  # ... or one term plus this much more closeness to the theme than to the others
CONTRADICTION_SHARE = 0.3  # share of a theme's quotes that must speak of the promise's topic

# Absolute promises that call notes can make false, each with what the notes say when they do.
_PROMISES = {
    "speed": (
        re.compile(
            r"\b(?:live in (?:a|one|1) (?:day|week)|in (?:a|one|1) day|in (?:minutes|hours)|overnight|instant(?:ly)?|"
            r"no (?:it|consultants?|implementation|setup|set-up|training)(?: \w+)? (?:needed|required|necessary)|"
            r"without (?:any )?(?:it|consultants?|implementation project)|"
            r"zero (?:effort|setup|it)|effortless(?:ly)?|plug[- ]and[- ]play|an (?:einem|1) tag|in minuten|"
            r"über nacht|ohne (?:it|aufwand|berater|projekt|einrichtung))\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b(?:months?|weeks?|took|dauerte|monate\w*|wochen|rollout|roll-out|implementation|einführung|"
            r"onboarding|go-live|projekt|project|it[- ](?:team|capacity|department|abteilung)|kapazität|ressourcen)\b",
            re.IGNORECASE,
        ),
    ),
    "compatibility": (
        re.compile(
            r"\b(?:works with (?:any|every)|with any erp|mit jedem erp|jedes erp|any accounting system)\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b(?:sap|datev|netsuite|dynamics|erp|integration|connector|konnektor|schnittstelle)\w*", re.IGNORECASE
        ),
    ),
}


Embed = Callable[[list[str]], np.ndarray]


class CoverageVerdict(BaseModel):
    """The judge's decision for one theme, with the draft span that supports it."""

    theme_id: str
    status: Status
    confidence: float
    span: Span | None
    rationale: str
    suggestion: str | None = None  # a model's own wording; templates are used when None
    evidence_ids: list[str] = []  # notes the judge chose as the best evidence, shown first


def judge_coverage(
    draft: Draft, themes: Sequence[RelevantTheme], embed: Embed, draft_vectors: np.ndarray
) -> list[CoverageVerdict]:
    """A verdict per relevant theme, from the draft's prose sentences; `embed` gives phrase vectors."""
    if not themes:
        return []
    if not draft.sentences:
        return [
            CoverageVerdict(
                theme_id=t.theme.theme_id,
                status="unaddressed",
                confidence=0.0,
                span=None,
                rationale="The draft has no prose.",
            )
            for t in themes
        ]
    answers = np.stack([_max_sim(draft_vectors, embed, [a.quote for a in t.theme.answers]) for t in themes], 1)
    topics = np.stack(
        [_max_sim(draft_vectors, embed, [q.quote for q in t.theme.quotes] + [t.theme.label]) for t in themes], 1
    )
    # Contrast: how much closer a sentence is to this theme than to the draft's other themes. Every
    # sentence of a draft is "on topic"; only the difference says which objection it speaks to.
    contrast = (answers - answers.mean(axis=1, keepdims=True)) + (topics - topics.mean(axis=1, keepdims=True))
    contradicted = _contradictions(draft, themes)
    lowered = [s.text.lower() for s in draft.sentences]
    verdicts = []
    for column, relevant in enumerate(themes):
        theme = relevant.theme
        if theme.theme_id in contradicted:
            index, kind = contradicted[theme.theme_id]
            verdicts.append(
                CoverageVerdict(
                    theme_id=theme.theme_id,
                    status="contradicted",
                    confidence=1.0,
                    span=_span(draft, index),
                    rationale=f"The draft promises {kind} where {theme.frequency} calls say otherwise.",
                )
            )
            continue
        patterns = _term_patterns(tuple(theme.keywords))
        hits = np.array([sum(1 for p in patterns if p.search(text)) for text in lowered], dtype=np.float32)
        best = int(np.argmax(hits + contrast[:, column]))
        verdicts.append(_decide(draft, theme.theme_id, best, float(hits[best]), float(contrast[best, column])))
    return verdicts


def _decide(draft: Draft, theme_id: str, best: int, hits: float, contrast: float) -> CoverageVerdict:
    if hits == 0:
        return CoverageVerdict(
            theme_id=theme_id,
            status="unaddressed",
            confidence=1.0,
            span=None,
            rationale="No sentence of the draft names what customers worry about here.",
        )
    if hits >= ADDRESSED_TERMS or contrast >= ADDRESSED_CONTRAST:
        return CoverageVerdict(
            theme_id=theme_id,
            status="addressed",
            confidence=min(1.0, 0.5 + contrast),
            span=_span(draft, best),
            rationale="A sentence answers it the way reps do in calls.",
        )
    return CoverageVerdict(
        theme_id=theme_id,
        status="partial",
        confidence=0.5,
        span=_span(draft, best),
        rationale="The draft touches the topic but does not answer the objection concretely.",
    )


def _contradictions(draft: Draft, themes: Sequence[RelevantTheme]) -> dict[str, tuple[int, str]]:
    """theme id -> (sentence index, promise kind) for each absolute promise the notes contradict."""
    found: dict[str, tuple[int, str]] = {}
    for kind, (promise, topic) in _PROMISES.items():
        index = next((i for i, s in enumerate(draft.sentences) if promise.search(s.text)), None)
        if index is None:
            continue
        shares = {
            t.theme.theme_id: sum(bool(topic.search(q.quote)) for q in t.theme.quotes) / max(len(t.theme.quotes), 1)
            for t in themes
        }
        theme_id = max(shares, key=lambda k: shares[k])
        if shares[theme_id] >= CONTRADICTION_SHARE and theme_id not in found:
            found[theme_id] = (index, kind.replace("speed", "speed and no effort"))
    return found


@lru_cache(maxsize=1024)
def _term_patterns(keywords: tuple[str, ...]) -> list[re.Pattern[str]]:
    """One prefix pattern per distinctive term of a theme; a sentence's hits are the terms it names.

    Compiled once per process: building them per sentence and theme was a third of a warm review.
    """
    return [re.compile(r"\b" + re.escape(k.lower())) for k in keywords]


def _max_sim(draft_vectors: np.ndarray, embed: Embed, texts: list[str]) -> np.ndarray:
    if not texts or not len(draft_vectors):
        return np.zeros(len(draft_vectors), dtype=np.float32)
    return np.clip((draft_vectors @ embed(texts).T).max(axis=1), 0, 1)


def _span(draft: Draft, index: int) -> Span:
    sentence = draft.sentences[index]
    return Span(start=sentence.start, end=sentence.end, text=sentence.text)
