"""Review a draft: upload or paste, watch the steps, then verdict, coverage map, highlighted draft,
suggestions to accept, downloads and the flag forms."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import components as ui  # ui/components.py: the main script's folder is on the path
import flagging
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from reviewer.drafts import SUPPORTED_SUFFIXES, Draft, draft_from_text, load_draft_bytes
from reviewer.errors import InputError, ReviewerError
from reviewer.models import BrandFinding, ObjectionFinding, Review
from reviewer.objections.themes import impact
from reviewer.report import counts, render
from reviewer.text import detect_language

if TYPE_CHECKING:  # reviewer.graph loads in the spinner (components.review_context), not before the title
    from reviewer.graph import ReviewContext

log = logging.getLogger(__name__)

ANY = "Any"
KIND_LABELS = {
    "error": "error",
    "warning": "warning",
    "suggestion": "suggestion",
    "addressed": "answers an objection",
    "partial": "partly answers",
    "contradicted": "contradicts",
}
# Stable labels: the selected tab is kept by its label across reruns (an Accept, a flag).
RESULT_TABS = ["Objection coverage", "Your draft with findings", "Suggested fixes", "Flag a miss", "Download"]


def main() -> None:
    st.title("Review a draft")
    st.caption(
        "See what customers really ask in sales calls, what your draft answers, and what the brand "
        "guidelines say — on your own text."
    )
    settings = ui.settings()
    try:
        ctx = ui.review_context(settings)
    except ReviewerError as exc:
        st.error(f"The reviewer cannot start: {exc}")
        return
    draft_input(ctx)
    review: Review | None = st.session_state.get("review")
    draft: Draft | None = st.session_state.get("draft")
    if review is not None and draft is not None:
        show_review(ctx, review, draft)
    else:
        empty_state(ctx)


def empty_state(ctx: ReviewContext) -> None:
    """What the review will show, before the first one."""
    if not ctx.themes:
        st.info(ui.NO_CORPUS, icon=":material/inbox:")
        return
    calls = max((t.frequency for t in ctx.themes), default=0)
    st.caption(
        f"You get a verdict, the {len(ctx.themes)} objections customers raise (the most common in {calls} calls) "
        "and whether your draft answers each one, with the reps' own words as evidence, brand findings on your "
        "text, fixes to accept, and a report to download. Try a demo draft from `corpus/drafts/`."
    )


# ---- input and run ---------------------------------------------------------------------------


def draft_input(ctx: ReviewContext) -> None:
    """The upload / paste area, the optional hints and the Review button."""
    upload_tab, paste_tab = st.tabs(["Upload a file", "Paste text"], key="input-tab", on_change="rerun")
    with upload_tab:
        limit = ctx.settings.max_draft_bytes / 1024 / 1024
        uploaded = st.file_uploader(
            f"Markdown (also MDX), text, HTML, Word or PDF, up to {limit:.0f} MB",
            type=sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES),
            key="upload",
        )
    with paste_tab:
        pasted = st.text_area(
            "Paste your copy (Markdown works)",
            height=200,
            key="pasted",
            placeholder="# Pay your suppliers on time\n\nCorvane Flow connects to …",
        )
    segments = sorted({s for t in ctx.themes for s in t.segments})
    products = sorted({p for t in ctx.themes for p in t.products})
    left, right, button = st.columns([2, 2, 1], vertical_alignment="bottom")
    segment = left.selectbox("Customer segment (optional)", [ANY, *segments], key="segment")
    product = right.selectbox("Product (optional)", [ANY, *products], key="product")
    clicked = button.button("Review", type="primary", icon=":material/rate_review:", width="stretch")
    if not clicked:
        return
    draft = read_draft(ctx, uploaded, pasted)
    if draft is not None:
        run_review(ctx, draft, None if segment == ANY else segment, None if product == ANY else product)


def read_draft(ctx: ReviewContext, uploaded: UploadedFile | None, pasted: str) -> Draft | None:
    """The uploaded file, else the pasted text, loaded and size-checked by `reviewer.drafts`."""
    try:
        if uploaded is not None:
            return load_draft_bytes(uploaded.getvalue(), uploaded.name, ctx.settings)
        if pasted.strip():
            return load_draft_bytes(pasted.encode("utf-8"), "pasted.md", ctx.settings)
    except InputError as exc:
        st.error(f"We could not read **{ui.md(Path(exc.path or 'the draft').name)}**: {ui.md(exc.reason)}.")
        return None
    st.warning("Upload a draft or paste its text first.")
    return None


def run_review(ctx: ReviewContext, draft: Draft, segment: str | None, product: str | None) -> None:
    """Run the workflow with a live step list; keep the result in the session."""
    from reviewer.graph import review_draft

    started = time.perf_counter()
    with st.status("Reviewing your draft…", expanded=True) as status:

        def on_step(step: str) -> None:
            words = ui.STEP_WORDS.get(step, step)
            status.update(label=f"{words}…")
            status.write(f"✓ {words}")

        try:
            review = review_draft(ctx, draft=draft, segment=segment, product=product, on_step=on_step)
        except ReviewerError as exc:
            status.update(label="The review could not finish", state="error")
            st.error(f"The review could not finish: {ui.md(str(exc))}")
            return
        except Exception:  # the screen never shows a traceback; the log keeps it
            log.exception("review failed")
            status.update(label="The review could not finish", state="error")
            st.error("Something went wrong while reviewing this draft. Try again; if it persists, tell your admin.")
            return
        elapsed = time.perf_counter() - started
        status.update(label=f"Review ready in {elapsed:.1f} s", state="complete", expanded=False)
    for key in [k for k in st.session_state if str(k).startswith("decide-")]:
        del st.session_state[key]  # decisions belong to the previous review
    st.session_state.pop(flagging.SAVED, None)
    st.session_state.update(
        review=review, draft=draft, segment_used=segment, product_used=product, elapsed=elapsed, flagged=False
    )


# ---- results -------------------------------------------------------------------------------


def show_review(ctx: ReviewContext, review: Review, draft: Draft) -> None:
    st.divider()
    verdict_header(ctx, review, draft)
    style = sorted([*review.brand, *review.tone], key=lambda f: f.span.start)
    fixes = ready_fixes(review, draft, style)
    marked = len(style) + sum(1 for o in review.objections if o.draft_span)
    st.caption(
        f"{len(review.objections)} objections checked · {marked} findings on your text · "
        f"{len(fixes)} fixes ready to accept"
    )
    tabs = st.tabs(RESULT_TABS, key="result-tab", on_change="rerun")
    with tabs[0]:
        coverage_map(ctx, review)
    with tabs[1]:
        draft_with_findings(review, draft, style)
    with tabs[2]:
        suggested_fixes(review, draft, fixes)
    with tabs[3]:
        flag_forms(ctx, review, draft, style)
    with tabs[4]:
        downloads(review, draft)


def verdict_header(ctx: ReviewContext, review: Review, draft: Draft) -> None:
    found = counts(review)
    verdict = ui.badge(ui.VERDICT_STYLE[review.verdict], review.verdict.capitalize())
    st.subheader(f"{verdict} {ui.md(Path(draft.path).name)}")
    cols = st.columns(6)
    cols[0].metric("Score", f"{review.score}/100")
    cols[1].metric("Errors", found["error"])
    cols[2].metric("Warnings", found["warning"])
    cols[3].metric("Suggestions", found["suggestion"])
    engine = "Offline" if review.engine.model == "offline" else review.engine.model
    cols[4].metric("Engine", engine + (" → offline" if review.engine.fallback else ""))
    cols[5].metric("Cost", f"${review.usage.cost_usd:.4f}" if review.usage.cost_usd else "$0")
    elapsed = st.session_state.get("elapsed")
    st.caption(
        f"Language {draft.language} · {len(draft.sentences)} sentences · "
        + (f"reviewed in {elapsed:.1f} s · " if elapsed else "")
        + f"review id `{review.review_id}`"
    )
    if review.engine.fallback:
        st.warning("The model could not be reached, so this review used the offline engine.", icon="📴")
    for note in review.engine.notes:
        st.info(ui.md(note), icon="ℹ️")
    if not ctx.themes:
        st.info(ui.NO_CORPUS, icon="📭")


def _impact(ctx: ReviewContext, finding: ObjectionFinding) -> float:
    theme = next((t for t in ctx.themes if t.theme_id == finding.theme_id), None)
    return theme.impact if theme is not None else impact(finding.frequency, finding.loss_rate)


def coverage_map(ctx: ReviewContext, review: Review) -> None:
    if not review.objections:
        st.info("No objection themes apply to this draft." if ctx.themes else ui.NO_CORPUS)
        return
    ranked = sorted(review.objections, key=lambda f: -_impact(ctx, f))
    st.markdown("Every objection customers raise about this kind of copy, **highest impact first**.")
    st.caption(ranking_note())
    table = pd.DataFrame(
        [
            {
                "Objection": f.label,
                "Your draft": ui.STATUS_WORDS[f.status],
                "Severity": f.severity if f.status != "addressed" else "—",
                "Calls": f.frequency,
                "Lost": f.loss_rate,
            }
            for f in ranked
        ]
    )
    st.dataframe(
        table.style.map(_cell_colour, subset=["Your draft", "Severity"]),
        hide_index=True,
        width="stretch",
        column_config={
            "Calls": st.column_config.NumberColumn(help="Distinct calls where customers raised it"),
            "Lost": st.column_config.ProgressColumn(
                help="Share of those calls that ended in a lost deal", format="percent", min_value=0, max_value=1
            ),
        },
        key="coverage_table",
    )
    for f in ranked:
        loss = "loss rate unknown" if f.loss_rate is None else f"{f.loss_rate:.0%} lost"
        colour, icon = ui.STATUS_STYLE[f.status]
        title = (
            f"**{ui.md(f.label)}** — :{colour}[your draft {ui.STATUS_WORDS[f.status]}] · {f.frequency} calls · {loss}"
        )
        with st.expander(title, icon=icon):
            objection_detail(review, f)


_CELL_COLOURS = {
    "contradicts it": "#fda29b",
    "ignores it": "#fedf89",
    "partly answers it": "#fef7c3",
    "answers it": "#d1fadf",
    "error": "#fee4e2",
    "warning": "#fef0c7",
    "suggestion": "#eff8ff",
}


def _cell_colour(value: object) -> str:
    colour = _CELL_COLOURS.get(str(value))
    return f"background-color: {colour}" if colour else ""


def ranking_note() -> str:
    """How the coverage map is ordered and when an ignored objection blocks, from the engine's own figures."""
    from reviewer.review.suggest import HIGH_IMPACT_SHARE, HIGH_LOSS  # loaded with the workflow already

    return (
        "Ranked by **impact**: the calls where customers raised the objection, weighted by how often those "
        "deals were lost (calls × (0.5 + share lost)). An objection your draft ignores is an **error** when "
        f"it is lost at least {HIGH_LOSS:.0%} of the time and its impact is at least {HIGH_IMPACT_SHARE:.0%} "
        "of the top objection's; otherwise a warning."
    )


