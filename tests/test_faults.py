"""Faults at scale: a flaky model under a 50-draft batch, and a full disk under reports, journal and stores."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.batch import scan
from reviewer.batch.state import MANIFEST_NAME, Entry
from reviewer.cli import app
from tests.demo import CORPUS_DIR
from tests.fakes import Reply
from tests.review_helpers import draft_text, model_answer

DRAFTS = CORPUS_DIR / "drafts"
SOURCES = ["landing_page.md", "one_pager.md", "fast_start.md", "security_brief.md", "email_campaign.txt"]
EDITION = re.compile(r"Edition (\d+) of this page")


def make_drafts(folder: Path, count: int) -> list[str]:
    """`count` distinct drafts made from the demo drafts (each names its edition, so no answer is cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        source = DRAFTS / SOURCES[i % len(SOURCES)]
        name = f"{i:02d}-{source.name}"
        text = source.read_text("utf-8") + f"\n\nEdition {i} of this page: our team answers within one day.\n"
        (folder / name).write_text(text, "utf-8")
        names.append(name)
    return names


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "SETTLE_SECONDS", 0.05)


def test_a_flaky_model_under_a_50_draft_batch_loses_nothing(
    llm_settings, demo_settings, fake_openai_server, tmp_path, monkeypatch
) -> None:
    """429 on a third of calls, a timeout on a tenth, broken JSON on a tenth; concurrency 8."""
    shutil.copytree(demo_settings.data_dir, llm_settings.data_dir, dirs_exist_ok=True)
    timeout = 0.5
    outcomes: Counter[str] = Counter()

    def flaky(number: int, body: dict) -> Reply:
        bucket = number % 30
        if bucket < 10:
            outcomes["429"] += 1
            return Reply(status=429, retry_after=0.02)
        if bucket < 13:
            outcomes["timeout"] += 1
            return Reply(content=model_answer, delay=timeout + 0.5)
        if bucket < 16:
            outcomes["broken"] += 1
            return Reply(content='{"judgements": [{"theme_id": ')
        outcomes["ok"] += 1
        return Reply(content=model_answer)

    fake_openai_server.responder = flaky
    for key, value in {
        "MODEL": llm_settings.model,
        "API_BASE": llm_settings.api_base,
        "API_KEY": llm_settings.api_key,
        "LLM_TIMEOUT": str(timeout),
        "LLM_RETRIES": str(llm_settings.llm_retries),
    }.items():
        monkeypatch.setenv(f"REVIEWER_{key}", value)
    names = make_drafts(tmp_path / "drafts", 50)
    out = tmp_path / "out"
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        ["batch", str(tmp_path / "drafts"), "--out", str(out), "--concurrency", "8", "--fail-on", "never"]
        + ["--data-dir", str(llm_settings.data_dir), "--format", "both"],
        catch_exceptions=False,
    )
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "50 reviewed" in result.stdout and "0 failed" in result.stdout
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert sorted(row["path"] for row in summary["drafts"]) == sorted(names)
    assert {row["status"] for row in summary["drafts"]} == {"reviewed"}
    fallbacks = 0
    for name in names:
        review = json.loads((out / f"{name}.review.json").read_text("utf-8"))
        markdown = (out / f"{name}.review.md").read_text("utf-8")
        assert review["engine"]["model"] == "openai/fake-model"
        assert "`openai/fake-model`" in markdown
        if review["engine"]["fallback"]:
            fallbacks += 1
            assert any("offline" in note for note in review["engine"]["notes"])
            assert "offline judge was used" in markdown or "offline" in markdown
    assert 0 < fallbacks < 50  # both paths were taken: the model's answers and the offline fallback
    assert min(outcomes.values()) > 0
    # Retries stay bounded: two judged prompts per draft, each at most (retries + 1) calls and one
    # repair round of as many again.
    per_draft = Counter(
        int(m.group(1)) for r in fake_openai_server.chat_requests if (m := EDITION.search(draft_text(r)))
    )
    bound = 2 * 2 * (llm_settings.llm_retries + 1)
    assert set(per_draft) == set(range(50)) and max(per_draft.values()) <= bound, per_draft.most_common(3)
    assert seconds < 240


# --- a full disk -----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test (root only), unmounted after."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'}); needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` until about `leave` bytes are free; returns the filler to delete later."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


def check_out_folder(out: Path) -> list[Entry]:
    """Nothing torn: every journal line parses, every report named by it is whole, no temp file is left."""
    lines = (out / MANIFEST_NAME).read_text("utf-8").splitlines() if (out / MANIFEST_NAME).exists() else []
    entries = [Entry.model_validate_json(line) for line in lines]  # raises on a torn line
    assert not [p for p in out.rglob("*.tmp")]
    for report in out.rglob("*.review.json"):
        json.loads(report.read_text("utf-8"))  # whole JSON, or it would not parse
    for entry in entries:
        if entry.status == "reviewed":
            assert all((out / target).is_file() for target in entry.reports.values())
    for markdown in out.rglob("*.review.md"):
        assert markdown.read_text("utf-8").endswith("\n")
    return entries


def test_reports_and_journal_on_a_full_disk_fail_clearly_and_leave_nothing_torn(
    demo_settings, small_disk, tmp_path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data)
    out = small_disk / "out"
    filler = fill(small_disk, leave=48 * 1024)
    args = ["batch", str(DRAFTS), "--out", str(out), "--data-dir", str(data), "--fail-on", "never"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "Traceback" not in result.output
    assert "failed" in result.stderr
    check_out_folder(out)

    filler.unlink()  # room again: the next run finishes what the full disk stopped
    again = CliRunner().invoke(app, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    entries = {e.path: e for e in check_out_folder(out)}
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert {row["status"] for row in summary["drafts"]} == {"reviewed"}
    assert {row["path"] for row in summary["drafts"]} == set(entries)


def test_the_store_and_the_flag_book_on_a_full_disk_fail_clearly(small_disk) -> None:
    data = small_disk / "data"
    ingest = CliRunner().invoke(
        app, ["ingest", str(CORPUS_DIR / "notes"), "--data-dir", str(data)], catch_exceptions=False
    )
    assert ingest.exit_code == 2, ingest.output
    assert "Traceback" not in ingest.output and str(data) in ingest.stderr
    assert re.search(r"no space left|disk is full|full", ingest.stderr, re.IGNORECASE), ingest.stderr

    fill(small_disk, leave=0)
    flag = CliRunner().invoke(
        app,
        ["flag", "--draft", str(DRAFTS / "one_pager.md"), "--missed", "customers ask about on-prem"]
        + ["--data-dir", str(data)],
        catch_exceptions=False,
    )
    assert flag.exit_code == 2, flag.output
    assert "Traceback" not in flag.output
    assert re.search(r"no space left|disk is full|full", flag.stderr, re.IGNORECASE), flag.stderr


def test_a_journal_line_is_appended_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.batch import state

    journal = state.Manifest(tmp_path)
    first = Entry(path="a.md", sha256="a" * 64, versions={}, status="failed", reason="x", finished_at="t")
    journal.put(first)
    before = (tmp_path / MANIFEST_NAME).read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:  # what a filling disk does: a short write
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(state.os, "write", half_then_full)
    with pytest.raises(OSError) as failed:
        journal.put(first.model_copy(update={"path": "b.md"}))
    assert failed.value.errno == errno.ENOSPC
    assert (tmp_path / MANIFEST_NAME).read_bytes() == before
    monkeypatch.undo()
    assert set(state.Manifest(tmp_path).entries) == {"a.md"}
