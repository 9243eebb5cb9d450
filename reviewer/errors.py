"""The small error hierarchy; the CLI and the screen turn these into user messages."""

from __future__ import annotations

from pathlib import Path


class ReviewerError(Exception):
    """Base for every error the product reports to a user instead of a traceback."""


class InputError(ReviewerError):
    """A file the user gave us cannot be used; names the file and the reason."""

    def __init__(self, path: Path | str | None, reason: str) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class ConfigError(InputError):
    """A configuration or rule file is invalid."""


class StoreError(ReviewerError):
    """The call-note store cannot be used (locked, built with another model, unreachable)."""


class LLMError(ReviewerError):
    """The configured model could not give a usable answer."""
