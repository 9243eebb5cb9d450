"""Reps' feedback: flags stored, applied to every review, imported from files, replayed by eval."""

from __future__ import annotations

from reviewer.feedback.importer import import_feedback_folder
from reviewer.feedback.models import Flag, FlagKind, ImportReport
from reviewer.feedback.store import FlagBook, open_flags

__all__ = ["Flag", "FlagBook", "FlagKind", "ImportReport", "import_feedback_folder", "open_flags"]
