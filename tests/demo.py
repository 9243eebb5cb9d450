"""The demo company's corpus: its notes, drafts, taxonomy and guidelines, which tests pass explicitly."""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
DEMO_TAXONOMY = CORPUS_DIR / "objections.yaml"
DEMO_GUIDELINES = CORPUS_DIR / "guidelines"
# What `make demo` and `make run` set: the engine itself knows no taxonomy or guidelines.
DEMO_SETTINGS = {"taxonomy": DEMO_TAXONOMY, "guidelines": DEMO_GUIDELINES}
