"""`reviewer lint`: Vale-style linting of files and folders against the brand rules."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from reviewer.cli_common import Choice, exit_because, fail
from reviewer.errors import InputError
from reviewer.models import BrandFinding
from reviewer.rules import load_rules
from reviewer.rules.config import glob_to_regex, normalize_format
from reviewer.rules.engine import lint_paths, lint_text
from reviewer.rules.model import LEVELS
from reviewer.text import decode_text, plural


class LintOutput(Choice):
    """Vale's output names (`--output=JSON` works: choices are case-insensitive)."""

    line = "line"
    json = "JSON"
    cli = "CLI"


class AlertLevel(Choice):
    suggestion = "suggestion"
    warning = "warning"
    error = "error"


def default_config() -> Path:
    """./.vale.ini when present, else the .vale.ini of the configured guidelines folder."""
    local = Path.cwd() / ".vale.ini"
    if local.is_file():
        return local
    from reviewer.settings import get_settings

    guidelines = get_settings().guidelines
    return (guidelines or Path.cwd()) / ".vale.ini"


def _relative(path: str) -> str:
    # Vale's --relative --normalize: paths relative to the working folder, forward slashes.
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = path
    return Path(rel).as_posix()


def _line(results: dict[str, list[BrandFinding]]) -> str:
    rows = []
    for path, findings in results.items():
        rows += [(path, f.line, f.col, f.rule, f.message) for f in findings]
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return "\n".join(f"{p}:{line}:{col}:{rule}:{msg}" for p, line, col, rule, msg in rows)


def _json(results: dict[str, list[BrandFinding]]) -> str:
    payload = {}
    for path, findings in sorted(results.items()):
        if not findings:
            continue
        payload[path] = [
            {
                "Check": f.rule,
                "Severity": f.severity,
                "Message": f.message,
                "Line": f.line,
                "Span": [f.col, f.col + max(len(f.span.text), 1) - 1],
                "Match": f.span.text,
                "Link": f.link or "",
                "Action": {
                    "Name": "replace" if f.suggestion is not None else "",
                    "Params": [f.suggestion] if f.suggestion is not None else None,
                },
                "Offset": [f.span.start, f.span.end],
            }
            for f in sorted(findings, key=lambda x: (x.line, x.col, x.rule))
        ]
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _cli(results: dict[str, list[BrandFinding]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    for path, findings in sorted(results.items()):
        if not findings:
            continue
        table = Table(title=path, title_justify="left", show_lines=False)
        for column in ("line:col", "severity", "rule", "message", "suggestion"):
            table.add_column(column)
        for f in sorted(findings, key=lambda x: (x.line, x.col, x.rule)):
            table.add_row(f"{f.line}:{f.col}", f.severity, f.rule, f.message, f.suggestion or "")
        console.print(table)
    console.print(tally(results), markup=False)


def tally(results: dict[str, list[BrandFinding]]) -> str:
    """Vale's closing line: '1 error, 2 warnings and 0 suggestions in 3 files.'"""
    found = [f.severity for findings in results.values() for f in findings]
    return (
        f"{plural(found.count('error'), 'error')}, {plural(found.count('warning'), 'warning')} and "
        f"{plural(found.count('suggestion'), 'suggestion')} in {plural(len(results), 'file')}."
    )


def _glob_filter(globs: list[str]) -> Callable[[Path], bool]:
    """Vale's --glob: keep files matching the pattern; a leading '!' excludes instead."""
    wanted = [glob_to_regex(g) for g in globs if not g.startswith("!")]
    unwanted = [glob_to_regex(g[1:]) for g in globs if g.startswith("!")]

    def keep(path: Path) -> bool:
        names = (path.as_posix(), path.name)
        hit = any(p.fullmatch(n) for p in wanted for n in names) if wanted else True
        return hit and not any(p.fullmatch(n) for p in unwanted for n in names)

    return keep


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="Files or folders (Markdown, MDX, HTML, text, rst); stdin when none."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", metavar="FILE", help="A .vale.ini (default: ./.vale.ini, else the guidelines folder's)."
        ),
    ] = None,
    output: Annotated[
        LintOutput, typer.Option("--output", "--format", case_sensitive=False, help="Vale's output styles.")
    ] = LintOutput.line,
    min_alert_level: Annotated[
        AlertLevel | None,
        typer.Option("--minAlertLevel", case_sensitive=False, help="Hide alerts below this level."),
    ] = None,
    no_exit: Annotated[bool, typer.Option("--no-exit", help="Exit 0 even when there are error-level alerts.")] = False,
    globs: Annotated[
        list[str] | None,
        typer.Option("--glob", metavar="GLOB", help="Only files matching GLOB ('*.{md,mdx}'); '!GLOB' excludes."),
    ] = None,
    ext: Annotated[str, typer.Option("--ext", metavar="EXT", help="Extension to lint stdin as (default .md).")] = ".md",
) -> None:
    """Check files against the brand rules (Vale-compatible styles); exit 1 on error-level findings."""
    try:
        ruleset = load_rules(config or default_config())
        if paths:
            results = lint_paths(paths, ruleset, keep=_glob_filter(globs) if globs else None)
        else:
            name = "stdin" + (ext if ext.startswith(".") else "." + ext)
            fmt = ruleset.formats.get(name.rsplit(".", 1)[1].lower()) or name.rsplit(".", 1)[1]
            try:
                fmt = normalize_format(fmt)
            except ValueError as exc:
                fail(f"--ext {ext}: {exc}")
            results = {name: lint_text(decode_text(sys.stdin.buffer.read(), name), ruleset, fmt, name)}
    except InputError as exc:  # ConfigError is an InputError: both name the file and the reason.
        fail(str(exc))
    for warning in dict.fromkeys(ruleset.warnings):
        typer.echo(f"warning: {warning}", err=True)
    results = {_relative(p): f for p, f in results.items()}
    if min_alert_level is not None:
        floor = LEVELS[min_alert_level.value]
        results = {p: [f for f in found if LEVELS[f.severity] >= floor] for p, found in results.items()}
    if output is LintOutput.line:
        text = _line(results)
        if text:
            typer.echo(text)
    elif output is LintOutput.json:
        typer.echo(_json(results))
    else:
        _cli(results)
    errors = sum(f.severity == "error" for findings in results.values() for f in findings)
    if errors and not no_exit:
        exit_because(1, f"{plural(errors, 'error-level alert')} ({tally(results)[:-1]}); --no-exit ignores them")
