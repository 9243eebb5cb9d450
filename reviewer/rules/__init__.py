"""Brand rules engine compatible with Vale styles: load_rules, lint_text, lint_paths."""

from __future__ import annotations

from pathlib import Path

from reviewer.errors import ConfigError
from reviewer.rules.config import RuleSet, load_config, load_styles_folder
from reviewer.rules.engine import FORMATS, lint_paths, lint_text

__all__ = ["FORMATS", "ConfigError", "RuleSet", "lint_paths", "lint_text", "load_rules"]


def load_rules(config: Path | None = None, styles: Path | None = None) -> RuleSet:
    """A RuleSet from a .vale.ini, or from a folder of styles (every style enabled)."""
    if config is not None:
        config = Path(config)
        if config.is_dir():
            config = config / ".vale.ini"
        if not config.is_file():
            raise ConfigError(config, "configuration file not found")
        return load_config(config)
    if styles is not None:
        return load_styles_folder(Path(styles))
    raise ConfigError(None, "give a .vale.ini (config) or a styles folder (styles)")
