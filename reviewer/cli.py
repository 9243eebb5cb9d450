"""The `reviewer` command line: the edge where errors become messages and exit codes."""

from __future__ import annotations

import json
import sys
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.status import Status

from reviewer.cli_common import (
    Command,
    DataDir,
    FailLevel,
    FailOn,
    ModelOption,
    ReviewFormat,
    TableFormat,
    err,
    exit_because,
    fail,
    format_option,
    out,
    settings_for,
)
from reviewer.errors import InputError, ReviewerError
from reviewer.settings import Settings
from reviewer.text import plural

app = typer.Typer(
    help="Review marketing drafts against the objections customers raise in sales calls.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help; cli_common.Command names values by metavar, not Python type
)


def _package_version() -> str:
    try:
        return version("collateral-reviewer")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        out.print(f"reviewer {_package_version()}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Review marketing drafts against the objections customers raise in sales calls."""


@app.command(cls=Command)
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders of call notes.")],
    data_dir: DataDir = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove notes of files under PATHS that are gone.")] = False,
    no_themes: Annotated[
        bool, typer.Option("--no-themes", help="Do not rebuild the objection themes afterwards.")
    ] = False,
) -> None:
    """Import call notes (CSV, Markdown, TXT, JSONL, VTT, SRT, Gong API JSON pages) into the store."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from reviewer.ingest.pipeline import ingest_paths

    settings = settings_for(data_dir)
    # Flags dropped in a feedback/ folder (named, or inside a named folder) are imported, not ingested.
    feedback = [p for p in paths if p.name == "feedback"] + [
        p / "feedback" for p in paths if p.name != "feedback" and (p / "feedback").is_dir()
    ]
    if feedback:
        from reviewer.feedback.command import import_feedback_paths

        import_feedback_paths(feedback, settings)
        paths = [p for p in paths if p not in feedback]
        if not paths:
            return
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with bar:
        task = bar.add_task("ingesting", total=None)

        def advance(path: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done - 1, description=Path(path).name[:40])

        try:
            report = ingest_paths(paths, settings, prune=prune, progress=advance)
        except ReviewerError as exc:
            fail(str(exc))
    for skipped in report.skipped:
        err.print(f"skipped {skipped.path}: {skipped.reason}", markup=False)
    for warning in report.warnings[:20]:
        err.print(f"warning: {warning}", markup=False)
    if len(report.warnings) > 20:
        err.print(f"... and {len(report.warnings) - 20} more warnings", markup=False)
    out.print(
        f"{plural(report.files_ingested, 'file')} ingested ({plural(report.notes, 'note')}, "
        f"{plural(report.chunks, 'chunk')}), {report.files_unchanged} unchanged, {report.pruned_files} pruned, "
        f"{len(report.skipped)} skipped in {report.seconds:.1f} s",
        markup=False,
    )
    if report.metadata_files:
        out.print(f"{plural(report.metadata_files, 'Gong call page')} joined to their transcripts", markup=False)
    if report.changed and not no_themes:
        _refresh_themes(settings)
    if report.files_ingested == 0 and report.files_unchanged == 0 and report.pruned_files == 0:
        exit_because(2, "no call notes could be read from " + ", ".join(str(p) for p in paths))
    if report.skipped:
        # Like `review` with an unreadable draft: the rest is stored, and the exit says not all of it was.
        exit_because(2, f"{plural(len(report.skipped), 'file')} could not be read (see above); the rest is ingested")


def _refresh_themes(settings: Settings) -> None:
    from reviewer.objections import refresh_themes

    themes = refresh_themes(settings)
    out.print(plural(len(themes), "objection theme"), markup=False)


@app.command(cls=Command)
def stats(
    data_dir: DataDir = None,
    output: Annotated[TableFormat, format_option("A table, or JSON.")] = TableFormat.table,
) -> None:
    """Show what the store holds: notes, chunks, by source, language and outcome; per source format,
    notes and customer/seller sentences."""
    from reviewer.ingest.sides import by_format
    from reviewer.store import open_store

    settings = settings_for(data_dir)
    try:
        store = open_store(settings)
        figures = {**store.stats(), "by_format": by_format(store.iter_notes())}
    except ReviewerError as exc:
        fail(str(exc))
    if output is TableFormat.json:
        out.print_json(json.dumps(figures))
        return
    for key, value in figures.items():
        if key == "by_format":
            for source, row in value.items():
                out.print(
                    f"{'format ' + source:16} {row['notes']} notes; sentences: "
                    + ", ".join(f"{side} {row[side + '_sentences']}" for side in ("customer", "seller", "unknown")),
                    markup=False,
                )
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        out.print(f"{key:16} {value}", markup=False)


@app.command(cls=Command)
def objections(
    segment: Annotated[str | None, typer.Option(metavar="SEGMENT", help="Only themes raised in this segment.")] = None,
    product: Annotated[
        str | None, typer.Option(metavar="PRODUCT", help="Only themes raised about this product.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(metavar="LANGUAGE", help="Only themes raised in this language.")
    ] = None,
    top: Annotated[int, typer.Option(metavar="N", min=1, help="How many themes to show.")] = 10,
    output: Annotated[TableFormat, format_option("A table, or JSON.")] = TableFormat.table,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Cluster all calls again instead of adding new calls to the themes.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """The objection themes customers raise, ranked by impact (frequency weighted by loss rate)."""
    from reviewer.objections import filter_themes, load_themes, refresh_themes

    settings = settings_for(data_dir)
    try:
        mined = refresh_themes(settings, rebuild=True) if rebuild else load_themes(settings)
        themes = filter_themes(mined, segment, product, language, top)
    except ReviewerError as exc:
        fail(str(exc))
    if output is TableFormat.json:
        fields = {
            "theme_id",
            "label",
            "frequency",
            "loss_rate",
            "impact",
            "segments",
            "products",
            "languages",
            "keywords",
            "first_seen",
            "last_seen",
            "quotes",
            "answers",
            "discovered",
        }
        sys.stdout.write(
            json.dumps([t.model_dump(include=fields) for t in themes], indent=2, ensure_ascii=False) + "\n"
        )
        return
    if not themes:
        out.print("No objection themes yet: ingest call notes first (reviewer ingest PATH).", markup=False)
        return
    from rich.table import Table

    table = Table(show_lines=True)
    for column in ("#", "theme", "calls", "lost", "what customers say"):
        table.add_column(column, overflow="fold")
    for rank, theme in enumerate(themes, start=1):
        loss = "-" if theme.loss_rate is None else f"{theme.loss_rate:.0%}"
        quote = f"“{theme.quotes[0].quote}” ({theme.quotes[0].note_id})" if theme.quotes else ""
        table.add_row(str(rank), f"{theme.label}\n[dim]{theme.theme_id}[/]", str(theme.frequency), loss, escape(quote))
    out.print(table)


def blocking(review: object, fail_on: FailLevel) -> int:
    """How many findings of the review are at or above the --fail-on level."""
    from reviewer.report import counts

    found = counts(review)  # type: ignore[arg-type]
    if fail_on is FailLevel.error:
        return found["error"]
    if fail_on is FailLevel.warning:
        return found["error"] + found["warning"]
    return 0


def _show_step(status: Status, name: str, step: str) -> None:
    status.update(f"{name}: {step}")


@app.command(cls=Command)
def review(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Drafts: Markdown, MDX, text, HTML, DOCX or PDF.")
    ],
    output: Annotated[ReviewFormat, format_option("The report's format.")] = ReviewFormat.text,
    model: ModelOption = None,
    fail_on: FailOn = FailLevel.error,
    out_path: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the report to this file.")
    ] = None,
    segment: Annotated[str | None, typer.Option(metavar="SEGMENT", help="Customer segment the draft targets.")] = None,
    product: Annotated[str | None, typer.Option(metavar="PRODUCT", help="Product the draft is about.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Review drafts against the objections in the call notes and the brand guidelines."""
    from reviewer.atomic import write_atomic
    from reviewer.graph import build_context, review_draft
    from reviewer.report import headline, render_many

    settings = settings_for(data_dir, model=model)
    try:
        ctx = build_context(settings)
    except ReviewerError as exc:
        fail(str(exc))
    reviews, failed = [], 0
    for path in files:
        with err.status(f"reviewing {path.name}", spinner="dots") as status:
            try:
                result = review_draft(
                    ctx,
                    path=path,
                    segment=segment,
                    product=product,
                    checkpoint=True,
                    on_step=partial(_show_step, status, path.name),
                )
            except InputError as exc:
                err.print(f"error: {exc}", markup=False)
                failed += 1
                continue
        reviews.append(result)
        if output is not ReviewFormat.text and len(files) > 1:
            err.print(headline(result), markup=False)
    if reviews:
        # One file: one Review object; several: a JSON array (or the reports one after another).
        text = (
            reviews[0].model_dump_json(indent=2)
            if len(files) == 1 and output is ReviewFormat.json
            else (render_many(reviews, output.value))
        )
        if out_path:
            write_atomic(out_path, text)
            err.print(f"wrote {out_path}", markup=False)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if failed:
        exit_because(2, f"{plural(failed, 'draft')} of {len(files)} could not be read (see above)")
    found = sum(blocking(r, fail_on) for r in reviews)
    if found:
        level = "errors" if fail_on is FailLevel.error else "warnings or errors"
        exit_because(1, f"{plural(found, 'finding')} at --fail-on {fail_on} ({level}) block publishing")


