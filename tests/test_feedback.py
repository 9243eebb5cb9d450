"""The feedback loop: flags stored, applied to the next review, imported from files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.errors import StoreError
from reviewer.feedback import Flag, import_feedback_folder, open_flags
from reviewer.feedback.effects import label_from_text
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "feedback"
ONE_PAGER = CORPUS_DIR / "drafts" / "one_pager.md"
LANDING = CORPUS_DIR / "drafts" / "landing_page.md"
MISSED = "Customers keep asking whether there is a mobile app to approve invoices on the road"


@pytest.fixture
def demo_copy(demo_settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the demo data dir (themes mined once in the shared one), for writing flags."""
    from reviewer.objections import load_themes

    load_themes(demo_settings)
    copy = tmp_path / "demo"
    shutil.copytree(demo_settings.data_dir, copy)
    return copy


def invoke(*args: str | Path, code: int = 0) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout


def review(draft: Path, data_dir: Path) -> dict:
    return json.loads(invoke("review", draft, "--format", "json", "--fail-on", "never", "--data-dir", data_dir))


def test_missed_objection_is_in_the_next_review_quoting_the_flag_and_eval_catches_it(demo_copy: Path) -> None:
    before = review(ONE_PAGER, demo_copy)
    assert not [f for f in before["objections"] if "mobile" in f["label"].lower()]

    flag_id = invoke(
        "flag", "--draft", ONE_PAGER, "--missed", MISSED, "--rep", "Jonas Weber", "--data-dir", demo_copy
    ).strip()

    after = review(ONE_PAGER, demo_copy)
    flagged = [f for f in after["objections"] if f["evidence"] and f["evidence"][0]["note_id"] == f"flag-{flag_id}"]
    assert len(flagged) == 1, [f["finding_id"] for f in after["objections"]]
    finding = flagged[0]
    assert finding["evidence"][0]["quote"] == MISSED
    assert finding["status"] in {"unaddressed", "partial"}
    assert finding["theme_id"].startswith("flag-")
    assert "mobile app" in finding["label"]

    figures = json.loads(invoke("eval", "--min-recall", "1.0", "--format", "json", "--data-dir", demo_copy))
    assert figures["cases"] == 1 and figures["caught"] == 1 and figures["recall"] == 1.0
    assert figures["results"][0]["flag_id"] == flag_id
    text = invoke("eval", "--data-dir", demo_copy)
    assert "recall on past misses: 100% (1/1 cases caught)" in text


def test_flag_reaches_an_edited_version_of_the_draft_which_now_answers_it(demo_copy: Path, tmp_path: Path) -> None:
    invoke("flag", "--draft", ONE_PAGER, "--missed", MISSED, "--data-dir", demo_copy)
    edited = tmp_path / "one_pager_v2.md"
    answer = "Approve invoices on the road: the Corvane mobile app runs on iOS and Android."
    edited.write_text(ONE_PAGER.read_text("utf-8") + "\n" + answer + "\n", "utf-8")

    findings = {f["theme_id"]: f for f in review(edited, demo_copy)["objections"]}
    flagged = [f for t, f in findings.items() if t.startswith("flag-")]
    assert len(flagged) == 1
    assert flagged[0]["status"] == "addressed"
    assert flagged[0]["draft_span"]["text"] == answer

    # An unrelated draft is not touched by the flag.
    assert not [t for t in (f["theme_id"] for f in review(LANDING, demo_copy)["objections"]) if t.startswith("flag-")]


def test_missed_objection_naming_a_mined_theme_puts_the_flag_first(demo_copy: Path) -> None:
    text = "They said LedgerMate is half the price per card"
    flag_id = invoke("flag", "--draft", ONE_PAGER, "--missed", text, "--theme", "price", "--data-dir", demo_copy)
    finding = next(f for f in review(ONE_PAGER, demo_copy)["objections"] if f["theme_id"] == "price")
    assert finding["evidence"][0] == {
        "note_id": f"flag-{flag_id.strip()}",
        "quote": text,
        "outcome": None,
        "date": finding["evidence"][0]["date"],
    }
    assert len(finding["evidence"]) > 1  # the notes' quotes follow the flag


