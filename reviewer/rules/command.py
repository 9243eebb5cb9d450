"""`reviewer lint`: Vale-style linting of files and folders against the brand rules."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from reviewer.errors import InputError
from reviewer.models import BrandFinding
from reviewer.rules import load_rules
from reviewer.rules.engine import lint_paths

OUTPUTS = ("line", "json", "text")


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


def _text(results: dict[str, list[BrandFinding]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    total = 0
    for path, findings in sorted(results.items()):
        if not findings:
            continue
        table = Table(title=path, title_justify="left", show_lines=False)
        for column in ("line:col", "severity", "rule", "message", "suggestion"):
            table.add_column(column)
        for f in sorted(findings, key=lambda x: (x.line, x.col, x.rule)):
            table.add_row(f"{f.line}:{f.col}", f.severity, f.rule, f.message, f.suggestion or "")
        console.print(table)
        total += len(findings)
    console.print(f"{total} finding(s) in {len(results)} file(s).")


def lint(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to lint (Markdown, HTML, text, rst).")],
    config: Annotated[
        Path | None, typer.Option("--config", help="A .vale.ini (default: ./.vale.ini, else the guidelines folder's).")
    ] = None,
    output: Annotated[str, typer.Option("--output", help="line, json or text.")] = "line",
) -> None:
    """Check files against the brand rules (Vale-compatible styles); exit 1 on error-level findings."""
    if output not in OUTPUTS:
        typer.echo(f"--output must be one of {', '.join(OUTPUTS)}, got {output!r}", err=True)
        raise typer.Exit(2)
    try:
        ruleset = load_rules(config or default_config())
        results = lint_paths(paths, ruleset)
    except InputError as exc:  # ConfigError is an InputError: both name the file and the reason.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for warning in dict.fromkeys(ruleset.warnings):
        typer.echo(f"warning: {warning}", err=True)
    results = {_relative(p): f for p, f in results.items()}
    if output == "line":
        text = _line(results)
        if text:
            typer.echo(text)
    elif output == "json":
        typer.echo(_json(results))
    else:
        _text(results)
    if any(f.severity == "error" for findings in results.values() for f in findings):
        raise typer.Exit(1)
