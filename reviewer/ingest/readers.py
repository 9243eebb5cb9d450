"""Reading one file into call notes, by extension: CSV, Markdown/TXT, JSONL, VTT, SRT."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from reviewer.errors import InputError
from reviewer.ingest.csv_reader import read_csv
from reviewer.ingest.fields import FIELD_ALIASES, build_note, map_columns, split_record, unique_id
from reviewer.ingest.files import SUPPORTED_EXTENSIONS, read_text_file
from reviewer.ingest.transcripts import read_srt, read_vtt
from reviewer.models import CallNote
from reviewer.settings import Settings
from reviewer.text import parse_yaml

Reader = Callable[[Path, str, Settings], tuple[list[CallNote], list[str]]]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MAX_WARNED_LINES = 20


def read_notes(path: Path, settings: Settings) -> list[CallNote]:
    """The redacted call notes in one file; raises InputError naming the reason it is unusable."""
    notes, _ = read_notes_with_warnings(path, settings)
    return notes


def read_notes_with_warnings(path: Path, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """The notes of one file and warnings about the parts that were skipped (bad JSONL lines,
    empty CSV rows, ...); raises InputError when nothing in the file is usable."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise InputError(path, f"unsupported file type {path.suffix or '(none)'}: expected {supported}")
    return reader(path, read_text_file(path), settings)


def read_markdown(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note per Markdown/TXT file; optional YAML front matter gives its fields."""
    record: dict[str, object] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            data = parse_yaml(match.group(1) or "")
        except yaml.YAMLError as exc:
            raise InputError(path, f"invalid YAML front matter: {_first_line(str(exc))}") from exc
        if data is not None and not isinstance(data, dict):
            raise InputError(path, "front matter must be a mapping of field: value")
        record = {str(k): v for k, v in (data or {}).items()}
        body = text[match.end() :]
    body = body.strip()
    if not body:
        raise InputError(path, "no note text after the front matter" if match else "empty file")
    known, metadata = split_record(record)
    text_field = known.pop("text", "")
    if text_field:
        # The body is the note; a `description:` or `notes:` key in the front matter is metadata.
        keys = list(record)
        metadata[keys[map_columns(keys)["text"]]] = text_field
    source = "text" if path.suffix.lower() == ".txt" else "markdown"
    note = build_note(
        known=known,
        metadata=metadata,
        text=body,
        source=source,
        path=path,
        default_id=path.stem,
        settings=settings,
    )
    return [note], []


def read_jsonl(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note per JSON object line; bad lines are reported as warnings and skipped."""
    notes: list[CallNote] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {line_number}: invalid JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {line_number}: expected a JSON object, got {type(record).__name__}")
            continue
        nested = record.get("metadata")
        if isinstance(nested, dict):
            # Fields may sit in a nested "metadata" object; top-level keys win.
            record = {**{str(k): v for k, v in nested.items()}, **record}
            del record["metadata"]
        known, metadata = split_record(record)
        body = known.pop("text", "")
        if not body:
            expected = ", ".join(FIELD_ALIASES["text"])
            problems.append(f"line {line_number}: no text field (expected one of {expected})")
            continue
        default_id = f"{path.stem}-l{line_number:04d}"
        known["id"] = unique_id(known.get("id") or default_id, seen, f"line {line_number}", problems)
        notes.append(
            build_note(
                known=known,
                metadata=metadata,
                text=body,
                source="jsonl",
                path=path,
                default_id=default_id,
                settings=settings,
            )
        )
    if not notes:
        detail = f": {problems[0]}" if problems else ""
        raise InputError(path, f"no usable JSON lines{detail}")
    warnings = problems[:_MAX_WARNED_LINES]
    if len(problems) > _MAX_WARNED_LINES:
        warnings.append(f"... and {len(problems) - _MAX_WARNED_LINES} more bad lines")
    return notes, warnings


def _first_line(message: str) -> str:
    return message.strip().split("\n", 1)[0]


_READERS: dict[str, Reader] = {
    ".csv": read_csv,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_markdown,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".vtt": read_vtt,
    ".srt": read_srt,
}
