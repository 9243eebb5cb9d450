"""`reviewer flag` and `reviewer eval`: reps' feedback in, regression figures out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from reviewer.cli_common import DataDir, TextFormat, err, exit_because, fail, format_option, out, settings_for
from reviewer.errors import ReviewerError
from reviewer.settings import Settings
from reviewer.text import plural


def flag(
    draft: Annotated[Path | None, typer.Option("--draft", metavar="FILE", help="The draft the flag concerns.")] = None,
    missed: Annotated[
        str | None,
        typer.Option("--missed", metavar="TEXT", help="An objection the review missed, in customers' words."),
    ] = None,
    wrong: Annotated[
        str | None, typer.Option("--wrong", metavar="REASON", help="Why the finding (--finding) is wrong.")
    ] = None,
    good: Annotated[bool, typer.Option("--good", help="The finding (--finding) was a good catch.")] = False,
    review: Annotated[
        str | None, typer.Option("--review", metavar="ID", help="Review id the finding comes from.")
    ] = None,
    finding: Annotated[
        str | None,
        typer.Option("--finding", metavar="FINDING_ID", help="Finding id, e.g. objection:price or Style.Rule:120."),
    ] = None,
    theme: Annotated[
        str | None, typer.Option("--theme", metavar="THEME", help="Objection theme the miss belongs to.")
    ] = None,
    rep: Annotated[str | None, typer.Option("--rep", metavar="NAME", help="Rep who heard the objection.")] = None,
    account: Annotated[str | None, typer.Option("--account", metavar="NAME", help="Account it was heard from.")] = None,
    who: Annotated[str | None, typer.Option("--who", metavar="NAME", help="Who files the flag.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Flag what a review missed (--missed), a wrong finding (--wrong) or a good catch (--good)."""
    from reviewer.drafts import load_draft
    from reviewer.feedback import open_flags

    chosen = [name for name, value in (("--missed", missed), ("--wrong", wrong), ("--good", good)) if value]
    if len(chosen) != 1:
        fail("give exactly one of --missed TEXT, --wrong REASON or --good")
    if missed is not None and not missed.strip():
        fail("--missed needs the objection's text")
    if (wrong is not None or good) and not finding:
        fail(f"{chosen[0]} needs --finding FINDING_ID (and --draft FILE): the finding ids are in the review's JSON")
    if (wrong is not None or good) and draft is None:
        fail(f"{chosen[0]} needs --draft FILE: the finding is suppressed or weighted for that draft")
    if missed is not None and finding:
        fail("--finding goes with --wrong or --good; a missed objection has no finding")
    settings = settings_for(data_dir)
    try:
        loaded = load_draft(draft, settings) if draft is not None else None
        book = open_flags(settings)
        common: dict[str, Any] = {
            "draft_sha256": loaded.sha256 if loaded else None,
            "draft_path": loaded.path if loaded else None,
            "draft_text": loaded.text if loaded else None,
            "who": who,
            "source": "cli",
        }
        if missed is not None:
            made = book.add_missed(missed, review_id=review, theme_id=theme, account=account, rep=rep, **common)
        elif wrong is not None:
            made = book.add_wrong(review_id=review or "", finding_id=finding or "", reason=wrong, **common)
        else:
            made = book.add_good(review_id=review or "", finding_id=finding or "", **common)
    except ReviewerError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    err.print(
        f"{made.kind} flag stored; the next review of {made.draft_path or 'matching drafts'} uses it", markup=False
    )
    sys.stdout.write(made.id + "\n")


def evaluate(
    min_recall: Annotated[
        float | None,
        typer.Option("--min-recall", metavar="R", min=0.0, max=1.0, help="Exit 1 when recall is below this."),
    ] = None,
    output: Annotated[TextFormat, format_option("Text, or JSON.")] = TextFormat.text,
    data_dir: DataDir = None,
) -> None:
    """Replay every missed-objection flag through the current review: recall on past misses."""
    from reviewer.feedback import open_flags
    from reviewer.feedback.evaluation import format_figures, run_eval
    from reviewer.graph import build_context

    settings = settings_for(data_dir)
    try:
        ctx = build_context(settings)
        book = ctx.flags or open_flags(settings)
        figures = run_eval(book, ctx)
    except ReviewerError as exc:
        fail(str(exc))
    if output is TextFormat.json:
        sys.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    elif not figures["cases"] and not figures["wrong_flags"]:
        out.print("No regression cases yet: flag a miss with reviewer flag --draft FILE --missed TEXT.", markup=False)
    else:
        sys.stdout.write(format_figures(figures) + "\n")
    recall = figures["recall"]
    if min_recall is not None and recall is not None and recall < min_recall:
        exit_because(1, f"recall {recall:.0%} is below --min-recall {min_recall:.0%}")


def import_feedback_paths(paths: list[Path], settings: Settings) -> None:
    """`reviewer ingest feedback/`: import reps' feedback files; report what was skipped."""
    from reviewer.feedback import import_feedback_folder, open_flags

    try:
        book = open_flags(settings)
        for path in paths:
            report = import_feedback_folder(path, book)
            for file, reason in report.skipped:
                err.print(f"skipped {file}: {reason}", markup=False)
            out.print(
                f"{path}: {plural(report.imported, 'flag')} imported, {report.duplicates} already known", markup=False
            )
    except ReviewerError as exc:
        fail(str(exc))
