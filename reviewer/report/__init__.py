"""Reports of a Review: terminal text, Markdown, standalone HTML (escaped) and JSON."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence

from reviewer.models import BrandFinding, Evidence, ObjectionFinding, Review

FORMATS = ("text", "markdown", "html", "json")
_STATUS_WORD = {
    "contradicted": "contradicts",
    "unaddressed": "ignores",
    "partial": "partly answers",
    "addressed": "answers",
}


def render(review: Review, fmt: str) -> str:
    """The review in one of FORMATS."""
    if fmt == "json":
        return review.model_dump_json(indent=2)
    if fmt == "markdown":
        return to_markdown(review)
    if fmt == "html":
        return to_html(review)
    if fmt == "text":
        return to_text(review)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def render_many(reviews: Sequence[Review], fmt: str) -> str:
    """Several reviews: a JSON array, or the single reports one after another."""
    if fmt == "json":
        return json.dumps([r.model_dump(mode="json") for r in reviews], indent=2, ensure_ascii=False)
    separator = "\n\n" + ("-" * 72 + "\n\n" if fmt == "text" else "")
    return separator.join(render(r, fmt) for r in reviews)


def counts(review: Review) -> Counter[str]:
    """Findings by severity (objections the draft already answers are not counted)."""
    found: Counter[str] = Counter(f.severity for f in review.objections if f.status != "addressed")
    found.update(f.severity for f in [*review.brand, *review.tone])
    return found


def headline(review: Review) -> str:
    c = counts(review)
    engine = review.engine.model + (" (fell back to offline)" if review.engine.fallback else "")
    return (
        f"{review.draft.path}: score {review.score}/100, {review.verdict} — {c['error']} errors, "
        f"{c['warning']} warnings, {c['suggestion']} suggestions · engine {engine}"
    )


def _other_language(evidence: Evidence) -> str | None:
    """A marker for a quote in another language than the draft's."""
    return f"in {evidence.language or 'another language'}" if evidence.other_language else None


def _quote(finding: ObjectionFinding) -> str:
    if not finding.evidence:
        return ""
    first = finding.evidence[0]
    meta = ", ".join(x for x in (first.outcome, first.date, _other_language(first)) if x)
    return f"“{first.quote}” — {first.note_id}" + (f" ({meta})" if meta else "")


def _loss(finding: ObjectionFinding) -> str:
    return "loss rate unknown" if finding.loss_rate is None else f"{finding.loss_rate:.0%} lost"


