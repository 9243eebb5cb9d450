"""An ingest stopped at any point is finished by the next one: same notes, chunks and a new version."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.ingest.pipeline import ingest_paths
from reviewer.settings import Settings
from reviewer.store import NoteStore, open_store
from tests.demo import CORPUS_DIR

NOTES = CORPUS_DIR / "notes" / "calls.jsonl"


def stored(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    store = open_store(settings)
    notes, chunks = store.notes.get(include=["documents"]), store.chunks.get(include=["documents"])
    return dict(zip(notes["ids"], notes["documents"])), dict(zip(chunks["ids"], chunks["documents"]))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("clean") / "data", embeddings="hash")
    ingest_paths([NOTES], settings)
    return stored(settings)


def test_a_file_cut_between_two_note_batches_is_written_again(clean, tmp_path, monkeypatch) -> None:
    settings = Settings(data_dir=tmp_path / "data", embeddings="hash")
    store = open_store(settings)
    store.max_batch = 2  # several batches per file, so a kill can fall between two of them
    real_upsert = type(store.notes).upsert
    calls = {"notes": 0}

    def dies_on_second_note_batch(collection, *args, **kwargs):  # noqa: ANN001, ANN202
        if collection.name == "call_notes":
            calls["notes"] += 1
            if calls["notes"] == 2:
                raise KeyboardInterrupt  # as abrupt as a kill: nothing after this runs
        return real_upsert(collection, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(type(store.notes), "upsert", dies_on_second_note_batch)
        with pytest.raises(KeyboardInterrupt):
            ingest_paths([NOTES], settings)
    assert 0 < len(stored(settings)[0]) < len(clean[0])
    assert store.interrupted
    again = ingest_paths([NOTES], settings)
    assert again.resumed and again.files_ingested >= 1
    assert stored(settings) == clean
    assert not store.interrupted


def test_a_kill_before_the_version_is_recorded_still_gives_a_new_version(clean, tmp_path, monkeypatch) -> None:
    settings = Settings(data_dir=tmp_path / "data", embeddings="hash")
    before = open_store(settings).corpus_version
    with monkeypatch.context() as patch:
        patch.setattr(NoteStore, "bump_version", lambda self, digest: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            ingest_paths([NOTES], settings)
    assert open_store(settings).corpus_version == before  # the notes are in, the version is not
    again = ingest_paths([NOTES], settings)
    assert again.files_ingested == 0 and again.resumed and again.changed  # so the themes are rebuilt
    assert again.corpus_version != before
    assert stored(settings) == clean
    assert ingest_paths([NOTES], settings).changed is False  # and the next run is quiet again


def test_a_skipped_file_leaves_no_mark(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embeddings="hash")
    bad = tmp_path / "notes" / "empty.md"
    bad.parent.mkdir()
    bad.write_text("", "utf-8")
    report = ingest_paths([bad.parent], settings)
    assert report.skipped and not report.changed
    assert not open_store(settings).interrupted
