"""Evidence retrieved from the store: customer passages by draft sentence and by theme."""

from __future__ import annotations

import pytest

from reviewer.graph import build_context, review_draft
from reviewer.report import render
from reviewer.store import open_store
from tests.demo import CORPUS_DIR

DRAFTS = CORPUS_DIR / "drafts"


@pytest.fixture(scope="module")
def ctx(demo_settings):
    return build_context(demo_settings)


def test_passages_are_filtered_by_side_and_language(demo_settings) -> None:
    store = open_store(demo_settings)
    query = build_context(demo_settings).embedder.embed(["Die Einführung hat Monate gedauert."])
    [rows] = store.query_passages(query, 20, language="de")
    assert rows
    notes = store.get_notes([p.chunk.note_id for p in rows])
    for passage in rows:
        assert passage.chunk.role != "seller"
        assert notes[passage.chunk.note_id].language == "de" == passage.language


def test_quotes_and_replies_come_from_the_retrieved_calls(ctx) -> None:
    review = review_draft(ctx, path=DRAFTS / "landingpage_de.md")
    assert review.draft.language == "de"
    evidence = [e for f in review.objections for e in f.evidence]
    assert evidence and any(f.answers for f in review.objections)
    notes = ctx.store.get_notes(sorted({e.note_id for f in review.objections for e in [*f.evidence, *f.answers]}))
    for finding in review.objections:
        for item in finding.evidence:
            note = notes[item.note_id]
            start = note.text.index(item.quote)  # verbatim
            assert not any(t.role == "seller" and t.start <= start < t.end for t in note.turns)
            assert item.other_language == (note.language != "de") and item.language == note.language
        for reply in finding.answers:
            assert reply.quote in notes[reply.note_id].text
        # The draft's language first.
        marks = [e.other_language for e in finding.evidence]
        assert marks == sorted(marks)
    assert any(not e.other_language for e in evidence)


def test_quotes_in_another_language_are_marked_in_the_report(ctx) -> None:
    review = review_draft(ctx, path=DRAFTS / "fast_start.md")
    other = [e for f in review.objections for e in f.evidence if e.other_language]
    if not other:
        pytest.skip("every quote of this review is in the draft's language")
    assert f"in {other[0].language}" in render(review, "markdown")


def test_judged_themes_follow_impact_and_retrieval_not_a_fixed_count() -> None:
    from reviewer.models import Theme
    from reviewer.review.relevance import MIN_DRAFT_HITS, MIN_IMPACT_SHARE, select_themes

    top = 80.0
    impacts = [top, top * 0.9, top * MIN_IMPACT_SHARE * 1.5, top * MIN_IMPACT_SHARE, top * MIN_IMPACT_SHARE * 0.5]
    themes = [
        Theme(theme_id=f"t{i}", label=f"t{i}", frequency=round(n), loss_rate=None, impact=n, keywords=["a", "b"])
        for i, n in enumerate(impacts)
    ]
    assert [t.theme.theme_id for t in select_themes(themes, {}, "en")] == ["t0", "t1", "t2", "t3"]
    close = select_themes(themes, {"t4": MIN_DRAFT_HITS + 0.01}, "en")  # the draft speaks to a small theme
    assert {t.theme.theme_id for t in close} == {"t0", "t1", "t2", "t3", "t4"}
    # A theme named by one term cannot be told answered from ignored, however large: never judged.
    themes[1] = themes[1].model_copy(update={"keywords": ["herr"]})
    assert [t.theme.theme_id for t in select_themes(themes, {"t1": 1.0}, "en")] == ["t0", "t2", "t3"]


def test_a_theme_without_calls_in_the_drafts_language_is_not_asked_in_it(ctx, monkeypatch) -> None:
    from reviewer.review.evidence import retrieve_evidence

    store = open_store(ctx.settings)
    themes = ctx.themes
    language = next(lang for lang in ("de", "en", "fr") if any(lang not in t.languages for t in themes))
    missing = [t for t in themes if language not in t.languages]
    assert missing and len(missing) < len(themes)
    asked: list[tuple[int, str | None]] = []
    query = store.query_passages

    def counting(vectors, n_results=10, **filters):
        asked.append((len(vectors), filters.get("language")))
        return query(vectors, n_results, **filters)

    monkeypatch.setattr(store, "query_passages", counting)
    found = retrieve_evidence(store, ctx.embed_phrases, themes, ctx.theme_vectors, language)
    assert asked[0] == (len(themes) - len(missing), language)
    # Asked anyway (as if some call were in that language), the same evidence comes back.
    forced = [t.model_copy(update={"languages": [*t.languages, language]}) for t in themes]
    asked.clear()
    again = retrieve_evidence(store, ctx.embed_phrases, forced, ctx.theme_vectors, language)
    assert asked[0] == (len(themes), language)
    assert found == again
    assert any(found.evidence.get(t.theme_id) for t in missing)  # the wider query still finds quotes
