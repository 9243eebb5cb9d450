"""The language model unpacked into the model cache tells languages apart as the packaged one does."""

from __future__ import annotations

from pathlib import Path

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from reviewer.language_model import load_identifier

SENTENCES = [
    "Bonjour, nous trouvons le prix de votre logiciel beaucoup trop élevé pour notre équipe.",
    "Hola, el precio de la licencia nos parece demasiado alto para este año.",
    "Dit is een Nederlandse zin over de prijs van het product.",
    "Preis zu hoch",
    "Most teams figure it out quickly.",
]


def test_the_unpacked_copy_classifies_like_the_packaged_model(tmp_path: Path) -> None:
    packaged = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    expected = [packaged.classify(s) for s in SENTENCES]

    first = load_identifier(tmp_path)  # unpacks and keeps the copy
    (copy,) = tmp_path.glob("py3langid-*.raw")
    second = load_identifier(tmp_path)  # reads the copy
    assert [first.classify(s) for s in SENTENCES] == expected
    assert [second.classify(s) for s in SENTENCES] == expected
    assert copy.stat().st_size > 1_000_000


def test_an_unreadable_copy_is_unpacked_again(tmp_path: Path) -> None:
    load_identifier(tmp_path)
    (copy,) = tmp_path.glob("py3langid-*.raw")
    copy.write_bytes(b"not a numpy archive")
    assert load_identifier(tmp_path).classify(SENTENCES[0])[0] == "fr"
    assert copy.stat().st_size > 1_000_000  # written anew


def test_without_a_cache_the_packaged_model_is_used(tmp_path: Path) -> None:
    assert load_identifier(None).classify(SENTENCES[1])[0] == "es"
