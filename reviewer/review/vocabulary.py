"""Workspace words the judges may use: optional data a team keeps next to its taxonomy.

The judges hold only language-general signals (absolute words, negation, proof words such as
"according to"). What is specific to one company (its certificates as proof, promises its
calls keep contradicting) lives in a YAML file named by `REVIEWER_VOCABULARY`:

    proof_terms: [Fairtrade, TÜV]            # words that count as proof next to a claim
    absolute_claims: ["live in (a|one) day"] # extra absolute promises (regular expressions)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewer.errors import ConfigError
from reviewer.text import parse_yaml


class Vocabulary(BaseModel):
    """A workspace's own proof terms and absolute promises; empty by default."""

    model_config = ConfigDict(extra="forbid")

    proof_terms: list[str] = Field(default_factory=list, description="Terms that prove a claim (certificates, ...).")
    absolute_claims: list[str] = Field(
        default_factory=list, description="Regular expressions of absolute promises, beyond the general ones."
    )

    def proof_pattern(self) -> re.Pattern[str] | None:
        if not self.proof_terms:
            return None
        return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in self.proof_terms) + r")\b", re.IGNORECASE)

    def claims_pattern(self) -> re.Pattern[str] | None:
        if not self.absolute_claims:
            return None
        return re.compile("|".join(f"(?:{c})" for c in self.absolute_claims), re.IGNORECASE)


def load_vocabulary(path: Path | None) -> Vocabulary:
    """The vocabulary at path; empty when none is configured."""
    if path is None or str(path) in {"", "."}:
        return Vocabulary()
    try:
        data = parse_yaml(path.read_text("utf-8")) or {}
        vocabulary = Vocabulary.model_validate(data)
        vocabulary.proof_pattern()
        vocabulary.claims_pattern()
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path, f"cannot read the vocabulary: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(path, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    except re.error as exc:
        raise ConfigError(path, f"an absolute claim is not a valid regular expression: {exc}") from exc
    return vocabulary
