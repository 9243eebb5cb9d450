"""Objection mining: extraction, themes against the demo labels, the taxonomy and the CLI."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.errors import ConfigError
from reviewer.models import CallNote, Turn
from reviewer.objections import filter_themes, load_themes
from reviewer.objections.extract import extract_statements, objection_score
from reviewer.objections.taxonomy import load_taxonomy
from reviewer.objections.themes import score_against_labels
from reviewer.settings import CORPUS_DIR

PRECISION_FLOOR = 0.70
RECALL_FLOOR = 0.50


def _note(text: str, turns: list[tuple[str, str]] | None = None, **fields: object) -> CallNote:
    built, cursor = [], 0
    for speaker, said in turns or []:
        start = text.index(said, cursor)
        built.append(
            Turn(
                speaker=speaker,
                role="seller" if speaker == "Rep" else "customer",
                text=said,
                start=start,
                end=start + len(said),
            )
        )
        cursor = start + len(said)
    return CallNote(note_id="n1", text=text, source="text", source_path="x", turns=built, **fields)


def test_customer_objections_are_found_and_seller_pitches_are_not() -> None:
    text = (
        "Rep: How was your weekend?\nProspect: Lovely weekend in the hills, thanks for asking.\n"
        "Rep: Our platform is too good to miss and we are worried you will love it.\n"
        "Prospect: Honestly, it is too expensive compared with Payzio for a team our size.\n"
        "Rep: We host in Frankfurt and are ISO 27001 certified.\n"
    )
    turns = [
        ("Rep", "How was your weekend?"),
        ("Prospect", "Lovely weekend in the hills, thanks for asking."),
        ("Rep", "Our platform is too good to miss and we are worried you will love it."),
        ("Prospect", "Honestly, it is too expensive compared with Payzio for a team our size."),
        ("Rep", "We host in Frankfurt and are ISO 27001 certified."),
    ]
    statements = extract_statements(_note(text, turns))
    strong = [s for s in statements if s.score >= 2]
    assert [s.text for s in strong] == ["Honestly, it is too expensive compared with Payzio for a team our size."]
    assert strong[0].reply == "We host in Frankfurt and are ISO 27001 certified."
    assert all("weekend" not in s.text for s in statements)


def test_german_and_narrative_objections_score() -> None:
    assert objection_score("Wir haben kein Budget bis Q3, das ist leider so.") >= 2
    assert objection_score("Unsere IT-Sicherheit wird einer US-Cloud nie zustimmen.") >= 2
    assert objection_score("Schönes Wochenende gehabt?") == 0
    note = _note('Call summary. The CFO said: "Your per-seat price is too high next to Billvo." We agreed a demo.')
    quotes = [s.text for s in extract_statements(note)]
    assert quotes == ["Your per-seat price is too high next to Billvo."]


def test_demo_themes_match_the_labels(demo_settings) -> None:
    labels = yaml.safe_load((CORPUS_DIR / "labels.yaml").read_text("utf-8"))["notes"]
    themes = load_themes(demo_settings)
    tp, fp, fn = score_against_labels(themes, labels)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"\nnote-to-theme assignment on the demo labels: precision {precision:.2f}, recall {recall:.2f} "
        f"({tp} right, {fp} wrong, {fn} missed)"
    )
    assert precision >= PRECISION_FLOOR and recall >= RECALL_FLOOR
    named = {t.theme_id for t in themes if not t.discovered}
    assert {"price", "security", "erp_integration", "implementation_time"} <= named
    assert any(t.discovered for t in themes), "statements outside the taxonomy should form a discovered theme"


def test_every_quote_is_verbatim_from_its_note(demo_settings) -> None:
    from reviewer.store import open_store

    themes = load_themes(demo_settings)
    notes = open_store(demo_settings).get_notes([q.note_id for t in themes for q in [*t.quotes, *t.answers]])
    for theme in themes:
        assert theme.quotes and theme.frequency >= 2
        assert theme.loss_rate is None or 0 <= theme.loss_rate <= 1
        for quote in [*theme.quotes, *theme.answers]:
            assert quote.quote in notes[quote.note_id].text


def test_themes_are_read_back_without_recomputing(demo_settings, monkeypatch) -> None:
    load_themes(demo_settings)
    monkeypatch.setattr("reviewer.objections.refresh_themes", lambda *a, **k: pytest.fail("recomputed"))
    assert load_themes(demo_settings)


def test_filter_by_segment_and_top(demo_settings) -> None:
    themes = load_themes(demo_settings)
    enterprise = filter_themes(themes, segment="enterprise", top=3)
    assert len(enterprise) <= 3
    assert all("enterprise" in {s.lower() for s in t.segments} for t in enterprise)
    assert [t.impact for t in enterprise] == sorted((t.impact for t in enterprise), reverse=True)


def test_objections_cli_json(demo_settings) -> None:
    result = CliRunner().invoke(
        app,
        ["objections", "--data-dir", str(demo_settings.data_dir), "--format", "json", "--top", "5"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload) == 5
    assert {"theme_id", "label", "frequency", "loss_rate", "quotes", "answers"} <= set(payload[0])
    assert {"note_id", "quote", "outcome", "date", "language"} == set(payload[0]["quotes"][0])


def test_objections_cli_table_on_empty_store(tmp_path) -> None:
    result = CliRunner().invoke(app, ["objections", "--data-dir", str(tmp_path / "empty")], catch_exceptions=False)
    assert result.exit_code == 0
    assert "ingest call notes first" in result.stdout


def test_bad_taxonomy_names_the_file(tmp_path) -> None:
    path = tmp_path / "objections.yaml"
    path.write_text("themes:\n  - id: Price!\n    label: x\n    examples: [a]\n")
    with pytest.raises(ConfigError, match="objections.yaml"):
        load_taxonomy(path)
    path.write_text("themes: [\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(path)
    assert load_taxonomy(tmp_path / "absent.yaml") is None
