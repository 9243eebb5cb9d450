"""Personal data never survives ingestion; business numbers and the account do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewer.ingest.readers import read_notes
from reviewer.ingest.redact import redact_note, redact_text
from reviewer.ingest.turns import split_turns
from reviewer.models import CallNote
from reviewer.settings import Settings

NOTES = Path(__file__).parent / "fixtures" / "notes"

PERSONAL = {
    "emails": ["jana.weber@acme-soft.example", "t.becker+crm@nordwind.example.de", "MAX@EXAMPLE.COM"],
    "phones": [
        "+49 30 1234567", "(555) 123-4567", "030/123456", "+1-555-867-5309", "0171 2345678",
        "+44 20 7946 0958", "0049 89 12345678", "555.867.5309", "+49 (0)30 1234567", "0301234567",
    ],
    "cards": ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"],
    "ibans": ["DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32"],
}  # fmt: skip

KEPT = [
    "2025", "14.03.2025", "03/14/2025", "2025-03-14", "€40,000", "40.000 €", "$1,200,000", "30%",
    "12.5%", "v2.14.4", "Q3", "6 weeks", "100 users", "1.200.000 EUR", "2023-2025", "ISO 27001",
    "4111 1111 1111 1112", "DE89 3704 0044 0532 0130 01", "10:30", "250 seats", "3-year",
]  # fmt: skip


def _sentence_with(value: str) -> str:
    return f"Please note {value} for later."


@pytest.mark.parametrize(
    ("value", "token"),
    [(v, "[EMAIL]") for v in PERSONAL["emails"]]
    + [(v, "[PHONE]") for v in PERSONAL["phones"]]
    + [(v, "[CARD]") for v in PERSONAL["cards"]]
    + [(v, "[IBAN]") for v in PERSONAL["ibans"]],
)
def test_personal_numbers_and_emails_are_replaced(value: str, token: str) -> None:
    assert redact_text(_sentence_with(value)) == _sentence_with(token)


@pytest.mark.parametrize("value", KEPT)
def test_business_numbers_survive(value: str) -> None:
    assert redact_text(_sentence_with(value)) == _sentence_with(value)


def test_iban_followed_by_a_word_and_phone_after_label() -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00 EUR, Tel:030 1234567, mobil 0171-2345678."
    assert redact_text(text) == "IBAN [IBAN] EUR, Tel:[PHONE], mobil [PHONE]."


def test_names_and_their_parts_are_replaced_word_bounded_and_case_sensitive() -> None:
    text = "Jana Weber called. Jana said Weber's team likes it; webinar and janitor stay, as does jana."
    assert redact_text(text, ["Jana Weber"]) == (
        "[NAME] called. [NAME] said [NAME]'s team likes it; webinar and janitor stay, as does jana."
    )


def test_short_and_lowercase_name_parts_are_not_redacted_alone() -> None:
    assert redact_text("Li Wu von Berg met Li. Berg agreed.", ["Li Wu von Berg"]) == "[NAME] met Li. [NAME] agreed."


def _note(text: str, **fields: object) -> CallNote:
    settings = Settings()
    turns = split_turns(text, fields.get("rep"), settings, contact=fields.get("contact"))  # type: ignore[arg-type]
    return CallNote(note_id="n1", text=text, source="text", source_path="n1.txt", turns=turns, **fields)  # type: ignore[arg-type]


def test_redact_note_keeps_roles_offsets_rep_and_account_and_clears_contact() -> None:
    note = _note(
        "Jana Weber: Hi Tom, call me on +49 30 1234567.\n"
        "Tom Becker: Mail tom.becker@nordwind.example, please. Becker Logistik is our parent.\n"
        "Jana Weber: Done.",
        rep="Jana Weber",
        contact="Tom Becker",
        account="Becker Logistik",
        metadata={"Contact Email": "tom.becker@nordwind.example", "Contact First Name": "Tom", "Topic": "Price"},
    )
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    redacted = redact_note(note)
    assert redacted.text == (
        "[NAME]: Hi [NAME], call me on [PHONE].\n"
        "[NAME]: Mail [EMAIL], please. Becker Logistik is our parent.\n"
        "[NAME]: Done."
    )
    assert [(t.speaker, t.role) for t in redacted.turns] == [
        ("[NAME]", "seller"), ("[NAME]", "customer"), ("[NAME]", "seller"),
    ]  # fmt: skip
    for turn in redacted.turns:
        assert redacted.text[turn.start : turn.end] == turn.text
    assert (redacted.rep, redacted.contact, redacted.account) == ("Jana Weber", None, "Becker Logistik")
    assert redacted.metadata == {"Contact Email": "[EMAIL]", "Contact First Name": "[NAME]", "Topic": "Price"}


def test_speaker_label_names_are_redacted_even_when_not_rep_or_contact() -> None:
    note = _note("Rep: Hello Olaf.\nOlaf: Our CISO will never approve a US cloud.\nRep: Understood, Olaf.")
    redacted = redact_note(note)
    assert redacted.text == (
        "Rep: Hello [NAME].\n[NAME]: Our CISO will never approve a US cloud.\nRep: Understood, [NAME]."
    )
    assert [(t.speaker, t.role) for t in redacted.turns] == [
        ("Rep", "seller"), ("[NAME]", "customer"), ("Rep", "seller"),
    ]  # fmt: skip


def test_redaction_off_changes_nothing() -> None:
    [note] = read_notes(NOTES / "salesforce_export.csv", Settings(redact=False))[:1]
    assert "tom.becker@nordwind.example" in note.text
    assert "+49 40 1234567" in note.text
    assert note.contact == "Tom Becker"


def test_nothing_personal_from_the_fixtures_survives_ingestion() -> None:
    settings = Settings()
    leaks = re.compile(
        r"@|\+49|1234567|Tom|Becker|Priya|Shah|Carla|Diaz|Jana|Weber|Olaf|Lena|Hoffmann|Stefan|Roth|Max\b"
    )
    names = [
        "salesforce_export.csv", "hubspot_calls.csv", "semicolon_de.csv", "call_acme.md",
        "notes.jsonl", "demo_call.vtt", "zoom_call.srt",
    ]  # fmt: skip
    for name in names:
        for note in read_notes(NOTES / name, settings):
            texts = [note.text, *(t.speaker or "" for t in note.turns), *note.metadata.values()]
            assert not [t for t in texts if leaks.search(t)], (name, note.note_id)
            assert note.contact is None


def test_every_repetition_in_a_long_text_is_redacted() -> None:
    line = "Prospect: Call +49 30 1234567 or mail a.b@c.de about €40,000 for 100 users in 2025. Jana agreed.\n"
    text = line * 2000
    assert redact_text(text, ["Jana Weber"]).count("[PHONE]") == 2000


def test_names_typed_in_lower_or_upper_case_in_the_crm_are_still_found() -> None:
    assert redact_text("Jana Weber and Weber agreed.", ["jana weber"]) == "[NAME] and [NAME] agreed."
    assert redact_text("Tom said no.", ["TOM BECKER"]) == "[NAME] said no."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Order ID: 0258746938", "Order ID: 0258746938"),
        ("your email and order ID please\nUsername: dw952 dw@example.com 0043600739", None),
        ("Rechnung 0301234567 liegt bei", "Rechnung 0301234567 liegt bei"),
        ("order 12 shipped, call me on 0301234567", "order 12 shipped, call me on [PHONE]"),
        ("Please note 0301234567 for later.", "Please note [PHONE] for later."),
        ("Sure, 383) 555-0168 works", "Sure, [PHONE] works"),
        ("Order ID: 030 1234567", "Order ID: [PHONE]"),  # written with a gap, it is a phone's shape
    ],
)
def test_unbroken_ids_after_an_identifier_word_are_not_phones(text: str, expected: str | None) -> None:
    redacted = redact_text(text)
    if expected is None:
        assert redacted.endswith("[EMAIL] 0043600739")
    else:
        assert redacted == expected


def test_role_words_in_a_rep_or_contact_field_are_not_names() -> None:
    note = CallNote(
        note_id="n", text="Agent 003: Hi, Customer here. The Agent said Rep 10 is out.", source="csv",
        source_path="x.csv", rep="Agent 003", contact="Customer 1780",
    )  # fmt: skip
    assert redact_note(note).text == note.text
