"""Personal-data redaction: emails, phone numbers, card numbers, IBANs and people's names.

What is redacted, and why:
- emails -> [EMAIL]; IBANs (mod-97 checked) -> [IBAN]; card numbers (13-19 digits, Luhn checked)
  -> [CARD]; phone numbers -> [PHONE]. Checksums and phone shapes keep prices, dates, years,
  percentages, version numbers and counts ("100 users", "Q3", "€40,000") intact.
- names -> [NAME]: the note's rep and contact, the personal names in speaker labels, and values of
  contact/first-name/last-name metadata; the full name and each capitalised part of 3+ letters,
  case-sensitive and word-bounded, so "Jana" is caught but "jana" in a URL slug or "will" is not.
- kept: the account (a company, which is business data the product reports on, not a person's);
  a name part inside the account name ("Weber" in "Weber Logistik") stays when it is part of it.
  The `rep` field is kept too (our own staff, needed for stats); the `contact` field is cleared.
- an unbroken run of digits with a trunk 0 ("0301234567") is a phone unless the nearest cue word
  before it names an identifier ("Order ID: 0258746938"): shop and CRM ids are written that way too
  (ABCD's order ids), while people write phones with separators or next to "phone", "tel", "call".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache

from reviewer.ingest.timeline import TIMELINE_KEY, is_timeline, remap
from reviewer.ingest.turns import speaker_names
from reviewer.models import CallNote, Turn
from reviewer.settings import Settings

EMAIL, PHONE, CARD, IBAN, NAME = "[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[NAME]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\w.,+-])[0-9](?:[ -]?[0-9]){12,18}(?![\w]|[.,][0-9])")
_PHONE = re.compile(
    r"(?<![\w@/+.,-])"
    r"(?:"
    r"(?:\+|00)[0-9]{1,3}(?:[ .-]?\(0\))?[ .-]?(?:\([0-9]{1,5}\)[ .-]?)?[0-9]+(?:[ ./-][0-9]+)*"
    r"|\([0-9]{2,5}\)[ .-]?[0-9]+(?:[ ./-][0-9]+)*"
    r"|[0-9]{3}\)[ .-]?[0-9]{3}[ .-][0-9]{4}"
    r"|[0-9]+(?:[ ./-][0-9]+)+"
    r"|0[0-9]{8,12}"
    r")"
    r"(?![\w@]|[.,/-][0-9])"
)
# Shapes of numbers that are not phones even when they have enough digits.
_DATE_LIKE = re.compile(r"[0-9]{1,2}([./-])[0-9]{1,2}\1[0-9]{2,4}|[0-9]{4}([./-])[0-9]{1,2}\2[0-9]{1,2}")
# Card numbers are written unbroken or in the issuers' groupings (4-4-4-4..., Amex 4-6-5).
_CARD_GROUPS = re.compile(r"[0-9]+|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}|[0-9]{4}([ -])[0-9]{6}\2[0-9]{4,5}")
# The last form is an area code whose opening parenthesis was dropped ("383) 555-0168").
_NORTH_AMERICAN = re.compile(
    r"[0-9]{3}([-. ])[0-9]{3}\1[0-9]{4}|[0-9]{3}-[0-9]{4}|[0-9]{3}\)[ .-]?[0-9]{3}[ .-][0-9]{4}"
)
_NON_DIGIT = re.compile(r"\D")
# Runs of digits and number punctuation: found with one fast scan, and only runs with enough
# digits for a phone (7), a card (13) or an IBAN are searched with the exact patterns.
_NUMBER_RUN = re.compile(r"[0-9][0-9 ./()\-]*")
_IBAN_MAX_CHARS = 34 + 8 + 2

_NAME_PART = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_PERSONAL_KEY = re.compile(
    r"\b(?:contact|kontakt|ansprechpartner|first name|last name|full name|vorname|nachname|"
    r"attendees?|teilnehmer)\b"
)
# Cue words before an unbroken digit run: the nearest one within _CUE_WINDOW characters decides
# whether it is an identifier (kept) or a phone (English and German, language-general words).
_ID_CUE = re.compile(
    r"\b(?:order|orders|id|ids|invoice|ticket|case|reference|ref|tracking|confirmation|booking|"
    r"reservation|sku|serial|bestellung|bestellnummer|auftrag|auftragsnummer|rechnung|rechnungsnummer|"
    r"vorgang|vorgangsnummer|referenz|sendungsnummer|kundennummer)\b",
    re.I,
)
_PHONE_CUE = re.compile(
    r"\b(?:phone|telephone|tel|call|calls|mobile|cell|fax|whatsapp|sms|text|reach|dial|telefon|handy|"
    r"mobil|anrufen|ruf|rückruf|erreichbar|durchwahl)\b",
    re.I,
)
_CUE_WINDOW = 160
_NOT_A_NAME_KEY = re.compile(r"\b(?:id|company|account|firma|date|datum|email|e mail|phone|telefon|role)\b")


def redact_text(text: str, names: Iterable[str] = ()) -> str:
    """The text with emails, IBANs, card and phone numbers, and the given names replaced."""
    return _apply(text, _edits(text, _name_pattern(_name_variants(names)), None))[0]


def redact_note(note: CallNote, settings: Settings | None = None, extra_names: Iterable[str] = ()) -> CallNote:
    """A copy of the note with text, turns, speaker labels and metadata redacted.

    Turn roles are taken over unchanged (they were decided on the raw labels), and turn offsets
    are mapped through the replacements so that `text[turn.start:turn.end] == turn.text` holds;
    so are the character offsets of a recorder timeline. `extra_names` are other people on the
    call (recorder parties, sidecar participants) whose names are redacted wherever they recur.
    """
    # A rep or contact field that names nobody ("Agent 003", "Rep 10", "Sales Team") is not
    # redacted: its words are role words that occur everywhere in the text.
    names: list[str] = [n for n in (note.rep, note.contact, *extra_names) if n and _names_someone(n, settings)]
    for speaker in {turn.speaker for turn in note.turns if turn.speaker}:
        names.extend(speaker_names(speaker, settings))
    metadata_names = {
        key: value for key, value in note.metadata.items() if _is_person_key(key) and any(ch.isalpha() for ch in value)
    }
    names.extend(metadata_names.values())
    pattern = _name_pattern(_name_variants(names))

    cleaned: dict[str, str] = {}

    def clean(piece: str) -> str:
        if piece not in cleaned:
            cleaned[piece] = _apply(piece, _edits(piece, pattern, note.account))[0]
        return cleaned[piece]

    text, moved = _apply(note.text, _edits(note.text, pattern, note.account))
    turns = []
    for turn in note.turns:
        start, end = moved(turn.start), moved(turn.end)
        label = clean(turn.speaker) if turn.speaker else turn.speaker
        turns.append(Turn(speaker=label, role=turn.role, text=text[start:end], start=start, end=end))
    metadata = {
        key: NAME
        if key in metadata_names
        else remap(value, moved)
        if key == TIMELINE_KEY and is_timeline(value)
        else clean(value)
        for key, value in note.metadata.items()
    }
    return note.model_copy(update={"text": text, "turns": turns, "metadata": metadata, "contact": None})


Edit = tuple[int, int, str]


def _edits(text: str, names: re.Pattern[str] | None, account: str | None) -> list[Edit]:
    """Non-overlapping replacements, found on the original text; earlier kinds win overlaps
    (an email's digits are never a phone number, an IBAN's never a card)."""
    found: list[Edit] = []
    if "@" in text:
        found += _email_edits(text)
    found += _number_edits(text)
    if names is not None:
        protected = _occurrences(text, account) if account and len(account) >= 3 else []
        found += [
            (start, end, NAME)
            for start, end in _name_spans(text, names)
            if not any(a <= start and end <= b for a, b in protected)
        ]
    if len(found) < 2:
        return found
    rank = {EMAIL: 0, IBAN: 1, CARD: 2, PHONE: 3, NAME: 4}
    accepted: list[Edit] = []
    for edit in sorted(found):
        if accepted and edit[0] < accepted[-1][1]:
            if rank[edit[2]] < rank[accepted[-1][2]]:
                accepted[-1] = edit
            continue
        accepted.append(edit)
    return accepted


def _email_edits(text: str) -> list[Edit]:
    """Emails around each `@` (a local part has at most 64 characters, a domain at most 255)."""
    edits: list[Edit] = []
    at = text.find("@")
    while at != -1:
        for match in _EMAIL.finditer(text, max(0, at - 65), min(len(text), at + 256)):
            if match.start() <= at < match.end() and (not edits or match.start() >= edits[-1][1]):
                edits.append((match.start(), match.end(), EMAIL))
        at = text.find("@", at + 1)
    return edits


def _number_edits(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for run in _NUMBER_RUN.finditer(text):
        start, end = run.span()
        chars = run.group()
        digits = 0 if len(chars) < 7 else len(chars) - sum(chars.count(p) for p in " ./()-")
        # An IBAN's two letters sit just before the run of its check digits.
        if start >= 2 and text[start - 2 : start].isupper() and text[start - 2 : start].isalpha():
            window_end = min(len(text), start - 2 + _IBAN_MAX_CHARS)
            edits += _checked(_IBAN, text, start - 2, window_end, _iban_end, IBAN)
        if digits >= 13:
            edits += _checked(_CARD, text, start, end + 2, _card_end, CARD)
        if digits >= 7:
            # One character back for a leading "+"; two ahead for the patterns' lookahead.
            phones = _checked(_PHONE, text, max(0, start - 1), end + 2, _phone_end, PHONE)
            edits += [e for e in phones if not _is_identifier(text, e[0], e[1])]
    return edits


def _is_identifier(text: str, start: int, end: int) -> bool:
    """An unbroken digit run whose nearest preceding cue word names an identifier, not a phone."""
    if not text[start:end].isdigit():
        return False
    window = text[max(0, start - _CUE_WINDOW) : start]
    last_id = max((m.end() for m in _ID_CUE.finditer(window)), default=-1)
    if last_id < 0:
        return False
    last_phone = max((m.end() for m in _PHONE_CUE.finditer(window)), default=-1)
    return last_id > last_phone


def _checked(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    valid_end: Callable[[str], int | None],
    token: str,
) -> list[Edit]:
    edits = []
    for match in pattern.finditer(text, start, end):
        length = valid_end(match.group())
        if length is not None:
            edits.append((match.start(), match.start() + length, token))
    return edits


def _name_spans(text: str, names: re.Pattern[str]) -> list[tuple[int, int]]:
    """Word-bounded matches; the left boundary is checked here because a leading lookbehind
    would stop the regex engine's fast literal search (5x slower)."""
    spans = []
    position = 0
    while match := names.search(text, position):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            position = start + 1
            continue
        spans.append(match.span())
        position = match.end()
    return spans


