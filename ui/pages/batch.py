"""Batch reviews: the summary a `reviewer batch` run wrote, drafts grouped by verdict, reports inline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import components as ui  # ui/components.py: the main script's folder is on the path
import pandas as pd
import streamlit as st

GROUPS = [
    ("failed", "Could not be reviewed", ("red", ":material/report:")),
    ("blocked", "Blocked", ui.VERDICT_STYLE["blocked"]),
    ("needs work", "Needs work", ui.VERDICT_STYLE["needs work"]),
    ("ready", "Ready", ui.VERDICT_STYLE["ready"]),
    ("pending", "Not reviewed yet", ("gray", ":material/schedule:")),
]


def main() -> None:
    st.title("Batch reviews")
    st.caption("Every draft of a shared folder, reviewed by `reviewer batch FOLDER --out OUT`.")
    out = Path(st.text_input("Output folder of the batch run", value="./reviews", key="batch-out").strip() or ".")
    summary_file = out / "summary.json"
    if not summary_file.is_file():
        st.info(
            f"No batch summary in `{ui.md(str(out))}` yet. Run `reviewer batch <drafts folder> --out "
            f"{ui.md(str(out))}` and come back.",
            icon=":material/folder_off:",
        )
        return
    try:
        summary = json.loads(summary_file.read_text("utf-8"))
        rows: list[dict[str, Any]] = list(summary["drafts"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        st.error(f"The batch summary `{ui.md(str(summary_file))}` cannot be read ({ui.md(str(exc))}).")
        return
    header(summary, rows)
    for key, title, style in GROUPS:
        group = [r for r in rows if _group(r) == key]
        if group:
            st.subheader(f"{ui.badge(style, title)} {len(group)}")
            table(group, key)
    chosen = st.selectbox(
        "Open a report",
        [r["path"] for r in rows if r.get("reports", {}).get("markdown")],
        index=None,
        placeholder="Choose a draft…",
        key="batch-open",
    )
    if chosen:
        show_report(out, next(r for r in rows if r["path"] == chosen))


def _group(row: dict[str, Any]) -> str:
    return str(row.get("verdict")) if row.get("status") == "reviewed" else str(row.get("status", "pending"))


def header(summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    totals = summary.get("totals", {})
    cols = st.columns(5)
    cols[0].metric("Drafts", totals.get("drafts", len(rows)))
    cols[1].metric("Blocked", totals.get("blocked", 0))
    cols[2].metric("Need work", totals.get("needs_work", 0))
    cols[3].metric("Ready", totals.get("ready", 0))
    cols[4].metric("Failed", totals.get("failed", 0))
    st.caption(
        f"Folder `{ui.md(str(summary.get('folder', '?')))}` · generated {ui.md(str(summary.get('generated_at', '?')))}"
    )


def table(rows: list[dict[str, Any]], group: str) -> None:
    if group in ("failed", "pending"):
        data = pd.DataFrame([{"Draft": r["path"], "Reason": r.get("reason", "")} for r in rows])
    else:
        data = pd.DataFrame(
            [
                {
                    "Draft": r["path"] + ("" if r.get("current", True) else " (older review)"),
                    "Score": r.get("score"),
                    "Errors": r.get("errors", 0),
                    "Warnings": r.get("warnings", 0),
                    "Top findings": " · ".join(r.get("top_findings", [])[:3]),
                }
                for r in rows
            ]
        )
    st.dataframe(
        data,
        hide_index=True,
        width="stretch",
        column_config={"Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d")},
        key=f"batch-{group}",
    )


def show_report(out: Path, row: dict[str, Any]) -> None:
    """The draft's Markdown report, read from OUT only; Markdown, never raw HTML."""
    report = (out / row["reports"]["markdown"]).resolve()
    if not report.is_relative_to(out.resolve()) or not report.is_file():
        st.error(f"The report of {ui.md(row['path'])} is missing; run the batch again.")
        return
    with st.container(border=True):
        st.markdown(report.read_text("utf-8"))
    for fmt, target in sorted(row.get("reports", {}).items()):
        path = (out / target).resolve()
        if path.is_relative_to(out.resolve()) and path.is_file():
            st.download_button(
                f"Download {fmt} report",
                path.read_bytes(),
                file_name=path.name,
                key=f"batch-dl-{fmt}",
                icon=":material/download:",
            )


main()