def test_wrong_finding_is_suppressed_for_that_draft_only(demo_copy: Path) -> None:
    first = review(ONE_PAGER, demo_copy)
    other = review(LANDING, demo_copy)
    shared = sorted(
        {f["finding_id"] for f in first["objections"] if f["status"] != "addressed"}
        & {f["finding_id"] for f in other["objections"]}
    )
    assert shared, "the two drafts should share an objection finding"
    target = shared[0]
    brand_target = first["brand"][0]["finding_id"]

    for finding_id in (target, brand_target):
        invoke(
            "flag",
            "--review",
            first["review_id"],
            "--finding",
            finding_id,
            "--wrong",
            "not relevant here",
            "--draft",
            ONE_PAGER,
            "--data-dir",
            demo_copy,
        )

    again = review(ONE_PAGER, demo_copy)
    ids = {f["finding_id"] for f in again["objections"] + again["brand"] + again["tone"]}
    assert target not in ids and brand_target not in ids
    assert len(again["objections"]) == len(first["objections"]) - 1
    assert target in {f["finding_id"] for f in review(LANDING, demo_copy)["objections"]}

    # A later good catch on the same finding takes the wrong flag back.
    invoke("flag", "--finding", target, "--good", "--draft", ONE_PAGER, "--data-dir", demo_copy)
    assert target in {f["finding_id"] for f in review(ONE_PAGER, demo_copy)["objections"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of"),
        (["--missed", "x", "--good"], "exactly one of"),
        (["--wrong", "meh", "--draft", str(ONE_PAGER)], "needs --finding"),
        (["--good", "--finding", "objection:price"], "needs --draft"),
        (["--missed", "x", "--draft", "nope.md"], "nope.md"),
        (["--missed", "  "], "needs the objection"),
    ],
)
def test_flag_usage_errors_exit_2_with_a_message(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["flag", *args, "--data-dir", str(tmp_path / "d")], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.stderr


def test_store_redacts_and_serves_flag_texts_for_grounding(settings: Settings) -> None:
    book = open_flags(settings)
    flag = book.add_missed(
        "Jonas Weber heard it: write to cfo@adler.example, customers want on-prem", rep="Jonas Weber", who="jonas"
    )
    assert isinstance(flag, Flag) and flag.kind == "missed" and flag.source == "cli"
    assert "Jonas" not in (flag.text or "") and "cfo@adler.example" not in (flag.text or "")
    assert book.texts([flag.note_id, "SF-0001"]) == {flag.note_id: flag.text}
    assert [f.id for f in book.list("missed")] == [flag.id] and book.list("wrong") == []
    with pytest.raises(ValueError):
        book.add_missed("   ")
    with pytest.raises(ValueError):
        book.list("bogus")
    with sqlite3.connect(settings.data_dir / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_insights_report_noisy_rules_and_top_missed_themes(settings: Settings) -> None:
    book = open_flags(settings)
    for start in (10, 20, 30):
        book.add_wrong(review_id="r", finding_id=f"Corvane.Hype:{start}", reason="tagline", draft_sha256="a" * 64)
    book.add_wrong(review_id="r", finding_id="objection:price", reason="no", draft_sha256="a" * 64)
    book.add_missed("customers ask about the mobile app", theme_id=None)
    book.add_missed("price again", theme_id="price")
    book.add_missed("price, price", theme_id="price")
    figures = book.insights()
    assert figures["totals"] == {"missed": 3, "wrong": 4, "good": 0}
    assert figures["noisy"] == ["Corvane.Hype"]
    assert figures["top_missed_themes"][0] == {"theme_id": "price", "label": "price", "flags": 2, "founded": False}
    assert sum(w["missed"] for w in figures["per_week"]) == 3
    assert figures["recall"] is None


def test_postgres_url_without_psycopg_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    settings = Settings(data_dir=tmp_path, database_url="postgresql://u@localhost/reviewer")
    with pytest.raises(StoreError, match="psycopg"):
        open_flags(settings)


def test_a_database_url_that_is_not_postgres_is_a_config_error(tmp_path: Path) -> None:
    from reviewer.errors import ConfigError

    with pytest.raises(ConfigError, match="postgresql://") as failed:
        open_flags(Settings(data_dir=tmp_path, database_url="mysql://u:secret@db/reviewer"))
    assert "secret" not in str(failed.value)


def test_label_from_text_drops_the_lead_in() -> None:
    assert label_from_text("customers keep asking whether it runs on-prem?") == "It runs on-prem"
    assert label_from_text("Kunden fragen, ob es eine App gibt").startswith("Kunden fragen")


def test_importing_the_same_feedback_twice_adds_nothing_and_bad_files_are_skipped(
    settings: Settings, tmp_path: Path
) -> None:
    folder = FIXTURES / "folder"
    book = open_flags(settings)
    first = import_feedback_folder(folder, book)
    assert first.imported == 5 and first.duplicates == 0
    skipped = {Path(file).name: reason for file, reason in first.skipped}
    assert set(skipped) == {"broken.json", "bad_kind.csv", "readme.md"}
    assert "not valid JSON" in skipped["broken.json"]
    assert "row 2" in skipped["bad_kind.csv"] and "complaint" in skipped["bad_kind.csv"]

    second = import_feedback_folder(folder, book)
    assert second.imported == 0 and second.duplicates == 5
    assert len(book.list()) == 5

    flags = book.list()
    assert {f.source for f in flags} == {"feedback"}
    mobile = next(f for f in flags if f.text and "mobile app" in f.text)
    assert mobile.draft_sha256 and mobile.account == "Brauhaus Adler" and mobile.rep == "Jonas Weber"
    assert book.draft_texts()[mobile.draft_sha256][1] == ONE_PAGER.read_text("utf-8")
    on_prem = next(f for f in flags if f.text and "on-prem" in f.text)
    assert "1234567" not in (on_prem.text or "")
    good = next(f for f in flags if f.kind == "good")
    assert good.theme_id == "price" and good.draft_sha256 and good.draft_sha256.startswith("5ae29e17")
    wrong = next(f for f in flags if f.kind == "wrong")
    assert wrong.finding_id == "Corvane.Hype:1192" and wrong.reason == "best-in-class is our tagline"


def test_ingest_imports_a_feedback_folder_idempotently(tmp_path: Path) -> None:
    folder = tmp_path / "feedback"
    folder.mkdir()
    (folder / "flags.json").write_text(
        json.dumps([{"kind": "missed", "text": "customers ask for an on-prem version"}]), "utf-8"
    )
    (folder / "broken.csv").write_text("text\nno kind column\n", "utf-8")
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["ingest", str(folder), "--data-dir", str(data)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 flag imported, 0 already known" in result.stdout
    assert "broken.csv" in result.stderr and "no 'kind' column" in result.stderr
    again = CliRunner().invoke(app, ["ingest", str(folder), "--data-dir", str(data)], catch_exceptions=False)
    assert "0 flags imported, 1 already known" in again.stdout
    assert len(open_flags(Settings(data_dir=data)).list()) == 1
