"""`reviewer batch --watch`: new, changed, renamed and deleted drafts are picked up; stops cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reviewer.batch import scan
from reviewer.batch.session import BatchSession
from reviewer.batch.watch import watch
from reviewer.models import Review
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR
from tests.test_batch import REPO

DRAFTS = CORPUS_DIR / "drafts"


@pytest.fixture(scope="module")
def data_dir(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("watch") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    return target


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def summary_paths(out: Path) -> set[str]:
    try:
        return {row["path"] for row in json.loads((out / "summary.json").read_text("utf-8"))["drafts"]}
    except (FileNotFoundError, json.JSONDecodeError):
        return set()


@pytest.fixture
def watching(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A watch loop on tmp_path/drafts in a thread (after its first pass); stopped after the test."""
    monkeypatch.setattr(scan, "SETTLE_SECONDS", 0.05)
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    shutil.copy(DRAFTS / "one_pager.md", drafts / "one_pager.md")
    session = BatchSession(Settings(data_dir=data_dir), drafts, out, concurrency=2)
    session.prepare()
    stop, started, errors = threading.Event(), threading.Event(), []
    thread = threading.Thread(
        target=watch, args=(session, stop), kwargs={"debounce": 0.2, "started": started, "on_error": errors.append}
    )
    thread.start()
    try:
        assert started.wait(30), "the first pass did not finish"
        assert (out / "one_pager.md.review.json").is_file()
        yield drafts, out
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive(), "the watch loop did not stop"
    assert errors == []


def test_watch_picks_up_new_changed_renamed_and_deleted_drafts(watching: tuple[Path, Path]) -> None:
    drafts, out = watching
    (drafts / "new").mkdir()
    shutil.copy(DRAFTS / "landing_page.md", drafts / "new" / "landing_page.md")
    assert wait_for(lambda: (out / "new" / "landing_page.md.review.json").is_file())
    assert wait_for(lambda: "new/landing_page.md" in summary_paths(out))

    # A browser upload: written as .part (ignored), then renamed to its real name.
    part = drafts / "upload.md.part"
    part.write_text((DRAFTS / "fast_start.md").read_text("utf-8"), "utf-8")
    part.rename(drafts / "upload.md")
    assert wait_for(lambda: (out / "upload.md.review.json").is_file())
    assert not (out / "upload.md.part.review.json").exists()

    report = out / "one_pager.md.review.json"
    first = Review.model_validate_json(report.read_text("utf-8")).draft.sha256
    with (drafts / "one_pager.md").open("a", encoding="utf-8") as handle:
        handle.write("\nOur data stays in Frankfurt, and we sign your DPA.\n")
    assert wait_for(lambda: Review.model_validate_json(report.read_text("utf-8")).draft.sha256 != first)

    (drafts / "new" / "landing_page.md").unlink()
    assert wait_for(lambda: summary_paths(out) == {"one_pager.md", "upload.md"})


def test_sigterm_stops_the_watch_command_cleanly(tmp_path: Path, data_dir: Path) -> None:
    drafts, out = tmp_path / "drafts", tmp_path / "reviews"
    drafts.mkdir()
    shutil.copy(DRAFTS / "one_pager.md", drafts / "one_pager.md")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    command = [sys.executable, "-m", "reviewer", "batch", str(drafts), "--out", str(out), "--watch"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert wait_for(lambda: (out / "summary.json").is_file(), timeout=60)
        shutil.copy(DRAFTS / "email_campaign.txt", drafts / "email_campaign.txt")
        assert wait_for(lambda: (out / "email_campaign.txt.review.json").is_file())
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert "stopped watching" in stdout.decode()
    assert "reviewed email_campaign.txt: score" in stderr.decode()
