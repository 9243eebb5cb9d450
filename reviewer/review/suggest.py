"""Severity and concrete suggestions for coverage verdicts, built from the theme and its quotes."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from reviewer.models import Evidence, ObjectionFinding, Quote, Severity
from reviewer.review.coverage import CoverageVerdict
from reviewer.review.relevance import RelevantTheme
from reviewer.text import STOPWORDS, detect_language, sentences, words

HIGH_LOSS = 0.4  # themes lost at least this often are errors when a draft ignores them
HIGH_IMPACT_SHARE = 0.5  # ... and when their impact is at least this share of the top theme's

# What to say when no rep's answer can be turned into copy: guidance in the draft's language.
_GUIDANCE = {
    "en": {
        "unaddressed": "Add a short passage on {topic}: what you offer, one proof (a figure, a certificate, "
        "a customer) and the next step.",
        "partial": "Make the passage on {topic} concrete: name who, how long, or which certificate or system.",
        "contradicted": "Replace “{span}” with a claim about {topic} you can prove.",
        "addressed": "Keep this: it answers what customers ask about {topic}.",
    },
    "de": {
        "unaddressed": "Ergänzen Sie einen kurzen Absatz zu {topic}: was Sie bieten, ein Beleg (eine Zahl, "
        "ein Zertifikat, ein Kunde) und der nächste Schritt.",
        "partial": "Machen Sie den Absatz zu {topic} konkret: wer, wie lange, welches Zertifikat oder System.",
        "contradicted": "Ersetzen Sie „{span}“ durch eine belegbare Aussage zu {topic}.",
        "addressed": "Beibehalten: Das beantwortet, was Kunden zu {topic} fragen.",
    },
}
# Conversational openers reps use in calls that copy never starts with (language-general fillers).
_OPENERS = re.compile(
    r"^(?:(?:yes|no|yeah|sure|right|well|so|look|honestly|absolutely|exactly|good question|fair question|"
    r"that's a fair (?:challenge|point|question)|great question|ja|nein|genau|klar|also|gute frage|"
    r"berechtigte frage|verstehe|da kommen wir ihnen entgegen)[,.!:;]?\s+)+",
    re.I,
)
# Sentences in the rep's own first person singular are conversation, not copy ("I'll send you ...").
# ... and so are sentences about this call or this customer ("Last time you wanted ...").
_CONVERSATION = re.compile(
    r"\b(?:last time|as discussed|you (?:said|mentioned|asked|wanted|told)|your (?:wife|husband)|"
    r"letztes mal|wie besprochen|sie (?:sagten|wollten|fragten|hatten gefragt))\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I'll|I've|me|my|ich|mir|mich|mein\w*)\b")
_POSSESSIVE = re.compile(r"\b([A-ZÄÖÜ][\w-]+)['’]s\b")  # "Rivalco's quote": a name, even first in a sentence
_CAPITALISED = re.compile(r"(?<=[a-z,]\s)([A-Z][a-z][\w-]*)")  # "With Close on Ledgerly": Close
_NAME = re.compile(r"(?<=\w\s)([A-ZÄÖÜ][\w-]*[A-Z0-9][\w-]*|[A-ZÄÖÜ][a-zäöüß]+[A-Z][\w-]*)")  # ACME, BPX, SuiteApp


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


def to_finding(
    verdict: CoverageVerdict, relevant: RelevantTheme, top_impact: float, language: str, draft_text: str = ""
) -> ObjectionFinding:
    """The user-facing finding for a verdict, with evidence and a suggestion in the draft's language.

    The suggestion is copy to paste when there is some: the model's own wording, else a won deal's
    answer in the draft's language that speaks of what the draft speaks of.
    """
    theme = relevant.theme
    chosen = sorted(relevant.evidence, key=lambda e: e.note_id not in verdict.evidence_ids)
    evidence = list(relevant.flagged) + chosen
    copy = None
    if verdict.status != "addressed":
        topic = [*theme.keywords, *theme.answer_keywords]
        copy = verdict.suggestion or copy_from_answers(theme.answers, language, draft_text, topic)
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
        suggestion=copy or guidance(verdict, theme.label, language),
        suggested_copy=copy,
        answers=relevant.answers or [Evidence(**a.model_dump()) for a in theme.answers],
        rationale=verdict.rationale,
    )


def guidance(verdict: CoverageVerdict, topic: str, language: str) -> str:
    """What to change, in the draft's language, when there is no copy to offer."""
    texts = _GUIDANCE.get(language, _GUIDANCE["en"])
    span = _clip(verdict.span.text, 120) if verdict.span else topic
    return texts[verdict.status].format(topic=f"“{topic}”" if language == "en" else f"„{topic}“", span=span)


def copy_from_answers(
    answers: list[Quote], language: str, draft_text: str, topic: list[str], limit: int = 2
) -> str | None:
    """Copy built from reps' answers in won deals: their factual sentences, in the draft's language.

    Sentences are kept when they are in the draft's language, name one of the theme's terms, are not
    small talk or the rep's own first person, and name no product, vendor or system the draft does
    not name (an answer about another product is not copy for this one). The best one or two, by
    the draft's words they share, are joined into a passage.
    """
    draft_words = _word_set(draft_text)
    patterns = [_prefix(t.lower()) for t in topic if t.strip()]
    scored: list[tuple[float, int, str]] = []
    for rank, answer in enumerate(a for a in answers if a.outcome == "won"):
        for line in _copy_lines(answer.quote, language):
            if patterns and not any(p.search(line.lowered) for p in patterns):
                continue
            if draft_words and line.names - draft_words:
                continue
            shared = len((line.words & draft_words) - STOPWORDS)
            if draft_words and not shared:  # copy that shares no word with the draft belongs elsewhere
                continue
            scored.append((-shared, rank, line.text))
    if not scored:
        return None
    picked: list[str] = []
    for _, _, text in sorted(scored):
        if text not in picked:
            picked.append(text if text[-1] in ".!" else text + ".")
        if len(picked) == limit:
            break
    return _clip(" ".join(picked), 320)


class _Line(NamedTuple):
    text: str  # capitalised
    lowered: str
    words: frozenset[str]
    names: frozenset[str]


@functools.lru_cache(maxsize=16384)
def _copy_lines(quote: str, language: str) -> tuple[_Line, ...]:
    """The sentences of a rep's answer that could be copy for a draft in `language`, whatever the
    draft: at least five words, not a question, not the rep's first person or talk about the call,
    in that language; with the names each one mentions. Cached: a warm review meets the same
    answers for every draft."""
    kept = []
    for sentence in sentences(quote):
        line = _OPENERS.sub("", sentence.strip()).strip()
        if len(words(line)) < 5 or line.endswith("?") or _FIRST_PERSON.search(line) or _CONVERSATION.search(line):
            continue
        if detect_language(line, default=language) != language:
            continue
        names = {n.lower() for n in _NAME.findall(line)} | {n.lower() for n in _POSSESSIVE.findall(line)}
        if language == "en":  # English capitalises names only; German capitalises every noun
            names |= {n.lower() for n in _CAPITALISED.findall(line)}
        kept.append(_Line(line[0].upper() + line[1:], line.lower(), frozenset(words(line)), frozenset(names)))
    return tuple(kept)


@functools.lru_cache(maxsize=8)
def _word_set(text: str) -> frozenset[str]:
    """The draft's words, once per draft rather than once per theme."""
    return frozenset(words(text))


@functools.lru_cache(maxsize=4096)
def _prefix(term: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(term)}")


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
