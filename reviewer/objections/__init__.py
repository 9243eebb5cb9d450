"""Objection mining: statements from notes, grouped into themes, stored per corpus version."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from reviewer.atomic import write_atomic
from reviewer.embeddings import Embedder, backend_name, get_embedder
from reviewer.models import CallNote, Theme
from reviewer.objections.taxonomy import load_taxonomy
from reviewer.settings import Settings
from reviewer.store import NoteStore, open_store, read_manifest

if TYPE_CHECKING:
    from reviewer.objections.mining import MiningState

# Mining (and the extraction regexes it compiles) is imported where it runs, not here: a review
# reads the stored themes through this module and never mines.

# Bump when extraction or grouping changes, so stored themes and mining states are rebuilt.
MINING_VERSION = "18"
PAGE_NOTES = 2000  # notes read from the store at a time by a full mine


class ThemeSnapshot(BaseModel):
    """The themes of one corpus version, with the texts of the notes they quote (for grounding)."""

    themes: list[Theme]
    note_texts: dict[str, str]


def _mining_key(settings: Settings, embedding_model: str) -> str:
    taxonomy = load_taxonomy(settings.taxonomy)
    return "|".join([MINING_VERSION, embedding_model, taxonomy.digest if taxonomy else "none"])


def themes_path(settings: Settings, corpus_version: str, embedding_model: str) -> Path:
    key = _mining_key(settings, embedding_model) + "|" + corpus_version
    return settings.data_dir / "themes" / f"themes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def state_path(settings: Settings, embedding_model: str) -> Path:
    key = _mining_key(settings, embedding_model)
    return settings.data_dir / "themes" / f"state-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load_snapshot(settings: Settings, store: NoteStore | None = None) -> ThemeSnapshot:
    """The themes of the current corpus: read from disk, updated only when the corpus changed.

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


def read_state(settings: Settings, embedding_model: str) -> MiningState | None:
    """The mining state of an earlier run with the same method, model and taxonomy, if any."""
    from reviewer.objections.mining import MiningState

    path = state_path(settings, embedding_model)
    if not path.exists():
        return None
    try:
        state = MiningState.model_validate_json(path.read_bytes())
    except ValueError:  # an older or damaged state is rebuilt, never trusted
        return None
    return state if state.key == _mining_key(settings, embedding_model) else None


def refresh_snapshot(
    settings: Settings, store: NoteStore | None = None, *, rebuild: bool = False, llm: Any = None
) -> ThemeSnapshot:
    """Bring the themes up to date with the stored notes and save them for this corpus version.

    New notes join the existing themes (an update); the themes are fitted again (a full mine) on
    `rebuild`, when notes were removed or changed, or when the new notes drift from the themes.
    With a model configured, themes without a model-given name are named in one call.
    """
    from reviewer.objections.mining import Concerns, concerns_of, facts_of, full_mine, themes_of, update
    from reviewer.objections.statements import StatementWriter

    store = store or open_store(settings)
    taxonomy = load_taxonomy(settings.taxonomy)
    embedder = get_embedder(settings)
    key = _mining_key(settings, store.embedding_model)
    versions = store.note_versions()
    previous = read_state(settings, store.embedding_model)
    state = None if rebuild else previous
    with closing(StatementWriter(settings)) as kept:  # the statements extracted, for reviews
        if state is not None:
            removed = set(state.notes) - set(versions)
            changed = any(state.notes.get(i, v) != v for i, v in versions.items())
            added = [i for i in versions if i not in state.notes]
            if removed or changed:
                state = None
            elif added:
                notes = list(store.get_notes(added).values())
                chunks, vectors = store.chunk_vectors(added)
                extracted: dict[str, list[Any]] = {}
                fresh = concerns_of(notes, chunks, vectors, extracted)
                kept.put(notes, extracted, versions)
                if not update(state, facts_of(notes), fresh, {i: versions[i] for i in added}, taxonomy, embedder):
                    state = None
        if state is None:
            # Page by page: a note's text is needed only to extract its concerns, never all at once.
            facts, parts = {}, []
            for page in _pages(store.iter_notes(), PAGE_NOTES):
                chunks, vectors = store.chunk_vectors([n.note_id for n in page])
                extracted = {}
                parts.append(concerns_of(page, chunks, vectors, extracted))
                kept.put(page, extracted, versions)
                facts.update(facts_of(page))
            state = full_mine(facts, Concerns.joined(parts), versions, taxonomy, embedder, key, previous)
        kept.finish(store, versions)  # notes mined before the file existed, or without chunks
    if llm is None and not settings.offline:
        from reviewer.llm import LLMClient

        llm = LLMClient(settings)
    if llm is not None:
        from reviewer.objections.naming import name_themes

        name_themes(llm, state)
    write_atomic(state_path(settings, store.embedding_model), state.model_dump_json())
    themes = themes_of(state)
    cited = sorted({q.note_id for t in themes for q in [*t.quotes, *t.answers]})
    texts = {i: n.text for i, n in store.get_notes(cited).items()}
    snapshot = ThemeSnapshot(themes=themes, note_texts=texts)
    write_atomic(themes_path(settings, store.corpus_version, store.embedding_model), snapshot.model_dump_json())
    return snapshot


def _pages(notes: Iterator[CallNote], size: int) -> Iterator[list[CallNote]]:
    page: list[CallNote] = []
    for note in notes:
        page.append(note)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def refresh_themes(settings: Settings, store: NoteStore | None = None, *, rebuild: bool = False) -> list[Theme]:
    return refresh_snapshot(settings, store, rebuild=rebuild).themes


def mine_themes(notes: list[CallNote], settings: Settings, embedder: Embedder) -> list[Theme]:
    """Themes from notes in memory (no store): chunked and embedded exactly as ingest stores them."""
    from reviewer.objections.mining import themes_of

    return themes_of(mine_state(notes, settings, embedder))


def mine_state(notes: list[CallNote], settings: Settings, embedder: Embedder) -> MiningState:
    """A full mine of notes in memory, for benchmarks and tests."""
    import numpy as np

    from reviewer.ingest.chunking import chunk_note
    from reviewer.objections.mining import concerns_of, facts_of, full_mine

    chunks = [c for note in notes for c in chunk_note(note)]
    vectors = embedder.embed([c.text for c in chunks]) if chunks else np.zeros((0, 1), dtype=np.float32)
    versions = {n.note_id: "" for n in notes}
    key = _mining_key(settings, embedder.name)
    concerns = concerns_of(notes, chunks, vectors)
    return full_mine(facts_of(notes), concerns, versions, load_taxonomy(settings.taxonomy), embedder, key)


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
