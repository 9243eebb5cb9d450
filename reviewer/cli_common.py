"""What every `reviewer` command shares: consoles, option types, choices, plurals and exits.

`cli.py` and the command modules that live with their stage (`batch/command.py`,
`feedback/command.py`, `rules/command.py`) import from here, never from each other, so there is no
import cycle between the CLI and its commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand, TyperOption

from reviewer.settings import Settings, get_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Choice(StrEnum):
    """A fixed choice: matched case-insensitively, listed in --help, a wrong value exits 2."""

    def __str__(self) -> str:
        return self.value


class TableFormat(Choice):
    table = "table"
    json = "json"


class TextFormat(Choice):
    text = "text"
    json = "json"


class ReviewFormat(Choice):
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"


class BatchFormat(Choice):
    both = "both"
    json = "json"
    markdown = "markdown"


class FailLevel(Choice):
    error = "error"
    warning = "warning"
    never = "never"


class Command(TyperCommand):
    """A command whose --help names each value by its metavar (FILE..., DIR, PORT) or its choices.

    typer prints Python types instead where nothing else is said: `PATH <list[Path]>` for every
    argument, `<str>` or `<int>` for an option without a metavar, and `{PATH}...` in the usage line.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
                param.metavar = _value_name(param)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((_argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def _argument_name(param: TyperArgument) -> str:
    return (param.metavar or (param.name or "value").upper()) + ("..." if param.nargs != 1 else "")


def _value_name(param: TyperOption) -> str | None:
    """What an option without a metavar takes: its choices as typer lists them, else a word for its type."""
    described = param.type_descriptor
    if described.is_choice:
        return None  # typer lists the choices: <text|json>
    if described.is_path:
        return "PATH"
    annotation = described.annotation
    return {int: "INTEGER", float: "NUMBER"}.get(annotation, "TEXT") if isinstance(annotation, type) else "TEXT"


def format_option(help_text: str) -> typer.models.OptionInfo:
    """The output format option: `--format`, with Vale's `--output` as the same option's other name."""
    return typer.Option("--format", "--output", case_sensitive=False, help=help_text)


DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR", help="Data dir (default: $REVIEWER_DATA_DIR or ./data)."),
]
ModelOption = Annotated[
    str | None, typer.Option("--model", metavar="MODEL", help="litellm model string, or 'offline'.")
]
FailOn = Annotated[
    FailLevel,
    typer.Option("--fail-on", case_sensitive=False, help="Exit 1 when a finding is at or above this level."),
]


def fail(message: str) -> NoReturn:
    """Print a user-facing error as the last line and exit 2 (usage or input error)."""
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def exit_because(code: int, reason: str) -> NoReturn:
    """Exit with `code`, saying why on the last line of stderr."""
    err.print(f"exit {code}: {reason}", markup=False, highlight=False)
    raise typer.Exit(code)


def settings_for(data_dir: Path | None = None, **overrides: object) -> Settings:
    """The settings with command-line flags on top; a bad REVIEWER_* variable is a usage error."""
    try:
        return get_settings(data_dir=data_dir, **overrides)
    except ValueError as exc:  # pydantic validation of a REVIEWER_* variable
        fail(f"invalid configuration: {exc}")
