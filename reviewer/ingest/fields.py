"""Field names shared by every reader (CSV columns, front matter, JSON keys, VTT NOTE lines),
value normalisation (outcome, date, language) and the one place a raw record becomes a CallNote."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from reviewer.ingest.participants import Participant, roles_by_name
from reviewer.ingest.redact import redact_note
from reviewer.ingest.turns import speaker_names, split_turns
from reviewer.models import CallNote, Turn
from reviewer.settings import Settings
from reviewer.text import detect_language

# Field -> accepted names, in priority order (the first present wins; other matches become metadata).
# Names are compared after `normalise_key`: lower case, `_`/`-` as spaces, spaces collapsed.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "note id", "call id", "activity id", "hs object id", "record id", "external id"),
    "text": (
        "notes",
        "note",
        "body",
        "description",
        "comments",
        "comment",
        "call notes",
        "transcript",
        "hs call body",
        "call body",
        "notizen",
        "beschreibung",
        "text",
        "content",
    ),
    "date": (
        "date",
        "activitydate",
        "activity date",
        "hs timestamp",
        "created",
        "created date",
        "call date",
        "timestamp",
        "datum",
    ),
    "account": ("account", "account name", "company", "company name", "organization", "firma"),
    "rep": (
        "rep",
        "owner",
        "assigned to",
        "user",
        "hubspot owner",
        "call owner",
        "activity assigned to",
        "sales rep",
        "owner name",
    ),
    "contact": ("contact", "contact name", "contact person", "ansprechpartner", "kontakt"),
    "outcome": (
        "outcome",
        "result",
        "stage",
        "opportunity stage",
        "deal stage",
        "ergebnis",
    ),
    "segment": ("segment", "customer segment", "market segment"),
    "product": ("product", "products", "product name", "produkt"),
    "language": ("language", "lang", "sprache"),
}

_ALIAS_TO_FIELD: dict[str, str] = {alias: field for field, aliases in FIELD_ALIASES.items() for alias in aliases}
_ALIAS_RANK: dict[str, int] = {alias: rank for aliases in FIELD_ALIASES.values() for rank, alias in enumerate(aliases)}
_KEY_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_key(name: str) -> str:
    """Column or key name as compared with the aliases: `  Call_Notes ` -> `call notes`."""
    return _KEY_SEPARATORS.sub(" ", name).strip().lower()


def map_columns(names: list[str]) -> dict[str, int]:
    """Field -> index of the column that fills it, by alias priority."""
    best: dict[str, tuple[int, int]] = {}
    for index, name in enumerate(names):
        key = normalise_key(name)
        field = _ALIAS_TO_FIELD.get(key)
        if field is None:
            continue
        rank = _ALIAS_RANK[key]
        if field not in best or rank < best[field][0]:
            best[field] = (rank, index)
    return {field: index for field, (_, index) in best.items()}


def split_record(record: Mapping[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """(known fields, metadata) from a mapping with free-form keys; values become strings."""
    names = list(record)
    columns = map_columns(names)
    used = set(columns.values())
    known = {field: as_text(record[names[index]]) for field, index in columns.items()}
    metadata = {}
    for index, name in enumerate(names):
        if index in used:
            continue
        value = as_text(record[name])
        if value:
            metadata[str(name).strip()] = value
    return known, metadata


def as_text(value: object) -> str:
    """A record value as a stripped string; dates as ISO, lists and dicts as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value).strip()


_WON = re.compile(r"\b(?:closed ?won|won|gewonnen|abschluss|abgeschlossen|signed|unterschrieben)\b")
_LOST = re.compile(
    r"\b(?:closed ?lost|lost|loss|verloren|no decision|keine entscheidung|abgesagt|churned|"
    r"disqualified|disqualifiziert)\b"
)


def normalise_outcome(value: str | None) -> str | None:
    """'won', 'lost' or 'open' from CRM stage names in English or German; None when empty.

    "No decision" counts as lost: the deal did not close, which is what the loss rate measures.
    """
    if value is None:
        return None
    text = normalise_key(value)
    if not text:
        return None
    if _LOST.search(text):
        return "lost"
    if _WON.search(text):
        return "won"
    return "open"


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january", "januar", "jän", "jänner"),
            ("feb", "february", "februar"),
            ("mar", "march", "mär", "märz", "maerz"),
            ("apr", "april"),
            ("may", "mai"),
            ("jun", "june", "juni"),
            ("jul", "july", "juli"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember"),
        ],
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")
_DMY_DOTS = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?:$|\s)")
_SLASHES = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:$|\s|,)")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")
_MONTH_NAME_DAY = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_EPOCH = re.compile(r"\d{9,13}(?:\.\d+)?")


