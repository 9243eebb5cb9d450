"""`reviewer batch`: bad files listed, unchanged drafts skipped, resumable after SIGKILL, summary escaped."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.batch import scan
from reviewer.batch.state import MANIFEST_NAME, DraftResult, Entry, Manifest
from reviewer.batch.summary import to_csv, to_html
from reviewer.cli import app
from reviewer.models import Review
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR

REPO = Path(__file__).resolve().parent.parent
GOOD = ["landing_page.md", "one_pager.md", "email_campaign.txt", "case_study.html"]
HOSTILE_NAME = "<img src=x onerror=alert(1)>.md"


@pytest.fixture(scope="module")
def data_dir(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo store: batch runs never share a data dir with other tests."""
    target = tmp_path_factory.mktemp("batch") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    return target


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files made by the test are seconds old; no need to wait a full second for them to settle."""
    monkeypatch.setattr(scan, "SETTLE_SECONDS", 0.05)


def run_batch(*args: str | Path, data_dir: Path) -> object:
    result = CliRunner().invoke(app, ["batch", *map(str, args), "--data-dir", str(data_dir)], catch_exceptions=False)
    return result


def zip_bomb(path: Path) -> None:
    """A DOCX whose document expands to 64 MB of zeros (about 70 KB on disk), written in chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(64):
                entry.write(zeros)


def make_folder(root: Path) -> dict[str, str]:
    """Good drafts in nested folders, bad files, and files batch must ignore; returns bad file → reason part."""
    (root / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], root / GOOD[0])
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[1], root / "sub" / GOOD[1])
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[2], root / "sub" / "deeper" / GOOD[2])
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[3], root / "sub" / GOOD[3])
    shutil.copy(CORPUS_DIR / "drafts" / "fast_start.md", root / "sub" / HOSTILE_NAME)
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf" + bytes(300))
    zip_bomb(root / "sub" / "bomb.docx")
    (root / "empty.md").write_bytes(b"")
    (root / "sub" / "binary.md").write_bytes(bytes(range(256)) * 40)
    # Never drafts: office lock files, editor swap files, partial downloads, hidden folders, flags.
    (root / "~$landing.docx").write_bytes(b"lock")
    (root / ".landing_page.md.swp").write_bytes(b"swap")
    (root / "upload.md.part").write_text("half a draft", encoding="utf-8")
    (root / "notes.tmp").write_text("scratch", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "x.md").write_text("# hidden\n\nNot a draft at all.\n", encoding="utf-8")
    (root / "feedback").mkdir()
    (root / "feedback" / "readme.md").write_text("# Flags go here\n\nNot a draft.\n", encoding="utf-8")
    return {
        "corrupt.pdf": "PDF",
        "sub/bomb.docx": "not a valid DOCX",
        "empty.md": "file is empty",
        "sub/binary.md": "binary",
    }


GOOD_PATHS = [GOOD[0], f"sub/{GOOD[1]}", f"sub/deeper/{GOOD[2]}", f"sub/{GOOD[3]}", f"sub/{HOSTILE_NAME}"]


def reports_of(out: Path) -> dict[str, Review]:
    """Every JSON report in OUT, parsed (a truncated one fails here), by draft path."""
    found = {}
    for path in out.rglob("*.review.json"):
        review = Review.model_validate_json(path.read_text("utf-8"))
        found[path.relative_to(out).as_posix().removesuffix(".review.json")] = review
    return found


