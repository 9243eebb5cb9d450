"""The offline coverage judge: does the draft answer, partly answer, ignore or contradict a theme?

Plain similarity between an objection and a draft sentence barely separates drafts that answer
it from drafts that ignore it (a question and its answer are not alike, and every sentence of a
draft is on topic). So a sentence is scored on three signals, each calibrated on the demo labels:
  - answer likeness: closeness to what sellers replied to this objection in calls;
  - distinctive terms: the theme's own words and its answers' words, rare in the rest of the corpus;
  - topic: closeness to the customers' objection statements themselves (weighted least).
An absolute promise ("live in a day", "no IT needed") on the theme's topic contradicts notes that
say the opposite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from reviewer.drafts import Draft
from reviewer.embeddings import Embedder
from reviewer.models import Span, Status
from reviewer.review.relevance import RelevantTheme
from reviewer.text import words

W_ANSWER, W_TERMS, W_TOPIC = 0.45, 0.35, 0.20
ADDRESSED, PARTIAL = 0.50, 0.40
TERMS_FOR_FULL_SCORE = 3
CONTRADICTION_TOPIC = 0.45

# Absolute promises that a theme's notes can make false (English and German).
_PROMISE = re.compile(
    r"\b(?:in (?:a|one|1) (?:day|afternoon|hour)|within (?:a|one|24) (?:day|hours?)|in (?:minutes|hours)|overnight|"
    r"instant(?:ly)?|no (?:it|setup|set-up|effort|training|migration|integration work|consultants?|"
    r"implementation)(?: (?:team |project )?(?:needed|required))?|zero (?:effort|setup|it|cost)|"
    r"effortless(?:ly)?|plug[- ]and[- ]play|works with (?:any|every)|free of charge|costs? nothing|"
    r"an (?:einem|1) tag|in minuten|über nacht|ohne (?:it|aufwand|schulung|migration|einrichtung|berater)|"
    r"kostenlos|mit jedem erp)\b",
    re.IGNORECASE,
)


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
    draft: Draft, themes: Sequence[RelevantTheme], embedder: Embedder, draft_vectors: np.ndarray
) -> list[CoverageVerdict]:
    """A verdict per relevant theme, from the draft's prose sentences."""
    sentence_terms = [set(words(s.text)) for s in draft.sentences]
    verdicts = []
    for relevant in themes:
        theme = relevant.theme
        answers = [a.quote for a in theme.answers]
        statements = [q.quote for q in theme.quotes] + [theme.label] + ([theme.description or ""])
        answer_sim = _max_sim(draft_vectors, embedder, answers)
        topic_sim = _max_sim(draft_vectors, embedder, [s for s in statements if s])
        terms = set(theme.keywords[:8]) | set(theme.answer_keywords[:8])
        hits = np.array([len(t & terms) for t in sentence_terms], dtype=np.float32)
        scores = W_ANSWER * answer_sim + W_TOPIC * topic_sim + W_TERMS * np.minimum(hits / TERMS_FOR_FULL_SCORE, 1)
        own_terms = set(theme.keywords[:8])
        theme_hits = np.array([len(t & own_terms) for t in sentence_terms], dtype=np.float32)
        verdicts.append(_decide(draft, relevant, scores, topic_sim, theme_hits))
    return verdicts


def _max_sim(draft_vectors: np.ndarray, embedder: Embedder, texts: list[str]) -> np.ndarray:
    if not texts or not len(draft_vectors):
        return np.zeros(len(draft_vectors), dtype=np.float32)
    return np.clip((draft_vectors @ embedder.embed(texts).T).max(axis=1), 0, 1)


def _decide(
    draft: Draft, relevant: RelevantTheme, scores: np.ndarray, topic: np.ndarray, theme_hits: np.ndarray
) -> CoverageVerdict:
    theme = relevant.theme
    for index, sentence in enumerate(draft.sentences):
        on_topic = topic[index] >= CONTRADICTION_TOPIC and theme_hits[index] >= 1
        if _PROMISE.search(sentence.text) and on_topic and scores[index] >= PARTIAL:
            return CoverageVerdict(
                theme_id=theme.theme_id,
                status="contradicted",
                confidence=float(scores[index]),
                span=_span(draft, index),
                rationale=f"The draft makes an absolute promise on a topic where {theme.frequency} "
                "calls raised doubts.",
            )
    if not len(scores):
        return CoverageVerdict(
            theme_id=theme.theme_id,
            status="unaddressed",
            confidence=0.0,
            span=None,
            rationale="The draft has no prose.",
        )
    best = int(np.argmax(scores))
    score = float(scores[best])
    if score >= ADDRESSED:
        status: Status = "addressed"
        rationale = "A sentence answers it the way reps answer it in calls."
    elif score >= PARTIAL:
        status = "partial"
        rationale = "The draft touches the topic but does not answer the objection concretely."
    else:
        return CoverageVerdict(
            theme_id=theme.theme_id,
            status="unaddressed",
            confidence=1 - score,
            span=None,
            rationale="No sentence of the draft answers it.",
        )
    return CoverageVerdict(
        theme_id=theme.theme_id, status=status, confidence=score, span=_span(draft, best), rationale=rationale
    )


def _span(draft: Draft, index: int) -> Span:
    sentence = draft.sentences[index]
    return Span(start=sentence.start, end=sentence.end, text=sentence.text)