def objection_detail(review: Review, f: ObjectionFinding) -> None:
    if f.draft_span:
        st.markdown(f"**In your draft:** “{ui.md(f.draft_span.text)}”")
    if f.rationale:
        st.caption(ui.md(f.rationale))
    if f.evidence:
        st.markdown("**What customers said**")
        for e in f.evidence:
            meta = " · ".join(x for x in (e.outcome, e.date, e.note_id) if x)
            st.markdown(f"> “{ui.md(e.quote)}”  \n> *{ui.md(meta)}*")
    if f.suggestion and f.status != "addressed":
        if f.suggested_copy:
            st.markdown("**Suggested copy** (accept it under Suggested fixes)")
            st.markdown(f"> {ui.md(f.suggested_copy)}")
        else:
            st.markdown(f"**Suggestion:** {ui.md(f.suggestion)}")
    language = review.draft.language  # the reps' words in the draft's language only
    won = [a for a in f.answers if a.outcome == "won" and detect_language(a.quote, default=language) == language][:3]
    if won:
        st.markdown("**In won deals reps answered**")
        for a in won:
            st.markdown(f"- “{ui.md(a.quote)}” *({ui.md(a.date or a.note_id)})*")
    flagging.finding_feedback(review, f.finding_id, f.label)


def draft_with_findings(review: Review, draft: Draft, style: list[BrandFinding]) -> None:
    marks: list[tuple[int, int, str, str]] = [
        (f.span.start, f.span.end, f.severity, f"{f.message}" + (f" → {f.suggestion}" if f.suggestion else ""))
        for f in style
    ]
    marks += [
        (f.draft_span.start, f.draft_span.end, f.status, f"{f.label}: the draft {ui.STATUS_WORDS[f.status]}.")
        for f in review.objections
        if f.draft_span
    ]
    marks.sort(key=lambda m: (m[0], -m[1]))
    numbered = [ui.Mark(start, end, kind, i, message) for i, (start, end, kind, message) in enumerate(marks, 1)]
    st.caption(
        "Hover a highlight for its message, or read the numbered list. Red: errors and contradictions · "
        "orange: warnings and partial answers · blue: suggestions · green: answers an objection."
    )
    text_col, legend_col = st.columns([3, 2])
    with text_col:
        st.html(ui.HIGHLIGHT_CSS + ui.document(draft, numbered))
    with legend_col:
        if numbered:
            st.html(ui.HIGHLIGHT_CSS + ui.legend(numbered, KIND_LABELS))
        else:
            st.success("No brand, tone or claim finding on this text.", icon=":material/check_circle:")


