"""Regression replay: every missed objection a rep flagged is a case the current review must catch.

Figures, over the flags whose draft text is stored:
  - recall: share of missed-objection cases the current review catches (feedback applied, as in
    production); a case is caught when a finding that is not `addressed` is about the expected theme
    or quotes the flag;
  - recall_unaided: the same with feedback switched off, i.e. what the engine (prompt, model,
    thresholds) finds on its own;
  - wrong_finding_rate: of the findings reps marked wrong, the share the engine still produces with
    feedback switched off (with feedback they are suppressed by construction).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer.feedback.effects import group_missed, rule_or_theme
from reviewer.feedback.models import Flag
from reviewer.feedback.store import FlagBook
from reviewer.graph.context import ReviewContext
from reviewer.models import Review


def run_eval(book: FlagBook, ctx: ReviewContext) -> dict[str, Any]:
    """Replay every case through the current review; the figures, also saved for insights."""
    from reviewer.drafts import draft_from_text
    from reviewer.graph import review_draft

    drafts = book.draft_texts()
    missed, wrong = book.list("missed"), book.list("wrong")
    expected = {f.id: group.theme for group in group_missed(missed, ctx) for f in group.flags}
    cases = [f for f in missed if f.draft_sha256 in drafts]
    wrong_cases = [f for f in wrong if f.draft_sha256 in drafts and f.finding_id]
    unaided_ctx = dataclasses.replace(ctx, flags=None)
    reviews: dict[tuple[str, bool], Review] = {}

    def review(sha: str, aided: bool) -> Review:
        if (sha, aided) not in reviews:
            path, text, _ = drafts[sha]
            draft = draft_from_text(text, _replay_name(path))
            reviews[(sha, aided)] = review_draft(ctx if aided else unaided_ctx, draft=draft)
        return reviews[(sha, aided)]

    per_theme: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"label": "", "cases": 0, "caught": 0, "caught_unaided": 0, "wrong_flags": 0, "wrong_reproduced": 0}
    )
    results: list[dict[str, Any]] = []
    for flag in cases:
        theme = expected[flag.id]
        caught = _caught(review(flag.draft_sha256 or "", True), flag, theme.theme_id)
        unaided = _caught(review(flag.draft_sha256 or "", False), flag, theme.theme_id)
        row = per_theme[theme.theme_id]
        row["label"] = theme.label
        row["cases"] += 1
        row["caught"] += caught
        row["caught_unaided"] += unaided
        results.append(
            {
                "flag_id": flag.id,
                "draft": flag.draft_path or flag.draft_sha256,
                "theme_id": theme.theme_id,
                "caught": caught,
                "caught_unaided": unaided,
            }
        )
    reproduced = 0
    for flag in wrong_cases:
        current = review(flag.draft_sha256 or "", False)
        ids = {f.finding_id for f in current.objections} | {f.finding_id for f in [*current.brand, *current.tone]}
        again = flag.finding_id in ids
        reproduced += again
        row = per_theme[rule_or_theme(flag.finding_id or "").removeprefix("objection:")]
        row["label"] = row["label"] or rule_or_theme(flag.finding_id or "")
        row["wrong_flags"] += 1
        row["wrong_reproduced"] += again
    caught_total = sum(r["caught"] for r in results)
    figures = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": ctx.model_name,
        "cases": len(cases),
        "caught": caught_total,
        "recall": _share(caught_total, len(cases)),
        "recall_unaided": _share(sum(r["caught_unaided"] for r in results), len(cases)),
        "missed_without_draft": len(missed) - len(cases),
        "wrong_flags": len(wrong_cases),
        "wrong_reproduced": reproduced,
        "wrong_finding_rate": _share(reproduced, len(wrong_cases)),
        "per_theme": [{"theme_id": k, **v} for k, v in sorted(per_theme.items())],
        "results": results,
    }
    book.save_eval(figures)
    return figures


def _caught(review: Review, flag: Flag, theme_id: str) -> bool:
    return any(
        finding.status != "addressed"
        and (finding.theme_id == theme_id or any(e.note_id == flag.note_id for e in finding.evidence))
        for finding in review.objections
    )


def _replay_name(path: str | None) -> str:
    # Stored texts of HTML, DOCX and PDF drafts are already extracted: replay them as plain text.
    suffix = Path(path or "").suffix.lower()
    stem = Path(path or "draft").stem or "draft"
    return f"{stem}.md" if suffix in {".md", ".markdown"} else f"{stem}.txt"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def format_figures(figures: dict[str, Any]) -> str:
    """The eval figures as text for the terminal."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    lines = [
        f"recall on past misses: {pct(figures['recall'])} ({figures['caught']}/{figures['cases']} cases caught)",
        f"recall without feedback (the engine alone): {pct(figures['recall_unaided'])}",
        f"wrong-finding rate: {pct(figures['wrong_finding_rate'])} "
        f"({figures['wrong_reproduced']}/{figures['wrong_flags']} findings marked wrong still produced "
        "without feedback)",
    ]
    if figures["missed_without_draft"]:
        lines.append(f"{figures['missed_without_draft']} missed-objection flags name no stored draft: not replayed")
    if figures["per_theme"]:
        lines.append("")
        lines.append(f"{'theme or rule':40} {'cases':>5} {'caught':>6} {'unaided':>7} {'wrong':>5} {'again':>5}")
        for row in figures["per_theme"]:
            name = (row["label"] or row["theme_id"])[:40]
            lines.append(
                f"{name:40} {row['cases']:>5} {row['caught']:>6} {row['caught_unaided']:>7} "
                f"{row['wrong_flags']:>5} {row['wrong_reproduced']:>5}"
            )
    missed = [r for r in figures["results"] if not r["caught"]]
    if missed:
        lines.append("")
        lines.extend(f"not caught: flag {r['flag_id']} on {r['draft']} (theme {r['theme_id']})" for r in missed)
    return "\n".join(lines)
