"""What every review run reads but never changes: settings, themes, rules, embedder, model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reviewer.embeddings import Embedder, get_embedder
from reviewer.models import Theme, themes_by_note
from reviewer.review.vocabulary import Vocabulary, load_vocabulary
from reviewer.settings import Settings


@dataclass
class ReviewContext:
    """Loaded once per process (the screen and batch reuse it), passed to every node."""

    settings: Settings
    embedder: Embedder
    themes: list[Theme]
    theme_vectors: dict[str, np.ndarray]  # statement vectors per theme, for relevance
    ruleset: Any  # reviewer.rules.RuleSet, or None when no rules are configured
    guidelines: str  # the narrative guideline (guidelines.md), may be empty
    quoted_texts: dict[str, str] = field(default_factory=dict)  # texts of the notes the themes quote
    llm: Any = None  # reviewer.llm.StructuredLLM, None when offline
    flags: Any = None  # reviewer.feedback.FlagBook, None without feedback
    versions: dict[str, str] = field(default_factory=dict)  # corpus, rules, model, flags: batch skip keys
    opened_store: Any = None  # reviewer.store.NoteStore once opened; see `store`
    phrase_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # theme quotes, answers, labels
    vocabulary: Vocabulary = field(default_factory=Vocabulary)  # workspace proof terms and promises
    theme_passages: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # see `theme_store`
    statements: dict[str, list[Any]] = field(default_factory=dict)  # customer statements by note id
    read_texts: dict[str, str] = field(default_factory=dict)  # texts of the notes `statements_of` read
    chunk_records: dict[str, Any] = field(default_factory=dict)  # chunk rows the store read; see `review_store`
    _note_themes: dict[str, list[str]] | None = None

    STATEMENTS_KEPT = 20_000  # notes whose statements are kept; the oldest go first

    @property
    def note_themes(self) -> dict[str, list[str]]:
        """Note id -> ids of the themes it belongs to, built once (100,000s of entries at 100k calls)."""
        if self._note_themes is None:
            self._note_themes = themes_by_note(self.themes)
        return self._note_themes

    def statements_of(self, note_ids: Sequence[str]) -> dict[str, list[Any]]:
        """The customer statements of these stored notes, read once per note and context: from what
        mining kept (reviewer.objections.statements), else extracted."""
        found = {i: self.statements[i] for i in note_ids if i in self.statements}
        missing = [i for i in note_ids if i not in found]
        if missing:
            from reviewer.objections.statements import read_statements

            notes = self.store.get_notes(missing)
            read = read_statements(self.settings, notes)  # kept by mining: not extracted again
            unread = [note for note_id, note in notes.items() if note_id not in read]
            if unread:
                from reviewer.objections.extract import extract_statements

                read.update((note.note_id, extract_statements(note)) for note in unread)
            found.update(read)
            self.statements.update(read)
            self.read_texts.update((note_id, note.text) for note_id, note in notes.items())  # for note_texts
            for kept in (self.statements, self.read_texts):
                while len(kept) > self.STATEMENTS_KEPT:  # another thread may pop the same one
                    kept.pop(next(iter(kept)), None)
        return found

    def embed_phrases(self, texts: list[str]) -> np.ndarray:
        """Vectors of theme phrases, embedded once per process (flag texts join on first use)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.phrase_vectors]
        if missing:
            self.phrase_vectors.update(zip(missing, self.embedder.embed(missing)))
        return np.stack([self.phrase_vectors[t] for t in texts])

    @property
    def model_name(self) -> str:
        return "offline" if self.llm is None else self.settings.model

    @property
    def store(self) -> Any:
        """The call-note store, opened on first use (a review whose themes are on disk never needs it)."""
        if self.opened_store is None:
            from reviewer.store import open_store

            self.opened_store = open_store(self.settings)
        return self.opened_store

    @property
    def review_store(self) -> Any:
        """The store for the draft's queries, whose chunk rows are kept for the context's life (see below)."""
        return _KeptRecords(self.store, self.chunk_records)

    @property
    def theme_store(self) -> Any:
        """The store for theme queries, whose answers are kept for the context's life (see below)."""
        return _KeptAnswers(self.review_store, self.theme_passages)

    def note_texts(self, note_ids: Sequence[str]) -> dict[str, str]:
        """Texts of the cited notes (flags included), for grounding checks."""
        texts = {i: self.quoted_texts[i] for i in note_ids if i in self.quoted_texts}
        if self.flags is not None:
            texts.update(self.flags.texts([i for i in note_ids if i not in texts]))
        texts.update({i: self.read_texts[i] for i in note_ids if i not in texts and i in self.read_texts})
        missing = [i for i in note_ids if i not in texts]
        if missing:
            texts.update({i: n.text for i, n in self.store.get_notes(missing).items()})
        return texts


