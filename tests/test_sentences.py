"""The one sentence splitter: abbreviations, ordinals and quotes in English and German, shared by the
draft model, the call notes' extraction and the rules engine's `sentence` scope."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reviewer.drafts import draft_from_text
from reviewer.rules import lint_text, load_rules
from reviewer.text import sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See Art. 28 GDPR. It applies.", ["See Art. 28 GDPR.", "It applies."]),
        ("Nach Art. 5 DSGVO gilt das. Das ist klar.", ["Nach Art. 5 DSGVO gilt das.", "Das ist klar."]),
        ("I love modern art. It is bold.", ["I love modern art.", "It is bold."]),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("We ship No. 5 today. Done.", ["We ship No. 5 today.", "Done."]),
        ("It starts Jan. 3, 2025. Then it ends.", ["It starts Jan. 3, 2025.", "Then it ends."]),
        ("Am 3. Jan. 2025 beginnt es. Dann endet es.", ["Am 3. Jan. 2025 beginnt es.", "Dann endet es."]),
        ("Wir starten am 5. Mai. Alle sind dabei.", ["Wir starten am 5. Mai.", "Alle sind dabei."]),
        ("Zum 1. Mal klappt es. Gut.", ["Zum 1. Mal klappt es.", "Gut."]),
        ("It costs $5. Then it costs more.", ["It costs $5.", "Then it costs more."]),
        ("Gilt ab Febr. 2025. Gut.", ["Gilt ab Febr. 2025.", "Gut."]),
        ("Wir nutzen z. B. Excel. Das reicht.", ["Wir nutzen z. B. Excel.", "Das reicht."]),
        ("Wir nutzen z.B. Excel. Das reicht.", ["Wir nutzen z.B. Excel.", "Das reicht."]),
        ("Interest is 5% p.a. and fixed.", ["Interest is 5% p.a. and fixed."]),
        ("Die Zinsen sind 5 % p.a. Das ist viel.", ["Die Zinsen sind 5 % p.a.", "Das ist viel."]),
        ("Apples, pears etc. are fine. Good.", ["Apples, pears etc. are fine.", "Good."]),
        ("Preise gem. Ziff. 3 inkl. MwSt. gelten. Gut.", ["Preise gem. Ziff. 3 inkl. MwSt. gelten.", "Gut."]),
        ("Er sagte: „Nein.“ Dann ging er.", ["Er sagte: „Nein.“", "Dann ging er."]),
        ("Sie rief »Stopp!« Dann war Ruhe.", ["Sie rief »Stopp!«", "Dann war Ruhe."]),
        ("Call Dr. Smith. He knows J. R. Jones.", ["Call Dr. Smith.", "He knows J. R. Jones."]),
        ("too expensive. we use excel", ["too expensive.", "we use excel"]),
        ("Intro:\n- one item\n- two items", ["Intro:", "- one item", "- two items"]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_the_rules_sentence_scope_cuts_a_draft_where_the_draft_model_does(tmp_path: Path) -> None:
    """A sentence-scoped rule sees the draft's own sentences, abbreviations and ordinals included."""
    style = tmp_path / "styles" / "T"
    style.mkdir(parents=True)
    rule = {"extends": "existence", "message": "Starts with '%s'.", "scope": "sentence", "raw": [r"^\w+"]}
    (style / "Start.yml").write_text(yaml.safe_dump(rule), encoding="utf-8")
    (tmp_path / ".vale.ini").write_text("StylesPath = styles\n[*]\nBasedOnStyles = T\n", encoding="utf-8")
    text = "Am 3. Jan. 2025 startet es gem. Art. 28 DSGVO. Das kostet $5. Dann mehr.\n"
    found = [f.span.text for f in lint_text(text, load_rules(tmp_path / ".vale.ini"), "md", "draft.md")]
    draft = draft_from_text(text, "draft.md")
    assert found == [s.text.split()[0] for s in draft.sentences] == ["Am", "Das", "Dann"]
