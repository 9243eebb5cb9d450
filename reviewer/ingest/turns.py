"""Speaker turns in free text (`Rep: ...`, `[00:01:02] Tom: ...`, `**Kunde:** ...`) and their roles."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from reviewer.ingest.participants import Participant, roles_by_name
from reviewer.models import Role, Turn
from reviewer.settings import Settings
from reviewer.text import trim_span

# A label line: optional bullet/quote mark, optional timestamp, optional bold, a short label, a colon
# followed by a space or the end of the line (so `https://...` and `10:30` never start a turn).
_LABEL_LINE = re.compile(
    r"^[ \t]*(?:[-*•>][ \t]+)?"
    r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?[ \t]+)?"
    r"(?:\*\*|__)?"
    r"(?P<label>[^\W\d_][\w .'’&()/-]{0,40}?)"
    r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?=[ \t]|$)",
    re.M,
)
# A Markdown heading, a rule or a wholly italic line (`*Rep accepted the deal.*`, the writer's
# aside or a system event) ends the current turn: what follows is the writer's text again.
_BREAK = re.compile(
    r"^(?:#{1,6}[ \t]|(?:-{3,}|\*{3,}|_{3,})[ \t]*$|[ \t]*([*_])(?![*_\s])[^\n]*?[^*_\s]\1[ \t]*$)", re.M
)
_TOKEN = re.compile(r"[^\W\d_]+")
_MAX_LABEL_WORDS = 4


def _phrases(block: str) -> frozenset[str]:
    return frozenset(p.strip() for p in block.split(",") if p.strip())


# Labels that head a line of a rep's narrative note rather than name a speaker.
_HEADING_LABELS = _phrases(
    "summary, zusammenfassung, notes, note, notiz, notizen, next steps, nächste schritte, "
    "naechste schritte, pricing, price, prices, preis, preise, budget, timeline, zeitplan, decision, "
    "entscheidung, objection, objections, einwand, einwände, einwaende, pain, pains, risk, risks, "
    "risiko, risiken, competitor, competitors, competition, wettbewerb, wettbewerber, context, "
    "background, hintergrund, agenda, attendees, participants, teilnehmer, outcome, result, ergebnis, "
    "status, date, datum, subject, betreff, re, fw, fwd, todo, to do, action items, actions, aufgaben, "
    "follow up, follow-up, question, questions, frage, fragen, answer, antwort, q, a, topic, topics, "
    "thema, themen, goal, goals, ziel, ziele, feedback, comment, comments, kommentar, update, info, "
    "hinweis, tip, tipp, wichtig, important, ps, p.s, warning, achtung, stage, phase, product, "
    "produkt, products, segment, account, company, firma, contact, kontakt, owner, call, meeting, "
    "termin, location, ort, time, zeit, duration, dauer, source, quelle, link, url, email, e-mail, "
    "phone, telefon, tel, mobile, fax, address, adresse, website, requirements, anforderungen, "
    "use case, use cases, metrics, economic buyer, decision criteria, decision process, "
    "identify pain, next meeting, call summary, key takeaways, takeaways, learnings, highlights, "
    "concerns, bedenken, verdict, fazit, conclusion, details, detail, situation, challenge, "
    "challenges, herausforderung, herausforderungen, solution, lösung, loesung, benefits, nutzen, "
    "features, integration, security, sicherheit, compliance, onboarding, implementation, support, "
    "training, contract, vertrag, renewal, verlängerung, discount, rabatt, license, lizenz, users, "
    "nutzer, quote, zitat, open, offen, blocker, blockers, reminder, erinnerung, edit, example, "
    "beispiel, vorteile, nachteile, pros, cons, price point, angebot, offer, proposal, demo"
)
# Speaker labels that name nobody in particular ("Speaker 1") or a job, not a person; never redacted.
_GENERIC_WORDS = _phrases(
    "speaker, sprecher, sprecherin, participant, teilnehmer, teilnehmerin, unknown, unbekannt, "
    "person, caller, anrufer, anruferin, moderator, host, guest, gast, interviewer, interviewee, "
    "agent, herr, frau, mr, mrs, ms, dr, prof, director, manager, head, lead, chief, vp, cio, cto, "
    "ceo, cfo, coo, ciso, engineer, admin, administrator, architect, consultant, leiter, leiterin, "
    "geschäftsführer, geschäftsführerin, gf, einkäufer, einkäuferin, team, of, the, and, ops, "
    "finance, legal, security, procurement, purchasing, operations, marketing, hr, owner, partner, "
    "president, officer, analyst, specialist, coordinator, assistant, support, success, it, von, "
    "der, die, das, und, for, from, at, bei"
)


def split_turns(
    text: str,
    rep: str | None = None,
    settings: Settings | None = None,
    *,
    contact: str | None = None,
    known_roles: Mapping[str, Role] | None = None,
) -> list[Turn]:
    """Speaker turns of a transcript-like text; [] when the text has no speaker labels.

    A label line starts a turn, and the lines after it up to the next label line (or a Markdown
    heading) continue it. Labels that look like note headings (`Next steps:`, `Pricing:`) are not
    speakers; bare names count only in a real exchange (a role label present, or a name repeating).
    `known_roles` (lower-cased name -> side, from a participants list) decide those speakers first.
    """
    vocabulary = role_vocabulary(settings)
    known = known_roles or {}
    candidates: list[tuple[int, int, str]] = []
    kinds: dict[str, str | None] = {}
    for match in _LABEL_LINE.finditer(text):
        label = match["label"].strip()
        key = label.lower()
        if key not in kinds:
            decided = known.get(_speaker_key(label), "unknown")
            kinds[key] = decided if decided != "unknown" else _classify(label, rep, contact, vocabulary)
        if kinds[key] is not None:
            candidates.append((match.start(), match.end(), label))
    if not candidates:
        return []
    if not _is_exchange([kinds[label.lower()] for _, _, label in candidates], candidates):
        return []
    stops = sorted([start for start, _, _ in candidates] + [m.start() for m in _BREAK.finditer(text)])
    turns: list[Turn] = []
    labels: list[str] = []
    stop_index = 0
    for line_start, content_from, label in candidates:
        while stop_index < len(stops) and stops[stop_index] <= line_start:
            stop_index += 1
        limit = stops[stop_index] if stop_index < len(stops) else len(text)
        start, end = trim_span(text, content_from, limit)
        if start >= end:
            continue
        turns.append(Turn(speaker=label, role="unknown", text=text[start:end], start=start, end=end))
        labels.append(label)
    roles = assign_roles(labels, rep, settings, contact=contact, known_roles=known)
    for turn, role in zip(turns, roles, strict=True):
        turn.role = role
    return turns


def assign_roles(
    speakers: Sequence[str | None],
    rep: str | None = None,
    settings: Settings | None = None,
    *,
    contact: str | None = None,
    known_roles: Mapping[str, Role] | None = None,
) -> list[Role]:
    """Role of each speaker label: the side a participants list gives the name (by e-mail domain),
    role words, the rep's or contact's name, else the other side of a two-party conversation whose
    one side is known; 'unknown' otherwise."""
    vocabulary = role_vocabulary(settings)
    known = known_roles or {}
    keys = [_speaker_key(s) if s is not None else None for s in speakers]
    by_speaker: dict[str, Role] = {}
    for speaker, key in zip(speakers, keys, strict=True):
        if speaker is None or key is None:
            continue
        if key not in by_speaker and known.get(key, "unknown") != "unknown":
            by_speaker[key] = known[key]
        elif key not in by_speaker:
            kind = _classify(speaker, rep, contact, vocabulary)
            by_speaker[key] = kind if kind in ("seller", "customer") else "unknown"  # type: ignore[assignment]
    # One unknown speaker facing only one side (however many labels that side uses, e.g. "Jana
    # Weber" and "Jana") is the other side: the two-person call.
    unknown = [key for key, role in by_speaker.items() if role == "unknown"]
    sides = {role for role in by_speaker.values() if role != "unknown"}
    if len(unknown) == 1 and len(sides) == 1:
        by_speaker[unknown[0]] = "customer" if sides == {"seller"} else "seller"
    return [by_speaker[key] if key is not None else "unknown" for key in keys]


def speaker_names(label: str, settings: Settings | None = None) -> list[str]:
    """The personal name in a speaker label: `Jana Weber` -> [`Jana Weber`], `AE (Jana)` -> [`Jana`],
    `Customer` or `Speaker 1` -> []."""
    vocabulary = role_vocabulary(settings)
    kept: list[str] = []
    names: list[str] = []
    for word in re.findall(r"[^\s()\[\]]+", label):
        core = word.strip(".,;'’")
        lowered = core.lower()
        is_name = (
            len(core) >= 2
            and core[0].isupper()
            and core.replace("-", "").replace("'", "").isalpha()
            and lowered not in vocabulary.single
            and lowered not in _GENERIC_WORDS
        )
        if is_name:
            kept.append(core)
        elif kept:
            names.append(" ".join(kept))
            kept = []
    if kept:
        names.append(" ".join(kept))
    return names


class RoleVocabulary:
    """Role words from the settings, split into single words and multi-word phrases."""

    def __init__(self, seller: Sequence[str], customer: Sequence[str]) -> None:
        self.seller = frozenset(w.strip().lower() for w in seller if " " not in w.strip())
        self.customer = frozenset(w.strip().lower() for w in customer if " " not in w.strip())
        self.seller_phrases = tuple(w.strip().lower() for w in seller if " " in w.strip())
        self.customer_phrases = tuple(w.strip().lower() for w in customer if " " in w.strip())
        self.single = self.seller | self.customer


def role_vocabulary(settings: Settings | None) -> RoleVocabulary:
    if settings is None:
        return _default_vocabulary()
    return _vocabulary(tuple(settings.seller_roles), tuple(settings.customer_roles))


@lru_cache(maxsize=8)
def _vocabulary(seller: tuple[str, ...], customer: tuple[str, ...]) -> RoleVocabulary:
    return RoleVocabulary(seller, customer)


@lru_cache(maxsize=1)
def _default_vocabulary() -> RoleVocabulary:
    fields = Settings.model_fields
    seller = fields["seller_roles"].default_factory()  # type: ignore[misc,call-arg]
    customer = fields["customer_roles"].default_factory()  # type: ignore[misc,call-arg]
    return _vocabulary(tuple(seller), tuple(customer))


def _classify(label: str, rep: str | None, contact: str | None, vocabulary: RoleVocabulary) -> str | None:
    """'seller', 'customer', 'name' (a person or generic speaker) or None (not a speaker label)."""
    words = label.split()
    if len(words) > _MAX_LABEL_WORDS:
        return None
    lowered = label.lower()
    tokens = _TOKEN.findall(lowered)
    if not tokens:
        return None
    if rep and _names_person(lowered, tokens, rep):
        return "seller"
    if contact and _names_person(lowered, tokens, contact):
        return "customer"
    role = _role_from_words(tokens, vocabulary)
    if role is not None:
        return role
    if " ".join(tokens) in _HEADING_LABELS or lowered in _HEADING_LABELS:
        return None
    if tokens[0] in _GENERIC_WORDS:
        return "name"
    if all(_is_name_word(word) for word in words):
        return "name"
    return None


def _role_from_words(tokens: list[str], vocabulary: RoleVocabulary) -> str | None:
    joined = f" {' '.join(tokens)} "
    for phrase in vocabulary.seller_phrases:
        if f" {phrase} " in joined:
            return "seller"
    for phrase in vocabulary.customer_phrases:
        if f" {phrase} " in joined:
            return "customer"
    for token in tokens:
        if token in vocabulary.seller:
            return "seller"
        if token in vocabulary.customer:
            return "customer"
    return None


def _names_person(lowered: str, tokens: list[str], person: str) -> bool:
    person_lower = person.strip().lower()
    if not person_lower:
        return False
    if person_lower in lowered:
        return True
    parts = [p for p in _TOKEN.findall(person_lower) if len(p) >= 3]
    return any(part in tokens for part in parts)


_PARTICLES = frozenset({"von", "van", "de", "der", "den", "da", "di", "du", "del", "la", "le", "zu", "ten"})


def _is_name_word(word: str) -> bool:
    core = word.strip("()[].,'’")
    if not core:
        return False
    if core.lower() in _PARTICLES:
        return True
    return core[0].isupper() or core.isdigit()


def _is_exchange(kinds: list[str | None], candidates: list[tuple[int, int, str]]) -> bool:
    """Bare names are speakers only in a real exchange: next to a role label, or alternating."""
    if any(kind in ("seller", "customer") for kind in kinds):
        return True
    counts: dict[str, int] = {}
    for _, _, label in candidates:
        counts[label.lower()] = counts.get(label.lower(), 0) + 1
    return len(counts) >= 2 and max(counts.values()) >= 2


def _speaker_key(speaker: str) -> str:
    return " ".join(speaker.lower().split())


def set_turn_roles(
    turns: Sequence[Turn], known: Mapping[str, Any], participants: Sequence[Participant], settings: Settings
) -> None:
    """Give each turn its side: from the note's rep/contact fields, participants' e-mail domains and labels."""
    roles = assign_roles(
        [t.speaker for t in turns],
        known.get("rep") or None,
        settings,
        contact=known.get("contact") or None,
        known_roles=roles_by_name(participants, settings.internal_domains),
    )
    for turn, role in zip(turns, roles, strict=True):
        turn.role = role
