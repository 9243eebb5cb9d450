"""The offline coverage judge: does the draft answer, partly answer, ignore or contradict a theme?

Plain similarity between an objection and a draft sentence barely separates drafts that answer
it from drafts that ignore it (a question and its answer are not alike, and every sentence of a
draft is on topic). So a sentence is judged on signals learnt from the corpus itself:
  - distinctive terms: the theme's own terms (the taxonomy's keywords, or the words that set its
    statements apart from the rest of the corpus) named in the sentence;
  - contrast: how much closer the sentence is to this theme's objections and to what sellers
    replied to them in calls than to the corpus's other themes.
A sentence contradicts a theme when it makes an absolute claim (language-general words such as
"always", "never", "guaranteed", "in minutes", or a workspace's own promise patterns) about the
theme's topic, and the theme's customer quotes report the opposite on that topic: they negate or
complain about what the sentence names.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel

from reviewer.drafts import Draft
from reviewer.models import Span, Status, Theme
from reviewer.review.relevance import RelevantTheme
from reviewer.text import _STOPWORDS, words

# One setting for every corpus; benchmarks/quality.py prints the figures per domain and the
# comment beside each value names the corpora it was checked on.
# Checked on the dev drafts of demo, casino, star and abcd: 0 false flags on answered concerns
# (0/16, 0/3, 0/4, 0/3); the ignored concerns still missed there have no theme mined for them.
# With the i12 mining (more, smaller themes, relevance share 0.15) the same: 0/16, 0/3, 0/4, 0/3.
ADDRESSED_TERMS = 2  # a sentence naming this many of the theme's distinctive terms answers it
# Contrast is measured against every theme of the corpus (the judged ones and the rest), so the
# mean it is taken from no longer moves with the selection (issue 12). Demo dev drafts, ignored
# concerns flagged: with relevance share 0.15, 0.3 gave 24/31, 0.4 26/31, 0.5 to 0.8 28/31; with
# share 0.05, 0.4 29/31 (1/16 false flags), 0.5 to 0.8 31/31 (0/16 once one-term themes are not
# judged). casino, star and abcd the same for every value (3/3, 12/12, 5/13; no false flags).
ADDRESSED_CONTRAST = 0.5  # ... or one term plus this much more closeness to the theme than to the others
# A theme's contrast is measured among the themes whose calls are mostly in its language, when there
# are at least this many (else among all). Dev: demo calibration false flags 1/16 -> 0/16 (an English
# draft's answer to German approval themes), nothing else moved; test: demo 2/10 -> 0/10, the
# others unchanged. The German themes an English draft answers are now partial (check across
# languages) rather than unaddressed; recall did not move.
LANGUAGE_PEERS = 3
KEYWORDS_JUDGED = 10  # the theme's most distinctive terms that count
TERM_WINDOW = 3  # the words of a two-word term may have this many words between them
# Share of the theme's quotes that negate or complain. Dev drafts (only the demo's label a
# contradiction): 0.3 made 1 false contradiction, 0.5 and 0.7 none; the true one was kept by all.
CONTRADICTION_SHARE = 0.5
# "Customers say otherwise" takes several customers: a theme of fewer calls is never contradicted.
# Dev drafts with every theme of a twentieth of the top impact judged: a two-call theme took a
# demo draft's "works with any <system>" claim from the larger theme about that system; the one
# labelled contradiction (a theme of 8 calls) is kept. Such a theme cannot take a claim either: with
# mining steady under float rounding, a two-call theme whose term "pro" named "project" took the demo
# draft's "No IT needed, no consultants, no project plan" from the rollout theme and so no theme was
# contradicted (dev: demo-calibration contradictions 0/1 -> 1/1, nothing else moved).
CONTRADICTION_CALLS = 3

# Absolute claims, English and German: universal words, guarantees, "no X needed", instant time.
_ABSOLUTE = re.compile(
    r"\b(?:always|never|guarantee[sd]?|100 ?%|instant(?:ly)?|immediately|overnight|effortless(?:ly)?|zero|"
    r"no (?:\w+ ){0,2}(?:needed|required|necessary)|in (?:a|one|1) (?:day|minute|hour|click)|"
    r"in (?:minutes|seconds|hours)|immer|nie(?:mals)?|garantiert|sofort|in (?:einem|1) tag|in minuten|"
    r"in sekunden|über nacht)\b",
    re.IGNORECASE,
)
# Time and quantity expressions: a claim about how fast or how much meets quotes about how long
# or how many, whatever the words of the topic.
_TIME = re.compile(
    r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|ein\w*|zwei|drei|vier|fünf|sechs|sieben|"
    r"acht|neun|zehn|elf|zwölf)[- ](?:minutes?|hours?|days?|weeks?|months?|years?|minuten|stunden|tage?n?|"
    r"wochen?|monate?n?|jahre?n?)\b|\b(?:minutes|hours|days|weeks|months|monate\w*|wochen|tage)\b",
    re.IGNORECASE,
)
# What customers say when the claim is not true for them: negation, complaint, time it took.
_NEGATES = re.compile(
    r"\b(?:not|no|never|none|nothing|still|yet|wrong|problem\w*|fail\w*|broke\w*|took|waiting|waited|late|"
    r"months?|weeks?|hasn't|haven't|hadn't|didn't|doesn't|don't|isn't|wasn't|won't|can't|cannot|couldn't|"
    r"nicht|kein\w*|nie|noch|falsch|dauerte|monate\w*|wochen|funktioniert nicht)\b|n't\b",
    re.IGNORECASE,
)
_STOP = _STOPWORDS["en"] | _STOPWORDS["de"]
SHORT_WORD = 4  # a term's word of fewer letters names only itself, never a longer word it starts
STEM = 5  # words compared by their first letters, so "delivered" meets "delivery"


Embed = Callable[[list[str]], np.ndarray]
# A heading names a topic and answers nothing. Dev drafts: abcd 19/21 -> 20/21 ignored flagged (the
# one-word heading "Membership" had answered a theme), nothing else moved; test unchanged.
HEADING_ONLY = "Only a heading names this; no sentence of the body answers it."


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
    draft: Draft,
    themes: Sequence[RelevantTheme],
    embed: Embed,
    draft_vectors: np.ndarray,
    promises: re.Pattern[str] | None = None,
    reference: Sequence[Theme] = (),
) -> list[CoverageVerdict]:
    """A verdict per relevant theme, from the draft's prose sentences; `embed` gives phrase vectors.

    `promises` adds a workspace's own absolute claims to the general ones. `reference` (the
    corpus's themes) is what contrast and shared terms are measured against, besides the judged
    themes, so a theme's verdict does not depend on which other themes were selected with it.
    """
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
    judged = {t.theme.theme_id for t in themes}
    pool = [*themes, *(RelevantTheme(theme=t, relevance=0.0) for t in reference if t.theme_id not in judged)]
    answers = np.stack([_max_sim(draft_vectors, embed, _answers(t)) for t in pool], 1)
    topics = np.stack([_max_sim(draft_vectors, embed, _quotes(t) + [t.theme.label]) for t in pool], 1)
    # Contrast: how much closer a sentence is to this theme than to the corpus's other themes of the
    # theme's language. Every sentence of a draft is "on topic"; only the difference says which
    # objection it speaks to. Quotes in another language than the sentence's are all further from
    # it, so against every theme a theme of the other language never stood out, not even the one
    # the sentence answers.
    language_of = np.array([t.theme.languages[0] if t.theme.languages else "" for t in pool])
    judged_languages = language_of[: len(themes)]
    contrast = np.zeros((len(draft.sentences), len(themes)), dtype=np.float32)
    for language in set(judged_languages):
        own = np.flatnonzero(judged_languages == language)
        peers = language_of == language
        if peers.sum() < LANGUAGE_PEERS:
            peers[:] = True
        contrast[:, own] = answers[:, own] - answers[:, peers].mean(axis=1, keepdims=True)
        contrast[:, own] += topics[:, own] - topics[:, peers].mean(axis=1, keepdims=True)
    # A term counts for a theme by how much it is the theme's own: a word in the terms of three
    # themes names each of them a third.
    shared = Counter(k.lower() for t in pool for k in dict.fromkeys(t.theme.keywords[:KEYWORDS_JUDGED]))
    weights = [{k.lower(): 1.0 / shared[k.lower()] for k in t.theme.keywords[:KEYWORDS_JUDGED]} for t in themes]
    # Each distinct term is looked for once per sentence, however many themes share it.
    terms = {k for w in weights for k in w}
    named = [{k for k in terms if _names(k, lowered)} for lowered in (s.text.lower() for s in draft.sentences)]
    hits = np.array([[sum(v for k, v in w.items() if k in n) for w in weights] for n in named], dtype=np.float32)
    contradicted = _contradictions(draft, themes, hits + contrast, promises)
    body = np.array([draft.blocks[s.block].kind != "heading" for s in draft.sentences])
    verdicts = []
    for column, relevant in enumerate(themes):
        theme = relevant.theme
        if theme.theme_id in contradicted:
            index, quote = contradicted[theme.theme_id]
            verdicts.append(
                CoverageVerdict(
                    theme_id=theme.theme_id,
                    status="contradicted",
                    confidence=1.0,
                    span=_span(draft, index),
                    rationale=f"The draft claims this without exception, where customers say otherwise: “{quote}”",
                )
            )
            continue
        foreign = bool(theme.languages) and draft.language not in theme.languages
        verdicts.append(_verdict(draft, theme.theme_id, hits[:, column], contrast[:, column], body, foreign))
    return verdicts


def _verdict(
    draft: Draft, theme_id: str, hits: np.ndarray, contrast: np.ndarray, body: np.ndarray, foreign: bool
) -> CoverageVerdict:
    """The verdict from the body's best sentence (per sentence: terms named, contrast; `body`: not a
    heading). A heading names a topic and answers nothing: one the theme fits best makes it partial
    at most, where the body alone leaves it unaddressed."""
    fit = hits + contrast
    top = int(np.argmax(fit))
    if body[top]:
        return _decide(draft, theme_id, top, float(hits[top]), float(contrast[top]), foreign)
    heading = _decide(draft, theme_id, top, float(hits[top]), float(contrast[top]), foreign)
    if body.any():
        best = int(np.argmax(np.where(body, fit, -np.inf)))
        verdict = _decide(draft, theme_id, best, float(hits[best]), float(contrast[best]), foreign)
        if verdict.status != "unaddressed" or heading.status == "unaddressed":
            return verdict
    elif heading.status == "unaddressed":
        return heading
    return heading.model_copy(update={"status": "partial", "confidence": 0.3, "rationale": HEADING_ONLY})


def _decide(
    draft: Draft, theme_id: str, best: int, hits: float, contrast: float, foreign: bool = False
) -> CoverageVerdict:
    """The verdict from the best sentence's terms and contrast.

    `foreign`: the theme's customers spoke another language than the draft's, so its terms cannot
    appear in the draft and naming none of them says nothing. Such a theme is unaddressed only
    when no sentence is closer to it than to the corpus's other themes. Before this rule every
    German dev and test draft (one per domain) was "unaddressed" on every English theme, and on
    the demo English drafts were on every theme of German calls; false flags on answered concerns,
    all drafts (benchmarks/quality.py --split all): demo test 20% -> 10%, demo calibration 25% ->
    6%, casino 12% -> 0%, star 7% -> 4%, abcd 12% -> 4%, recall on ignored the same but star
    98% -> 100% and demo calibration 100% -> 97% (30/31). No threshold is new.
    """
    if foreign and hits == 0 and 0 < contrast < ADDRESSED_CONTRAST:
        return CoverageVerdict(
            theme_id=theme_id,
            status="partial",
            confidence=0.3,
            span=_span(draft, best),
            rationale="Raised in calls in another language; this sentence is closest to it: check that it answers.",
        )
    if hits == 0 and not (foreign and contrast >= ADDRESSED_CONTRAST):
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


def _contradictions(
    draft: Draft, themes: Sequence[RelevantTheme], fit: np.ndarray, promises: re.Pattern[str] | None
) -> dict[str, tuple[int, str]]:
    """theme id -> (sentence index, a customer quote against it) for absolute claims the calls deny.

    A sentence with an absolute claim speaks to the theme it fits best (its terms plus contrast),
    provided it names at least one of the theme's terms; the claim is contradicted when enough
    of the theme's customer quotes negate or complain about a word the sentence uses.
    """
    found: dict[str, tuple[int, str]] = {}
    # Only a theme enough customers raised can be contradicted, so only such a theme may take a claim:
    # a two-call theme naming one of its words must not shield the theme it is about.
    eligible = [column for column, relevant in enumerate(themes) if relevant.theme.frequency >= CONTRADICTION_CALLS]
    for index, sentence in enumerate(draft.sentences):
        if not (_ABSOLUTE.search(sentence.text) or (promises and promises.search(sentence.text))):
            continue
        named = [
            (float(fit[index, column]), column)
            for column in eligible
            if _term_hits(themes[column].theme.keywords[:KEYWORDS_JUDGED], sentence.text)
        ]
        if named:  # the claim names the theme's own terms
            column = max(named)[1]
        elif _TIME.search(sentence.text) and eligible:  # a claim about time meets the theme whose quotes count time
            shares = [_share(_quotes(themes[c]), _TIME.search) for c in eligible]
            column = eligible[int(np.argmax(shares))]
            if max(shares) < CONTRADICTION_SHARE:
                continue
        else:
            continue
        relevant = themes[column]
        quotes = _quotes(relevant)
        against = [q for q in quotes if _NEGATES.search(q)]
        if relevant.theme.theme_id not in found and _share(quotes, _NEGATES.search) >= CONTRADICTION_SHARE:
            claimed = _stems(sentence.text)
            found[relevant.theme.theme_id] = (index, max(against, key=lambda q: len(claimed & _stems(q))))
    return found


def _share(texts: Sequence[str], test: Callable[[str], object]) -> float:
    return sum(bool(test(t)) for t in texts) / len(texts) if texts else 0.0


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in words(text) if len(w) > 3 and w not in _STOP}


def _quotes(relevant: RelevantTheme) -> list[str]:
    """The theme's customer words: mined quotes and the evidence retrieved for this draft."""
    return list(dict.fromkeys([*(q.quote for q in relevant.theme.quotes), *(e.quote for e in relevant.evidence)]))


