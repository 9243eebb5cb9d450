"""Reading call-note files: discovery, decoding, and each format reader."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from reviewer.errors import InputError
from reviewer.ingest.fields import normalise_outcome, parse_date
from reviewer.ingest.files import iter_note_files, read_text_file
from reviewer.ingest.readers import read_notes, read_notes_with_warnings
from reviewer.settings import Settings

NOTES = Path(__file__).parent / "fixtures" / "notes"


@pytest.fixture
def settings() -> Settings:
    return Settings(redact=True)


# --- discovery -----------------------------------------------------------------------------


def test_iter_note_files_walks_sorted_and_skips_hidden_temp_and_sidecars(tmp_path: Path) -> None:
    for name in [
        "b.csv", "a.md", "sub/c.vtt", "sub/c.meta.yaml", "sub/d.srt", "notes.txt", "x.jsonl",
        "y.ndjson", "z.markdown", "~$draft.csv", ".hidden.md", ".x.swp", "work.tmp", "image.png",
        ".git/config.md", "backup.md~",
    ]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_note_files([tmp_path])]
    assert found == [
        "a.md", "b.csv", "notes.txt", "sub/c.vtt", "sub/d.srt", "x.jsonl", "y.ndjson", "z.markdown",
    ]  # fmt: skip


def test_iter_note_files_keeps_explicit_files_and_drops_duplicates(tmp_path: Path) -> None:
    pdf = tmp_path / "deck.pdf"
    note = tmp_path / "n.md"
    pdf.write_bytes(b"%PDF")
    note.write_text("x", encoding="utf-8")
    assert list(iter_note_files([note, tmp_path, pdf])) == [pdf, note]


# --- decoding ------------------------------------------------------------------------------

TEXT = "Kunde: Der Preis ist zu hoch – 40.000 € für 100 Nutzer.\nRep: Verstehe."


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-be"),
        TEXT.encode("cp1252"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "cp1252", "crlf"],
)
def test_read_text_file_decodes_common_encodings(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(raw)
    assert read_text_file(path) == TEXT


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary file (contains NUL bytes)"),
        (bytes(range(1, 32)) * 20, "binary file (too many control characters)"),
    ],
    ids=["empty", "blank", "nul-bytes", "control-chars"],
)
def test_read_text_file_rejects_non_text(tmp_path: Path, raw: bytes, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(raw)
    with pytest.raises(InputError) as caught:
        read_text_file(path)
    assert caught.value.reason == reason
    assert caught.value.path == str(path)


def test_read_notes_reads_cp1252_and_utf16_csv(tmp_path: Path, settings: Settings) -> None:
    content = 'id,notes\nn1,"Kunde: Zu teuer für uns – wirklich."\n'
    for encoding in ("cp1252", "utf-16"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(content.encode(encoding))
        [note] = read_notes(path, settings)
        assert note.text == "Kunde: Zu teuer für uns – wirklich."
        assert note.language == "de"


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad/empty.txt", "empty file"),
        ("bad/broken.csv", "broken CSV near line 3: unexpected end of data"),
        (
            "bad/no_text_column.csv",
            "no text column: expected one of notes, note, body, description, comments, comment, "
            "call notes, transcript, hs call body, call body, notizen, beschreibung, text, content "
            "(found: Account, Owner, Stage)",
        ),
    ],
)
def test_bad_fixture_files_raise_input_error_with_reason(name: str, reason: str, settings: Settings) -> None:
    with pytest.raises(InputError) as caught:
        read_notes(NOTES / name, settings)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("ragged.csv", "id,notes\n1,hello,extra\n", "broken CSV: data row 1 has 3 fields, the header has 2"),
        ("header.csv", "id,notes\n", "no data rows"),
        ("blank.csv", "id,notes\n1,\n2,  \n", "no notes: every row has an empty text cell"),
        ("novtt.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n", "not a WebVTT file: the first line"),
        ("nocues.vtt", "WEBVTT\n\nNOTE just a note\n", "no cues with text in the WebVTT file"),
        ("plain.srt", "just some text\n", "not an SRT file: no numbered cues with timings"),
        ("bad.jsonl", "{oops\n[1]\n", "no usable JSON lines: line 1: invalid JSON"),
        ("frontonly.md", "---\nid: x\n---\n\n", "no note text after the front matter"),
        ("badyaml.md", "---\nid: [x\n---\nText\n", "invalid YAML front matter"),
        ("deck.pdf", "%PDF-1.4", "unsupported file type .pdf"),
    ],
)
def test_unusable_files_raise_input_error(
    tmp_path: Path, settings: Settings, name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_notes(path, settings)
    assert caught.value.reason.startswith(reason)
    assert caught.value.path == str(path)


def test_binary_file_with_note_extension_is_rejected(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb1\x9a")
    with pytest.raises(InputError, match="binary file"):
        read_notes(path, settings)


# --- CSV -----------------------------------------------------------------------------------


def test_salesforce_csv_with_multiline_cells(settings: Settings) -> None:
    notes, warnings = read_notes_with_warnings(NOTES / "salesforce_export.csv", settings)
    assert warnings == ["1 row(s) skipped: empty text cell"]
    assert [n.note_id for n in notes] == ["00T5e000001AbCd", "00T5e000001AbCe", "salesforce_export-r0004"]
    first, second, third = notes
    assert first.text == (
        "Rep: Thanks for the time, [NAME]. What does your current setup cost?\n"
        "Prospect: Around €40,000 a year for 100 users. Honestly your price is too high next to "
        "Competitor X.\n"
        "Rep: Understood. Can I send the ROI sheet to [EMAIL]?\n"
        "Prospect: Sure, or call me at [PHONE]."
    )
    assert (first.date, first.account, first.rep, first.contact, first.outcome) == (
        "2025-03-14", "Nordwind Logistik GmbH", "Jana Weber", None, "lost",
    )  # fmt: skip
    assert first.metadata == {"Subject": "Discovery call"}
    assert (first.source, first.source_path, first.language) == (
        "csv", str(NOTES / "salesforce_export.csv"), "en",
    )  # fmt: skip
    assert [(t.speaker, t.role) for t in first.turns] == [
        ("Rep", "seller"), ("Prospect", "customer"), ("Rep", "seller"), ("Prospect", "customer"),
    ]  # fmt: skip
    assert (second.date, second.outcome, second.turns) == ("2025-04-02", "open", [])
    assert second.text.startswith("[NAME] said their CISO will never approve a US cloud.")
    assert (third.rep, third.outcome, third.date) == ("Max Ortmann", "won", "2025-04-15")
    assert [(t.speaker, t.role) for t in third.turns] == [("AE ([NAME])", "seller"), ("Customer", "customer")]


def test_hubspot_csv_with_epoch_milliseconds(settings: Settings) -> None:
    first, second = read_notes(NOTES / "hubspot_calls.csv", settings)
    assert (first.note_id, first.date, first.rep, first.account, first.outcome) == (
        "51234567890", "2024-03-14", "Lena Hoffmann", "Quantum Freight", "won",
    )  # fmt: skip
    assert first.metadata == {"hs_call_title": "Kickoff"}
    assert first.text == (
        "Customer asked whether the SAP integration works out of the box. "
        "[NAME] confirmed it does, with the standard connector."
    )
    assert (second.date, second.outcome) == ("2024-04-02", "open")
    assert [(t.speaker, t.role, t.text) for t in second.turns] == [
        ("Client", "customer", "The per-seat pricing does not scale for us."),
        ("[NAME]", "seller", "We have volume tiers from 250 seats."),
    ]


def test_semicolon_csv_in_german(settings: Settings) -> None:
    won, lost = read_notes(NOTES / "semicolon_de.csv", settings)
    assert (won.note_id, won.date, won.account, won.outcome, won.segment, won.language) == (
        "DE-001", "2025-03-14", "Alpenblick AG", "won", "Mittelstand", "de",
    )  # fmt: skip
    assert [(t.speaker, t.role) for t in won.turns] == [("Kunde", "customer"), ("[NAME]", "seller")]
    assert (lost.outcome, lost.account, lost.turns) == ("lost", "Kessler & Co KG", [])
    assert "30% über dem Wettbewerb" in lost.text


def test_csv_columns_are_matched_loosely_and_tabs_sniffed(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "gong.tsv.csv"
    path.write_text(
        " Call_ID \tCall Owner\tCREATED DATE\tDeal-Stage\tLanguage\tTranscript\tTopic\n"
        "g1\tTim Otto\t2025-03-14 09:30:00\tIn Progress\tEnglish\tRep: Hi.\tPricing\n"
        "g1\tTim Otto\t2025-03-15\tNo decision\t\tRep: Hi again.\t\n",
        encoding="utf-8",
    )
    (first, second), warnings = read_notes_with_warnings(path, settings)
    assert (first.note_id, first.rep, first.date, first.outcome, first.language) == (
        "g1", "Tim Otto", "2025-03-14", "open", "en",
    )  # fmt: skip
    assert first.metadata == {"Topic": "Pricing"}
    assert (second.note_id, second.outcome) == ("g1-2", "lost")
    assert warnings == ["row 2: duplicate id 'g1', stored as 'g1-2'"]


def test_excel_sep_line_and_short_rows(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("sep=;\nNotes;Account;Extra\nPrice is too high;Acme\n", encoding="utf-8")
    [note], warnings = read_notes_with_warnings(path, settings)
    assert (note.note_id, note.account, note.text) == ("excel-r0001", "Acme", "Price is too high")
    assert warnings == ["row 1: 2 of 3 fields; the rest left empty"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Closed Won", "won"), ("won", "won"), ("gewonnen", "won"), ("Abschluss", "won"),
        ("closedwon", "won"), ("Closed Lost", "lost"), ("lost", "lost"), ("verloren", "lost"),
        ("No Decision", "lost"), ("Negotiation", "open"), ("Proposal", "open"), ("open", "open"),
        ("in progress", "open"), ("", None), ("  ", None), (None, None),
    ],
)  # fmt: skip
def test_normalise_outcome(raw: str | None, expected: str | None) -> None:
    assert normalise_outcome(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-14", "2025-03-14"), ("2025-03-14T10:00:00Z", "2025-03-14"),
        ("2025-03-14 10:00", "2025-03-14"), ("14.03.2025", "2025-03-14"), ("14.03.25", "2025-03-14"),
        ("03/14/2025", "2025-03-14"), ("14/03/2025", "2025-03-14"), ("1741946400000", "2025-03-14"),
        ("1741946400", "2025-03-14"), ("March 14, 2025", "2025-03-14"), ("14. März 2025", "2025-03-14"),
        ("2025/03/14", "2025-03-14"), ("", None), ("soon", None), ("31.02.2025", None),
    ],
)  # fmt: skip
def test_parse_date(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_unparseable_date_is_kept_in_metadata(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "d.csv"
    path.write_text("notes,date\nToo expensive.,next week\n", encoding="utf-8")
    [note] = read_notes(path, settings)
    assert (note.date, note.metadata) == (None, {"date_raw": "next week"})


# --- Markdown / text -----------------------------------------------------------------------


def test_markdown_with_front_matter(settings: Settings) -> None:
    [note] = read_notes(NOTES / "call_acme.md", settings)
    assert (note.note_id, note.date, note.account, note.rep, note.outcome) == (
        "md-0042", "2025-05-06", "Acme Robotics", "Jana Weber", "won",
    )  # fmt: skip
    assert (note.segment, note.product, note.source, note.metadata) == (
        "Mid-Market", "Insights", "markdown", {"region": "EMEA"},
    )  # fmt: skip
    assert note.text.startswith("# Call with Acme Robotics\n\n[NAME] liked the dashboards")
    assert [(t.speaker, t.role, t.text) for t in note.turns] == [
        ("[NAME]", "customer", "We tried this before and onboarding took months."),
        ("[NAME]", "seller", "We migrate your data for you, usually in 6 weeks."),
        ("[NAME]", "customer", "If that's true, we can sign in Q3."),
    ]


def test_text_note_without_front_matter(settings: Settings) -> None:
    [note] = read_notes(NOTES / "narrative.txt", settings)
    assert (note.note_id, note.source, note.turns, note.date, note.outcome) == (
        "narrative", "text", [], None, None,
    )  # fmt: skip
    assert note.text.endswith("Next steps: send the proposal by 2025-06-30.")


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_keeps_good_lines_and_reports_bad_ones(settings: Settings) -> None:
    notes, warnings = read_notes_with_warnings(NOTES / "notes.jsonl", settings)
    assert warnings == [
        "line 3: invalid JSON (Unterminated string starting at, column 23)",
        "line 4: expected a JSON object, got list",
    ]
    assert [n.note_id for n in notes] == ["j-1", "j-2", "j-4"]
    first, second, german = notes
    assert (first.outcome, first.date, first.rep) == ("lost", "2025-02-03", "Mia Klein")
    assert [(t.speaker, t.role) for t in first.turns] == [("Prospect", "customer"), ("Rep", "seller")]
    assert (second.segment, second.metadata, second.text) == (
        "SMB", {"channel": "phone"}, "Follow-up: they chose the incumbent.",
    )  # fmt: skip
    assert (german.language, german.outcome, german.source) == ("de", "open", "jsonl")


def test_jsonl_without_ids_gets_line_ids(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "calls.ndjson"
    path.write_text('{"note": "Too expensive."}\n\n{"note": "Too slow.", "contact": "Eva Lind"}\n')
    notes = read_notes(path, settings)
    assert [n.note_id for n in notes] == ["calls-l0001", "calls-l0003"]


# --- transcripts ---------------------------------------------------------------------------


def test_vtt_with_voices_and_note_metadata(settings: Settings) -> None:
    [note] = read_notes(NOTES / "demo_call.vtt", settings)
    assert (note.note_id, note.date, note.account, note.rep, note.outcome, note.segment) == (
        "vtt-7", "2025-03-20", "Polar Energy", "Jana Weber", "lost", "Enterprise",
    )  # fmt: skip
    assert note.text == (
        "[NAME]: Thanks for joining, [NAME].\n"
        "[NAME]: Our security team will never approve a US cloud. And we need SSO & audit logs.\n"
        "[NAME]: We host in Frankfurt and support SAML. Let me send you the details."
    )
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    assert all(note.text[t.start : t.end] == t.text for t in note.turns)


def test_vtt_without_redaction_keeps_speakers(settings: Settings) -> None:
    [note] = read_notes(NOTES / "demo_call.vtt", Settings(redact=False))
    assert [(t.speaker, t.role) for t in note.turns] == [
        ("Jana Weber", "seller"), ("Olaf Berg", "customer"), ("Jana Weber", "seller"),
    ]  # fmt: skip
    assert note.text.splitlines()[1] == (
        "Olaf Berg: Our security team will never approve a US cloud. And we need SSO & audit logs."
    )


def test_srt_with_sidecar_metadata(settings: Settings) -> None:
    [note] = read_notes(NOTES / "zoom_call.srt", settings)
    assert (note.note_id, note.date, note.account, note.rep, note.outcome, note.product) == (
        "srt-3", "2025-07-01", "Fjord Shipping", "Ola Nordmann", "open", "Connect",
    )  # fmt: skip
    assert note.text == (
        "Sales Rep: Welcome, and thanks for the time.\n"
        "Buyer: The integration with our ERP is the blocker. We tried two vendors already.\n"
        "Sales Rep: We have a certified connector for that."
    )
    assert [(t.speaker, t.role) for t in note.turns] == [
        ("Sales Rep", "seller"), ("Buyer", "customer"), ("Sales Rep", "seller"),
    ]  # fmt: skip
    assert note.source == "srt"


def test_srt_without_sidecar_uses_file_stem(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "call.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nJust words.\n", encoding="utf-8")
    [note] = read_notes(path, settings)
    assert (note.note_id, note.text, note.turns) == ("call", "Just words.", [])


def test_front_matter_text_key_is_metadata_and_body_is_the_note(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "n.md"
    path.write_text("---\ndescription: Pricing call\nlanguage: German\n---\nZu teuer.\n", encoding="utf-8")
    [note] = read_notes(path, settings)
    assert (note.text, note.metadata, note.language) == ("Zu teuer.", {"description": "Pricing call"}, "de")


# --- JSON arrays of note records -----------------------------------------------------------------


def test_a_json_array_of_crm_records(tmp_path: Path) -> None:
    hubspot = {
        "results": [
            {
                "id": "501",
                "properties": {
                    "hs_call_body": "<p>Rep: Hi</p><p>Prospect: Too pricey.</p>",
                    "hs_timestamp": "2024-02-01T10:00:00Z",
                },
            },
            {"id": "502", "properties": {"hs_call_title": "no body"}},
        ]
    }
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(hubspot), encoding="utf-8")
    [note], warnings = read_notes_with_warnings(path, Settings())
    assert note.note_id == "501" and note.source == "json" and note.date == "2024-02-01"
    assert note.text == "Rep: Hi\n\nProspect: Too pricey." and [t.role for t in note.turns] == ["seller", "customer"]
    assert any("record 2: no text field" in w for w in warnings)
    salesforce = [{"attributes": {"type": "Task"}, "Id": "00T9", "Description": "Customer: the rollout is slow."}]
    path.write_text(json.dumps(salesforce), encoding="utf-8")
    [note] = read_notes(path, Settings())
    assert note.note_id == "00T9" and "attributes" not in note.metadata


def test_json_that_is_neither_a_gong_page_nor_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"theme": "dark"}', encoding="utf-8")
    with pytest.raises(InputError, match="neither a Gong API page .* nor a list of note records"):
        read_notes(path, Settings())
    path.write_text('{"calls": [', encoding="utf-8")
    with pytest.raises(InputError, match="invalid or truncated JSON"):
        read_notes(path, Settings())