def _apply(text: str, edits: list[Edit]) -> tuple[str, Callable[[int], int]]:
    """The edited text, and a function mapping an offset of the old text into the new one
    (an offset inside a replaced span maps to the start of its replacement)."""
    if not edits:
        return text, lambda offset: offset
    pieces: list[str] = []
    starts: list[int] = []
    shifts: list[tuple[int, int, int]] = []  # (old end, new start, new end) of each replacement
    cursor = 0
    shift = 0
    for start, end, token in edits:
        pieces += [text[cursor:start], token]
        starts.append(start)
        shifts.append((end, start + shift, start + shift + len(token)))
        shift += len(token) - (end - start)
        cursor = end
    pieces.append(text[cursor:])

    def moved(offset: int) -> int:
        index = bisect_right(starts, offset) - 1
        if index < 0:
            return offset
        old_end, new_start, new_end = shifts[index]
        return new_start if offset < old_end else new_end + (offset - old_end)

    return "".join(pieces), moved


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    spans = []
    start = text.find(needle)
    while start != -1:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def _name_variants(names: Iterable[str]) -> tuple[str, ...]:
    """Full names and their capitalised parts of 3+ letters, longest first (so full names win)."""
    variants: set[str] = set()
    for name in names:
        full = " ".join(name.split())
        if not any(ch.isalpha() for ch in full) or "@" in full:
            continue
        # A CRM field typed all lower or upper case still names someone written "Jana" in the text.
        spellings = {full, full.title()} if full.islower() or full.isupper() else {full}
        for spelling in spellings:
            variants.add(spelling)
            for part in _NAME_PART.findall(spelling):
                if len(part) >= 3 and part[0].isupper():
                    variants.add(part)
    return tuple(sorted(variants, key=lambda v: (-len(v), v)))


