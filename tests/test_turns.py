"""Speaker turns in free text and their seller/customer roles."""

from __future__ import annotations

import pytest

from reviewer.ingest.turns import assign_roles, speaker_names, split_turns
from reviewer.settings import Settings

SETTINGS = Settings()


def _summary(text: str, rep: str | None = None, **kwargs: object) -> list[tuple[str | None, str, str]]:
    turns = split_turns(text, rep, SETTINGS, **kwargs)  # type: ignore[arg-type]
    for turn in turns:
        assert text[turn.start : turn.end] == turn.text
    return [(t.speaker, t.role, t.text) for t in turns]


def test_role_words_timestamps_bold_and_continuation_lines() -> None:
    text = (
        "Summary first.\n\n"
        "Rep: Hi, thanks for joining.\n"
        "Prospect: The price is too high.\n"
        "  Also we need SSO.\n"
        "\n"
        "[00:01:02] Sales Rep: We can do SSO.\n"
        "**Kunde:** Und die Daten bleiben in der EU?\n"
        "- AE (Jana): Ja, in Frankfurt.\n"
    )
    assert _summary(text) == [
        ("Rep", "seller", "Hi, thanks for joining."),
        ("Prospect", "customer", "The price is too high.\n  Also we need SSO."),
        ("Sales Rep", "seller", "We can do SSO."),
        ("Kunde", "customer", "Und die Daten bleiben in der EU?"),
        ("AE (Jana)", "seller", "Ja, in Frankfurt."),
    ]


def test_rep_name_and_first_name_mark_the_seller() -> None:
    text = "Jana Weber: Hello Tom.\nTom: Hi Jana.\nJana: Shall we start?"
    assert _summary(text, "Jana Weber") == [
        ("Jana Weber", "seller", "Hello Tom."),
        ("Tom", "customer", "Hi Jana."),
        ("Jana", "seller", "Shall we start?"),
    ]


def test_contact_name_marks_the_customer() -> None:
    text = "Eva: Too expensive.\nTim: Why?\nEva: Budget."
    assert [role for _, role, _ in _summary(text, contact="Eva Lind")] == ["customer", "seller", "customer"]


def test_two_unknown_speakers_stay_unknown_and_three_speakers_are_not_inferred() -> None:
    assert [r for _, r, _ in _summary("Tom: Hi.\nAnna: Hello.\nTom: Price?")] == ["unknown"] * 3
    three = "Rep: Hi.\nTom: Price?\nAnna: And security?\nTom: Yes."
    assert [r for _, r, _ in _summary(three)] == ["seller", "unknown", "unknown", "unknown"]


def test_narrative_headings_are_not_speakers() -> None:
    text = (
        "Call with Acme.\n"
        "Next steps: send proposal.\n"
        "Pricing: they find us too expensive.\n"
        "Budget: 50k.\n"
        "Note: see https://example.com/deal for details.\n"
        "Call at 10:30 with the CFO.\n"
    )
    assert split_turns(text, "Jana Weber", SETTINGS) == []


def test_single_bare_names_do_not_make_a_conversation() -> None:
    assert split_turns("Tom: said the price is too high.\nAnna: agreed.", None, SETTINGS) == []


def test_a_markdown_heading_ends_the_turn() -> None:
    text = "Rep: Hi.\nCustomer: Too pricey.\n\n## Next steps\nSend the offer."
    assert _summary(text) == [("Rep", "seller", "Hi."), ("Customer", "customer", "Too pricey.")]


def test_label_alone_on_its_line_takes_the_next_lines() -> None:
    assert _summary("Rep:\nHello there.\nCustomer:\nHi.") == [
        ("Rep", "seller", "Hello there."),
        ("Customer", "customer", "Hi."),
    ]


def test_configurable_role_words() -> None:
    custom = Settings(seller_roles=["consultant"], customer_roles=["guest"])
    turns = split_turns("Consultant: Hi.\nGuest: Hello.", None, custom)
    assert [t.role for t in turns] == ["seller", "customer"]
    assert [t.role for t in split_turns("Rep: Hi.\nProspect: Hello.", None, custom)] == []


def test_assign_roles_for_transcript_speakers() -> None:
    assert assign_roles(["Jana Weber", "Olaf Berg", "Jana Weber", None], "Jana Weber", SETTINGS) == [
        "seller", "customer", "seller", "unknown",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "names"),
    [
        ("Jana Weber", ["Jana Weber"]),
        ("AE (Jana)", ["Jana"]),
        ("Customer", []),
        ("Speaker 1", []),
        ("Sales Rep", []),
        ("Kunde (Herr Maier)", ["Maier"]),
        ("IT Director", []),
    ],
)
def test_speaker_names(label: str, names: list[str]) -> None:
    assert speaker_names(label, SETTINGS) == names
