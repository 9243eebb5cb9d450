"""The optional objection taxonomy: named themes that anchor and name what mining finds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewer.errors import ConfigError
from reviewer.text import parse_yaml


class NamedTheme(BaseModel):
    """One theme of the taxonomy file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Stable theme id.")
    label: str = Field(description="Short human label.")
    description: str = ""
    examples: list[str] = Field(min_length=1, description="Example phrases, in several languages.")
    keywords: list[str] = Field(default_factory=list, description="Optional extra distinctive terms.")


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: list[NamedTheme]
    digest: str = ""


def load_taxonomy(path: Path | None) -> Taxonomy | None:
    """The taxonomy at path, None when no path is configured or the file is absent."""
    if path is None or str(path) in {"", "."} or not path.exists():
        return None
    try:
        raw = path.read_bytes()
        data = parse_yaml(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path, f"cannot read the taxonomy: {exc}") from exc
    if isinstance(data, list):
        data = {"themes": data}
    if not isinstance(data, dict):
        raise ConfigError(path, "the taxonomy must be a list of themes or a mapping with 'themes'")
    try:
        taxonomy = Taxonomy(themes=data.get("themes") or [])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(path, f"invalid taxonomy at {where}: {first['msg']}") from exc
    ids = [t.id for t in taxonomy.themes]
    if len(ids) != len(set(ids)):
        raise ConfigError(path, "theme ids must be unique")
    taxonomy.digest = hashlib.sha256(raw).hexdigest()[:12]
    return taxonomy
