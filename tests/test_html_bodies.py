"""HTML call bodies in CRM exports (HubSpot `hs_call_body`, Salesforce `Description`) become plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.ingest.html_text import MAX_HTML_CHARS, html_to_text, looks_like_html
from reviewer.ingest.readers import read_notes, read_notes_with_warnings
from reviewer.settings import Settings

HUBSPOT_BODY = (
    '<p style="margin:0;font-family:Arial">Rep: Thanks for the time&nbsp;today.</p>'
    "<p>Prospect: Honestly, &pound;40&#44;000 is <b>too expensive</b> compared with Payzio.<br>"
    "And our IT team needs SSO.</p><ul><li>Send pricing</li><li>Book a demo</li></ul>"
)
SALESFORCE_BODY = (
    "<div>Call with Olaf Berg (olaf@kunde.example).</div><div><br></div>"
    "<div>Prospect: &lt;script&gt;alert(1)&lt;/script&gt; is what their portal shows &amp;lt;b&amp;gt;.</div>"
    "<script>document.location='https://evil.example'</script><!-- internal: ignore -->"
    "<style>p{color:red}</style><div>Rep: We fix that in the next release.</div>"
)


def _csv(path: Path, header: str, row: list[str]) -> Path:
    quoted = ",".join('"' + cell.replace('"', '""') + '"' for cell in row)
    path.write_text(f"{header}\n{quoted}\n", encoding="utf-8")
    return path


def test_a_hubspot_row_keeps_paragraphs_turns_and_list_items(tmp_path: Path) -> None:
    path = _csv(tmp_path / "hubspot.csv", "Record ID,Call owner,hs_call_body", ["42", "Jana Weber", HUBSPOT_BODY])
    [note] = read_notes(path, Settings())
    assert note.text == (
        "Rep: Thanks for the time today.\n\n"
        "Prospect: Honestly, £40,000 is too expensive compared with Payzio.\n"
        "And our IT team needs SSO.\n\n- Send pricing\n- Book a demo"
    )
    assert [t.role for t in note.turns] == ["seller", "customer"]
    assert "needs SSO." in note.turns[1].text


def test_a_salesforce_row_drops_scripts_and_decodes_entities_once(tmp_path: Path) -> None:
    path = _csv(tmp_path / "sf.csv", "Id,Subject,Description", ["00T1", "Call", SALESFORCE_BODY])
    [note] = read_notes(path, Settings())
    assert "document.location" not in note.text and "color:red" not in note.text and "ignore" not in note.text
    # The entities become the characters they stand for, once: text, never markup.
    assert "<script>alert(1)</script> is what their portal shows &lt;b&gt;." in note.text
    assert "<div>" not in note.text and "[EMAIL]" in note.text
    assert [t.role for t in note.turns] == ["customer", "seller"]


def test_plain_text_bodies_are_left_alone(tmp_path: Path) -> None:
    text = "Prospect: 3 < 5 and 7 > 2, fine.\nRep: ok"
    path = _csv(tmp_path / "plain.csv", "id,notes", ["1", text])
    assert not looks_like_html(text)
    [note] = read_notes(path, Settings(redact=False))
    assert note.text == text


def test_a_jsonl_text_field_that_is_html(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text('{"id": "c1", "body": "<p>Rep: Hi</p><p>Customer: Too slow&hellip;</p>"}\n', encoding="utf-8")
    [note] = read_notes(path, Settings())
    assert note.text == "Rep: Hi\n\nCustomer: Too slow…"


def test_bodies_are_bounded(tmp_path: Path) -> None:
    huge = "<p>" + "word " * (MAX_HTML_CHARS // 5 + 10) + "</p>"
    text, cut = html_to_text(huge)
    assert cut and len(text) <= MAX_HTML_CHARS
    path = _csv(tmp_path / "huge.csv", "id,notes", ["1", huge])
    _, warnings = read_notes_with_warnings(path, Settings(redact=False))
    assert any("row 1: HTML body longer than" in w for w in warnings)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("a<br/>b", "a\nb"),
        ("<table><tr><td>x</td><td>y</td></tr></table>", "x y"),
        ("<pre>keep\nlines</pre>", "keep\nlines"),
        ("&amp;amp; &#x26;", "&amp; &"),
        ("<p>unclosed <b>bold", "unclosed bold"),
    ],
)
def test_html_to_text_shapes(markup: str, expected: str) -> None:
    assert html_to_text(markup)[0] == expected
