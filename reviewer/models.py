"""Domain types: call notes and chunks, objection themes, findings and the Review contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

Role = Literal["seller", "customer", "unknown"]
Outcome = Literal["won", "lost", "open"]
Status = Literal["addressed", "partial", "unaddressed", "contradicted"]
Severity = Literal["error", "warning", "suggestion"]


class Turn(BaseModel):
    """One speaker turn of a conversation, with offsets into the note text."""

    speaker: str | None = Field(None, description="Speaker label as written (redacted).")
    role: Role = Field("unknown", description="Seller side, customer side, or unknown.")
    text: str = Field(description="What was said in this turn.")
    start: int = Field(description="Offset of the turn text in the note text.")
    end: int = Field(description="End offset of the turn text in the note text.")


class CallNote(BaseModel):
    """A sales call note or transcript after reading, decoding and redaction."""

    note_id: str = Field(description="Stable id: the CRM id when given, else derived from the file.")
    text: str = Field(description="The note text, redacted.")
    source: str = Field(description="Reader that produced it: csv, markdown, text, jsonl, vtt, srt, feedback.")
    source_path: str = Field(description="File the note came from.")
    date: str | None = Field(None, description="ISO date of the call when known.")
    account: str | None = Field(None, description="Customer account (company) name.")
    rep: str | None = Field(None, description="Sales rep who wrote or held the call.")
    contact: str | None = Field(None, description="Customer contact name when given.")
    outcome: Outcome | None = Field(None, description="Deal outcome: won, lost or open.")
    segment: str | None = Field(None, description="Customer segment (SMB, Mid-Market, ...).")
    product: str | None = Field(None, description="Product discussed.")
    language: str = Field("en", description="ISO 639-1 code detected or given.")
    metadata: dict[str, str] = Field(default_factory=dict, description="Other columns/fields.")
    turns: list[Turn] = Field(default_factory=list, description="Speaker turns, when a transcript.")


class Statement(BaseModel):
    """One objection sentence, verbatim from its note, and the seller reply that followed it."""

    note_id: str
    text: str = Field(description="Verbatim sentence (or quoted span) of the note.")
    start: int
    end: int
    score: float
    reply: str | None = Field(None, description="The seller turn right after it, in transcripts.")
    reply_start: int | None = None


class Chunk(BaseModel):
    """A piece of a note as stored in Chroma: one speaker turn or a few sentences."""

    chunk_id: str = Field(description="Deterministic id: note id, index and content hash.")
    note_id: str
    index: int = Field(description="Position of the chunk in its note.")
    text: str
    role: Role = "unknown"
    speaker: str | None = None
    start: int = Field(description="Offset of the chunk in the note text.")
    end: int


class Quote(BaseModel):
    """A verbatim piece of a call note, with where it came from."""

    note_id: str = Field(description="Id of the note the quote is taken from.")
    quote: str = Field(description="Verbatim text of the note (redacted).")
    outcome: Outcome | None = Field(None, description="Outcome of that call's deal.")
    date: str | None = Field(None, description="Date of that call.")
    language: str | None = Field(None, description="Language of that call (ISO 639-1), as detected at ingest.")


class Theme(BaseModel):
    """An objection theme learnt from the notes (or anchored by the taxonomy)."""

    theme_id: str = Field(description="Stable id: the taxonomy id or a hash of its statements.")
    label: str = Field(description="Short human label.")
    description: str | None = Field(None, description="What the objection is about.")
    keywords: list[str] = Field(default_factory=list, description="Distinctive terms of the theme.")
    frequency: int = Field(description="Distinct notes raising it.")
    loss_rate: float | None = Field(description="Share of those notes with a lost deal; null if unknown.")
    impact: float = Field(0.0, description="Ranking score: frequency weighted by loss rate.")
    segments: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    quotes: list[Quote] = Field(default_factory=list, description="Most representative verbatim quotes.")
    answers: list[Quote] = Field(
        default_factory=list, description="Seller replies that directly followed the objection."
    )
    answer_keywords: list[str] = Field(
        default_factory=list, description="Distinctive terms of the sellers' replies to the theme."
    )
    note_ids: list[str] = Field(default_factory=list, description="Every note raising the theme.")
    discovered: bool = Field(True, description="False when named by the taxonomy.")


def themes_by_note(themes: Sequence[Theme]) -> dict[str, list[str]]:
    """Note id -> ids of the themes whose calls include it."""
    of_note: dict[str, list[str]] = {}
    for theme in themes:
        for note_id in theme.note_ids:
            of_note.setdefault(note_id, []).append(theme.theme_id)
    return of_note


class DraftInfo(BaseModel):
    path: str = Field(description="Path or name of the reviewed draft.")
    sha256: str = Field(description="SHA-256 of the draft's bytes.")
    language: str = Field(description="Detected language of the draft.")


class Span(BaseModel):
    start: int = Field(description="Character offset in the draft text.")
    end: int = Field(description="End offset (exclusive).")
    text: str = Field(description="The draft text between start and end.")


class Evidence(BaseModel):
    note_id: str = Field(description="Id of the call note quoted.")
    quote: str = Field(description="Verbatim customer words from that note.")
    outcome: Outcome | None = None
    date: str | None = None
    language: str | None = Field(None, description="Language of the quoted note, when known.")
    other_language: bool = Field(False, description="True when the quote is not in the draft's language.")


class ObjectionFinding(BaseModel):
    finding_id: str = Field("", description="Stable id of the finding within its draft.")
    theme_id: str
    label: str
    status: Status = Field(description="How the draft deals with the objection.")
    severity: Severity
    frequency: int
    loss_rate: float | None
    evidence: list[Evidence] = Field(default_factory=list)
    draft_span: Span | None = Field(None, description="Where the draft answers or contradicts it.")
    suggestion: str = Field("", description="A concrete change to the draft: copy to paste when there is some.")
    suggested_copy: str | None = Field(
        None,
        description="Text ready to paste into the draft for this objection: a model's wording, or offline "
        "the factual sentences of reps' answers in won deals; null when there is none.",
    )
    answers: list[Evidence] = Field(default_factory=list, description="What reps answered in calls, for reference.")
    rationale: str = Field("", description="Why the judge decided this status.")


class BrandFinding(BaseModel):
    finding_id: str = Field("", description="Stable id of the finding within its draft.")
    rule: str = Field(description="Rule id, Style.Rule.")
    severity: Severity
    message: str
    line: int
    col: int
    span: Span
    suggestion: str | None = None
    link: str | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class EngineInfo(BaseModel):
    model: str = Field(description="'offline' or the litellm model string used.")
    fallback: bool = Field(False, description="True when the model failed and offline judges took over.")
    notes: list[str] = Field(default_factory=list, description="Notices for the user about the engine.")


class Review(BaseModel):
    """The review of one draft: the contract other tools read (`reviewer schema`)."""

    model_config = ConfigDict(title="Review")

    schema_version: str = SCHEMA_VERSION
    review_id: str = Field("", description="Id of this review, for flags.")
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    draft: DraftInfo
    score: int = Field(ge=0, le=100, description="0-100, higher is better; see README.")
    verdict: Literal["ready", "needs work", "blocked"] = "ready"
    engine: EngineInfo
    objections: list[ObjectionFinding] = Field(default_factory=list)
    brand: list[BrandFinding] = Field(default_factory=list)
    tone: list[BrandFinding] = Field(
        default_factory=list, description="Tone and claim findings against the narrative guideline."
    )
    usage: Usage = Field(default_factory=Usage)
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per workflow step.")