@dataclass(frozen=True)
class Fix:
    """One change the marketer can accept: replace [start, end) of the draft with `text`."""

    finding_id: str
    severity: str
    title: str
    before: str
    text: str
    start: int
    end: int


def ready_fixes(review: Review, draft: Draft, style: list[BrandFinding]) -> list[Fix]:
    """Brand fixes with a replacement, and objections that come with copy to paste."""
    fixes = [
        Fix(
            f.finding_id,
            f.severity,
            f"line {f.line} · {f.message}",
            f.span.text,
            f.suggestion,
            f.span.start,
            f.span.end,
        )
        for f in style
        if f.suggestion
    ]
    end = len(draft.text.rstrip())
    for f in review.objections:
        if f.status == "addressed" or not f.suggested_copy:
            continue
        title = f"{f.label}: your draft {ui.STATUS_WORDS[f.status]}"
        if f.status == "contradicted" and f.draft_span:
            span = f.draft_span
            fixes.append(Fix(f.finding_id, f.severity, title, span.text, f.suggested_copy, span.start, span.end))
        elif f.draft_span:  # a partial answer: the copy follows it
            at = f.draft_span.end
            fixes.append(Fix(f.finding_id, f.severity, title, "", " " + f.suggested_copy, at, at))
        else:  # ignored: the copy becomes a paragraph at the end
            fixes.append(Fix(f.finding_id, f.severity, title, "", "\n\n" + f.suggested_copy, end, end))
    return fixes


