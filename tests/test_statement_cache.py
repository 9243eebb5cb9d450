"""The statements mining keeps for reviews: what extraction gives, never stale, rebuilt when damaged."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import reviewer.objections.extract as extract
from reviewer.graph import build_context, review_draft
from reviewer.models import CallNote
from reviewer.objections import load_snapshot, refresh_snapshot
from reviewer.objections.statements import read_statements, statements_path
from reviewer.settings import Settings
from reviewer.store import open_store
from tests.demo import CORPUS_DIR

DRAFT = CORPUS_DIR / "drafts" / "landing_page.md"


@pytest.fixture
def workspace(demo_settings: Settings, tmp_path: Path) -> Settings:
    """A mined copy of the demo data dir, which a test may damage without touching the shared one."""
    load_snapshot(demo_settings)  # mined (once per session), so the statements are kept
    data_dir = tmp_path / "copy"
    shutil.copytree(demo_settings.data_dir, data_dir)
    return demo_settings.model_copy(update={"data_dir": data_dir})


def _notes(settings: Settings) -> dict[str, CallNote]:
    return {note.note_id: note for note in open_store(settings).iter_notes()}


def _review(settings: Settings) -> dict:
    return review_draft(build_context(settings), path=DRAFT).model_dump(exclude={"timings", "created_at"})


def test_mining_keeps_every_notes_statements_as_extraction_gives_them(workspace: Settings) -> None:
    notes = _notes(workspace)
    kept = read_statements(workspace, notes)
    assert set(kept) == set(notes)
    assert all(kept[i] == extract.extract_statements(note) for i, note in notes.items())
    assert sum(len(found) for found in kept.values()) > len(notes)  # the demo's calls raise concerns
    assert any(s.reply for found in kept.values() for s in found)  # reps' replies too


def test_a_review_reads_the_kept_statements_instead_of_extracting(workspace: Settings, monkeypatch) -> None:
    expected = _review(workspace)
    extracted: list[str] = []
    original = extract.extract_statements
    monkeypatch.setattr(extract, "extract_statements", lambda note: extracted.append(note.note_id) or original(note))
    assert _review(workspace) == expected
    assert extracted == []


def test_a_changed_note_is_not_answered_from_its_old_row(workspace: Settings) -> None:
    note = next(n for n in _notes(workspace).values() if extract.extract_statements(n))
    changed = note.model_copy(update={"text": "Is it safe? " + note.text})
    assert read_statements(workspace, {note.note_id: note})
    assert read_statements(workspace, {note.note_id: changed}) == {}


def test_stale_rows_are_ignored_by_reviews_and_rewritten_by_mining(workspace: Settings, monkeypatch) -> None:
    expected = _review(workspace)
    with sqlite3.connect(statements_path(workspace)) as db:  # rows of another version of the notes
        db.execute("UPDATE statements SET version = 'old', digest = 'old', rows = '[[0, 5, 9.0, null, null]]'")
    assert read_statements(workspace, _notes(workspace)) == {}
    extracted: list[str] = []
    original = extract.extract_statements
    monkeypatch.setattr(extract, "extract_statements", lambda note: extracted.append(note.note_id) or original(note))
    assert _review(workspace) == expected  # extracted afresh
    assert extracted
    monkeypatch.undo()
    refresh_snapshot(workspace)
    notes = _notes(workspace)
    assert read_statements(workspace, notes) == {i: extract.extract_statements(n) for i, n in notes.items()}


def test_a_damaged_file_is_ignored_by_reviews_and_rebuilt_by_mining(workspace: Settings, capsys) -> None:
    expected = _review(workspace)
    path = statements_path(workspace)
    path.write_bytes(b"this is not a database " * 200)
    assert read_statements(workspace, _notes(workspace)) == {}
    assert _review(workspace) == expected
    refresh_snapshot(workspace)
    message = capsys.readouterr().err
    assert str(path) in message and "could not be read" in message and "building it again" in message
    notes = _notes(workspace)
    assert read_statements(workspace, notes) == {i: extract.extract_statements(n) for i, n in notes.items()}


def test_without_the_file_a_review_extracts_as_before(workspace: Settings) -> None:
    expected = _review(workspace)
    statements_path(workspace).unlink()
    assert read_statements(workspace, _notes(workspace)) == {}
    assert _review(workspace) == expected
