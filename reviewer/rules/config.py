"""`.vale.ini` and styles-folder loading into a RuleSet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.errors import ConfigError
from reviewer.rules.definitions import Rule, UnsupportedRule, build_rule, load_rule
from reviewer.rules.model import LEVELS

_ALIASES = {
    "markdown": "md",
    "md": "md",
    "mdx": "mdx",
    "html": "html",
    "htm": "html",
    "txt": "txt",
    "text": "txt",
    "plain": "txt",
    "rst": "rst",
    "adoc": "adoc",
    "asciidoc": "adoc",
}


def normalize_format(fmt: str) -> str:
    """Canonical format name for md/markdown/html/txt/rst/adoc; ValueError otherwise."""
    key = fmt.lower().lstrip(".")
    if key not in _ALIASES:
        raise ValueError(f"unsupported format {fmt!r}; use one of md, mdx, html, txt, rst, adoc")
    return _ALIASES[key]


_SWITCH = {"YES": True, "NO": False, "TRUE": True, "FALSE": False, "ON": True, "OFF": False}


@dataclass
class Section:
    """One `[glob]` section: the styles it bases files on and per-rule switches or levels."""

    glob: str
    pattern: re.Pattern
    styles: list[str] | None = None
    checks: dict[str, bool | str] = field(default_factory=dict)


@dataclass
class RuleSet:
    """Every loaded rule plus the configuration that decides which apply to a file."""

    rules: dict[str, Rule]
    sections: list[Section]
    min_level: int = 0
    warnings: list[str] = field(default_factory=list)
    global_styles: list[str] = field(default_factory=list)
    global_checks: dict[str, bool | str] = field(default_factory=dict)
    config_path: Path | None = None
    formats: dict[str, str] = field(default_factory=dict)  # `[formats]`: extension -> format, e.g. mdx -> md

    def rules_for(self, path: str) -> list[tuple[Rule, str]] | None:
        """(rule, level) pairs enabled for a file path; None when no section covers it."""
        styles = list(self.global_styles)
        checks = dict(self.global_checks)
        matched = not self.sections or bool(styles or checks)
        name = path.replace("\\", "/")
        base = name.rsplit("/", 1)[-1]
        for section in self.sections:
            if section.pattern.fullmatch(name) or section.pattern.fullmatch(base):
                matched = True
                if section.styles is not None:
                    styles = section.styles
                checks.update(section.checks)
        if not matched:
            return None
        chosen = []
        for rule_name, rule in self.rules.items():
            setting = checks.get(rule_name)
            style = rule_name.split(".", 1)[0]
            if setting is False or (setting is None and style not in styles):
                continue
            level = setting if isinstance(setting, str) else rule.level
            if LEVELS[level] >= self.min_level:
                chosen.append((rule, level))
        return chosen


def glob_to_regex(glob: str) -> re.Pattern:
    """Vale section globs: *, ?, [..] and {a,b} alternatives."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "{":
            close = glob.find("}", i)
            if close < 0:
                out.append(re.escape(c))
            else:
                out.append("(?:" + "|".join(re.escape(p) for p in glob[i + 1 : close].split(",")) + ")")
                i = close
        elif c == "[":
            close = glob.find("]", i)
            out.append(glob[i : close + 1] if close > 0 else re.escape(c))
            i = close if close > 0 else i
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def parse_ini(path: Path) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """Global keys and ordered sections of a .vale.ini (keys keep their case)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read configuration: {exc}") from exc
    top: dict[str, str] = {}
    sections: list[tuple[str, dict[str, str]]] = []
    current = top
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = {}
            sections.append((line[1:-1].strip(), current))
            continue
        if "=" not in line:
            raise ConfigError(path, f"line {number}: expected 'key = value', got {line!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        current[key] = value
    return top, sections


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _switch(path: Path, key: str, value: str) -> bool | str:
    if value.upper() in _SWITCH:
        return _SWITCH[value.upper()]
    if value.lower() in LEVELS:
        return value.lower()
    raise ConfigError(path, f"'{key} = {value}': expected YES, NO or a level")


def _formats(config: Path, keys: dict[str, str]) -> dict[str, str]:
    """The `[formats]` section: `mdx = md` lints .mdx files as Markdown."""
    mapped = {}
    for ext, fmt in keys.items():
        try:
            mapped[ext.lower().lstrip(".")] = normalize_format(fmt)
        except ValueError as exc:
            raise ConfigError(config, f"[formats] {ext} = {fmt}: {exc}") from exc
    return mapped


def load_config(config: Path) -> RuleSet:
    """Load a .vale.ini and every style it references."""
    top, raw_sections = parse_ini(config)
    styles_path = top.get("StylesPath")
    if not styles_path:
        raise ConfigError(config, "missing StylesPath")
    styles_dir = (config.parent / styles_path).resolve()
    if not styles_dir.is_dir():
        raise ConfigError(config, f"StylesPath '{styles_path}' is not a folder ({styles_dir})")
    level = top.get("MinAlertLevel", "suggestion").lower()
    if level not in LEVELS:
        raise ConfigError(config, f"MinAlertLevel must be one of {list(LEVELS)}, got {level!r}")
    vocab = _vocab(styles_dir, _split(top.get("Vocab", "")))
    sections, wanted, global_checks = [], set(), {}
    global_styles = _split(top.get("BasedOnStyles", ""))
    wanted.update(global_styles)
    formats: dict[str, str] = {}
    for glob, keys in raw_sections:
        if glob.lower() == "formats":
            formats.update(_formats(config, keys))
            continue
        section = Section(glob, glob_to_regex(glob))
        for key, value in keys.items():
            if key == "BasedOnStyles":
                section.styles = _split(value)
                wanted.update(section.styles)
            elif key == "Vocab":
                vocab += _vocab(styles_dir, _split(value))
            elif "." in key:
                section.checks[key] = _switch(config, key, value)
                wanted.add(key.split(".", 1)[0])
        sections.append(section)
    for key, value in top.items():
        if "." in key and key[0].isupper():
            global_checks[key] = _switch(config, key, value)
            wanted.add(key.split(".", 1)[0])
    ruleset = RuleSet(
        {},
        sections,
        LEVELS[level],
        global_styles=global_styles,
        global_checks=global_checks,
        config_path=config,
        formats=formats,
    )
    for style in sorted(wanted):
        _load_style(ruleset, styles_dir, style, vocab)
    for maybe_section in [*sections, None]:
        checks = maybe_section.checks if maybe_section else global_checks
        for name in checks:
            if name not in ruleset.rules and not name.startswith("Vale."):
                ruleset.warnings.append(f"{config}: rule {name} is enabled but has no rule file")
    return ruleset


def load_styles_folder(styles: Path, config_path: Path | None = None) -> RuleSet:
    """Every style under a styles folder, all enabled (no .vale.ini)."""
    if not styles.is_dir():
        raise ConfigError(styles, "styles folder not found")
    ruleset = RuleSet({}, [], 0, config_path=config_path)
    names = sorted(p.name for p in styles.iterdir() if p.is_dir() and any(p.glob("*.yml")))
    if not names and any(styles.glob("*.yml")):
        names = [styles.name]
        styles = styles.parent
    ruleset.global_styles = names
    vocab = _vocab(styles, [])
    for name in names:
        _load_style(ruleset, styles, name, vocab)
    return ruleset


def _vocab(styles_dir: Path, names: list[str]) -> list[str]:
    terms: list[str] = []
    for name in names:
        for folder in (styles_dir / "config" / "vocabularies" / name, styles_dir / "Vocab" / name):
            accept = folder / "accept.txt"
            if accept.is_file():
                terms += [
                    t.strip()
                    for t in accept.read_text(encoding="utf-8").splitlines()
                    if t.strip() and not t.startswith("#")
                ]
    return terms


def _load_style(ruleset: RuleSet, styles_dir: Path, style: str, vocab: list[str]) -> None:
    if style == "Vale":
        _builtin_vale(ruleset, vocab)
        return
    folder = styles_dir / style
    if not folder.is_dir():
        raise ConfigError(ruleset.config_path or styles_dir, f"style '{style}' not found in StylesPath ({styles_dir})")
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        name = f"{style}.{path.stem}"
        try:
            ruleset.rules[name] = load_rule(path, name, vocab)
        except UnsupportedRule as exc:
            ruleset.warnings.append(str(exc))


def _builtin_vale(ruleset: RuleSet, vocab: list[str]) -> None:
    """Vale's built-in style: Terms (accepted vocabulary's spelling) and Repetition."""
    here = Path("<built-in Vale style>")
    if vocab:
        swap = {f"(?i){t}" if not t.startswith("(?i)") else t: t for t in vocab if t.isalpha()}
        spec = {
            "extends": "substitution",
            "level": "error",
            "message": "Use '%s' instead of '%s'.",
            "ignorecase": True,
            "swap": {k[4:]: v for k, v in swap.items()},
            "vocab": False,
        }
        ruleset.rules["Vale.Terms"] = build_rule(spec, "Vale.Terms", here, [])
    spec = {
        "extends": "repetition",
        "level": "error",
        "message": "'%s' is repeated!",
        "ignorecase": True,
        "alpha": True,
        "tokens": [r"[^\s.!?]+"],
        "action": {"name": "edit", "params": ["truncate", " "]},
    }
    ruleset.rules["Vale.Repetition"] = build_rule(spec, "Vale.Repetition", here, [])
    ruleset.warnings.append("Vale.Spelling: rule type 'spelling' is not supported; rule skipped")
