"""Filtered similarity queries give what Chroma's own filter gives, common filter or rare."""

from __future__ import annotations

from collections import Counter

import pytest

from reviewer.embeddings import get_embedder
from reviewer.store import open_store

QUERIES = [
    "The price is too high for our budget this year.",
    "How long does the rollout take for a team like ours?",
    "Does it connect to the tools we already use?",
    "Die Einführung hat Monate gedauert.",
    "Ist das mit der DSGVO vereinbar?",
]


def _ids(rows: list[list]) -> list[list[str]]:
    return [[hit[0].chunk_id for hit in row] for row in rows]


def test_filters_applied_to_the_nearest_chunks_match_chromas_filter(demo_settings) -> None:
    store = open_store(demo_settings)
    vectors = get_embedder(demo_settings).embed(QUERIES)
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    languages = Counter(m["language"] for m in metas if m.get("language"))
    segments = Counter(m["segment"] for m in metas if m.get("segment"))
    assert len(languages) > 1 and segments
    not_seller = {"role": {"$ne": "seller"}}
    rare_language = min(languages, key=languages.__getitem__)  # few pass among the nearest: asked again
    filters = [
        not_seller,
        {"$and": [not_seller, {"language": languages.most_common(1)[0][0]}]},
        {"$and": [not_seller, {"language": rare_language}]},
        {"$and": [not_seller, {"segment": min(segments, key=segments.__getitem__)}]},
        {"role": "seller"},
    ]
    for where in filters:
        ours = store.query_chunks(vectors, 6, where, with_metadata=True)
        chromas = store._query(vectors, 6, where, True, True)  # the filter inside Chroma's query
        assert _ids(ours) == _ids(chromas), where
        for row in ours:
            assert all(hit[2]["role"] != "seller" for hit in row) or where == {"role": "seller"}


@pytest.mark.parametrize("with_metadata", [False, True])
def test_a_filter_with_other_operators_goes_to_chroma(demo_settings, with_metadata: bool) -> None:
    store = open_store(demo_settings)
    vectors = get_embedder(demo_settings).embed(QUERIES[:2])
    [some] = store.chunks.get(limit=1, include=["metadatas"])["metadatas"]
    where = {"note_id": {"$in": [some["note_id"]]}}
    rows = store.query_chunks(vectors, 4, where, with_metadata=with_metadata)
    assert rows[0] and all(hit[0].note_id == some["note_id"] for row in rows for hit in row)
    assert all(len(hit) == (3 if with_metadata else 2) for row in rows for hit in row)


def test_without_texts_the_same_chunks_come_back_with_empty_text(demo_settings) -> None:
    store = open_store(demo_settings)
    vectors = get_embedder(demo_settings).embed(QUERIES)
    notes = list({m["note_id"] for m in store.chunks.get(limit=50, include=["metadatas"])["metadatas"]})
    # A filter applied here, and one Chroma applies ($in).
    for where in ({"role": {"$ne": "seller"}}, {"note_id": {"$in": notes}}):
        full = store.query_chunks(vectors, 5, where, with_metadata=True)
        bare = store.query_chunks(vectors, 5, where, with_metadata=True, texts=False)
        assert [[(h[0].model_copy(update={"text": ""}), h[1], h[2]) for h in row] for row in full] == bare
        assert all(h[0].text for row in full for h in row)


def test_kept_chunk_rows_answer_later_queries_without_reading_them_again(demo_settings, monkeypatch) -> None:
    store = open_store(demo_settings)
    vectors = get_embedder(demo_settings).embed(QUERIES)
    records: dict = {}
    first = store.query_passages(vectors, 4, texts=False, records=records)
    assert records and all(text is None for text, _ in records.values())
    read: list[int] = []
    get = store.chunks.get
    monkeypatch.setattr(store.chunks, "get", lambda *a, **k: read.append(len(k.get("ids") or [])) or get(*a, **k))
    assert store.query_passages(vectors, 4, texts=False, records=records) == first
    assert read == []  # every row was kept
    with_texts = store.query_passages(vectors, 4, records=records)  # texts are read once asked for
    assert read and all(p.chunk.text for row in with_texts for p in row)
    assert [[p.chunk.chunk_id for p in row] for row in with_texts] == [[p.chunk.chunk_id for p in row] for row in first]