def test_good_drafts_reviewed_and_bad_files_listed_with_their_reason(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    bad = make_folder(drafts)

    result = run_batch(drafts, "--out", out, "--concurrency", "3", data_dir=data_dir)

    assert result.exit_code == 1, result.output  # the demo drafts have error findings; --fail-on error
    reviews = reports_of(out)
    assert sorted(reviews) == sorted(GOOD_PATHS)
    for rel, review in reviews.items():
        assert review.draft.path == rel
        markdown = (out / f"{rel}.review.md").read_text("utf-8")
        assert markdown.startswith("# Review of ") and markdown.endswith("\n")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    rows = {row["path"]: row for row in summary["drafts"]}
    assert set(rows) == set(GOOD_PATHS) | set(bad)  # ignored files are not listed at all
    for rel, reason in bad.items():
        assert rows[rel]["status"] == "failed"
        assert reason in rows[rel]["reason"]
        assert f"failed {rel}: {rows[rel]['reason']}" in result.output
    assert [r["status"] for r in summary["drafts"]][: len(bad)] == ["failed"] * len(bad)  # worst first
    scores = [r["score"] for r in summary["drafts"] if r["status"] == "reviewed"]
    assert scores == sorted(scores)
    assert summary["totals"] == {
        "drafts": 9,
        "reviewed": 5,
        "failed": 4,
        "pending": 0,
        "blocked": summary["totals"]["blocked"],
        "needs_work": summary["totals"]["needs_work"],
        "ready": summary["totals"]["ready"],
    }
    assert all(row["top_findings"] for row in summary["drafts"] if row["status"] == "reviewed")
    assert "9 drafts: 5 reviewed, 0 skipped (unchanged), 4 failed" in result.output
    page = (out / "index.html").read_text("utf-8")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.md" in page
    assert "href='sub/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.md.review.md'" in page
    csv_text = (out / "summary.csv").read_text("utf-8")
    assert csv_text.splitlines()[0].startswith("path,status,score,verdict")
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert not (drafts / "reviews").exists()  # nothing written inside the drafts folder


def test_second_run_skips_everything_and_an_edit_rereviews_only_that_draft(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    make_folder(drafts)
    run_batch(drafts, "--out", out, data_dir=data_dir)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.review.*")}

    again = run_batch(drafts, "--out", out, data_dir=data_dir)

    assert "9 drafts: 0 reviewed, 9 skipped (unchanged), 0 failed" in again.output
    assert "failed (unchanged since an earlier run) empty.md: file is empty" in again.output
    assert again.exit_code == 1  # the folder still has blocking findings
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.review.*")} == before

    edited = drafts / "sub" / GOOD[1]
    edited.write_text(edited.read_text("utf-8") + "\nOur ISO 27001 certificate is on the trust page.\n", "utf-8")
    third = run_batch(drafts, "--out", out, data_dir=data_dir)

    assert "9 drafts: 1 reviewed, 8 skipped (unchanged), 0 failed" in third.output
    changed = sorted(p.relative_to(out).as_posix() for p in before if p.stat().st_mtime_ns != before[p])
    assert changed == [f"sub/{GOOD[1]}.review.json", f"sub/{GOOD[1]}.review.md"]
    review = Review.model_validate_json((out / "sub" / f"{GOOD[1]}.review.json").read_text("utf-8"))
    assert review.draft.sha256 == hashlib.sha256(edited.read_bytes()).hexdigest()


def test_a_report_without_its_manifest_entry_or_a_lost_report_is_redone(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    for name in GOOD[:3]:
        shutil.copy(CORPUS_DIR / "drafts" / name, drafts / name)
    run_batch(drafts, "--out", out, data_dir=data_dir)
    journal = out / MANIFEST_NAME
    lines = journal.read_text("utf-8").splitlines(keepends=True)
    # As if killed between the reports and the entry.
    journal.write_text("".join(line for line in lines if json.loads(line)["path"] != GOOD[0]), "utf-8")
    (out / f"{GOOD[1]}.review.md").unlink()  # a report lost since

    result = run_batch(drafts, "--out", out, data_dir=data_dir)

    assert "3 drafts: 2 reviewed, 1 skipped (unchanged), 0 failed" in result.output
    assert (out / f"{GOOD[1]}.review.md").is_file()


def entry(path: str) -> Entry:
    return Entry(
        path=path,
        sha256="0" * 64,
        versions={"corpus": "c"},
        status="reviewed",
        reports={"json": f"{path}.review.json"},
        result=DraftResult(score=50, verdict="needs work"),
        reason="",
        retry=False,
    )


def test_manifest_journal_survives_a_torn_line_and_compacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.batch import state

    manifest = Manifest(tmp_path)
    manifest.put(entry("a.md"))
    manifest.put(entry("b.md"))
    journal = tmp_path / MANIFEST_NAME
    journal.write_bytes(journal.read_bytes() + entry("c.md").model_dump_json().encode()[:40])  # killed mid-append

    reopened = Manifest(tmp_path)
    assert sorted(reopened.entries) == ["a.md", "b.md"]
    assert journal.read_text("utf-8").endswith("}\n")  # compacted: the next append starts a clean line
    reopened.put(entry("c.md"))
    assert sorted(Manifest(tmp_path).entries) == ["a.md", "b.md", "c.md"]

    monkeypatch.setattr(state, "COMPACT_SLACK", 3)
    for _ in range(5):
        reopened.put(entry("a.md"))  # a draft reviewed again and again
    assert len(journal.read_text("utf-8").splitlines()) <= 3 + 3
    assert sorted(Manifest(tmp_path).entries) == ["a.md", "b.md", "c.md"]


def test_format_choice_and_a_changed_choice_completes_the_reports(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], drafts / GOOD[0])

    run_batch(drafts, "--out", out, "--format", "json", "--fail-on", "never", data_dir=data_dir)
    assert (out / f"{GOOD[0]}.review.json").is_file() and not (out / f"{GOOD[0]}.review.md").exists()
    result = run_batch(drafts, "--out", out, "--format", "both", "--fail-on", "never", data_dir=data_dir)
    assert "1 reviewed" in result.output and (out / f"{GOOD[0]}.review.md").is_file()


def test_every_draft_failing_exits_2_even_when_the_journal_cannot_record_it(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk: the failures cannot be journaled, so the summary lists the drafts as pending.
    broken, out = tmp_path / "broken", tmp_path / "out"
    broken.mkdir()
    (broken / "empty.md").write_bytes(b"")
    (broken / "bad.pdf").write_bytes(b"not a pdf")

    def no_space(self, entry) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Manifest, "put", no_space)
    result = run_batch(broken, "--out", out, data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert "not recorded in the journal: No space left on device" in result.output


def test_exit_codes(tmp_path: Path, data_dir: Path) -> None:
    broken, out = tmp_path / "broken", tmp_path / "out"
    broken.mkdir()
    (broken / "empty.md").write_bytes(b"")
    (broken / "bad.pdf").write_bytes(b"not a pdf")
    assert run_batch(broken, "--out", out, data_dir=data_dir).exit_code == 2  # every file failed
    assert run_batch(broken, "--out", out, data_dir=data_dir).exit_code == 2  # and still does

    drafts = tmp_path / "drafts"
    drafts.mkdir()
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], drafts / GOOD[0])
    (drafts / "empty.md").write_bytes(b"")
    assert run_batch(drafts, "--out", tmp_path / "o2", "--fail-on", "never", data_dir=data_dir).exit_code == 0
    assert run_batch(drafts, "--out", tmp_path / "o2", "--fail-on", "warning", data_dir=data_dir).exit_code == 1

    empty = tmp_path / "nothing"
    empty.mkdir()
    nothing = run_batch(empty, "--out", tmp_path / "o3", data_dir=data_dir)
    assert nothing.exit_code == 0 and "no drafts found" in nothing.output
    missing = run_batch(tmp_path / "missing", data_dir=data_dir)
    assert missing.exit_code == 2 and "folder not found" in missing.output
    assert run_batch(drafts, "--format", "pdf", data_dir=data_dir).exit_code == 2


def test_output_inside_the_drafts_folder_is_not_scanned(tmp_path: Path, data_dir: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], drafts / GOOD[0])
    run_batch(drafts, "--out", drafts / "reviews", data_dir=data_dir)
    again = run_batch(drafts, "--out", drafts / "reviews", data_dir=data_dir)
    assert "1 draft: 0 reviewed, 1 skipped (unchanged), 0 failed" in again.output
    assert run_batch(drafts, "--out", drafts, data_dir=data_dir).exit_code == 2


