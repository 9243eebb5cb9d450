"""One Vale rule file (YAML) to a compiled Rule; bad files raise ConfigError naming the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex
import yaml

from reviewer.errors import ConfigError
from reviewer.rules import casing, checks, metrics
from reviewer.rules.model import LEVELS
from reviewer.rules.scopes import Scope
from reviewer.text import parse_yaml

SUPPORTED: dict[str, type[checks.Check | metrics.Readability | metrics.Metric]] = {
    "existence": checks.Existence,
    "substitution": checks.Substitution,
    "occurrence": checks.Occurrence,
    "repetition": checks.Repetition,
    "consistency": checks.Consistency,
    "conditional": checks.Conditional,
    "capitalization": casing.Capitalization,
    "readability": metrics.Readability,
    "metric": metrics.Metric,
}
UNSUPPORTED = {"spelling", "sequence", "script"}
# Measuring rules read the whole document unless they name another scope.
_DOCUMENT_TYPES = {"readability", "metric"}


class UnsupportedRule(Exception):
    """A valid rule of a type this engine does not run (spelling, sequence, script)."""


@dataclass
class Rule:
    """A compiled rule: identity, severity, where it applies, and its check."""

    name: str
    extends: str
    level: str
    message: str
    link: str | None
    scope: Scope
    limit: int
    check: checks.Check | metrics.Readability | metrics.Metric
    path: Path
    anchored: bool = False
    # Matches found in the joined blocks are the block's own matches (no lookahead past its end).
    reusable: bool = False


def load_rule(path: Path, name: str, vocab: list[str]) -> Rule:
    """Read and compile one rule file."""
    try:
        spec = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {exc}".replace("\n", " ")) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read rule file: {exc}") from exc
    if not isinstance(spec, dict):
        raise ConfigError(path, "a rule file must be a YAML mapping")
    return build_rule(spec, name, path, vocab)


def build_rule(spec: dict, name: str, path: Path, vocab: list[str]) -> Rule:
    """Validate a parsed rule mapping and compile its check."""
    extends = spec.get("extends")
    if not extends:
        raise ConfigError(path, "missing the required 'extends' key")
    extends = str(extends)
    if extends in UNSUPPORTED:
        raise UnsupportedRule(f"{name}: rule type '{extends}' is not supported; rule skipped")
    if extends not in SUPPORTED:
        kinds = ", ".join(sorted(SUPPORTED | dict.fromkeys(UNSUPPORTED)))
        raise ConfigError(path, f"unknown rule type 'extends: {extends}' (expected one of {kinds})")
    if "message" not in spec:
        raise ConfigError(path, "missing the required 'message' key")
    level = str(spec.get("level", "suggestion"))
    if level not in LEVELS:
        raise ConfigError(path, f"'level' must be one of {list(LEVELS)}, got {level!r}")
    scopes = spec.get("scope")
    scopes = [str(s) for s in scopes] if isinstance(scopes, list) else ([str(scopes)] if scopes else [])
    if extends in _DOCUMENT_TYPES and (not scopes or scopes == ["text"]):
        scopes = ["summary"]
    for s in scopes:
        if " " in s.strip():
            raise ConfigError(path, f"scope '{s}' contains spaces")
    try:
        check = SUPPORTED[extends](spec, vocab)
    except regex.error as exc:
        raise ConfigError(path, f"invalid regular expression: {exc}") from exc
    except (ValueError, TypeError, SyntaxError) as exc:
        raise ConfigError(path, str(exc)) from exc
    pattern = getattr(check, "pattern", None)
    source = pattern.pattern if pattern is not None else ""
    action = spec.get("action")
    if action is not None and not isinstance(action, dict):
        raise ConfigError(path, "'action' must be a mapping with 'name' and 'params'")
    return Rule(
        name=name,
        extends=extends,
        level=level,
        message=str(spec["message"]),
        link=str(spec["link"]) if spec.get("link") else None,
        scope=Scope(scopes or ["text"]),
        limit=int(spec.get("limit", 0) or 0),
        check=check,
        path=path,
        anchored=_boundary_sensitive(source),
        reusable=not _boundary_sensitive(source) and "(?=" not in source,
    )


_NEGATIVE_AHEAD = regex.compile(r"\(\?!(?:[^()]|\([^()]*\))*?(?:\\[sSWnZz]|\$|(?<!\\)\.|\[\^)")


def _boundary_sensitive(source: str) -> bool:
    """True when a match could change if the text after the block's end were different.

    Such rules run on every block instead of only where a document-wide search hit.
    """
    if any(t in source for t in ("(?<", "\\A", "\\Z", "\\z")):
        return True
    return _NEGATIVE_AHEAD.search(source) is not None