@lru_cache(maxsize=1024)
def _name_pattern(variants: tuple[str, ...]) -> re.Pattern[str] | None:
    if not variants:
        return None
    # Parts are joined by spaces or tabs, never newlines: no replacement crosses a line, so none
    # straddles a turn boundary.
    alternatives = "|".join(r"[ \t]+".join(re.escape(p) for p in v.split()) for v in variants)
    return re.compile(rf"(?:{alternatives})(?!\w)")


def _names_someone(name: str, settings: Settings | None) -> bool:
    spelled = name.title() if name.islower() or name.isupper() else name
    return bool(speaker_names(spelled, settings))


def _is_person_key(key: str) -> bool:
    normal = re.sub(r"[\s_\-]+", " ", key).strip().lower()
    return bool(_PERSONAL_KEY.search(normal)) and not _NOT_A_NAME_KEY.search(normal)


def _iban_end(candidate: str) -> int | None:
    """Length of the valid IBAN at the start of the candidate, which may run into a following
    word ("... 00 EUR"): shorter prefixes are tried too."""
    compact_positions = [i for i, ch in enumerate(candidate) if ch != " "]
    for length in range(min(len(compact_positions), 34), 14, -1):
        end = compact_positions[length - 1] + 1
        if _iban_valid(candidate[:end].replace(" ", "")):
            return end
    return None


def _iban_valid(compact: str) -> bool:
    if not (compact[:2].isalpha() and compact[2:4].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _card_end(candidate: str) -> int | None:
    digits = _NON_DIGIT.sub("", candidate)
    if 13 <= len(digits) <= 19 and _CARD_GROUPS.fullmatch(candidate) and _luhn_valid(digits):
        return len(candidate)
    return None


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _phone_end(candidate: str) -> int | None:
    return len(candidate) if _looks_like_phone(candidate) else None


def _looks_like_phone(candidate: str) -> bool:
    digits = len(_NON_DIGIT.sub("", candidate))
    if not 7 <= digits <= 15:
        return False
    if candidate.startswith(("+", "00", "(")):
        return True
    if _DATE_LIKE.match(candidate):
        return False
    if _NORTH_AMERICAN.fullmatch(candidate):
        return True
    # National numbers start with a trunk 0 (030 ..., 0171 ...); other digit groups are amounts,
    # ids or years ("2025 100 users"), which stay.
    return candidate.startswith("0")
