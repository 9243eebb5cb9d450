"""A workspace vocabulary (REVIEWER_VOCABULARY): read with the shared YAML reader, bad files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.errors import ConfigError
from reviewer.review.vocabulary import load_vocabulary
from tests.demo import DEMO_SETTINGS


def test_the_demo_vocabulary_reads_and_matches_its_terms() -> None:
    vocabulary = load_vocabulary(Path(DEMO_SETTINGS["vocabulary"]))
    proof = vocabulary.proof_pattern()
    claims = vocabulary.claims_pattern()
    assert proof is not None and proof.search("Certified to ISO 27001 since 2021")
    assert claims is not None and claims.search("You are live in one day.")
    assert load_vocabulary(None).proof_pattern() is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("proof_terms: [ISO\n", "cannot read the vocabulary"),
        ("proof_term: [ISO]\n", "proof_term"),
        ("absolute_claims: ['live in (a day']\n", "not a valid regular expression"),
    ],
)
def test_a_bad_vocabulary_names_the_file_and_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_vocabulary(path)
    assert "vocabulary.yaml" in str(caught.value) and reason in str(caught.value)