def _answers(relevant: RelevantTheme) -> list[str]:
    """What sellers replied to the theme in calls: mined replies and those retrieved for this draft."""
    return list(dict.fromkeys([*(a.quote for a in relevant.theme.answers), *(a.quote for a in relevant.answers)]))


def _term_hits(keywords: Sequence[str] | dict[str, float], text: str) -> float:
    """How many distinct terms of the theme the sentence names (prefix match), each by its weight."""
    lowered = text.lower()
    weighted = keywords if isinstance(keywords, dict) else dict.fromkeys((k.lower() for k in keywords), 1.0)
    return sum(w for k, w in weighted.items() if _names(k, lowered))


def _names(term: str, lowered: str) -> bool:
    """The sentence names the term: its words by prefix, a pair of words (c-TF-IDF's n-grams) within
    a few words of each other in any order."""
    # Every pattern needs each word of the term as written, so a missing word settles it without one.
    if not all(part in lowered for part in term.split()):
        return False
    return any(pattern.search(lowered) for pattern in _term_patterns(term))


@functools.lru_cache(maxsize=8192)
def _term_patterns(term: str) -> tuple[re.Pattern[str], ...]:
    """The compiled patterns for one term, built once per process: a warm review judges the same
    theme terms against every sentence of every draft."""
    parts = term.split()
    if len(parts) == 1:
        return (re.compile(r"\b" + _word(term)),)
    near = rf"(?:\W+\w+){{0,{TERM_WINDOW}}}?\W+"
    forward = r"\b" + near.join(_word(p) + r"\w*" for p in parts)
    backward = r"\b" + near.join(_word(p) + r"\w*" for p in reversed(parts))
    return re.compile(forward), re.compile(backward)


def _word(part: str) -> str:
    """A term's word as a pattern: its start, so plurals and compounds match, but a word shorter
    than SHORT_WORD only as itself (a plural too): "pro" must not name "project" or "process"."""
    if len(part) < SHORT_WORD:
        return re.escape(part) + r"(?:s|es)?\b"
    return re.escape(part)


def _max_sim(draft_vectors: np.ndarray, embed: Embed, texts: list[str]) -> np.ndarray:
    if not texts or not len(draft_vectors):
        return np.zeros(len(draft_vectors), dtype=np.float32)
    return np.clip((draft_vectors @ embed(texts).T).max(axis=1), 0, 1)


def _span(draft: Draft, index: int) -> Span:
    sentence = draft.sentences[index]
    return Span(start=sentence.start, end=sentence.end, text=sentence.text)
