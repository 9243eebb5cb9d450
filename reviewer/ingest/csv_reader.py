"""CRM CSV exports (Salesforce, HubSpot, Gong style): one call note per row."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from reviewer.errors import InputError
from reviewer.ingest.fields import FIELD_ALIASES, build_note, map_columns, unique_id
from reviewer.ingest.html_text import plain_body
from reviewer.models import CallNote
from reviewer.settings import Settings

_DELIMITERS = (",", ";", "\t")
_EXCEL_SEPARATOR = re.compile(r"sep=(.)\s*")

# Whole transcripts in one cell easily pass the csv module's 128 KiB default field limit.
csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))


def read_csv(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """Notes from the rows of a CSV export, and warnings for the rows that were skipped."""
    first_line, _, rest = text.partition("\n")
    separator = _EXCEL_SEPARATOR.fullmatch(first_line)
    if separator:
        delimiter, text = separator.group(1), rest
    else:
        delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(path, f"broken CSV near line {reader.line_num}: {exc}") from exc
    header_index = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        raise InputError(path, "empty file")
    header = [cell.strip() for cell in rows[header_index]]
    columns = map_columns(header)
    if "text" not in columns:
        expected = ", ".join(FIELD_ALIASES["text"])
        found = ", ".join(h for h in header if h) or "none"
        raise InputError(path, f"no text column: expected one of {expected} (found: {found})")
    known_indexes = set(columns.values())
    notes: list[CallNote] = []
    warnings: list[str] = []
    seen_ids: dict[str, int] = {}
    skipped_empty = 0
    for row_number, row in enumerate(rows[header_index + 1 :], start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputError(
                path,
                f"broken CSV: data row {row_number} has {len(row)} fields, the header has {len(header)}"
                " (a stray delimiter or quote?)",
            )
        if len(row) < len(header):
            warnings.append(f"row {row_number}: {len(row)} of {len(header)} fields; the rest left empty")
            row = row + [""] * (len(header) - len(row))
        body = plain_body(row[columns["text"]], f"row {row_number}", warnings).strip()
        if not body:
            skipped_empty += 1
            continue
        known = {field: row[index].strip() for field, index in columns.items() if field != "text"}
        metadata = {
            header[i]: row[i].strip()
            for i in range(len(header))
            if i not in known_indexes and header[i] and row[i].strip()
        }
        default_id = f"{path.stem}-r{row_number:04d}"
        known["id"] = unique_id(known.get("id") or default_id, seen_ids, f"row {row_number}", warnings)
        notes.append(
            build_note(
                known=known,
                metadata=metadata,
                text=body,
                source="csv",
                path=path,
                default_id=default_id,
                settings=settings,
            )
        )
    if skipped_empty:
        warnings.append(f"{skipped_empty} row(s) skipped: empty text cell")
    if not notes:
        reason = "no notes: every row has an empty text cell" if skipped_empty else "no data rows"
        raise InputError(path, reason)
    return notes, warnings


def sniff_delimiter(header_line: str) -> str:
    """The delimiter (`,`, `;` or tab) used most often outside quotes in the header line."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","
