"""`reviewer eval`: past misses replayed through the current review, recall floor, wrong-finding rate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.feedback import open_flags
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR

ONE_PAGER = CORPUS_DIR / "drafts" / "one_pager.md"


@pytest.fixture
def demo_copy(demo_settings: Settings, tmp_path: Path) -> Path:
    from reviewer.objections import load_themes

    load_themes(demo_settings)
    copy = tmp_path / "demo"
    shutil.copytree(demo_settings.data_dir, copy)
    return copy


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_eval_without_cases_says_so(demo_copy: Path) -> None:
    code, text = run("eval", "--min-recall", "1.0", "--data-dir", demo_copy)
    assert code == 0 and "No regression cases yet" in text


def test_eval_fails_below_the_floor_and_reports_the_wrong_finding_rate(demo_copy: Path, tmp_path: Path) -> None:
    answered = tmp_path / "answered.md"
    answer = "Approve invoices on the road: the Corvane mobile app runs on iOS and Android."
    answered.write_text(ONE_PAGER.read_text("utf-8") + "\n" + answer + "\n", "utf-8")
    # A miss the draft answers is not caught (the finding is `addressed`): recall 0 below a floor of 0.5.
    code, _ = run(
        "flag", "--draft", answered, "--missed", "Is there a mobile app for the road?", "--data-dir", demo_copy
    )
    assert code == 0
    code, _ = run(
        "flag", "--draft", ONE_PAGER, "--finding", "Corvane.Hype:1192", "--wrong", "tagline", "--data-dir", demo_copy
    )
    assert code == 0

    code, out = run("eval", "--min-recall", "0.5", "--format", "json", "--data-dir", demo_copy)
    assert code == 1
    figures = json.loads(out)
    assert figures["cases"] == 1 and figures["recall"] == 0.0
    # The engine alone still produces the finding marked wrong (the review hides it for that draft).
    assert figures["wrong_flags"] == 1 and figures["wrong_reproduced"] == 1 and figures["wrong_finding_rate"] == 1.0
    rows = {row["theme_id"]: row for row in figures["per_theme"]}
    assert rows["Corvane.Hype"]["wrong_flags"] == 1

    last = open_flags(Settings(data_dir=demo_copy)).insights()
    assert last["recall"] == 0.0 and last["last_eval"]["cases"] == 1

    code, text = run("eval", "--data-dir", demo_copy)
    assert code == 0
    assert "recall on past misses: 0% (0/1 cases caught)" in text and "not caught: flag" in text
    assert "wrong-finding rate: 100%" in text


def test_eval_rejects_an_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--format", "xml", "--data-dir", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 2 and "--format" in result.stderr
