"""Objection mining: statements from notes, grouped into themes, stored per corpus version."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from reviewer.atomic import write_atomic
from reviewer.embeddings import Embedder, get_embedder
from reviewer.models import CallNote, Theme
from reviewer.objections.extract import Statement, extract_statements
from reviewer.objections.taxonomy import load_taxonomy
from reviewer.objections.themes import build_themes
from reviewer.settings import Settings
from reviewer.store import NoteStore, open_store

# Bump when extraction or grouping changes, so stored themes are rebuilt.
MINING_VERSION = "7"


def themes_path(settings: Settings, store: NoteStore) -> Path:
    taxonomy = load_taxonomy(settings.taxonomy)
    key = "|".join(
        [MINING_VERSION, store.corpus_version, store.embedding_model, taxonomy.digest if taxonomy else "none"]
    )
    return settings.data_dir / "themes" / f"themes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load_themes(settings: Settings, store: NoteStore | None = None) -> list[Theme]:
    """The themes of the current corpus: read from disk, built only when the corpus changed."""
    store = store or open_store(settings)
    path = themes_path(settings, store)
    if path.exists():
        return [Theme.model_validate(t) for t in json.loads(path.read_text("utf-8"))]
    return refresh_themes(settings, store)


def refresh_themes(settings: Settings, store: NoteStore | None = None) -> list[Theme]:
    """Mine the stored notes and save their themes for this corpus version."""
    store = store or open_store(settings)
    notes = {n.note_id: n for n in store.iter_notes()}
    themes = mine_themes(list(notes.values()), settings, get_embedder(settings))
    path = themes_path(settings, store)
    write_atomic(path, json.dumps([t.model_dump() for t in themes], ensure_ascii=False))
    return themes


def mine_themes(notes: list[CallNote], settings: Settings, embedder: Embedder) -> list[Theme]:
    """Themes from notes in memory (no store): extraction, embedding with a cache, grouping."""
    statements: list[Statement] = [s for note in notes for s in extract_statements(note)]
    vectors = _embed_cached(statements, embedder, settings)
    return build_themes(statements, vectors, {n.note_id: n for n in notes}, load_taxonomy(settings.taxonomy), embedder)


def filter_themes(
    themes: list[Theme],
    segment: str | None = None,
    product: str | None = None,
    language: str | None = None,
    top: int | None = None,
) -> list[Theme]:
    """Themes raised in the given segment/product/language, ranked by impact."""

    def matches(values: list[str], wanted: str | None) -> bool:
        return wanted is None or wanted.lower() in {v.lower() for v in values}

    kept = [
        t
        for t in themes
        if matches(t.segments, segment) and matches(t.products, product) and matches(t.languages, language)
    ]
    kept.sort(key=lambda t: (-t.impact, t.theme_id))
    return kept[:top] if top else kept


def _embed_cached(statements: list[Statement], embedder: Embedder, settings: Settings) -> np.ndarray:
    """Statement vectors, reusing those computed by earlier runs (pays off with slow embedders)."""
    if not statements:
        return np.zeros((0, 1), dtype=np.float32)
    cache_path = settings.data_dir / "themes" / f"vectors-{_slug(embedder.name)}.npz"
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        with np.load(cache_path) as stored:
            cache = dict(zip(stored["keys"].tolist(), stored["vectors"]))
    keys = [hashlib.sha1(s.text.encode()).hexdigest() for s in statements]
    missing = sorted({k: s.text for k, s in zip(keys, statements) if k not in cache}.items())
    if missing:
        fresh = embedder.embed([text for _, text in missing])
        cache.update({k: v for (k, _), v in zip(missing, fresh)})
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
        write_atomic(cache_path, buffer.getvalue())
    return np.stack([cache[k] for k in keys])


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)
