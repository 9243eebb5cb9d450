"""The model-backed judges: all themes of a draft in one call, tone in another; results grounded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from reviewer.drafts import Draft
from reviewer.ingest.redact import redact_text
from reviewer.models import BrandFinding, Severity, Span, Usage
from reviewer.prompts import fence, render_prompt
from reviewer.review.coverage import CoverageVerdict
from reviewer.review.relevance import RelevantTheme

QUOTES_IN_PROMPT = 4


class ThemeJudgement(BaseModel):
    """The model's decision for one objection theme."""

    theme_id: str = Field(description="The theme_id exactly as given.")
    status: Literal["addressed", "partial", "unaddressed", "contradicted"]
    draft_quote: str | None = Field(
        None, description="Sentence(s) copied verbatim from the draft that answer or contradict it; else null."
    )
    evidence_note_ids: list[str] = Field(
        default_factory=list, description="Note ids (from this theme's quotes) that best show the objection."
    )
    rationale: str = Field("", description="One sentence: why this status.")
    suggestion: str = Field("", description="One concrete edit to the draft, in the draft's language.")


class CoverageAnswer(BaseModel):
    judgements: list[ThemeJudgement]


class ToneIssue(BaseModel):
    quote: str = Field(description="The shortest span copied verbatim from the draft that shows the problem.")
    severity: Severity = "warning"
    message: str = Field(description="Which part of the guideline is breached, and why.")
    suggestion: str | None = Field(None, description="Replacement text for the quote, or null.")


class ToneAnswer(BaseModel):
    issues: list[ToneIssue] = Field(default_factory=list)


def company_line(company: str) -> str:
    """The workspace's description of itself for a prompt, or a neutral line when it gave none."""
    company = " ".join(company.split())
    if not company:
        return "Nothing is known about the company beyond its conversations; judge from them alone."
    return f"The company, its offer and its audience, as the workspace describes them: {company}"


def judge_coverage_llm(
    llm: object, draft: Draft, themes: Sequence[RelevantTheme], usage: Usage, company: str = ""
) -> list[CoverageVerdict]:
    """One call for every theme; unknown themes and unfound quotes are dropped or repaired."""
    prompt = render_prompt(
        "judge_coverage",
        company=company_line(company),
        themes=fence(_themes_block(themes), "objection themes"),
        draft=fence(redact_text(draft.text), "draft"),
        language=draft.language,
    )
    answer: CoverageAnswer = llm.complete_json(prompt, CoverageAnswer, usage=usage)  # type: ignore[attr-defined]
    by_id = {t.theme.theme_id: t for t in themes}
    verdicts: dict[str, CoverageVerdict] = {}
    for judgement in answer.judgements:
        relevant = by_id.get(judgement.theme_id)
        if relevant is None or judgement.theme_id in verdicts:
            continue
        span = _find(draft, judgement.draft_quote)
        status = judgement.status
        if span is None and status in {"addressed", "contradicted"}:
            status = "partial"  # a claim about the draft we cannot point at is not trusted in full
        allowed = {e.note_id for e in relevant.evidence} | {q.note_id for q in relevant.theme.quotes}
        verdicts[judgement.theme_id] = CoverageVerdict(
            theme_id=judgement.theme_id,
            status=status,
            confidence=1.0,
            span=span,
            rationale=judgement.rationale,
            suggestion=judgement.suggestion or None,
            evidence_ids=[i for i in judgement.evidence_note_ids if i in allowed],  # invented ids never
        )
    missing = [t for t in themes if t.theme.theme_id not in verdicts]
    if missing:
        from reviewer.errors import LLMError

        raise LLMError(f"the model skipped {len(missing)} of {len(themes)} themes")
    return [verdicts[t.theme.theme_id] for t in themes]


def judge_tone_llm(llm: object, draft: Draft, guidelines: str, usage: Usage, company: str = "") -> list[BrandFinding]:
    """Tone and claim issues whose quotes are found verbatim in the draft."""
    prompt = render_prompt(
        "judge_tone",
        company=company_line(company),
        guidelines=fence(guidelines, "guideline"),
        draft=fence(redact_text(draft.text), "draft"),
    )
    answer: ToneAnswer = llm.complete_json(prompt, ToneAnswer, usage=usage)  # type: ignore[attr-defined]
    findings = []
    for issue in answer.issues:
        span = _find(draft, issue.quote)
        if span is None:
            continue
        line, col = draft.line_col(span.start)
        findings.append(
            BrandFinding(
                finding_id=f"Guideline.Tone:{span.start}",
                rule="Guideline.Tone",
                severity=issue.severity,
                message=issue.message,
                line=line,
                col=col,
                span=span,
                suggestion=issue.suggestion,
            )
        )
    return findings


def _themes_block(themes: Sequence[RelevantTheme]) -> str:
    parts = []
    for relevant in themes:
        theme = relevant.theme
        loss = "unknown" if theme.loss_rate is None else f"{theme.loss_rate:.0%}"
        lines = [
            f"theme_id: {theme.theme_id}",
            f"label: {theme.label}",
            f"raised in {theme.frequency} calls, lost rate {loss}",
            "customer quotes:",
        ]
        for evidence in [*relevant.flagged, *relevant.evidence][:QUOTES_IN_PROMPT]:
            lines.append(f"  - [{evidence.note_id}] {evidence.quote}")
        # What the company's people answered: the replies retrieved for this draft, else the mined
        # ones; those from won deals first where outcomes are known.
        pairs = [(a.quote, a.outcome) for a in relevant.answers] + [(a.quote, a.outcome) for a in theme.answers]
        replies = list(dict.fromkeys(q for q, _ in sorted(pairs, key=lambda pair: pair[1] != "won")))[:2]
        if replies:
            lines.append("what the company's people answered:")
            lines.extend(f"  - {a}" for a in replies)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _find(draft: Draft, quote: str | None) -> Span | None:
    if not quote or not quote.strip():
        return None
    quote = quote.strip()
    start = draft.text.find(quote)
    if start < 0:
        return None
    return Span(start=start, end=start + len(quote), text=quote)
