"""Reps' feedback as domain types: a flag, and what an import of feedback files did."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FlagKind = Literal["missed", "wrong", "good"]
FLAG_KINDS: tuple[str, ...] = ("missed", "wrong", "good")
FLAG_NOTE_PREFIX = "flag-"


class Flag(BaseModel):
    """One piece of feedback from a rep: a missed objection, a wrong finding, or a good catch."""

    id: str = Field(description="Stable id of the flag; its evidence note id is `flag-<id>`.")
    kind: FlagKind = Field(description="missed (an objection the review ignored), wrong or good (a finding).")
    text: str | None = Field(None, description="What customers say, as the rep wrote it (redacted).")
    theme_id: str | None = Field(None, description="Objection theme the flag names or concerns.")
    account: str | None = Field(None, description="Customer account the rep heard it from.")
    rep: str | None = Field(None, description="Sales rep who heard it.")
    who: str | None = Field(None, description="Who filed the flag.")
    source: str = Field("cli", description="Where the flag came from: cli, screen, feedback (a file), ...")
    created_at: str = Field(description="ISO timestamp (UTC) when the flag was stored.")
    draft_sha256: str | None = Field(None, description="SHA-256 of the draft the flag concerns.")
    draft_path: str | None = Field(None, description="Path or name of that draft.")
    review_id: str | None = Field(None, description="Review the flag was given on.")
    finding_id: str | None = Field(None, description="Finding of that review (wrong and good flags).")
    reason: str | None = Field(None, description="Why the finding is wrong (redacted).")

    @property
    def note_id(self) -> str:
        """The id under which a missed-objection flag is cited as evidence."""
        return f"{FLAG_NOTE_PREFIX}{self.id}"


class ImportReport(BaseModel):
    """What importing a feedback folder did."""

    imported: int = Field(0, description="Flags added.")
    duplicates: int = Field(0, description="Rows already imported before (same content).")
    skipped: list[tuple[str, str]] = Field(default_factory=list, description="(file, reason) of files not imported.")
