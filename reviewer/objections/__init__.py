"""Objection mining: statements from notes, grouped into themes, stored per corpus version."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from reviewer.atomic import write_atomic
from reviewer.embeddings import Embedder, backend_name, get_embedder
from reviewer.models import CallNote, Theme
from reviewer.objections.extract import Statement, extract_statements
from reviewer.objections.taxonomy import load_taxonomy
from reviewer.objections.themes import build_themes
from reviewer.settings import Settings
from reviewer.store import NoteStore, open_store, read_manifest

# Bump when extraction or grouping changes, so stored themes are rebuilt.
MINING_VERSION = "12"


class ThemeSnapshot(BaseModel):
    """The themes of one corpus version, with the texts of the notes they quote (for grounding)."""

    themes: list[Theme]
    note_texts: dict[str, str]


def themes_path(settings: Settings, corpus_version: str, embedding_model: str) -> Path:
    taxonomy = load_taxonomy(settings.taxonomy)
    key = "|".join([MINING_VERSION, corpus_version, embedding_model, taxonomy.digest if taxonomy else "none"])
    return settings.data_dir / "themes" / f"themes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load_snapshot(settings: Settings, store: NoteStore | None = None) -> ThemeSnapshot:
    """The themes of the current corpus: read from disk, built only when the corpus changed.

    With the embedded store the corpus version is read from its manifest, so a review whose
    themes are on disk never has to open Chroma.
    """
    manifest = read_manifest(settings) if store is None else None
    if manifest and manifest["embedding_model"] == backend_name(settings):
        path = themes_path(settings, manifest["corpus_version"], manifest["embedding_model"])
        if path.exists():
            return ThemeSnapshot.model_validate_json(path.read_text("utf-8"))
    store = store or open_store(settings)
    path = themes_path(settings, store.corpus_version, store.embedding_model)
    if path.exists():
        return ThemeSnapshot.model_validate_json(path.read_text("utf-8"))
    return refresh_snapshot(settings, store)


def load_themes(settings: Settings, store: NoteStore | None = None) -> list[Theme]:
    return load_snapshot(settings, store).themes


def refresh_snapshot(settings: Settings, store: NoteStore | None = None) -> ThemeSnapshot:
    """Mine the stored notes and save their themes for this corpus version."""
    store = store or open_store(settings)
    notes = {n.note_id: n for n in store.iter_notes()}
    themes = mine_themes(list(notes.values()), settings, get_embedder(settings))
    cited = {q.note_id for t in themes for q in [*t.quotes, *t.answers]}
    snapshot = ThemeSnapshot(themes=themes, note_texts={i: notes[i].text for i in sorted(cited) if i in notes})
    write_atomic(themes_path(settings, store.corpus_version, store.embedding_model), snapshot.model_dump_json())
    return snapshot


def refresh_themes(settings: Settings, store: NoteStore | None = None) -> list[Theme]:
    return refresh_snapshot(settings, store).themes


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
