"""Shared text helpers: sentence spans, words and language detection."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

# Abbreviations after which a full stop does not end a sentence (English and German); the rules
# engine's Vale-style splitter uses the same list.
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs mr mrs ms dr prof inc ltd co corp jr sr st no fig approx cf al u.s a.m p.m "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "z.b bzw ca usw d.h u.a ggf inkl zzgl evtl nr bspw vgl sog s max min".split()
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
# A note's first 2,000 characters tell its language as well as the whole of it, at a fixed cost.
_LANGUAGE_WINDOW = 2000
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)

_STOPWORDS = {
    "en": set(
        "the and is are was were to of in that it for on with as this be have not we you they our "
        "your but what how do does can would will an at from by or if so there their about just "
        "which when who than then been has had i me my".split()
    ),
    "de": set(
        "der die das und ist sind war nicht ein eine einen dem den des zu mit auf für von im wir "
        "sie ihr es auch aber wie noch nur schon bei aus wenn dann kein keine ich mich mir uns "
        "unser haben hat hatten wird werden sehr dass oder als man was so bis über".split()
    ),
}


def parse_yaml(text: str | bytes) -> Any:
    """YAML text parsed by libyaml's safe loader: the same safe subset as `yaml.safe_load`, ~10x faster
    (front matter of every note, the rules and the taxonomy are read on every ingest and review)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        stop = match.end()
        # Only the word before the full stop matters; a bounded window keeps long runs of
        # abbreviations or initials ("a. a. a. ...") linear instead of quadratic.
        word_before = re.search(r"([\w.]+)\.$", text[max(cursor, match.start() - 64) : match.start() + 1])
        if match.group().startswith(".") and word_before:
            token = word_before.group(1).lower().rstrip(".")
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or token.isdigit():
                continue
        _append_trimmed(text, cursor, stop, spans)
        cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    start, end = trim_span(text, start, end)
    if start < end:
        spans.append((start, end))


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding whitespace; an empty span at start when it is all whitespace."""
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return start, start
    start += len(piece) - len(piece.lstrip())
    return start, start + len(stripped)


def sentences(text: str) -> list[str]:
    """The sentences of text, as strings."""
    return [text[a:b] for a, b in sentence_spans(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, inner hyphens and apostrophes kept)."""
    return [w.lower() for w in _WORD.findall(text)]


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of the text: stop-word counts settle clear English or German at once, and the
    packaged py3langid model (97 languages, offline) decides everything else."""
    sample = text[:_LANGUAGE_WINDOW]
    counts = Counter(_WORD.findall(sample.lower()))
    if not counts:
        return default
    scores = {lang: sum(n for w, n in counts.items() if w in stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    other = min(scores.values())
    if scores[best] >= 2 and scores[best] >= 1.5 * max(other, 1):
        return best
    if re.search(r"[äöüß]", sample.lower()) and scores["de"] >= scores["en"]:
        return "de"
    if not any(ch.isalpha() for ch in sample):
        return default
    language, probability = _language_identifier().classify(sample)
    # Taken only when the model finds it likelier than all other languages together; a few words
    # ("Too expensive.") are too little for it, and the stop-word leader or the default stands.
    if probability >= 0.5:
        return str(language)
    return best if scores[best] else default


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    # Loading the model takes about a second, so it happens on the first text the stop words leave open.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