class _KeptRecords:
    """A store whose passage queries keep the chunk rows (metadata) they read.

    Each query still goes to Chroma; what is kept is the row of each chunk it returns, which a
    filter applied outside Chroma needs and which Chroma reads at a cost that grows with the store
    (30 ms for the 240 chunks of a one-page draft at 10,000 calls). A chunk's row never changes
    while the context's corpus version holds, and a draft under edit asks for mostly the same ones.
    """

    KEPT = 50_000  # chunk rows remembered; the oldest go first

    def __init__(self, store: Any, records: dict[str, Any]) -> None:
        self.store = store
        self.records = records

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def query_passages(self, vectors: np.ndarray, n_results: int = 10, **filters: Any) -> list[Any]:
        rows = self.store.query_passages(vectors, n_results, records=self.records, **filters)
        while len(self.records) > self.KEPT:  # another thread may have evicted the same one
            self.records.pop(next(iter(self.records)), None)
        return rows


class _KeptAnswers:
    """A store whose passage queries are answered once per query vector and filter.

    A theme's query depends on its statements and the draft's language, segment and product, never
    on the draft's sentences, so later drafts reuse the answers (at 100,000 calls one query can take
    seconds). A context lives as long as its corpus version, so they never outlive the notes.
    """

    KEPT = 4096  # query rows remembered; the oldest go first

    def __init__(self, store: Any, answers: dict[tuple[Any, ...], Any]) -> None:
        self.store = store
        self.answers = answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def query_passages(self, vectors: np.ndarray, n_results: int = 10, **filters: Any) -> list[Any]:
        rows = np.asarray(vectors, dtype=np.float32)
        keys = [(row.tobytes(), n_results, tuple(sorted(filters.items()))) for row in rows]
        row_of = dict(zip(keys, rows))
        found = {key: self.answers[key] for key in row_of if key in self.answers}
        missing = [key for key in row_of if key not in found]
        if missing:
            answered = self.store.query_passages(np.stack([row_of[k] for k in missing]), n_results, **filters)
            found.update(zip(missing, answered))
            self.answers.update((key, found[key]) for key in missing)
            while len(self.answers) > self.KEPT:  # another thread may have evicted the same one
                self.answers.pop(next(iter(self.answers)), None)
        return [found[key] for key in keys]


def build_context(settings: Settings, *, llm: Any = None) -> ReviewContext:
    """Load themes, rules and flags; the model client too unless offline.

    The embedded store is opened only when its manifest or the themes of its version are missing.
    """
    import hashlib

    from reviewer.feedback import open_flags
    from reviewer.objections import ThemeSnapshot, load_snapshot
    from reviewer.rules import load_rules
    from reviewer.store import open_store, read_manifest

    embedder = get_embedder(settings)
    manifest = read_manifest(settings)
    store = None
    if manifest is None:
        store = open_store(settings)
        snapshot = load_snapshot(settings, store) if store.notes.count() else ThemeSnapshot(themes=[], note_texts={})
        corpus_version = store.corpus_version
    else:
        snapshot = load_snapshot(settings)
        corpus_version = manifest["corpus_version"]
    themes = snapshot.themes
    # Every phrase the judges compare drafts with, embedded once per process in one batch.
    phrases = list(dict.fromkeys(p for t in themes for p in [*(q.quote for q in [*t.quotes, *t.answers]), t.label]))
    phrase_vectors = dict(zip(phrases, embedder.embed(phrases))) if phrases else {}
    theme_vectors = {
        t.theme_id: np.stack([phrase_vectors[q.quote] for q in t.quotes] + [phrase_vectors[t.label]]) for t in themes
    }
    guidelines_dir = settings.guidelines
    ruleset, guidelines = None, ""
    if guidelines_dir is not None:  # no brand rules unless a team configures its guidelines
        vale_ini = guidelines_dir / ".vale.ini"
        ruleset = (
            load_rules(config=vale_ini)
            if vale_ini.exists()
            else (load_rules(styles=guidelines_dir / "styles") if (guidelines_dir / "styles").is_dir() else None)
        )
        guideline_file = guidelines_dir / "guidelines.md"
        guidelines = guideline_file.read_text("utf-8") if guideline_file.exists() else ""
    if llm is None and not settings.offline:
        from reviewer.llm import LLMClient

        llm = LLMClient(settings)
    rules_digest = hashlib.sha256()
    for path in (
        sorted(p for p in guidelines_dir.rglob("*") if p.is_file())
        if guidelines_dir and guidelines_dir.is_dir()
        else []
    ):
        rules_digest.update(path.as_posix().encode() + path.read_bytes())
    flags = open_flags(settings)
    return ReviewContext(
        settings=settings,
        embedder=embedder,
        themes=themes,
        theme_vectors=theme_vectors,
        phrase_vectors=phrase_vectors,
        ruleset=ruleset,
        guidelines=guidelines,
        quoted_texts=snapshot.note_texts,
        llm=llm,
        flags=flags,
        versions={
            "corpus": corpus_version,
            "rules": rules_digest.hexdigest()[:16],
            "model": "offline" if llm is None else settings.model,
            "flags": flags.version(),
            "vocabulary": hashlib.sha256(
                (settings.vocabulary.read_bytes() if settings.vocabulary and settings.vocabulary.is_file() else b"")
                + settings.company.encode()
            ).hexdigest()[:16],
        },
        opened_store=store,
        vocabulary=load_vocabulary(settings.vocabulary),
    )
