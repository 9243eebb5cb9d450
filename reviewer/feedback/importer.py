"""Feedback files (CSV or JSON) dropped in a `feedback/` folder, imported once per row.

Columns or keys: kind (missed | wrong | good), text, theme_id, account, rep, draft (a path, relative
to the folder or the working directory, or a sha256), review_id, finding_id, reason, who. Each row
is keyed by a hash of its content, so importing the same file twice adds nothing. A file with any
bad row is reported and skipped as a whole (half a file imported is harder to fix than none).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.feedback.models import ImportReport
from reviewer.feedback.store import DuplicateFlag, FlagBook

COLUMNS = ("kind", "text", "theme_id", "account", "rep", "draft", "review_id", "finding_id", "reason", "who")
SUFFIXES = (".csv", ".json", ".jsonl")
_KINDS = {
    "missed": "missed",
    "miss": "missed",
    "missed objection": "missed",
    "missed_objection": "missed",
    "wrong": "wrong",
    "wrong finding": "wrong",
    "wrong_finding": "wrong",
    "good": "good",
    "good catch": "good",
    "good_catch": "good",
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _BadFile(Exception):
    pass


def import_feedback_folder(path: Path | str, book: FlagBook) -> ImportReport:
    """Import every feedback file in the folder (or the one file given); report what was skipped."""
    root = Path(path)
    report = ImportReport()
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        ignored = [
            p for p in root.iterdir() if p.is_file() and p.suffix.lower() not in SUFFIXES and not p.name.startswith(".")
        ]
        report.skipped.extend((str(p), "not a feedback file (use .csv, .json or .jsonl)") for p in sorted(ignored))
    else:
        report.skipped.append((str(root), "no such file or folder"))
        return report
    for file in files:
        try:
            rows = [_prepare(row, number, file, book) for number, row in enumerate(_read_rows(file), start=1)]
        except _BadFile as exc:
            report.skipped.append((str(file), str(exc)))
            continue
        for key, kind, fields in rows:
            try:
                _add(book, kind, fields, key)
            except DuplicateFlag:
                report.duplicates += 1
            else:
                report.imported += 1
    return report


def _read_rows(file: Path) -> list[dict[str, Any]]:
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _BadFile(f"cannot read as UTF-8 text ({exc})") from exc
    suffix = file.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise _BadFile(f"not valid CSV ({exc})") from exc
        header = {(h or "").strip().lower() for h in reader.fieldnames or []}
        if "kind" not in header:
            raise _BadFile("no 'kind' column (expected columns: " + ", ".join(COLUMNS) + ")")
        return [{(k or "").strip().lower(): v for k, v in row.items() if k is not None} for row in rows]
    try:
        if suffix == ".jsonl":
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadFile(f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(data, dict) and isinstance(data.get("flags"), list):
        data = data["flags"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _BadFile("expected a list of objects with a 'kind' key (or {\"flags\": [...]})")
    return [{str(k).strip().lower(): v for k, v in item.items()} for item in data]


def _prepare(row: dict[str, Any], number: int, file: Path, book: FlagBook) -> tuple[str, str, dict[str, Any]]:
    """(content key, kind, fields for the book) of a row; _BadFile names the row and what is wrong."""
    values = {c: _clean(row.get(c)) for c in COLUMNS}
    raw_kind = (values["kind"] or "").lower()
    kind = _KINDS.get(raw_kind)
    if kind is None:
        raise _BadFile(f"row {number}: kind must be missed, wrong or good, not {raw_kind or '(empty)'!r}")
    key = hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    fields: dict[str, Any] = {"who": values["who"], "source": "feedback"}
    draft = values["draft"]
    if draft and _SHA256.match(draft.lower()):
        fields["draft_sha256"] = draft.lower()
    elif draft:
        fields["draft_path"] = draft
        located = next((p for p in (file.parent / draft, Path(draft)) if p.is_file()), None)
        if located is not None:
            from reviewer.drafts import load_draft

            try:
                loaded = load_draft(located, book.settings)
            except InputError as exc:
                raise _BadFile(f"row {number}: draft {exc}") from exc
            fields.update(draft_sha256=loaded.sha256, draft_text=loaded.text)
    if kind == "missed":
        if not values["text"]:
            raise _BadFile(f"row {number}: a missed objection needs its text")
        fields.update(
            text=values["text"],
            theme_id=values["theme_id"],
            account=values["account"],
            rep=values["rep"],
            review_id=values["review_id"],
        )
    else:
        if not values["finding_id"]:
            raise _BadFile(f"row {number}: a {kind} flag needs finding_id")
        if not fields.get("draft_sha256"):
            raise _BadFile(f"row {number}: a {kind} flag needs the draft (an existing file or its sha256)")
        fields.update(review_id=values["review_id"] or "", finding_id=values["finding_id"])
        if kind == "wrong":
            fields["reason"] = values["reason"] or ""
    return key, kind, fields


def _add(book: FlagBook, kind: str, fields: dict[str, Any], key: str) -> None:
    if kind == "missed":
        book.add_missed(fields.pop("text"), import_key=key, **fields)
    elif kind == "wrong":
        book.add_wrong(import_key=key, **fields)
    else:
        book.add_good(import_key=key, **fields)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