def parse_date(value: str | None) -> str | None:
    """ISO `YYYY-MM-DD` from ISO dates/datetimes, `14.03.2025`, `03/14/2025`, month names or
    epoch seconds/milliseconds; None when the value is empty or not a date we recognise.

    Slashed dates are read month-first (US CRM exports) unless the first number cannot be a month.
    """
    if not value:
        return None
    text = value.strip()
    if _EPOCH.fullmatch(text):
        seconds = float(text) / (1000 if len(text.split(".")[0]) > 11 else 1)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    match = _ISO_DATE.match(text)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]))
    match = _DMY_DOTS.match(text)
    if match:
        return _make_date(_year(match[3]), int(match[2]), int(match[1]))
    match = _SLASHES.match(text)
    if match:
        first, second, year = int(match[1]), int(match[2]), _year(match[3])
        if first > 12:
            return _make_date(year, second, first)
        return _make_date(year, first, second)
    match = _DAY_MONTH_NAME.match(text)
    if match and match[2].lower() in _MONTHS:
        return _make_date(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    match = _MONTH_NAME_DAY.match(text)
    if match and match[1].lower() in _MONTHS:
        return _make_date(int(match[3]), _MONTHS[match[1].lower()], int(match[2]))
    return None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _make_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


_LANGUAGE_NAMES = {
    "english": "en",
    "englisch": "en",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "französisch": "fr",
    "spanish": "es",
    "spanisch": "es",
    "italian": "it",
    "dutch": "nl",
}
# ISO 639-2/3 codes that recorders report (Gong's `language` is "eng", "deu", "fra", ...).
_THREE_LETTER = {
    "eng": "en",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "por": "pt",
    "pol": "pl",
    "swe": "sv",
    "dan": "da",
    "nor": "no",
    "nob": "nb",
    "fin": "fi",
    "jpn": "ja",
    "zho": "zh",
    "chi": "zh",
    "heb": "he",
    "tur": "tr",
    "rus": "ru",
}


def normalise_language(value: str | None) -> str | None:
    """ISO 639-1 code from `de`, `de-DE`, `en_US` or a language name; None when empty or unknown."""
    if not value:
        return None
    text = value.strip().lower()
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    code = re.split(r"[-_]", text, maxsplit=1)[0]
    if code in _THREE_LETTER:
        return _THREE_LETTER[code]
    return code if len(code) == 2 and code.isalpha() else None


def unique_id(note_id: str, seen: dict[str, int], where: str, warnings: list[str]) -> str:
    """The id, suffixed `-2`, `-3`, ... when it repeats in the file (later notes would overwrite
    earlier ones in the store); each rename is reported in `warnings`."""
    if note_id not in seen:
        seen[note_id] = 1
        return note_id
    seen[note_id] += 1
    unique = f"{note_id}-{seen[note_id]}"
    warnings.append(f"{where}: duplicate id {note_id!r}, stored as {unique!r}")
    return unique


def build_note(
    *,
    known: Mapping[str, str],
    metadata: dict[str, str],
    text: str,
    source: str,
    path: Path,
    default_id: str,
    settings: Settings,
    turns: list[Turn] | None = None,
    participants: Sequence[Participant] = (),
) -> CallNote:
    """A finished CallNote: fields normalised, turns and roles decided, language set, redacted.

    `turns` is given by transcript readers (VTT/SRT/Gong) that know their speakers; other text is
    split by speaker labels here, with the sides `participants` get by e-mail domain. Roles are
    decided on the raw text, before names are redacted; participants' names are redacted too.
    """
    rep = known.get("rep") or None
    contact = known.get("contact") or None
    raw_date = known.get("date") or ""
    iso_date = parse_date(raw_date)
    if raw_date and iso_date is None:
        metadata = {**metadata, "date_raw": raw_date}
    if turns is None:
        known_roles = roles_by_name(participants, settings.internal_domains)
        turns = split_turns(text, rep, settings, contact=contact, known_roles=known_roles)
    language = normalise_language(known.get("language")) or detect_language(text)
    note = CallNote(
        note_id=known.get("id") or default_id,
        text=text,
        source=source,
        source_path=str(path),
        date=iso_date,
        account=known.get("account") or None,
        rep=rep,
        contact=contact,
        outcome=normalise_outcome(known.get("outcome")),  # type: ignore[arg-type]
        segment=known.get("segment") or None,
        product=known.get("product") or None,
        language=language,
        metadata=metadata,
        turns=turns,
    )
    if not settings.redact:
        return note
    # Only the personal part of a display name: "Agent 003" or "Sales Team" name nobody.
    names = [name for p in participants if p.name for name in speaker_names(p.name, settings)]
    return redact_note(note, settings, extra_names=names)
