"""Recorder plain-text transcripts (Otter/Teams/Zoom style) and sides decided by e-mail domain."""

from __future__ import annotations

import json
from pathlib import Path

from reviewer.ingest.participants import Participant, decide_role, parse_participants, role_by_domain
from reviewer.ingest.readers import read_notes
from reviewer.ingest.timeline import sentence_times, time_at
from reviewer.settings import Settings

OTTER = """Jana Weber  0:03
Thanks for making the time today.
How is the pilot going?

Olaf Berg  0:12
Honestly the price is too high compared with Payzio.

Jana Weber  1:05
Let me send you our volume pricing.
"""

BRACKETS = """[00:00:03] Jana Weber:
Thanks for making the time today.
[00:00:12] Olaf Berg:
We worry that onboarding takes months.
[00:01:05] Jana Weber: We do it in two weeks.
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_otter_style_speaker_lines_with_times(tmp_path: Path) -> None:
    path = _write(tmp_path, "call.txt", "---\nrep: Jana Weber\naccount: Kunde GmbH\n---\n" + OTTER)
    [note] = read_notes(path, Settings())
    assert note.source == "recorder-txt" and note.account == "Kunde GmbH"
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    assert note.turns[0].text == "Thanks for making the time today. How is the pilot going?"
    assert "Jana" not in note.text and "Olaf" not in note.text  # names redacted, labels included
    assert [(e[2], e[3]) for e in sentence_times(note)] == [(3000, 12000), (12000, 65000), (65000, 65000)]
    assert time_at(note, note.text.index("price is too high")) == 12000


def test_bracketed_times_before_the_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "zoom.txt", BRACKETS)
    meta = {"participants": [{"name": "Jana Weber", "email": "jana@acme.example"}, "Olaf Berg <olaf@kunde.example>"]}
    (tmp_path / "zoom.meta.yaml").write_text(json.dumps(meta), encoding="utf-8")
    [note] = read_notes(path, Settings(internal_domains=["acme.example"]))
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    assert note.turns[2].text == "We do it in two weeks."
    assert "olaf@" not in note.model_dump_json() and "Olaf" not in note.model_dump_json()


def test_without_participants_or_rep_the_sides_stay_unknown(tmp_path: Path) -> None:
    [note] = read_notes(_write(tmp_path, "call.txt", OTTER), Settings())
    assert {t.role for t in note.turns} == {"unknown"}


def test_narrative_text_is_not_taken_for_a_transcript(tmp_path: Path) -> None:
    text = "Call went well.\nJana Weber  0:03\nThanks.\nOlaf Berg  0:12\nToo pricey."
    [note] = read_notes(_write(tmp_path, "notes.txt", text), Settings(redact=False))
    assert note.source == "text" and note.text == text


def test_vtt_sidecar_participants_decide_sides(tmp_path: Path) -> None:
    vtt = (
        "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Anna Sommer>Hello there.\n\n"
        "00:02.500 --> 00:05.000\n<v Tom Ried>Too expensive.\n"
    )
    path = _write(tmp_path, "call.vtt", vtt)
    meta = (
        "participants:\n  - {name: Anna Sommer, email: anna@sales.acme.example}\n"
        "  - {name: Tom Ried, email: tom@x.example}\n"
    )
    (tmp_path / "call.meta.yaml").write_text(meta, encoding="utf-8")
    [note] = read_notes(path, Settings(internal_domains=["acme.example"]))
    assert [t.role for t in note.turns] == ["seller", "customer"]


def test_jsonl_participants_decide_sides(tmp_path: Path) -> None:
    record = {
        "id": "j1",
        "text": "Anna Sommer: Hello there.\nTom Ried: The price is too high.\nAnna Sommer: Understood.",
        "participants": [
            {"name": "Anna Sommer", "email": "anna@acme.example"},
            {"name": "Tom Ried", "email": "t@x.example"},
        ],
    }
    path = _write(tmp_path, "calls.jsonl", json.dumps(record) + "\n")
    [note] = read_notes(path, Settings(internal_domains=["acme.example"]))
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    assert "Anna" not in note.text and "participants" not in note.metadata


def test_role_by_domain() -> None:
    domains = ["acme.example", "@Corvane.example"]
    assert role_by_domain("jana@acme.example", domains) == "seller"
    assert role_by_domain("jana@eu.sales.ACME.example", domains) == "seller"
    assert role_by_domain("max@corvane.example", domains) == "seller"
    assert role_by_domain("olaf@notacme.example", domains) == "customer"
    assert role_by_domain(None, domains) == "unknown"
    assert role_by_domain("jana@acme.example", []) == "unknown"
    assert decide_role(Participant(email="jana@acme.example", role="customer"), domains) == "customer"
    assert parse_participants(["Jana <jana@acme.example>", "olaf@x.example"]) == [
        Participant(name="Jana", email="jana@acme.example"),
        Participant(name=None, email="olaf@x.example"),
    ]