def test_default_output_is_beside_the_drafts_folder(tmp_path: Path, data_dir: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], drafts / GOOD[0])
    run_batch(drafts, "--fail-on", "never", data_dir=data_dir)
    assert (tmp_path / "reviews" / f"{GOOD[0]}.review.json").is_file()
    assert sorted(p.name for p in drafts.iterdir()) == [GOOD[0]]


def test_names_batch_ignores_and_files_still_being_written(tmp_path: Path) -> None:
    for name in [
        "~$x.docx",
        ".x.swp",
        "x.tmp",
        "x.md.part",
        "x.pdf.crdownload",
        "x.md~",
        ".hidden.md",
        "a.md.review.md",
    ]:
        assert scan.is_ignored_name(name), name
    for name in ["x.md", "x.docx", "Q3 launch.pdf", "index.html", "notes.txt"]:
        assert scan.is_draft_name(name), name
    assert not scan.is_draft_name("x.png")

    old, fresh = tmp_path / "old.md", tmp_path / "fresh.md"
    old.write_text("done", "utf-8")
    os.utime(old, (time.time() - 60, time.time() - 60))
    fresh.write_text("still", "utf-8")
    settled, busy = scan.settle([old, fresh], interval=0.05)
    assert settled == [fresh, old]  # fresh held still over the interval
    assert busy == []


def test_a_file_that_keeps_growing_is_left_for_the_next_run(tmp_path: Path) -> None:
    import threading

    growing = tmp_path / "growing.md"
    growing.write_text("# Draft\n", "utf-8")
    done = threading.Event()

    def write() -> None:
        with growing.open("a", encoding="utf-8") as handle:
            while not done.is_set():
                handle.write("More text is arriving. ")
                handle.flush()
                time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        settled, busy = scan.settle([growing], interval=0.05, max_wait=0.3)
    finally:
        done.set()
        writer.join()
    assert settled == [] and busy == [growing]