@app.command(cls=Command)
def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on; other than loopback only with a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="TCP port.")] = 8080,
    data_dir: DataDir = None,
) -> None:
    """Serve reviews over HTTP (POST /v1/reviews, GET /v1/objections, POST /v1/flags; OpenAPI at /docs)."""
    import uvicorn

    from reviewer.api import check_bind, create_app

    settings = settings_for(data_dir)
    try:
        check_bind(host, settings)
        application = create_app(settings)
        application.state.contexts.get()  # a store or rules problem is reported here, not as a traceback
    except ReviewerError as exc:
        fail(str(exc))
    # One process: the review context is loaded once and shared by every request it serves.
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)


@app.command(cls=Command)
def schema() -> None:
    """Print the JSON Schema of the Review object."""
    from reviewer.models import Review

    sys.stdout.write(json.dumps(Review.model_json_schema(), indent=2) + "\n")


def _register_stage_commands() -> None:
    """Commands whose code lives with their stage of the pipeline."""
    from reviewer.batch.command import batch
    from reviewer.feedback.command import evaluate, flag
    from reviewer.rules.command import lint

    app.command("lint", cls=Command)(lint)
    app.command("flag", cls=Command)(flag)
    app.command("eval", cls=Command)(evaluate)
    app.command("batch", cls=Command)(batch)


_register_stage_commands()


def main() -> None:
    try:
        app()
    except InputError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
