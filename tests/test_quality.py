"""benchmarks/quality.py: the offline floors on the demo's labelled drafts, and the LLM path
through the fake OpenAI-compatible server with recorded answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import quality
from tests.fakes import Reply
from tests.review_helpers import model_answer


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quality")


@pytest.fixture(scope="module")
def offline(data_root: Path) -> dict[str, quality.Tally]:
    return quality.main(["--split", "test", "--data-root", str(data_root)])  # every corpus present


def test_offline_review_holds_the_stated_floors_on_the_test_drafts(offline) -> None:
    present = {name for corpus in quality.corpora() for name, _, _ in quality.label_sets(corpus)}
    expected = set(quality.FLOORS) & present
    for name in sorted(set(quality.FLOORS) - expected):
        print(f"{name} skipped: no shared data at {quality.SHARED}")
    assert expected <= set(offline)
    for name in expected:
        min_recall, max_false_flags, min_grounding = quality.FLOORS[name]
        recall, false_flags, grounding = offline[name].rates()
        assert recall >= min_recall, name
        assert false_flags <= max_false_flags, name
        assert grounding >= min_grounding, name
        assert offline[name].calls == 0


def test_themes_map_to_the_majority_label_of_their_conversations() -> None:
    from reviewer.models import Theme

    themes = [
        Theme(theme_id="a", label="a", frequency=3, loss_rate=None, note_ids=["1", "2", "3"]),
        Theme(theme_id="b", label="b", frequency=1, loss_rate=None, note_ids=["9"]),
    ]
    truth = {"1": ["water"], "2": ["water", "food"], "3": ["food", "firewood"]}
    assert quality.concern_of(themes, truth) == {"a": "food"}  # 2-2 tie, both wholly inside: alphabetical
    # "b" has no labels. With a third food call outside the theme, it holds all of water but 2/3 of food.
    assert quality.concern_of(themes, {**truth, "7": ["food"]}) == {"a": "water"}


def test_a_theme_maps_to_a_turn_level_concern_when_most_of_its_annotated_statements_say_it() -> None:
    turns = quality.TurnTruth(
        annotations={
            ("1", 2): {"vouch-fair"},
            ("1", 4): {"self-need"},
            ("2", 2): {"uv-part", "self-need"},
            ("2", 4): {"vouch-fair"},
            ("3", 2): {"small-talk"},
        },
        notes={"1", "2", "3"},
        concerns={"fair_split": {"vouch-fair", "uv-part"}},
    )
    located = {
        "fair": [("1", 2), ("2", 2), ("2", 4), ("3", 2), ("9", 2)],  # 3 of 4 annotated: fair; "9" unannotated
        "half": [("1", 2), ("1", 4), ("2", 4), ("3", 2)],  # 2 of 4: not more than half
        "few": [("1", 2), ("2", 4), ("9", 4), ("9", 6)],  # 2 of 2, under MIN_TURN_STATEMENTS annotated
        "outside": [("1", None), ("2", None), ("2", 2)],  # statements in no turn are not counted
    }
    assert quality.turn_concern_of(located, turns) == {"fair": "fair_split"}


def test_turn_level_truth_is_read_from_the_labels_file_and_a_bad_block_names_the_file(tmp_path) -> None:
    (tmp_path / "turns.csv").write_text("id,turn,strategies\nc-1,2,vouch-fair;self-need\nc-1,3,\n", "utf-8")
    labels = tmp_path / "labels.yaml"
    spec = {"file": "turns.csv", "note": "id", "turn": "turn", "column": "strategies"}
    good = {"ground_truth": {"turns": {**spec, "concerns": {"Fair_Split": ["Vouch-Fair"]}}}}
    truth = quality.read_turn_truth(labels, good, tmp_path)
    assert truth is not None and truth.concerns == {"fair_split": {"vouch-fair"}}
    assert truth.annotations == {("c-1", 2): {"vouch-fair", "self-need"}, ("c-1", 3): set()}
    assert quality.read_turn_truth(labels, {"ground_truth": {"file": "x.csv"}}, tmp_path) is None
    with pytest.raises(SystemExit, match="labels.yaml.*concerns"):
        quality.read_turn_truth(labels, {"ground_truth": {"turns": spec}}, tmp_path)


def test_the_llm_path_is_measured_the_same_way(data_root, offline, fake_openai_server, monkeypatch, capsys) -> None:
    from reviewer import llm

    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)
    fake_openai_server.default = Reply(content=model_answer)  # every theme judged unaddressed
    results = quality.main(
        ["--sets", "demo", "--split", "test", "--data-root", str(data_root), "--model", "openai/fake-model"]
        + ["--api-base", fake_openai_server.base_url, "--api-key", "sk-test"]
    )
    printed = capsys.readouterr().out
    assert "model openai/fake-model" in printed and "calls" in printed
    for name, tally in results.items():
        assert tally.calls >= tally.drafts > 0 and tally.prompt_tokens > 0
        assert len(fake_openai_server.chat_requests) >= tally.calls
        # A judge that flags every theme finds at least what the offline one finds, and flags
        # at least as many answered concerns; quotes stay grounded either way.
        assert tally.flagged >= offline[name].flagged
        assert tally.false_flags >= offline[name].false_flags
        assert tally.grounded == tally.quotes
