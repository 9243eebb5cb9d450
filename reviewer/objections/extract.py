"""Find the customer-side statements in a note that object, doubt, compare or ask a worried question."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from reviewer.models import CallNote, Turn
from reviewer.text import sentence_spans

# Cue lexicons, English and German. Strong cues say "this is an objection" on their own; weak cues
# (a question, a negation, money, a comparison) only count together with another cue.
_STRONG = [
    r"too (?:expensive|pricey|costly|much|high|slow|long|complex|complicated|risky|small|young|new)",
    r"over-?priced",
    r"cheaper",
    r"(?:can'?t|cannot|couldn'?t) (?:afford|justify|see|get|risk|have|do)",
    r"no budget",
    r"budget (?:is |was |has been )?(?:frozen|cut|gone|tight|spent|locked|allocated)",
    r"not in (?:the|our|this year'?s) budget",
    r"(?:next|new) (?:fiscal|financial) year",
    r"concern(?:s|ed)?",
    r"worr(?:y|ied|ies|ying)",
    r"afraid",
    r"nervous",
    r"sceptic|skeptic",
    r"doubt",
    r"not (?:convinced|sure|clear)",
    r"unclear",
    r"hesitant",
    r"risk(?:y|s)?",
    r"deal[- ]?breaker",
    r"show-?stopper",
    r"blocker",
    r"(?:won'?t|will never|would never|never) (?:approve|sign|allow|accept|agree|get)",
    r"nightmare",
    r"took (?:us |them |ages|forever|months|half a year|a year)",
    r"months to",
    r"painful",
    r"problem",
    r"issue",
    r"struggl",
    r"difficult",
    r"hard to",
    r"complicated",
    r"legit(?:imate)?",
    r"trust",
    r"lock(?:ed)?[- ]in",
    r"how (?:do|can|would|will|should) (?:i|we) (?:know|be sure|trust|justify)",
    r"what (?:happens|if)",
    r"compared (?:to|with)",
    r"\bvs\.?\b",
    r"versus",
    r"(?:already|currently) (?:use|using|have|pay)",
    r"switch(?:ing)? (?:cost|effort|over)",
    r"migrat",
    r"retrain",
    r"no (?:capacity|time|resources|one)",
    r"(?:isn'?t|aren'?t|wasn'?t|not) (?:cheap|enough|possible|allowed|compliant|certified)",
    r"(?:too|very) (?:small|young) (?:a )?(?:vendor|company|startup)",
    r"around in \w+ years",
    r"out of business",
    r"references?",
    r"lawyers?|legal (?:team|review)",
    r"security (?:team|review|will)",
    r"data (?:residency|protection|privacy)",
    r"gdpr|dsgvo",
    r"us[- ]cloud|american cloud|cloud act",
    r"(?:per|a) (?:seat|user|licen[cs]e) ",
    r"hidden (?:fees|costs)",
    r"cancel",
    # German
    r"zu (?:teuer|hoch|lang|aufwendig|aufwändig|komplex|kompliziert|riskant|klein|jung|neu)",
    r"teurer",
    r"günstiger",
    r"billiger",
    r"kein(?:en)? budget",
    r"budget (?:ist |wurde )?(?:eingefroren|gestrichen|gekürzt|erst|weg|aufgebraucht)",
    r"nächste[ns]? (?:geschäfts|haushalts)jahr",
    r"bedenken",
    r"sorge",
    r"befürcht",
    r"skeptisch",
    r"zweifel",
    r"nicht (?:sicher|überzeugt|klar|erlaubt|möglich)",
    r"unsicher",
    r"risiko",
    r"riskant",
    r"problem",
    r"schwierig",
    r"aufwendig|aufwändig",
    r"aufwand",
    r"kompliziert",
    r"(?:nie|niemals|nicht) (?:zustimmen|freigeben|genehmigen|akzeptieren|erlauben)",
    r"monate(?:lang)?",
    r"wie (?:stellen sie sicher|kann ich sicher|wissen wir)",
    r"was passiert,? wenn",
    r"vertrauen",
    r"seriös",
    r"kündig",
    r"vertragsbindung|bindung|laufzeit",
    r"abhängig",
    r"datenschutz",
    r"rechenzentrum",
    r"(?:bereits|schon|aktuell|derzeit) (?:nutzen|haben|zahlen|im einsatz)",
    r"umstellung|umstieg|migration|schulung",
    r"keine (?:kapazität|zeit|ressourcen)",
    r"im vergleich",
    r"referenz",
    r"betriebsrat",
    r"(?:pro|je) (?:nutzer|lizenz|user|platz)",
    r"versteckte kosten",
]
_WEAK = [
    r"\?",
    r"\b(?:not|no|never|n't|nicht|kein\w*|nie)\b",
    r"[€$£]|\b(?:eur|euro|usd|dollar)s?\b|\b\d+\s?k\b",
    r"\b(?:price|pricing|cost|costs|expensive|budget|preis|kosten|lizenz)\w*",
    r"\b(?:instead|rather|alternative|competitor|wettbewerb|stattdessen|lieber)\b",
    r"\b(?:but|however|although|aber|allerdings|jedoch)\b",
    r"\b(?:does|do|can|will|would|is|are|kann|können|wird|ist|gibt es)\b.*"
    r"\b(?:integrat|connect|work with|support|handle|host|store|comply|certif|anbind|schnittstelle|"
    r"unterstütz|zertifiz)\w*",
]
# Small talk and logistics are never objections, whatever cue words they contain.
_SMALL_TALK = re.compile(
    r"\b(?:weekend|weather|holiday|vacation|how are you|how'?s it going|hear me|share (?:my|your) screen|"
    r"see my screen|nice to (?:meet|see)|coffee|good morning|good afternoon|"
    r"thanks? (?:you )?for (?:your|the) time|"
    r"talk soon|have a (?:good|great|nice)|wochenende|wetter|urlaub|wie geht|bildschirm|hören sie mich|"
    r"schönen tag|guten morgen|danke für ihre zeit|bis bald|kaffee|"
    r"no (?:concerns|objections|issues|problems)|keine (?:bedenken|einwände|probleme))\b",
    re.IGNORECASE,
)
_STRONG_RE = re.compile("|".join(f"(?:{p})" for p in _STRONG), re.IGNORECASE)
_WEAK_RES = [re.compile(p, re.IGNORECASE) for p in _WEAK]
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]{12,400})[\"”“»]")
# Rep-written narrative: the sentence reports what the customer said or feels.
_REPORTED = re.compile(
    r"\b(?:customer|client|prospect|they|she|he|cfo|cto|ciso|it|procurement|buyer|team|kunde|kundin|"
    r"interessent\w*|einkauf)\b.{0,40}\b(?:said|says|asked|asks|worried|concerned|raised|pushed back|"
    r"objected|mentioned|complained|fears?|feels?|finds?|thinks?|believes?|wants? to know|sagte|fragte|"
    r"meinte|befürchtet|äußerte|bemängelt|findet|sorgt sich|hat bedenken)\b"
    r"|\b(?:objection|pushback|concern|einwand|bedenken)s?\b",
    re.IGNORECASE,
)
THRESHOLD = 2.0


class Statement(BaseModel):
    """One objection sentence, verbatim from its note, and the seller reply that followed it."""

    note_id: str
    text: str = Field(description="Verbatim sentence (or quoted span) of the note.")
    start: int
    end: int
    score: float
    reply: str | None = Field(None, description="The seller turn right after it, in transcripts.")
    reply_start: int | None = None


def objection_score(sentence: str) -> float:
    """How strongly a sentence reads as an objection, doubt, comparison or worried question."""
    if _SMALL_TALK.search(sentence) or len(sentence) < 12:
        return 0.0
    strong = len(_STRONG_RE.findall(sentence))
    weak = sum(1 for pattern in _WEAK_RES if pattern.search(sentence))
    return 2.0 * min(strong, 2) + 0.75 * min(weak, 3)


def extract_statements(note: CallNote) -> list[Statement]:
    """Candidate objection statements of a note, each with its cue score.

    Candidates are every customer-side sentence of a transcript (small talk excluded) and, in
    rep-written text, the quoted customer words and the sentences that report them. Whether a
    candidate counts is decided with the taxonomy in `themes` (a strong match) or by its cue score.
    """
    if any(t.role == "customer" or (t.role == "unknown" and t.speaker) for t in note.turns):
        # A transcript: customer turns, plus customer words a seller quotes (never the seller's own).
        # A named speaker whose side is unknown (a recorder party of no known affiliation) is
        # never read: their words may be the seller's.
        found = _from_turns(note)
        for turn in note.turns:
            if turn.role == "seller":
                found.extend(_from_narrative(note, turn.start, turn.end, reported=False))
    else:
        found = _from_narrative(note, 0, len(note.text), reported=True)
    unique = {(s.start, s.end): s for s in found}
    return sorted(unique.values(), key=lambda s: s.start)


def _from_turns(note: CallNote) -> list[Statement]:
    turns = note.turns
    found: list[Statement] = []
    for index, turn in enumerate(turns):
        if turn.role != "customer":
            continue
        reply = _next_seller_turn(turns, index)
        for start, end in sentence_spans(note.text, turn.start, turn.end):
            sentence = note.text[start:end]
            if not _is_candidate(sentence):
                continue
            found.append(
                Statement(
                    note_id=note.note_id,
                    text=sentence,
                    start=start,
                    end=end,
                    score=objection_score(sentence),
                    reply=_first_sentences(note.text, reply) if reply else None,
                    reply_start=reply.start if reply else None,
                )
            )
    return found


def _is_candidate(sentence: str) -> bool:
    return len(sentence.split()) >= 4 and not _SMALL_TALK.search(sentence)


def _next_seller_turn(turns: list[Turn], index: int) -> Turn | None:
    for turn in turns[index + 1 : index + 3]:
        if turn.role == "seller":
            return turn
        if turn.role == "customer":
            return None
    return None


def _first_sentences(text: str, turn: Turn, limit: int = 320) -> str:
    spans = sentence_spans(text, turn.start, turn.end)
    if not spans:
        return text[turn.start : turn.end]
    end = spans[0][1]
    for _, stop in spans[1:]:
        if stop - spans[0][0] > limit:
            break
        end = stop
    return text[spans[0][0] : end]


def _from_narrative(note: CallNote, begin: int, finish: int, *, reported: bool) -> list[Statement]:
    """Quoted customer words, and sentences reporting what the customer said, in rep-written text."""
    found: list[Statement] = []
    taken: list[tuple[int, int]] = []
    for match in _QUOTED.finditer(note.text, begin, finish):
        start, end = match.span(1)
        quote = note.text[start:end].strip()
        if not _is_candidate(quote):
            continue
        start = note.text.index(quote, start)
        found.append(
            Statement(
                note_id=note.note_id,
                text=quote,
                start=start,
                end=start + len(quote),
                score=objection_score(quote) + 0.5,  # quoted customer words are first-hand evidence
            )
        )
        taken.append((match.start(), match.end()))
    if not reported:
        return found
    for start, end in sentence_spans(note.text, begin, finish):
        if any(a < end and start < b for a, b in taken):
            continue
        sentence = note.text[start:end]
        if _REPORTED.search(sentence) and _is_candidate(sentence):
            found.append(
                Statement(note_id=note.note_id, text=sentence, start=start, end=end, score=objection_score(sentence))
            )
    return found
