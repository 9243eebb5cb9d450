"""What every review run reads but never changes: settings, themes, rules, embedder, model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reviewer.embeddings import Embedder, get_embedder
from reviewer.models import Theme
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
    store: Any  # reviewer.store.NoteStore, or None without a corpus
    llm: Any = None  # reviewer.llm.StructuredLLM, None when offline
    flags: Any = None  # reviewer.feedback.FlagBook, None without feedback
    versions: dict[str, str] = field(default_factory=dict)  # corpus, rules, model: batch skip keys

    @property
    def model_name(self) -> str:
        return "offline" if self.llm is None else self.settings.model

    def note_texts(self, note_ids: Sequence[str]) -> dict[str, str]:
        """Texts of the cited notes (flags included), for grounding checks."""
        texts: dict[str, str] = {}
        if self.store is not None:
            texts.update({i: n.text for i, n in self.store.get_notes(list(note_ids)).items()})
        if self.flags is not None:
            texts.update(self.flags.texts([i for i in note_ids if i not in texts]))
        return texts


def build_context(settings: Settings, *, llm: Any = None) -> ReviewContext:
    """Open the store, load themes and rules; the model client too unless offline."""
    import hashlib

    from reviewer.feedback import open_flags
    from reviewer.objections import load_themes
    from reviewer.rules import load_rules
    from reviewer.store import open_store

    embedder = get_embedder(settings)
    store = open_store(settings)
    themes = load_themes(settings, store) if store.notes.count() else []
    theme_vectors = {t.theme_id: embedder.embed([q.quote for q in t.quotes] + [t.label]) for t in themes}
    guidelines_dir = settings.guidelines
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
    for path in sorted(p for p in guidelines_dir.rglob("*") if p.is_file()) if guidelines_dir.is_dir() else []:
        rules_digest.update(path.as_posix().encode() + path.read_bytes())
    return ReviewContext(
        settings=settings,
        embedder=embedder,
        themes=themes,
        theme_vectors=theme_vectors,
        ruleset=ruleset,
        guidelines=guidelines,
        store=store,
        llm=llm,
        flags=open_flags(settings),
        versions={
            "corpus": store.corpus_version,
            "rules": rules_digest.hexdigest()[:16],
            "model": "offline" if llm is None else settings.model,
        },
    )
