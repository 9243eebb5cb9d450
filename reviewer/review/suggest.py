"""Severity and concrete suggestions for coverage verdicts, built from the theme and its quotes."""

from __future__ import annotations

from reviewer.models import Evidence, ObjectionFinding, Severity
from reviewer.review.coverage import CoverageVerdict
from reviewer.review.relevance import RelevantTheme
from reviewer.text import detect_language

HIGH_LOSS = 0.4  # themes lost at least this often are errors when a draft ignores them
HIGH_IMPACT_SHARE = 0.5  # ... and when their impact is at least this share of the top theme's

_TEMPLATES = {
    "en": {
        "unaddressed": "Answer this objection: customers asked “{quote}” in {frequency} calls{loss}. {answer}",
        "partial": "Make the answer concrete and provable (who, how long, which certificate or system). {answer}",
        "contradicted": "“{span}” promises what {frequency} calls doubt, e.g. “{quote}”. Replace it with a "
        "claim you can prove. {answer}",
        "addressed": "Keep this: it answers an objection raised in {frequency} calls.",
        "answer": "In won deals reps answered: “{text}”",
        "loss": " ({loss:.0%} of them lost)",
    },
    "de": {
        "unaddressed": "Beantworten Sie diesen Einwand: Kunden sagten „{quote}“ in {frequency} Gesprächen"
        "{loss}. {answer}",
        "partial": "Machen Sie die Antwort konkret und belegbar (wer, wie lange, welches Zertifikat oder "
        "System). {answer}",
        "contradicted": "„{span}“ verspricht, was {frequency} Gespräche bezweifeln, z. B. „{quote}“. Ersetzen "
        "Sie es durch eine belegbare Aussage. {answer}",
        "addressed": "Beibehalten: Das beantwortet einen Einwand aus {frequency} Gesprächen.",
        "answer": "In gewonnenen Deals antworteten die Reps: „{text}“",
        "loss": " ({loss:.0%} davon verloren)",
    },
}


def severity_for(verdict: CoverageVerdict, relevant: RelevantTheme, top_impact: float) -> Severity:
    """Contradictions are errors; ignored costly themes are errors; the rest warnings or suggestions."""
    theme = relevant.theme
    costly = (theme.loss_rate or 0.0) >= HIGH_LOSS and theme.impact >= HIGH_IMPACT_SHARE * top_impact
    if verdict.status == "contradicted":
        return "error"
    if verdict.status == "unaddressed":
        return "error" if costly else "warning"
    if verdict.status == "partial":
        return "warning" if costly else "suggestion"
    return "suggestion"


def to_finding(verdict: CoverageVerdict, relevant: RelevantTheme, top_impact: float, language: str) -> ObjectionFinding:
    """The user-facing finding for a verdict, with evidence and a suggestion in the draft's language."""
    theme = relevant.theme
    chosen = sorted(relevant.evidence, key=lambda e: e.note_id not in verdict.evidence_ids)
    evidence = list(relevant.flagged) + chosen
    return ObjectionFinding(
        finding_id=f"objection:{theme.theme_id}",
        theme_id=theme.theme_id,
        label=theme.label,
        status=verdict.status,
        severity=severity_for(verdict, relevant, top_impact),
        frequency=theme.frequency,
        loss_rate=theme.loss_rate,
        evidence=evidence,
        draft_span=verdict.span,
        suggestion=verdict.suggestion or suggestion_text(verdict, relevant, evidence, language),
        answers=[Evidence(**a.model_dump()) for a in theme.answers],
        rationale=verdict.rationale,
    )


def suggestion_text(verdict: CoverageVerdict, relevant: RelevantTheme, evidence: list[Evidence], language: str) -> str:
    texts = _TEMPLATES.get(language, _TEMPLATES["en"])
    theme = relevant.theme
    # A won deal's answer, in the draft's language when there is one.
    won = sorted(
        (a for a in theme.answers if a.outcome == "won"),
        key=lambda a: (a.language or detect_language(a.quote)) != language,
    )
    answer = texts["answer"].format(text=_clip(won[0].quote)) if won else ""
    loss = texts["loss"].format(loss=theme.loss_rate) if theme.loss_rate else ""
    return (
        texts[verdict.status]
        .format(
            quote=_clip(evidence[0].quote) if evidence else theme.label,
            frequency=theme.frequency,
            loss=loss,
            answer=answer,
            span=_clip(verdict.span.text) if verdict.span else "",
        )
        .strip()
    )


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
