"""The static model as the reviewer loads it encodes exactly as model2vec's own loader does."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from reviewer.embeddings import StaticEmbedder, _load_static_model
from reviewer.settings import Settings

TEXTS = [
    "The price is too high for a team of our size.",
    "Wie lange dauert die Lieferung nach Wien?",
    "word " * 800,  # longer than the model's maximum length: truncated alike
    "",
]


def test_the_fast_loader_encodes_like_model2vec() -> None:
    folder = Settings().model_cache / StaticEmbedder.name
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"the static model is not distilled in {folder} (run any review once to distill it)")
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    ours = _load_static_model(folder)
    theirs = StaticModel.from_pretrained(str(folder))
    assert np.array_equal(ours.encode(TEXTS), theirs.encode(TEXTS))
    assert Tokenizer not in copy._deepcopy_dispatch  # type: ignore[attr-defined]  # the shortcut is gone again
    assert copy.deepcopy(ours.tokenizer) is not ours.tokenizer
