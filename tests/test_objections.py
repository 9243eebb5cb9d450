"""Objection mining: extraction, themes against the demo labels, the taxonomy, updates and the CLI."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.errors import ConfigError
from reviewer.models import CallNote, Turn
from reviewer.objections import filter_themes, load_themes
from reviewer.objections.evaluation import score_against_labels
from reviewer.objections.extract import THRESHOLD, extract_statements, objection_score
from reviewer.objections.taxonomy import load_taxonomy
from tests.demo import CORPUS_DIR

# Measured with the demo taxonomy (static embeddings): precision 0.59, recall 0.46.
PRECISION_FLOOR = 0.55
RECALL_FLOOR = 0.40


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
    assert objection_score("Hallo, wie geht es Ihnen?") == 0
    note = _note('Call summary. The CFO said: "Your per-seat price is too high next to Billvo." We agreed a demo.')
    quotes = [s.text for s in extract_statements(note)]
    assert quotes == ["Your per-seat price is too high next to Billvo."]


@pytest.mark.parametrize(
    "sentence",
    [
        "Hi, I forgot my username and can't log in, can you help me with this?",
        "I need a ride to the airport in 19 minutes or less.",
        "No way, that is not fair at all.",
        "Would you be willing to give me all 3 firewood?",
        "Ich brauche die Lieferung spätestens am Freitag.",
        "Is it cheaper than what we pay now?",
        "Which version?",
        "I'm fine with 2 firewood, is that ok?",
    ],
)
def test_concerns_of_any_conversation_score(sentence: str) -> None:
    assert objection_score(sentence) >= THRESHOLD


@pytest.mark.parametrize(
    "sentence",
    [
        "Hello, how are you doing today?",
        "Thanks so much, have a great day!",
        "Okay, sounds good to me.",
        "I'm well, how are you?",  # the reply to a greeting, with the greeting returned
        "Hi! I'm doing great, and you?",
        "Mir geht's gut, und Ihnen?",
        "Howdy 🙂 How are things?",
        "Camper, how are you?",  # a name and a greeting leave one word and a "?"
    ],
)
def test_greetings_and_small_talk_do_not(sentence: str) -> None:
    assert objection_score(sentence) < THRESHOLD


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


def test_no_taxonomy_unless_configured(settings) -> None:
    from reviewer.settings import Settings

    assert Settings().taxonomy is None and Settings().guidelines is None
    assert load_taxonomy(settings.taxonomy) is None


def test_themes_are_named_by_a_customer_question_never_a_word_list(demo_settings) -> None:
    from reviewer.settings import Settings

    plain = Settings(data_dir=demo_settings.data_dir, taxonomy=None)  # every theme is discovered
    themes = load_themes(plain)
    assert themes and all(t.discovered for t in themes)
    for theme in themes:
        parts = [p.strip() for p in theme.label.split(",")]
        assert not (len(parts) > 1 and all(len(p.split()) == 1 for p in parts)), f"a word list: {theme.label}"
        assert len(theme.label.split()) >= 2, theme.label
        assert theme.frequency == len(set(theme.note_ids))


def test_an_ingest_of_new_calls_updates_the_themes_without_a_full_mine(tmp_path, monkeypatch) -> None:
    from benchmarks.conversations import write_csv
    from reviewer.ingest.pipeline import ingest_paths
    from reviewer.objections import mining, read_state, refresh_themes
    from reviewer.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(first, n=150, seed=1)
    write_csv(second, n=3, seed=2, first=150)
    ingest_paths([first], settings)
    before = {t.theme_id: t for t in refresh_themes(settings)}
    assert before
    ingest_paths([second], settings)
    monkeypatch.setattr(mining, "full_mine", lambda *a, **k: pytest.fail("a full mine for 2% new calls"))
    after = {t.theme_id: t for t in refresh_themes(settings)}
    assert set(before) <= set(after), "theme ids stay across an update"
    assert sum(t.frequency for t in after.values()) >= sum(t.frequency for t in before.values())
    state = read_state(settings, "static-minilm-l6-v2-256")
    assert state is not None and state.updates == 1 and len(state.notes) == 153
    monkeypatch.undo()
    rebuilt = {t.theme_id for t in refresh_themes(settings, rebuild=True)}
    # Measured by conversations, as the screen counts: small themes of two or three calls may split
    # or merge when re-clustered; the ones that hold most conversations keep their ids.
    kept = sum(t.frequency for theme_id, t in after.items() if theme_id in rebuilt)
    assert kept >= 0.8 * sum(t.frequency for t in after.values()), "a re-cluster of the same calls keeps the ids"


def test_a_model_names_every_theme_in_one_call(tmp_path) -> None:
    from benchmarks.conversations import write_csv
    from reviewer.ingest.pipeline import ingest_paths
    from reviewer.objections import refresh_snapshot
    from reviewer.settings import Settings
    from tests.fakes import FakeLLM

    settings = Settings(data_dir=tmp_path / "data")
    write_csv(tmp_path / "a.csv", n=80, seed=3)
    ingest_paths([tmp_path / "a.csv"], settings)

    def answer(prompt, schema):
        ids = re.findall(r'"id": "([^"]+)"', str(prompt))
        return {"names": [{"theme_id": i, "label": f"Concern {n}"} for n, i in enumerate(ids)]}

    llm = FakeLLM([answer])
    themes = refresh_snapshot(settings, llm=llm).themes
    assert len(llm.calls) == 1 and themes
    assert all(t.label.startswith("Concern ") for t in themes)


def test_objections_cli_rebuild(demo_settings) -> None:
    result = CliRunner().invoke(
        app,
        ["objections", "--data-dir", str(demo_settings.data_dir), "--rebuild", "--top", "3"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def test_a_flagged_miss_founds_a_theme_named_like_a_mined_one() -> None:
    from collections import Counter

    from reviewer.feedback.effects import founded_theme
    from reviewer.feedback.models import Flag

    text = "Customers keep asking whether they can pay a little of it in cryptocurrency, or give us a card?"
    flag = Flag(id="f1", kind="missed", text=text, created_at="2026-01-05T10:00:00+00:00")
    calls = (Counter({"pay": 40, "card": 35}), 50)  # words most calls name
    theme = founded_theme([flag], calls)
    assert theme.label.startswith("They can pay a little of it in cryptocurrency")
    assert "cryptocurrency" in theme.keywords and "pay" not in theme.keywords and "card" not in theme.keywords
    assert theme.impact == 1.0  # one conversation, no outcome: the same impact as a mined theme's


def test_a_call_no_theme_took_joins_the_nearest_theme_when_alike_enough() -> None:
    import numpy as np

    from reviewer.objections import themes as model
    from reviewer.objections.extract import Statement
    from reviewer.objections.mining import ThemeState, _adopt_orphans

    theme = ThemeState(theme_id="d-a", centroid=[1.0, 0.0, 0.0], radius=0.99)
    other = ThemeState(theme_id="d-b", centroid=[0.0, 1.0, 0.0], radius=0.99)
    alike = np.cos(np.arccos(model.ORPHAN_SIMILARITY) / 2)  # well above the threshold
    apart = model.ORPHAN_SIMILARITY - 0.1
    rows = [
        ("placed", [1.0, 0.0, 0.0]),  # in a theme by the radius rule
        ("placed", [alike, 0.0, np.sqrt(1 - alike**2)]),  # its call is in a theme already: stays out
        ("orphan", [alike, 0.0, np.sqrt(1 - alike**2)]),  # the call's closest concern
        ("orphan", [apart, 0.0, np.sqrt(1 - apart**2)]),  # the same call's farther one: stays out
        ("far", [apart, 0.0, np.sqrt(1 - apart**2)]),  # no concern alike enough: no theme
    ]
    statements = [Statement(note_id=n, text=f"s{i}", start=0, end=1, score=3) for i, (n, _) in enumerate(rows)]
    vectors = np.array([v for _, v in rows], dtype=np.float32)
    assignment = np.array([0, -1, -1, -1, -1])
    _adopt_orphans(statements, vectors, assignment, [theme, other])
    assert assignment.tolist() == [0, -1, 0, -1, -1]


def test_themes_do_not_move_with_float_rounding() -> None:
    """Another CPU rounds the stored vectors differently (about 1e-7): the themes must be the same.

    The concerns of one exchange share its vector, so a theme's radius is often its members' own
    similarity, and more concerns than one sample holds are clustered in several passes.
    """
    import numpy as np

    from reviewer.objections import themes as model

    rng = np.random.default_rng(7)
    topics = model._unit_rows(rng.standard_normal((12, 64)))
    chunks = model._unit_rows(topics[rng.integers(0, 12, 1800)] + 0.35 * rng.standard_normal((1800, 64)))
    chunks = np.concatenate([chunks, model._unit_rows(rng.standard_normal((600, 64)))])  # unrelated talk
    vectors = chunks[rng.integers(0, len(chunks), model.SAMPLE_SIZE + 1500)].astype(np.float32)
    assert len(vectors) > model.SAMPLE_SIZE  # every pass samples

    def partition(rows: np.ndarray) -> list[int]:
        centroids, radii = model.fit_clusters(rows)
        return model.assign(rows, centroids, radii).tolist()

    unique, inverse = np.unique(vectors, axis=0, return_inverse=True)
    base = partition(vectors)
    assert len(set(base)) > 3
    for seed in range(3):
        rounding = 1e-7 * np.random.default_rng(seed).standard_normal(unique.shape).astype(np.float32)
        assert partition((unique + rounding)[inverse.ravel()]) == base
