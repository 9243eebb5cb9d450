"""Shared text helpers: decoding, front matter, sentence spans, words, language detection, YAML parsing, and
the markup conventions review and lint both honour (MDX's ESM lines, Vale's comment switches)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewer.errors import InputError

# Abbreviations after which a full stop does not end a sentence (English and German). Every splitter
# in the project is `sentence_spans` below: drafts, call notes and the rules engine's sentence scope.
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs mr mrs ms dr prof inc ltd co corp jr sr st fig approx cf al u.s a.m p.m "
    "jan feb mar apr jun jul aug sep sept oct nov dec sec para p.a approx dept est "
    "z.b bzw ca usw d.h u.a ggf inkl zzgl evtl bspw vgl sog s max min ziff mio mrd jh "
    "jan febr märz okt dez gem mwst lt usf".split()
)
# Abbreviations that stand before a number ("No. 5", "Art. 28", "Abs. 2"); before anything else the
# full stop ends a sentence ("He said no. Then", "modern art. It").
_NUMBER_ABBREVIATIONS = frozenset("no nr nos art abs".split())
# Abbreviations that often close a sentence: followed by a capital, the sentence ends there.
_FINAL_ABBREVIATIONS = frozenset("etc usw usf p.a".split())
# Month names (English, German) after which a number's full stop is an ordinal: "am 3. Jan.", "5. Mai".
_MONTHS = frozenset(
    "jan january januar jän jänner feb february februar febr mar march märz apr april may mai jun june "
    "juni jul july juli aug august sep sept september oct october okt oktober nov november dec december "
    "dez dezember".split()
)
# German words before an ordinal number ("am 3.", "im 2. Jahr", "zum 1. Mal").
_ORDINAL_BEFORE = frozenset("am im zum zur vom ab bis seit der die das dem den des jeden jedem jeder".split())
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’“‘»«›‹)\]]*(?=\s+|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_NEXT_WORD = re.compile(r"\s+[\"'“‘„»«(\[]*([^\W_]+)")
_WORDS_BEFORE = re.compile(r"(?:([^\W\d_]+)\s+)?([\w.]+)\.$")
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


# Front matter: `---` (YAML, closed by `---` or `...`) or `+++` (TOML) on the first line. The first
# line inside must read as metadata (`key:`, `key =`, a comment) or close it at once; otherwise the
# `---` is a thematic break opening the document, not metadata.
_FRONT_OPEN = re.compile(r"(---|\+\+\+)[ \t]*(?:\n|\Z)")
_FRONT_FIRST = re.compile(r"[ \t]*(?:$|#|---|\.\.\.|\+\+\+|[\"']?[\w .-]+[\"']?[ \t]*[:=])", re.M)
_FRONT_CLOSE = {"---": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M), "+++": re.compile(r"^\+\+\+[ \t]*$", re.M)}


@dataclass(frozen=True)
class FrontMatter:
    """Metadata at the top of a note, draft, linted file or prompt file."""

    syntax: str  # "yaml" or "toml"
    raw: str  # the text between the fences
    end: int  # offset just past the closing fence's line: the body starts here


def front_matter(text: str) -> FrontMatter | None:
    """The front matter of a text (line ends `\\n`), or None when it has none."""
    opener = _FRONT_OPEN.match(text)
    if opener is None or not _FRONT_FIRST.match(text, opener.end()):
        return None
    closer = _FRONT_CLOSE[opener.group(1)].search(text, opener.end())
    if closer is None:
        return None
    end = min(len(text), closer.end() + 1)
    return FrontMatter("yaml" if opener.group(1) == "---" else "toml", text[opener.end() : closer.start()], end)


BINARY = "not a text file (binary content)"
# Formats that can pass for text when decoded as cp1252 (or even as ASCII, like an uncompressed PDF).
_BINARY_SIGNATURES = tuple(
    b"%PDF- PK\x03\x04 \xd0\xcf\x11\xe0 \x7fELF \x89PNG GIF87a GIF89a \xff\xd8\xff \x1f\x8b 7z\xbc\xaf Rar!".split()
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16 LE, whose BOM it starts with
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of data names, or None."""
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def decode_charset(data: bytes) -> str:
    """The one charset order for drafts, linted files and notes: a BOM's encoding (UTF-8, UTF-32,
    UTF-16), else strict UTF-8, else strict cp1252; UnicodeDecodeError when that fails.

    What counts as binary differs per caller on purpose (notes also read BOM-less UTF-16 and let
    charset-normalizer guess), so the binary checks stay with them."""
    encoding = bom_encoding(data)
    if encoding is not None:
        return data.decode(encoding)[1:]  # every BOM decodes to one U+FEFF in the encoding it names
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # strict: bytes cp1252 leaves undefined raise


