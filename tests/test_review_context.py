"""A warm review context answers theme queries and note statements once, with the same findings."""

from __future__ import annotations

import reviewer.objections.extract as extract
import reviewer.objections.statements as kept_statements
from reviewer.graph import build_context, review_draft
from tests.demo import CORPUS_DIR

DRAFT = CORPUS_DIR / "drafts" / "landing_page.md"


def _findings(review) -> list:
    return [(f.theme_id, f.status, [(e.note_id, e.quote) for e in f.evidence]) for f in review.objections]


def test_later_reviews_reuse_theme_answers_and_statements(demo_settings, monkeypatch) -> None:
    fresh = _findings(review_draft(build_context(demo_settings), path=DRAFT))
    ctx = build_context(demo_settings)
    store = ctx.store
    queried: list[int] = []
    read: list[str] = []
    query, statements, kept = store.query_passages, extract.extract_statements, kept_statements.read_statements
    monkeypatch.setattr(
        store, "query_passages", lambda vectors, *a, **k: queried.append(len(vectors)) or query(vectors, *a, **k)
    )
    monkeypatch.setattr(extract, "extract_statements", lambda note: read.append(note.note_id) or statements(note))
    # Statements mining kept are read from its file, not extracted; either way, once per note.
    monkeypatch.setattr(
        kept_statements, "read_statements", lambda settings, notes: read.extend(notes) or kept(settings, notes)
    )

    first = review_draft(ctx, path=DRAFT)
    assert first.objections and len(queried) >= 2 and read
    sentences = queried[0]  # the draft's sentences go first
    queried.clear()
    read.clear()
    again = review_draft(ctx, path=DRAFT)
    assert queried == [sentences]  # only the draft's own sentences are asked again
    assert read == []  # the quoted calls' statements are not read or extracted again
    assert _findings(first) == _findings(again) == fresh
