"""Grounding checks: every cited note exists and holds the quote; every span matches the draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reviewer.drafts import Draft
from reviewer.models import BrandFinding, Evidence, ObjectionFinding, Span

NoteLookup = Callable[[Sequence[str]], dict[str, str]]  # note ids -> note text


def validate_findings(
    draft: Draft,
    objections: Sequence[ObjectionFinding],
    brand: Sequence[BrandFinding],
    note_texts: NoteLookup,
) -> tuple[list[ObjectionFinding], list[BrandFinding], list[str]]:
    """Findings whose evidence and spans check out (repaired where possible), and what was dropped."""
    cited = {e.note_id for f in objections for e in [*f.evidence, *f.answers]}
    texts = note_texts(sorted(cited))
    dropped: list[str] = []
    kept_objections = []
    for finding in objections:
        evidence = [e for e in finding.evidence if _grounded(e, texts)]
        answers = [e for e in finding.answers if _grounded(e, texts)]
        lost = len(finding.evidence) - len(evidence)
        if lost:
            dropped.append(f"{finding.theme_id}: {lost} quote(s) not found in the cited notes")
        span = _repair_span(draft, finding.draft_span)
        if finding.draft_span is not None and span is None:
            dropped.append(f"{finding.theme_id}: draft span did not match the draft text")
        if finding.status != "addressed" and not evidence:
            dropped.append(f"{finding.theme_id}: no verifiable customer evidence; finding not shown")
            continue
        if finding.status in {"addressed", "contradicted"} and span is None:
            dropped.append(f"{finding.theme_id}: {finding.status} without a matching span; finding not shown")
            continue
        kept_objections.append(
            finding.model_copy(update={"evidence": evidence, "answers": answers, "draft_span": span})
        )
    kept_brand = []
    for item in brand:
        span = _repair_span(draft, item.span)
        if span is None:
            dropped.append(f"{item.rule}: span did not match the draft text")
            continue
        kept_brand.append(item if span == item.span else item.model_copy(update={"span": span}))
    return kept_objections, kept_brand, dropped


def _grounded(evidence: Evidence, texts: dict[str, str]) -> bool:
    text = texts.get(evidence.note_id)
    return bool(text and evidence.quote.strip() and evidence.quote in text)


def _repair_span(draft: Draft, span: Span | None) -> Span | None:
    """The span itself when it matches; else the same text found elsewhere in the draft; else None."""
    if span is None:
        return None
    if 0 <= span.start <= span.end <= len(draft.text) and draft.text[span.start : span.end] == span.text:
        return span
    if span.text.strip():
        found = draft.text.find(span.text)
        if found >= 0:
            return Span(start=found, end=found + len(span.text), text=span.text)
    return None