def decode_text(data: bytes, path: Path | str | None) -> str:
    """Text of a draft or linted file by `decode_charset`; line ends `\\n`; binary content refused.

    `reviewer review` and `reviewer lint` both decode through here, so a file lints as it reviews.
    """
    if data.startswith(_BINARY_SIGNATURES) or (b"\x00" in data and bom_encoding(data) is None):
        raise InputError(path, BINARY)
    try:
        text = decode_charset(data)
    except UnicodeDecodeError as exc:
        raise InputError(path, BINARY) from exc
    # Text files hold next to no control characters; binaries decoded as cp1252 hold many.
    if len(_CONTROL.findall(text, 0, 100_000)) > max(1, min(len(text), 100_000) // 100):
        raise InputError(path, BINARY)
    return text.replace("\r\n", "\n").replace("\r", "\n")


# MDX: top-level `import`/`export` statements and `{/* comments */}` are code, not copy. They are
# blanked in place (newlines kept) so every offset still points into the source.
_MDX_ESM = re.compile(r"^(?:import|export)\b.*?(?=\n[ \t]*\n|\Z)", re.M | re.S)
_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)


def mask_mdx(text: str) -> str:
    """MDX source with ESM statements and JSX comments replaced by spaces (offsets unchanged)."""

    def blank(match: re.Match[str]) -> str:
        return "".join(c if c == "\n" else " " for c in match.group())

    return _MDX_COMMENT.sub(blank, _MDX_ESM.sub(blank, text))


# Vale's comment switches: <!-- vale off -->, <!-- vale on -->, <!-- vale Style.Rule = NO -->,
# <!-- vale Style = NO --> (a whole style), and YES to switch back. MDX writes them {/* vale off */}.
_VALE_COMMENT = re.compile(r"(?:<!--|\{/\*)\s*vale\s+(.*?)\s*(?:-->|\*/\})", re.S | re.I)


@dataclass(frozen=True)
class ValeSwitch:
    """One comment switch: from `offset` on, everything (name None) or one rule/style is on or off."""

    offset: int
    name: str | None
    on: bool


def vale_switches(text: str) -> list[ValeSwitch]:
    """The comment switches of a document, in order."""
    found: list[ValeSwitch] = []
    for match in _VALE_COMMENT.finditer(text):
        body = match.group(1).strip()
        if body.lower() in ("off", "on"):
            found.append(ValeSwitch(match.start(), None, body.lower() == "on"))
            continue
        for part in body.split(","):
            name, _, value = part.partition("=")
            if name.strip() and value.strip().upper() in ("YES", "NO"):
                found.append(ValeSwitch(match.start(), name.strip(), value.strip().upper() == "YES"))
    return found


def switched_off(switches: list[ValeSwitch], offset: int, rule: str) -> bool:
    """True when the comment switches before `offset` turn `rule` (Style.Rule) off there."""
    off_all = False
    state: dict[str, bool] = {}
    for switch in switches:
        if switch.offset > offset:
            break
        if switch.name is None:
            off_all = not switch.on
        else:
            state[switch.name] = switch.on
    if off_all:
        return True
    style = rule.split(".", 1)[0]
    return state.get(rule, state.get(style, True)) is False


STOPWORDS = frozenset(set().union(*_STOPWORDS.values()))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in text[start:end], trimmed of surrounding whitespace.

    A sentence ends at `.`, `!`, `?` or `…` (closing quotes and brackets included) before whitespace,
    at a blank line and before a list item; a full stop after an abbreviation, an initial or an
    ordinal number does not end one."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        stop = match.end()
        if match.group().startswith(".") and not _full_stop_ends(text, cursor, match.start(), stop, end):
            continue
        _append_trimmed(text, cursor, stop, spans)
        cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


def _full_stop_ends(text: str, cursor: int, dot: int, stop: int, end: int) -> bool:
    """Whether the full stop at `dot` ends a sentence, judged by the words either side of it."""
    # Only the words next to the full stop matter; a bounded window keeps long runs of
    # abbreviations or initials ("a. a. a. ...") linear instead of quadratic.
    before = _WORDS_BEFORE.search(text[max(cursor, dot - 64) : dot + 1])
    if not before:
        return True
    token = before.group(2).lower().rstrip(".")
    after = _NEXT_WORD.match(text[stop : min(end, stop + 64)])
    following = after.group(1) if after else ""
    if token in _NUMBER_ABBREVIATIONS:
        return not following[:1].isdigit()
    if token in _FINAL_ABBREVIATIONS:
        return following[:1].isupper()
    if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return False
    if token.isdigit():  # "5. Mai", "am 3. Jan." and "zum 1. Mal" are ordinals; "costs $5. Then" ends
        previous = (before.group(1) or "").lower()
        return not (len(token) <= 2 and (following.lower() in _MONTHS or previous in _ORDINAL_BEFORE))
    return True


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


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 error', '2 errors'; `many` for irregular plurals ('1 summary', '2 summaries')."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


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
    # Loaded on the first text the stop words leave open, unpacked once per machine (see language_model).
    from reviewer.language_model import load_identifier
    from reviewer.settings import Settings

    try:
        cache = Settings().model_cache
    except ValueError:  # a bad REVIEWER_* variable is reported by whoever reads the settings
        cache = None
    return load_identifier(cache)
