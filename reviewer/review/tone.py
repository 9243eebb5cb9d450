"""The offline tone-and-claims judge: what the narrative guideline asks that rules cannot see."""

from __future__ import annotations

import re

from reviewer.drafts import Draft
from reviewer.models import BrandFinding, Span

# Superlatives and absolute claims, English and German.
_CLAIM = re.compile(
    r"\b(?:best|fastest|easiest|cheapest|leading|market[- ]leading|number one|#1|unmatched|unrivall?ed|"
    r"the only|guarantee[sd]?|always|never|every|100 ?%|fully automated|world[- ]class|bester?|schnellste|"
    r"einfachste|günstigste|führende[rn]?|marktführer|einzige|garantiert|immer|niemals|vollautomatisch)\b",
    re.IGNORECASE,
)
# What counts as proof next to a claim, in any domain: a figure, a source, a study, an audit or
# certificate named as such. A workspace adds its own (its certificates, named customers) through
# its vocabulary file.
_PROOF = re.compile(
    r"\d|\b(?:according to|source|study|survey|audit(?:ed)?|certifi\w*|independent\w*|laut|quelle|studie|"
    r"umfrage|geprüft|zertifi\w*)\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|our|us|wir|unser\w*|uns)\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your|sie|ihr\w*|ihnen)\b", re.IGNORECASE)
WE_YOU_RATIO = 2.0


def judge_tone(draft: Draft, proof: re.Pattern[str] | None = None) -> list[BrandFinding]:
    """Unproven claims, shouting, and copy that talks about us more than about the reader.

    `proof` is the workspace's own proof terms (certificates and the like), beside the general ones.
    """
    findings: list[BrandFinding] = []
    for sentence in draft.sentences:
        claim = _CLAIM.search(sentence.text)
        proven = _PROOF.search(sentence.text) or (proof is not None and proof.search(sentence.text))
        if claim and not proven:
            start = sentence.start + claim.start()
            findings.append(
                _finding(
                    draft,
                    "Guideline.Proof",
                    "warning",
                    start,
                    start + len(claim.group()),
                    f"'{claim.group()}' is a claim that needs proof: add a figure, a certificate or a source.",
                )
            )
        for bang in re.finditer(r"!", sentence.text):
            start = sentence.start + bang.start()
            findings.append(
                _finding(
                    draft,
                    "Guideline.Exclamation",
                    "suggestion",
                    start,
                    start + 1,
                    "Confident copy does not need exclamation marks.",
                    suggestion=".",
                )
            )
    we = len(_WE.findall(draft.text))
    you = len(_YOU.findall(draft.text))
    if we >= 5 and we > WE_YOU_RATIO * max(you, 1):
        first = _WE.search(draft.text)
        if first:
            findings.append(
                _finding(
                    draft,
                    "Guideline.ReaderFirst",
                    "suggestion",
                    first.start(),
                    first.end(),
                    f"The draft says 'we/our' {we} times and 'you/your' {you} times: write about the reader's "
                    "problem first.",
                )
            )
    return sorted(findings, key=lambda f: (f.span.start, f.rule))


def _finding(
    draft: Draft, rule: str, severity: str, start: int, end: int, message: str, suggestion: str | None = None
) -> BrandFinding:
    line, col = draft.line_col(start)
    return BrandFinding(
        finding_id=f"{rule}:{start}",
        rule=rule,
        severity=severity,  # type: ignore[arg-type]
        message=message,
        line=line,
        col=col,
        span=Span(start=start, end=end, text=draft.text[start:end]),
        suggestion=suggestion,
    )
