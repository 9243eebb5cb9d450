"""Reading one file into call notes, by extension: CSV, Markdown/TXT, JSONL, VTT, SRT, Gong JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from reviewer.errors import InputError
from reviewer.ingest.csv_reader import read_csv
from reviewer.ingest.fields import FIELD_ALIASES, build_note, map_columns, split_record, unique_id
from reviewer.ingest.files import SUPPORTED_EXTENSIONS, read_text_file
from reviewer.ingest.gong import GongIndex, load_json, page_kind, read_transcript_page, scan_folder_of
from reviewer.ingest.html_text import plain_body
from reviewer.ingest.participants import parse_participants
from reviewer.ingest.recorder_txt import read_recorder_text, recorder_segments
from reviewer.ingest.transcripts import read_srt, read_vtt, sidecar_fields
from reviewer.models import CallNote
from reviewer.settings import Settings
from reviewer.text import front_matter, parse_yaml

Reader = Callable[[Path, str, Settings], tuple[list[CallNote], list[str]]]

_MAX_WARNED_LINES = 20


def read_notes(path: Path, settings: Settings) -> list[CallNote]:
    """The redacted call notes in one file; raises InputError naming the reason it is unusable."""
    notes, _ = read_notes_with_warnings(path, settings)
    return notes


def read_notes_with_warnings(
    path: Path, settings: Settings, gong_index: GongIndex | None = None
) -> tuple[list[CallNote], list[str]]:
    """The notes of one file and warnings about the parts that were skipped (bad JSONL lines,
    empty CSV rows, ...); raises InputError when nothing in the file is usable.

    A `.json` file is a Gong API page, joined to the call pages of `gong_index` (or of its folder).
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_json(path, settings, gong_index)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise InputError(path, f"unsupported file type {path.suffix or '(none)'}: expected {supported}")
    return reader(path, read_text_file(path), settings)


def read_json(path: Path, settings: Settings, gong_index: GongIndex | None = None) -> tuple[list[CallNote], list[str]]:
    """A `.json` file: a Gong transcript page (joined to the call pages of `gong_index`, or of the
    files beside it), or an array of note records as CRM APIs return them."""
    data = load_json(path)
    kind = page_kind(data)
    if kind == "transcripts":
        index = gong_index if gong_index is not None else scan_folder_of(path)
        return read_transcript_page(path, data, index, settings)
    if kind == "calls":
        raise InputError(path, "a Gong call page (metadata only): it is read with the transcript pages beside it")
    items = json_records(data)
    if items is None:
        found = ", ".join(sorted(str(k) for k in data)[:8]) if isinstance(data, dict) else type(data).__name__
        raise InputError(
            path, f"neither a Gong API page (callTranscripts, calls) nor a list of note records (found: {found})"
        )
    return read_json_records(path, items, settings)


def read_markdown(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note per Markdown/TXT file; optional YAML front matter gives its fields."""
    record: dict[str, object] = {}
    body = text
    match = front_matter(text)
    if match and match.syntax != "yaml":
        match = None  # a `+++` line opens no note's metadata: it is note text
    if match:
        try:
            data = parse_yaml(match.raw)
        except yaml.YAMLError as exc:
            raise InputError(path, f"invalid YAML front matter: {_first_line(str(exc))}") from exc
        if data is not None and not isinstance(data, dict):
            raise InputError(path, "front matter must be a mapping of field: value")
        record = {str(k): v for k, v in (data or {}).items()}
        body = text[match.end :]
    body = body.strip()
    if not body:
        raise InputError(path, "no note text after the front matter" if match else "empty file")
    segments = recorder_segments(body) if path.suffix.lower() == ".txt" else None
    if segments:
        # An Otter/Teams-style transcript: fields from front matter, else from a .meta.yaml sidecar.
        record = record or sidecar_fields(path)
        participants = record.pop("participants", None)
        known, metadata = split_record(record)
        return [read_recorder_text(path, segments, known, metadata, {"participants": participants}, settings)], []
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
    records: list[tuple[str, str, dict[str, object]]] = []
    problems: list[str] = []
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
        records.append((f"line {line_number}", f"{path.stem}-l{line_number:04d}", record))
    return _record_notes(path, records, problems, "jsonl", settings, "no usable JSON lines")


# Where API responses keep their list of records: a bare array, HubSpot's `results`, Salesforce's
# `records`, or a generic `data`/`items`; the record's fields may sit in HubSpot's `properties`.
_RECORD_LISTS = ("results", "records", "data", "items", "notes")
_NESTED_FIELDS = ("metadata", "properties", "fields")


def json_records(data: object) -> list[object] | None:
    """The list of note records in a JSON document, or None when it holds none."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _RECORD_LISTS:
            if isinstance(data.get(key), list):
                return data[key]
    return None


def read_json_records(path: Path, items: list[object], settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note per object of a JSON array (a CRM API response saved to a file)."""
    records: list[tuple[str, str, dict[str, object]]] = []
    problems: list[str] = []
    for number, record in enumerate(items, start=1):
        if isinstance(record, dict):
            records.append((f"record {number}", f"{path.stem}-r{number:04d}", record))
        else:
            problems.append(f"record {number}: expected a JSON object, got {type(record).__name__}")
    return _record_notes(path, records, problems, "json", settings, "no usable JSON records")


def _record_notes(
    path: Path,
    records: list[tuple[str, str, dict[str, object]]],
    problems: list[str],
    source: str,
    settings: Settings,
    nothing: str,
) -> tuple[list[CallNote], list[str]]:
    notes: list[CallNote] = []
    seen: dict[str, int] = {}
    for where, default_id, record in records:
        record = {k: v for k, v in record.items() if k != "attributes"}  # Salesforce's type/url block
        for nested_key in _NESTED_FIELDS:
            nested = record.get(nested_key)
            if isinstance(nested, dict):
                # Fields may sit in a nested object; top-level keys win.
                record = {**{str(k): v for k, v in nested.items()}, **record}
                del record[nested_key]
        participants = parse_participants(record.pop("participants", None))
        known, metadata = split_record(record)
        body = plain_body(known.pop("text", ""), where, problems).strip()
        if not body:
            expected = ", ".join(FIELD_ALIASES["text"])
            problems.append(f"{where}: no text field (expected one of {expected})")
            continue
        known["id"] = unique_id(known.get("id") or default_id, seen, where, problems)
        notes.append(
            build_note(
                known=known,
                metadata=metadata,
                text=body,
                source=source,
                path=path,
                default_id=default_id,
                settings=settings,
                participants=participants,
            )
        )
    if not notes:
        detail = f": {problems[0]}" if problems else ""
        raise InputError(path, f"{nothing}{detail}")
    warnings = problems[:_MAX_WARNED_LINES]
    if len(problems) > _MAX_WARNED_LINES:
        warnings.append(f"... and {len(problems) - _MAX_WARNED_LINES} more bad records")
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