def suggested_fixes(review: Review, draft: Draft, fixes: list[Fix]) -> None:
    if not fixes:
        st.info("No finding here comes with a ready replacement. See the coverage map for what to add.")
        return
    st.markdown(
        "Accept a fix to apply it to the revised draft below; reject it to hide it from the count. "
        "Copy for objections comes from what reps answered in won deals (or from the model, when one is set)."
    )
    bulk_accept, bulk_reset, _ = st.columns([1, 1, 3])
    if bulk_accept.button("Accept all", key="accept-all"):
        for f in fixes:
            st.session_state[f"decide-{f.finding_id}"] = "Accept"
    if bulk_reset.button("Reset", key="reset-all"):
        for f in fixes:
            st.session_state[f"decide-{f.finding_id}"] = None
    decisions: dict[str, str | None] = {}
    for f in fixes:
        left, right = st.columns([4, 2], vertical_alignment="center")
        change = f"~~{ui.md(f.before)}~~ → **{ui.md(f.text)}**" if f.before else f"add: **{ui.md(f.text.strip())}**"
        left.markdown(f"{ui.badge(ui.SEVERITY_STYLE[f.severity], f.severity)} {ui.md(f.title)}  \n{change}")
        decisions[f.finding_id] = right.segmented_control(
            "Decision",
            ["Accept", "Reject"],
            key=f"decide-{f.finding_id}",
            label_visibility="collapsed",
        )
    accepted = [f for f in fixes if decisions.get(f.finding_id) == "Accept"]
    rejected = sum(1 for f in fixes if decisions.get(f.finding_id) == "Reject")
    revised, skipped = ui.apply_replacements(draft.text, [(f.start, f.end, f.text) for f in accepted])
    st.markdown(f"**Revised draft** — {len(accepted)} accepted, {rejected} rejected")
    if skipped:
        st.caption(f"{skipped} accepted fix(es) overlap another and were not applied.")
    try:
        shown = draft_from_text(revised, _revised_name(draft.path))
        st.html(ui.HIGHLIGHT_CSS + ui.document(shown, []))
    except InputError:  # the revised text has no prose left: the source below still shows it
        pass
    with st.expander("Markdown source of the revised draft"):
        st.code(revised, language=None, wrap_lines=True)
    st.download_button(
        "Download revised draft",
        revised,
        file_name=_revised_name(draft.path),
        mime="text/plain",
        icon=":material/download:",
        key="download-revised",
    )


