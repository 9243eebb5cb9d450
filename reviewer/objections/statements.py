"""The customer statements of the stored notes, kept by mining beside the themes.

Mining extracts every note's statements to find its concerns; a review needs them again for the
notes its evidence is drawn from (the quote shown is a statement inside the passage Chroma
returned). Extracting them again costs a cold review about 5 ms a note, so mining keeps them in a
SQLite file under the themes folder, one row per note: the statements' offsets into the note text
(the texts are slices of it), the note's version, and a digest of what extraction reads (the note's
id, text and turns). A review uses a row only when the digest matches the note the store returned,
so a note changed or mined by another extraction (a new MINING_VERSION names another file) is
extracted afresh. A file that cannot be read is left alone by reviews and rebuilt by the next
mining, which says so.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from reviewer.models import CallNote
from reviewer.settings import Settings

_SCHEMA = "CREATE TABLE IF NOT EXISTS statements (note_id TEXT PRIMARY KEY, version TEXT, digest TEXT, rows TEXT)"
_LOOKUP = 500  # note ids per query
_PAGE = 2000  # notes read from the store at a time when filling the file


def statements_path(settings: Settings) -> Path:
    from reviewer.objections import MINING_VERSION

    key = hashlib.sha256(f"statements|{MINING_VERSION}".encode()).hexdigest()[:16]
    return settings.data_dir / "themes" / f"statements-{key}.sqlite3"


def note_digest(note: CallNote) -> str:
    """What extraction reads of a note, hashed: its id, its text and its turns' speakers, sides and spans."""
    turns = [[t.speaker, t.role, t.start, t.end] for t in note.turns]
    payload = json.dumps([note.note_id, note.text, turns], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _encode(note: CallNote, statements: Sequence[Any]) -> str:
    """The statements as offsets into the note's text; one that is not a slice of it is kept whole."""
    rows: list[Any] = []
    for s in statements:
        reply_at = note.text.find(s.reply, s.reply_start or 0) if s.reply is not None else -1
        if note.text[s.start : s.end] == s.text and (s.reply is None or reply_at >= 0):
            reply = [reply_at, reply_at + len(s.reply)] if s.reply is not None else None
            rows.append([s.start, s.end, s.score, s.reply_start, reply])
        else:
            rows.append(s.model_dump())
    return json.dumps(rows, ensure_ascii=False)


def _decode(note: CallNote, rows: str) -> list[Any]:
    from reviewer.models import Statement

    found = []
    for row in json.loads(rows):
        if isinstance(row, dict):
            found.append(Statement(**row))
            continue
        start, end, score, reply_start, reply = row
        found.append(
            Statement(
                note_id=note.note_id,
                text=note.text[start:end],
                start=start,
                end=end,
                score=score,
                reply=note.text[reply[0] : reply[1]] if reply is not None else None,
                reply_start=reply_start,
            )
        )
    return found


def read_statements(settings: Settings, notes: Mapping[str, CallNote]) -> dict[str, list[Any]]:
    """The kept statements of these notes, for those whose row matches the note; {} when there is no
    file or it cannot be read (the caller extracts them, as it would without the file)."""
    path = statements_path(settings)
    if not notes or not path.exists():
        return {}
    found: dict[str, list[Any]] = {}
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)) as db:
            ids = list(notes)
            for start in range(0, len(ids), _LOOKUP):
                group = ids[start : start + _LOOKUP]
                marks = ",".join("?" * len(group))
                query = f"SELECT note_id, digest, rows FROM statements WHERE note_id IN ({marks})"  # noqa: S608
                for note_id, digest, rows in db.execute(query, group):
                    note = notes[note_id]
                    if digest == note_digest(note):
                        found[note_id] = _decode(note, rows)
    except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError):  # damaged: extracted as without it
        return {}
    return found


class StatementWriter:
    """Mining's side: rows for the notes it extracted, then the rest of the corpus, pruned of removed notes."""

    def __init__(self, settings: Settings) -> None:
        self.path = statements_path(settings)
        self.db = _open_for_writing(self.path)
        try:
            self.kept = dict(self.db.execute("SELECT note_id, version FROM statements"))
        except sqlite3.Error as exc:
            self.db.close()
            self.db = _rebuilt(self.path, exc)
            self.kept = {}

    def put(
        self, notes: Iterable[CallNote], extracted: Mapping[str, Sequence[Any]], versions: Mapping[str, str]
    ) -> None:
        """Keep the statements `extracted` holds (note id -> what `extract_statements` returned)."""
        rows = []
        for note in notes:
            if note.note_id not in extracted:
                continue
            version = versions.get(note.note_id, "")
            rows.append((note.note_id, version, note_digest(note), _encode(note, extracted[note.note_id])))
            self.kept[note.note_id] = version
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO statements VALUES (?, ?, ?, ?)", rows)

    def finish(self, store: Any, versions: Mapping[str, str]) -> None:
        """Extract the notes of the corpus that have no row of their version yet; drop removed notes."""
        removed = [note_id for note_id in self.kept if note_id not in versions]
        with self.db:
            self.db.executemany("DELETE FROM statements WHERE note_id = ?", [(i,) for i in removed])
        for note_id in removed:
            del self.kept[note_id]
        missing = [note_id for note_id, version in versions.items() if self.kept.get(note_id) != version]
        if missing:
            from reviewer.objections.extract import extract_statements

            for start in range(0, len(missing), _PAGE):
                notes = list(store.get_notes(missing[start : start + _PAGE]).values())
                self.put(notes, {note.note_id: extract_statements(note) for note in notes}, versions)

    def close(self) -> None:
        self.db.close()


def _open_for_writing(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, timeout=30)
        db.execute(_SCHEMA)
        return db
    except sqlite3.Error as exc:
        return _rebuilt(path, exc)


def _rebuilt(path: Path, exc: Exception) -> sqlite3.Connection:
    """A fresh file in place of one that cannot be read, said on stderr (it is only a cache)."""
    sys.stderr.write(f"The statement cache {path} could not be read ({exc}); building it again.\n")
    for stale in (path, *(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    db = sqlite3.connect(path, timeout=30)
    db.execute(_SCHEMA)
    return db
