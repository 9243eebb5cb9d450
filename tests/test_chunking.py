"""Chunks follow speaker turns and sentences, index the note text, and have stable ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reviewer.ingest.chunking import chunk_note
from reviewer.ingest.readers import read_notes
from reviewer.ingest.turns import split_turns
from reviewer.models import CallNote, Chunk
from reviewer.settings import Settings

NOTES = Path(__file__).parent / "fixtures" / "notes"


def _note(text: str, note_id: str = "n1") -> CallNote:
    turns = split_turns(text, None, Settings())
    return CallNote(note_id=note_id, text=text, source="text", source_path="n.txt", turns=turns)


def _check_offsets(note: CallNote, chunks: list[Chunk]) -> None:
    for index, chunk in enumerate(chunks):
        assert note.text[chunk.start : chunk.end] == chunk.text
        assert chunk.index == index
        assert chunk.note_id == note.note_id
        digest = hashlib.sha1(chunk.text.encode()).hexdigest()[:10]
        assert chunk.chunk_id == f"{note.note_id}:{index}:{digest}"


def test_turns_are_chunks_joined_into_exchanges_up_to_the_size() -> None:
    note = _note("Intro line.\n\nRep: Hi there.\nProspect: Too expensive.\nStill too expensive.\nRep: OK.")
    whole = chunk_note(note)
    _check_offsets(note, whole)
    assert [(c.text, c.role, c.speaker) for c in whole] == [(note.text, "unknown", None)]  # mixed roles
    per_turn = chunk_note(note, max_chars=36)
    _check_offsets(note, per_turn)
    assert [(c.text, c.role, c.speaker) for c in per_turn] == [
        ("Intro line.\n\nRep: Hi there.", "unknown", None),
        ("Too expensive.\nStill too expensive.", "customer", "Prospect"),
        ("OK.", "seller", "Rep"),
    ]


def test_long_turn_is_split_at_sentences_within_max_chars() -> None:
    sentence = "Our security team will never approve a US cloud provider for this data. "
    note = _note("Rep: Hi.\nCustomer: " + sentence * 12)
    chunks = chunk_note(note, max_chars=200)
    _check_offsets(note, chunks)
    customer = [c for c in chunks if c.role == "customer"]
    assert len(customer) == 5
    assert all(len(c.text) <= 200 for c in chunks)
    assert customer[0].text == (sentence * 2).strip()


def test_narrative_note_is_packed_by_paragraphs_and_sentences() -> None:
    text = "Short first paragraph.\n\nSecond paragraph here.\n\n" + "A long sentence about pricing. " * 30
    note = _note(text)
    chunks = chunk_note(note, max_chars=100)
    _check_offsets(note, chunks)
    assert chunks[0].text == "Short first paragraph.\n\nSecond paragraph here."
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.role == "unknown" and c.speaker is None for c in chunks)
    joined = "".join(c.text for c in chunks[1:])
    assert joined.replace(" ", "") == ("A long sentence about pricing." * 30).replace(" ", "")


def test_sentence_longer_than_max_chars_is_cut_at_spaces() -> None:
    note = _note("word " * 100)
    chunks = chunk_note(note, max_chars=48)
    _check_offsets(note, chunks)
    assert [len(c.text) for c in chunks] == [44] * 11 + [4]


def test_text_after_a_heading_is_narrative_again() -> None:
    note = _note("Rep: Hi.\nCustomer: Pricey.\n\n## Next steps\nSend the offer.")
    assert [(c.text, c.role) for c in chunk_note(note, max_chars=30)] == [
        ("Hi.\nCustomer: Pricey.", "unknown"),
        ("## Next steps\nSend the offer.", "unknown"),
    ]


def test_ids_are_deterministic_and_change_with_the_text() -> None:
    first = [c.chunk_id for c in chunk_note(_note("Rep: Hi.\nCustomer: Too pricey."), max_chars=12)]
    again = [c.chunk_id for c in chunk_note(_note("Rep: Hi.\nCustomer: Too pricey."), max_chars=12)]
    changed = [c.chunk_id for c in chunk_note(_note("Rep: Hi.\nCustomer: Far too pricey."), max_chars=12)]
    assert first == again
    assert first[0] == changed[0] and first[1] != changed[1]
    assert first[0] == "n1:0:" + hashlib.sha1(b"Hi.").hexdigest()[:10]


def test_every_fixture_note_chunks_with_exact_offsets() -> None:
    settings = Settings()
    for name in ["salesforce_export.csv", "call_acme.md", "notes.jsonl", "demo_call.vtt", "zoom_call.srt"]:
        for note in read_notes(NOTES / name, settings):
            chunks = chunk_note(note)
            assert chunks, note.note_id
            _check_offsets(note, chunks)


def test_empty_note_has_no_chunks() -> None:
    assert chunk_note(_note("   \n\n ")) == []
