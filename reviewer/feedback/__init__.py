"""Reps' feedback: flags stored, applied to every review, imported from files, replayed by eval."""

from __future__ import annotations

from typing import Any

from reviewer.feedback.models import Flag, FlagKind, ImportReport
from reviewer.feedback.store import FlagBook, open_flags

__all__ = ["Flag", "FlagBook", "FlagKind", "ImportReport", "import_feedback_folder", "open_flags"]


def __getattr__(name: str) -> Any:
    # The importer (and the ingest readers and redaction it uses) loads on first use, not with
    # every review, which only opens the flag book.
    if name == "import_feedback_folder":
        from reviewer.feedback.importer import import_feedback_folder

        return import_feedback_folder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