def to_text(review: Review) -> str:
    """Readable in a terminal: verdict, then the objections that matter most, then brand findings."""
    lines = [headline(review)]
    lines += [f"  note: {n}" for n in review.engine.notes]
    open_items = [f for f in review.objections if f.status != "addressed"]
    if open_items:
        lines.append("\nObjections customers raise:")
    for f in open_items:
        where = f" at “{f.draft_span.text[:80]}”" if f.draft_span else ""
        lines.append(
            f"  [{f.severity}] {f.label}: the draft {_STATUS_WORD[f.status]} it{where} "
            f"({f.frequency} calls, {_loss(f)})"
        )
        if f.evidence:
            lines.append(f"      {_quote(f)}")
        lines.append(f"      → {f.suggestion}")
    answered = [f.label for f in review.objections if f.status == "addressed"]
    if answered:
        lines.append(f"\nAnswered well: {', '.join(answered)}")
    style = sorted([*review.brand, *review.tone], key=lambda f: (f.line, f.col))
    if style:
        lines.append("\nBrand and tone:")
    for b in style:
        fix = f" → {b.suggestion}" if b.suggestion else ""
        lines.append(f"  {b.line}:{b.col} [{b.severity}] {b.rule}: {b.message}{fix}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Untrusted text made inert in Markdown: no HTML, no links, no emphasis from the source."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    for char in "\\`*_[]<>#|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def to_markdown(review: Review) -> str:
    c = counts(review)
    out = [
        f"# Review of {_md(review.draft.path)}",
        "",
        f"**Score {review.score}/100 — {review.verdict}** · {c['error']} errors, {c['warning']} warnings, "
        f"{c['suggestion']} suggestions · engine `{review.engine.model}` · language {review.draft.language}",
    ]
    out += [f"> {_md(n)}" for n in review.engine.notes]
    out += ["", "## Objection coverage", "", "| theme | status | severity | calls | lost |", "|---|---|---|---|---|"]
    for f in review.objections:
        loss = "–" if f.loss_rate is None else f"{f.loss_rate:.0%}"
        out.append(f"| {_md(f.label)} | {f.status} | {f.severity} | {f.frequency} | {loss} |")
    for f in review.objections:
        if f.status == "addressed":
            continue
        out += ["", f"### {_md(f.label)} — {f.status}", ""]
        if f.draft_span:
            out.append(f"Draft: “{_md(f.draft_span.text)}”")
            out.append("")
        for e in f.evidence:
            meta = ", ".join(x for x in (e.outcome, e.date, _other_language(e)) if x)
            out.append(f"- “{_md(e.quote)}” — `{e.note_id}`" + (f" ({meta})" if meta else ""))
        out += ["", f"**Suggestion:** {_md(f.suggestion)}"]
    style = sorted([*review.brand, *review.tone], key=lambda f: (f.line, f.col))
    if style:
        out += [
            "",
            "## Brand and tone",
            "",
            "| line:col | severity | rule | message | suggestion |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {b.line}:{b.col} | {b.severity} | {b.rule} | {_md(b.message)} | {_md(b.suggestion or '')} |"
            for b in style
        ]
    return "\n".join(out) + "\n"


_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:920px;margin:2em auto;color:#1d2433}
.score{font-size:2em;font-weight:700}.error{color:#b42318}.warning{color:#b54708}.suggestion{color:#175cd3}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e4e7ec;padding:4px 8px;text-align:left}
blockquote{margin:.3em 0 .3em 1em;color:#475467}"""


def to_html(review: Review) -> str:
    """A standalone page; every piece of draft or note text is escaped, nothing is executed."""
    e = html.escape
    c = counts(review)
    rows = "".join(
        f"<tr><td>{e(f.label)}</td><td>{e(f.status)}</td><td class='{e(f.severity)}'>{e(f.severity)}</td>"
        f"<td>{f.frequency}</td><td>{'–' if f.loss_rate is None else f'{f.loss_rate:.0%}'}</td></tr>"
        for f in review.objections
    )
    details = []
    for f in review.objections:
        if f.status == "addressed":
            continue
        quotes = "".join(
            f"<blockquote>“{e(x.quote)}” — {e(x.note_id)} "
            f"{e(', '.join(y for y in (x.outcome, x.date, _other_language(x)) if y))}</blockquote>"
            for x in f.evidence
        )
        span = f"<p>Draft: “{e(f.draft_span.text)}”</p>" if f.draft_span else ""
        details.append(
            f"<h3 class='{e(f.severity)}'>{e(f.label)} — {e(f.status)}</h3>{span}{quotes}"
            f"<p><b>Suggestion:</b> {e(f.suggestion)}</p>"
        )
    style = "".join(
        f"<tr><td>{b.line}:{b.col}</td><td class='{e(b.severity)}'>{e(b.severity)}</td><td>{e(b.rule)}</td>"
        f"<td>{e(b.message)}</td><td>{e(b.suggestion or '')}</td></tr>"
        for b in _style(review.brand, review.tone)
    )
    notes = "".join(f"<p><i>{e(n)}</i></p>" for n in review.engine.notes)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Review of {e(review.draft.path)}</title>"
        f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<style>{_CSS}</style></head><body><h1>Review of {e(review.draft.path)}</h1>"
        f"<p class='score'>{review.score}/100 — {e(review.verdict)}</p>"
        f"<p>{c['error']} errors, {c['warning']} warnings, {c['suggestion']} suggestions · engine "
        f"{e(review.engine.model)}</p>{notes}<h2>Objection coverage</h2><table><tr><th>theme</th><th>status</th>"
        f"<th>severity</th><th>calls</th><th>lost</th></tr>{rows}</table>{''.join(details)}"
        f"<h2>Brand and tone</h2><table><tr><th>line:col</th><th>severity</th><th>rule</th><th>message</th>"
        f"<th>suggestion</th></tr>{style}</table></body></html>\n"
    )


def _style(brand: Sequence[BrandFinding], tone: Sequence[BrandFinding]) -> list[BrandFinding]:
    return sorted([*brand, *tone], key=lambda f: (f.line, f.col))
