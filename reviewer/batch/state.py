"""The manifest of finished work in the output folder: what was reviewed, with which versions, where.

An entry is written (atomically, the whole file) only after both reports are on disk, so after a
crash at any moment an entry always points at complete reports; reports without an entry are redone.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from reviewer.atomic import write_atomic

MANIFEST_NAME = ".reviewer-batch.json"
MANIFEST_VERSION = 1


class DraftResult(BaseModel):
    """What the summary shows of one reviewed draft, kept so unchanged drafts need no re-reading."""

    score: int = Field(description="0-100, higher is better.")
    verdict: str = Field(description="ready, needs work or blocked.")
    errors: int = 0
    warnings: int = 0
    suggestions: int = 0
    top_findings: list[str] = Field(default_factory=list, description="The most severe findings, one line each.")


class Entry(BaseModel):
    """One draft's last outcome: reviewed (with its reports) or failed (with the reason)."""

    path: str = Field(description="The draft's path relative to the batch folder, with '/' separators.")
    sha256: str = Field(description="SHA-256 of the draft's bytes when it was reviewed.")
    versions: dict[str, str] = Field(description="Corpus, rules and model versions the review used.")
    status: Literal["reviewed", "failed"]
    reports: dict[str, str] = Field(default_factory=dict, description="Report paths relative to OUT, by format.")
    result: DraftResult | None = None
    reason: str = Field("", description="Why the draft could not be reviewed.")
    retry: bool = Field(False, description="A failure worth retrying on the next run (not a bad file).")
    finished_at: str = ""


class Manifest:
    """`OUT/.reviewer-batch.json`: entries by draft path; thread-safe, every change saved atomically."""

    def __init__(self, out: Path) -> None:
        self.path = out / MANIFEST_NAME
        self._lock = threading.Lock()
        self.entries: dict[str, Entry] = self._load()

    def _load(self) -> dict[str, Entry]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            return {k: Entry.model_validate(v) for k, v in raw["entries"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            # Written atomically, so only a hand edit gets here: start afresh, the reports are redone.
            return {}

    def get(self, path: str) -> Entry | None:
        with self._lock:
            return self.entries.get(path)

    def put(self, entry: Entry) -> None:
        with self._lock:
            self.entries[entry.path] = entry
            self._save()

    def _save(self) -> None:
        payload = {
            "manifest_version": MANIFEST_VERSION,
            "entries": {k: v.model_dump(mode="json") for k, v in sorted(self.entries.items())},
        }
        write_atomic(self.path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def is_done(self, path: str, sha256: str, versions: dict[str, str], formats: tuple[str, ...], out: Path) -> bool:
        """True when `path` needs no new review: same bytes and versions, and complete reports
        (or a failure of the same bytes that is not worth retrying)."""
        entry = self.get(path)
        if entry is None or entry.sha256 != sha256 or entry.versions != versions:
            return False
        if entry.status == "failed":
            return not entry.retry
        return all(fmt in entry.reports and (out / entry.reports[fmt]).is_file() for fmt in formats)