def _revised_name(path: str) -> str:
    p = Path(path)
    suffix = p.suffix if p.suffix in {".md", ".txt", ".markdown"} else ".txt"
    return f"{p.stem}.revised{suffix}"


def downloads(review: Review, draft: Draft) -> None:
    st.markdown("The full review, to share or archive.")
    stem = Path(draft.path).stem or "review"
    cols = st.columns(3)
    for col, (fmt, suffix, mime, label) in zip(
        cols,
        [
            ("markdown", "md", "text/markdown", "Markdown"),
            ("html", "html", "text/html", "HTML"),
            ("json", "json", "application/json", "JSON"),
        ],
    ):
        col.download_button(
            f"Report as {label}",
            render(review, fmt),
            file_name=f"{stem}.review.{suffix}",
            mime=mime,
            icon=":material/download:",
            key=f"download-{fmt}",
            width="stretch",
        )


# ---- flags -------------------------------------------------------------------------------


def flag_forms(ctx: ReviewContext, review: Review, draft: Draft, style: list[BrandFinding]) -> None:
    st.markdown("**Customers ask about something this draft ignores?** Tell us in a sentence.")
    with st.form("flag-missed", clear_on_submit=True):
        text = st.text_area(
            "Customers ask about … and this draft ignores it",
            placeholder="Customers keep asking whether it runs on-prem.",
            key="missed-text",
        )
        account_col, rep_col = st.columns(2)
        account = account_col.text_input("Account (optional)", key="missed-account")
        rep = rep_col.text_input("Rep (optional)", key="missed-rep")
        if st.form_submit_button("Flag the miss", type="primary"):
            if not text.strip():
                st.warning("Describe what customers ask about first.")
            else:
                flagging.flag_missed(review, draft, text.strip(), account.strip() or None, rep.strip() or None)
    findings = [(f.finding_id, f"{f.label} — {ui.STATUS_WORDS[f.status]}") for f in review.objections]
    findings += [(f.finding_id, f"line {f.line}: {f.message}") for f in style]
    if not findings:
        return
    st.markdown("**A finding is wrong, or spot on?**")
    with st.form("flag-finding", clear_on_submit=True):
        labels = dict(findings)
        chosen = st.selectbox("Finding", list(labels), format_func=lambda k: labels[k], key="flag-finding-id")
        kind = st.radio("It is…", ["wrong", "a good catch"], horizontal=True, key="flag-finding-kind")
        reason = st.text_input("Why? (needed for “wrong”)", key="flag-finding-reason")
        if st.form_submit_button("Send"):
            if kind == "wrong" and not reason.strip():
                st.warning("Tell us why the finding is wrong.")
            elif kind == "wrong":
                flagging.flag_wrong(review, chosen, labels[chosen], reason.strip())
            else:
                flagging.flag_good(review, chosen, labels[chosen])
    again = st.session_state.get("flagged") and st.button(
        "Review this draft again", icon=":material/refresh:", key="rerun-review"
    )
    if again:
        run_review(ctx, draft, st.session_state.get("segment_used"), st.session_state.get("product_used"))
        st.rerun()


main()
