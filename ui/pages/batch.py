"""Batch reviews: start one on a folder and follow it here, or read what a `reviewer batch` run (or the
worker) wrote; drafts grouped by verdict, reports inline."""

from __future__ import annotations

import json
import threading
import time
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
    st.caption(
        "Review every draft of a shared folder at once: new and changed drafts only, a report for each, and a "
        "summary of the folder. The same as `reviewer batch FOLDER` (or the worker watching the folder)."
    )
    folder_text = st.text_input(
        "Drafts folder (on the server)",
        key="batch-folder",
        placeholder="/shared/drafts",
        help="Searched recursively for Markdown, MDX, text, HTML, Word and PDF drafts.",
    ).strip()
    folder = Path(folder_text).expanduser().resolve() if folder_text else None
    out_text = st.text_input(
        "Reports folder (on the server)",
        key="batch-out",
        placeholder="next to the drafts folder: …/reviews",
        help="Left empty: a `reviews` folder beside the drafts folder, as `reviewer batch` does.",
    ).strip()
    out = _out_folder(folder, out_text)
    if out is not None:
        st.caption(f"Reports and the summary go to **{ui.md(str(out))}**")
    start = st.button("Review this folder", type="primary", icon=":material/play_arrow:", disabled=folder is None)
    if start and folder is not None and out is not None:
        run_batch(folder, out)
    if out is None:
        st.info("Name the folder of drafts to review, then press **Review this folder**.", icon=":material/folder:")
        return
    show_summary(out)


def _out_folder(folder: Path | None, out_text: str) -> Path | None:
    """Absolute: what the user typed (relative to the server's folder), else `reviews` beside the drafts."""
    if out_text:
        return Path(out_text).expanduser().resolve()
    if folder is None:
        return None
    from reviewer.batch.command import default_out

    return default_out(folder)


def run_batch(folder: Path, out: Path) -> None:
    """Review the folder with a progress bar; the reviews run in a thread, this script draws the bar."""
    from reviewer.batch.runner import BatchLocked, batch_lock
    from reviewer.batch.session import BatchSession
    from reviewer.errors import ReviewerError

    if not folder.is_dir():
        st.error(f"There is no folder **{ui.md(str(folder))}** on the server. Check the path and try again.")
        return
    if out == folder:
        st.error("The reports folder cannot be the drafts folder itself; choose another one.")
        return
    settings = ui.settings()
    ctx = ui.review_context(settings)
    done: dict[str, int] = {"reviewed": 0, "skipped": 0, "failed": 0}
    current = {"name": ""}
    lock = threading.Lock()

    def hear(outcome: str, rel: str, _entry: object) -> None:
        with lock:
            if outcome == "started":
                current["name"] = rel
            elif outcome in done:
                done[outcome] += 1

    session = BatchSession(settings, folder, out, listener=hear, build=lambda _s: ctx)
    outcome: dict[str, Any] = {}
    try:
        with batch_lock(out):
            session.prepare()
            drafts = session.drafts()
            bar = st.progress(0.0, text=f"Reviewing {len(drafts)} drafts…")

            def work() -> None:
                try:
                    outcome["result"] = session.review(drafts)
                except Exception as exc:  # noqa: BLE001 - shown below in words; the batch keeps what it wrote
                    outcome["error"] = exc

            worker = threading.Thread(target=work, name="screen-batch", daemon=True)
            worker.start()
            while worker.is_alive():
                with lock:
                    finished = sum(done.values())
                    text = _progress_words(finished, len(drafts), done, current["name"])
                bar.progress(finished / max(len(drafts), 1), text=text)
                worker.join(timeout=0.25)
            session.write_summary()
            bar.progress(1.0, text=_progress_words(sum(done.values()), len(drafts), done, ""))
    except BatchLocked:
        st.warning("Another batch is writing to this reports folder right now. Wait for it to finish, then refresh.")
        return
    except (ReviewerError, OSError) as exc:
        st.error(f"The batch could not start: {ui.md(str(exc))}")
        return
    if "error" in outcome:
        st.error("The batch stopped before the end. What was reviewed is kept; run it again to finish the rest.")
    st.session_state["batch-finished"] = time.time()


def _progress_words(finished: int, total: int, done: dict[str, int], name: str) -> str:
    counts = f"{done['reviewed']} reviewed · {done['skipped']} unchanged · {done['failed']} could not be reviewed"
    now = f" — reviewing {name}" if name else ""
    return f"{finished} of {total} drafts{now} ({counts})"


def show_summary(out: Path) -> None:
    summary_file = out / "summary.json"
    if not summary_file.is_file():
        st.info(
            f"No batch has written to **{ui.md(str(out))}** yet. Press **Review this folder** to start one.",
            icon=":material/folder_off:",
        )
        return
    try:
        summary = json.loads(summary_file.read_text("utf-8"))
        rows: list[dict[str, Any]] = list(summary["drafts"])
    except (OSError, ValueError, KeyError, TypeError):
        st.error(f"The batch summary in **{ui.md(str(out))}** is damaged. Run the batch again to rewrite it.")
        return
    st.button("Refresh", icon=":material/refresh:", key="batch-refresh", help="Read the summary again.")
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
        f"Folder **{ui.md(str(summary.get('folder', '?')))}** · "
        f"generated {ui.md(str(summary.get('generated_at', '?')))}"
    )


def table(rows: list[dict[str, Any]], group: str) -> None:
    if group in ("failed", "pending"):
        data = pd.DataFrame([{"Draft": r["path"], "Why": plain_reason(str(r.get("reason", "")))} for r in rows])
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


def plain_reason(reason: str) -> str:
    """A failure reason in words: reasons written before this version may name a Python exception."""
    head, sep, rest = reason.partition(": ")
    if sep and head.isidentifier() and (head.endswith("Error") or head.endswith("Exception")):
        return "the review stopped unexpectedly; the server log has the details"
    return reason or "not reviewed yet"


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
