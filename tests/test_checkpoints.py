"""Review checkpoints: keyed by what the review reads, so a resumed review never reports on old text."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from reviewer.graph import build_context, review_draft
from reviewer.graph.context import ReviewContext
from reviewer.settings import Settings
from tests.demo import CORPUS_DIR

DRAFTS = CORPUS_DIR / "drafts"


@pytest.fixture(scope="module")
def data_dir(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("checkpoints") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    return target


@pytest.fixture
def ctx(data_dir: Path) -> ReviewContext:
    return build_context(Settings(data_dir=data_dir))


def interrupt_review(ctx: ReviewContext, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start a checkpointed review of `path` and stop it in the tone step (after load and segment)."""
    import reviewer.graph.nodes as nodes

    with monkeypatch.context() as patch:
        patch.setattr(nodes, "judge_tone", lambda draft: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            review_draft(ctx, path=path, checkpoint=True)


def test_an_edited_draft_is_reviewed_afresh_not_resumed(ctx, tmp_path, monkeypatch) -> None:
    draft = tmp_path / "page.md"
    shutil.copy(DRAFTS / "one_pager.md", draft)
    interrupt_review(ctx, draft, monkeypatch)
    draft.write_text(draft.read_text("utf-8") + "\n\nOur new paragraph talks about the mobile app.\n", "utf-8")
    steps: list[str] = []
    review = review_draft(ctx, path=draft, checkpoint=True, on_step=steps.append)
    assert review.draft.sha256 == hashlib.sha256(draft.read_bytes()).hexdigest()
    assert "load" in steps  # reviewed from the start, on the text as it is now


def test_the_same_bytes_resume_where_they_stopped(ctx, tmp_path, monkeypatch) -> None:
    draft = tmp_path / "page.md"
    shutil.copy(DRAFTS / "one_pager.md", draft)
    interrupt_review(ctx, draft, monkeypatch)
    draft.write_bytes(draft.read_bytes())  # saved again, unchanged: the key is the content, not the mtime
    steps: list[str] = []
    review = review_draft(ctx, path=draft, checkpoint=True, on_step=steps.append)
    assert "load" not in steps and "segment" not in steps and "report" in steps
    assert review.draft.sha256 == hashlib.sha256(draft.read_bytes()).hexdigest()


def test_new_flags_or_settings_start_the_review_again(ctx, data_dir, tmp_path, monkeypatch) -> None:
    draft = tmp_path / "page.md"
    shutil.copy(DRAFTS / "one_pager.md", draft)
    interrupt_review(ctx, draft, monkeypatch)
    other = build_context(Settings(data_dir=data_dir, redact=False))  # a setting the review reads
    steps: list[str] = []
    review_draft(other, path=draft, checkpoint=True, on_step=steps.append)
    assert "load" in steps

    interrupt_review(ctx, draft, monkeypatch)
    ctx.flags.add_missed("customers keep asking about the mobile app", draft_path=str(draft))
    flagged = build_context(Settings(data_dir=data_dir))
    assert flagged.versions["flags"] != ctx.versions["flags"]
    steps.clear()
    review_draft(flagged, path=draft, checkpoint=True, on_step=steps.append)
    assert "load" in steps


def test_resuming_deserializes_only_registered_types(ctx, tmp_path, monkeypatch) -> None:
    """LangGraph warns about (and will block) state types nobody registered; ours are registered."""
    from langgraph.checkpoint.serde.event_hooks import register_serde_event_listener

    from reviewer.graph.graph import state_models

    names = {model.__name__ for model in state_models()}
    assert {"Draft", "RelevantTheme", "BrandFinding", "CoverageVerdict", "ObjectionFinding", "Review"} <= names
    draft = tmp_path / "page.md"
    shutil.copy(DRAFTS / "landing_page.md", draft)
    interrupt_review(ctx, draft, monkeypatch)
    events: list[dict] = []
    unregister = register_serde_event_listener(events.append)
    try:
        review = review_draft(ctx, path=draft, checkpoint=True)
    finally:
        unregister()
    assert review.objections and review.draft.sha256 == hashlib.sha256(draft.read_bytes()).hexdigest()
    assert [e for e in events if e.get("kind", "").startswith("msgpack")] == []
