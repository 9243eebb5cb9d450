"""The folder summary: summary.json, summary.csv and index.html in OUT, worst first.

Draft names, findings and failure reasons are untrusted text: escaped in HTML, defused in CSV.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reviewer.batch.runner import publish
from reviewer.batch.state import Entry, Journal

SUMMARY_FILES = ("summary.json", "summary.csv", "index.html")
_VERDICT_RANK = {"blocked": 0, "needs work": 1, "ready": 2}
_CSV_FIELDS = [
    "path",
    "status",
    "score",
    "verdict",
    "errors",
    "warnings",
    "suggestions",
    "top_findings",
    "report_markdown",
    "report_json",
    "reason",
]


def rows_for(drafts: list[str], manifest: Journal, versions: dict[str, str]) -> list[dict[str, Any]]:
    """One row per draft in the folder now: failed first, then reviewed by score (lowest first)."""
    rows = [_row(rel, manifest.get(rel), versions) for rel in drafts]
    return sorted(rows, key=_worst_first)


def _row(rel: str, entry: Entry | None, versions: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {"path": rel, "status": "pending", "reason": "not reviewed yet"}
    if entry is None:
        return row
    row.update(status=entry.status, reason=entry.reason, sha256=entry.sha256, finished_at=entry.finished_at)
    if entry.status == "reviewed" and entry.result is not None:
        row.update(entry.result.model_dump(), reports=dict(entry.reports))
        # An entry from older corpus, rules or model is still shown, flagged until its redo lands.
        row["current"] = entry.versions == versions
    return row


def _worst_first(row: dict[str, Any]) -> tuple[int, int, int, str]:
    order = {"failed": 0, "pending": 1, "reviewed": 2}[row["status"]]
    return order, row.get("score", 0), _VERDICT_RANK.get(row.get("verdict", ""), 0), row["path"]


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    status = Counter(r["status"] for r in rows)
    verdicts = Counter(r["verdict"] for r in rows if r["status"] == "reviewed")
    return {
        "drafts": len(rows),
        "reviewed": status["reviewed"],
        "failed": status["failed"],
        "pending": status["pending"],
        "blocked": verdicts["blocked"],
        "needs_work": verdicts["needs work"],
        "ready": verdicts["ready"],
    }


def write_summary(out: Path, root: Path, rows: list[dict[str, Any]], versions: dict[str, str]) -> None:
    """Write summary.json, summary.csv and index.html atomically."""
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    document = {
        "generated_at": generated,
        "folder": str(root),
        "versions": versions,
        "totals": totals(rows),
        "drafts": rows,
    }
    publish(out / "summary.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    publish(out / "summary.csv", to_csv(rows))
    publish(out / "index.html", to_html(rows, str(root), generated))


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        reports = row.get("reports", {})
        flat = {
            **row,
            "top_findings": " | ".join(row.get("top_findings", [])),
            "report_markdown": reports.get("markdown", ""),
            "report_json": reports.get("json", ""),
        }
        writer.writerow({k: _cell(flat.get(k, "")) for k in _CSV_FIELDS})
    return buffer.getvalue()


_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#1d2433}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e4e7ec;padding:4px 8px;text-align:left;
vertical-align:top}.blocked,.failed{color:#b42318}.needs{color:#b54708}.ready{color:#067647}ul{margin:0;padding-left:1.2em}"""


def _link(target: str, label: str) -> str:
    return f"<a href='{html.escape(quote(target), quote=True)}'>{html.escape(label)}</a>"


def to_html(rows: list[dict[str, Any]], folder: str, generated: str) -> str:
    """A standalone page: nothing fetched or run, every name and finding escaped."""
    e = html.escape
    count = totals(rows)
    body = []
    for row in rows:
        if row["status"] != "reviewed":
            body.append(
                f"<tr><td>{e(row['path'])}</td><td class='failed'>{e(row['status'])}</td><td>–</td>"
                f"<td colspan='2'>{e(row.get('reason', ''))}</td><td></td></tr>"
            )
            continue
        verdict = row["verdict"]
        findings = "".join(f"<li>{e(line)}</li>" for line in row.get("top_findings", []))
        links = " · ".join(_link(target, fmt) for fmt, target in sorted(row.get("reports", {}).items()))
        stale = "" if row.get("current", True) else " <i>(older versions; re-review pending)</i>"
        body.append(
            f"<tr><td>{e(row['path'])}{stale}</td><td class='{e(verdict.split()[0])}'>{e(verdict)}</td>"
            f"<td>{row['score']}</td><td>{row['errors']} errors, {row['warnings']} warnings, "
            f"{row['suggestions']} suggestions</td><td><ul>{findings}</ul></td><td>{links}</td></tr>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Draft reviews</title>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<style>{_CSS}</style></head><body><h1>Draft reviews of {e(folder)}</h1>"
        f"<p>{count['drafts']} drafts: {count['blocked']} blocked, {count['needs_work']} need work, "
        f"{count['ready']} ready, {count['failed']} failed, {count['pending']} pending · generated {e(generated)}</p>"
        "<table><tr><th>draft</th><th>verdict</th><th>score</th><th>findings</th><th>top findings</th>"
        f"<th>reports</th></tr>{''.join(body)}</table></body></html>\n"
    )