def test_summary_escapes_untrusted_text() -> None:
    row = {
        "path": '=HYPERLINK("http://evil")<script>.md',
        "status": "reviewed",
        "score": 10,
        "verdict": "blocked",
        "errors": 1,
        "warnings": 0,
        "suggestions": 0,
        "top_findings": ["[error] <b>bold</b> & 'quoted'"],
        "reports": {"markdown": "javascript:alert(1).review.md"},
    }
    page = to_html([row], "<folder>", "now")
    assert "<script>" not in page and "<b>" not in page and "&lt;folder&gt;" in page
    assert "href='javascript%3Aalert%281%29.review.md'" in page
    assert to_csv([row]).splitlines()[1].startswith("\"'=HYPERLINK(")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_midway_with_sigkill_then_rerun_finishes_every_report_once(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    sources = sorted((CORPUS_DIR / "drafts").glob("*.md"))
    for number in range(12):
        # Two demo drafts per file, so each review takes long enough for the kill to land midway.
        text = "\n\n".join(p.read_text("utf-8") for p in (sources[number % 4], sources[(number + 1) % 4]))
        (drafts / f"draft_{number:02}.md").write_text(f"# Variant {number}\n\n{text}", "utf-8")
    # The same REVIEWER_* settings (the demo's taxonomy and rules) as the rerun below gets in-process:
    # other settings would be other versions, and the rerun would rightly redo every draft.
    command = [sys.executable, "-m", "reviewer", "batch", str(drafts), "--out", str(out)]
    command += ["--data-dir", str(data_dir), "--concurrency", "2"]
    process = subprocess.Popen(
        command, cwd=REPO, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    journal = out / MANIFEST_NAME
    try:
        deadline = time.monotonic() + 120
        # Killed once the first draft is recorded: one at least is finished, and others are midway.
        while time.monotonic() < deadline and process.poll() is None:
            if journal.is_file() and journal.stat().st_size:
                break
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        _stderr = process.communicate(timeout=30)[1]
    assert process.returncode == -signal.SIGKILL, _stderr.decode()
    finished = Manifest(out).entries
    assert 0 < len(finished) < 12, f"the kill did not land midway: {len(finished)} of 12 finished"
    kept = {rel: (out / f"{rel}.review.json").read_bytes() for rel in finished}

    result = run_batch(drafts, "--out", out, data_dir=data_dir)

    assert f"12 drafts: {12 - len(finished)} reviewed, {len(finished)} skipped (unchanged), 0 failed" in result.output
    reviews = reports_of(out)
    assert sorted(reviews) == [f"draft_{n:02}.md" for n in range(12)]
    assert sorted(p.name for p in out.glob("*.review.md")) == [f"draft_{n:02}.md.review.md" for n in range(12)]
    assert all((out / f"{rel}.review.json").read_bytes() == data for rel, data in kept.items())  # not redone
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["totals"]["reviewed"] == 12


def test_feedback_files_are_imported_once_before_reviewing(tmp_path: Path, demo_settings: Settings) -> None:
    pytest.importorskip("reviewer.feedback")
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data)  # flags are written: a store of its own
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    (drafts / "feedback").mkdir(parents=True)
    shutil.copy(CORPUS_DIR / "drafts" / GOOD[0], drafts / GOOD[0])
    (drafts / "feedback" / "flags.csv").write_text(
        "kind,text,draft\nmissed,Customers keep asking whether it runs on-prem,landing_page.md\n", "utf-8"
    )

    first = run_batch(drafts, "--out", out, "--fail-on", "never", data_dir=data)
    second = run_batch(drafts, "--out", out, "--fail-on", "never", data_dir=data)

    assert "feedback: 1 flag imported, 0 already known" in first.output
    assert "1 draft: 1 reviewed" in first.output
    assert "feedback: 0 flags imported, 1 already known" in second.output
    assert "1 draft: 0 reviewed, 1 skipped (unchanged)" in second.output


def test_an_unexpected_error_fails_one_draft_and_is_retried_next_run(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reviewer.graph

    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    for name in GOOD[:3]:
        shutil.copy(CORPUS_DIR / "drafts" / name, drafts / name)
    real = reviewer.graph.review_draft

    def flaky(ctx: object, *, draft: object, **kwargs: object) -> Review:
        if draft.path == GOOD[1]:  # type: ignore[attr-defined]
            raise TimeoutError("the model did not answer")
        return real(ctx, draft=draft, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reviewer.graph, "review_draft", flaky)
    first = run_batch(drafts, "--out", out, "--fail-on", "never", data_dir=data_dir)
    assert first.exit_code == 0
    assert f"failed {GOOD[1]}: timed out (the model did not answer)" in first.output
    assert "3 drafts: 2 reviewed, 0 skipped (unchanged), 1 failed" in first.output

    monkeypatch.setattr(reviewer.graph, "review_draft", real)
    second = run_batch(drafts, "--out", out, "--fail-on", "never", data_dir=data_dir)
    assert "3 drafts: 1 reviewed, 2 skipped (unchanged), 0 failed" in second.output
    assert (out / f"{GOOD[1]}.review.json").is_file()
