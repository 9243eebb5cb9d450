"""The workflow's steps: small functions that read the state and return a partial update."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import numpy as np
from langgraph.runtime import Runtime

from reviewer.drafts import Draft, load_draft
from reviewer.errors import LLMError
from reviewer.graph.context import ReviewContext
from reviewer.graph.state import ReviewState
from reviewer.models import DraftInfo, EngineInfo, Review, Usage
from reviewer.review.coverage import judge_coverage
from reviewer.review.evidence import draft_hits, retrieve_evidence
from reviewer.review.relevance import eligible, select_themes
from reviewer.review.score import score_review
from reviewer.review.suggest import to_finding
from reviewer.review.tone import judge_tone
from reviewer.review.validate import validate_findings

Node = Callable[[ReviewState, Runtime[ReviewContext]], dict[str, Any]]


def timed(name: str) -> Callable[[Node], Node]:
    """Record the step's wall time under its name in `timings`."""

    def wrap(step: Node) -> Node:
        @wraps(step)
        def run(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
            started = time.perf_counter()
            update = step(state, runtime)
            update["timings"] = {name: round(time.perf_counter() - started, 4)}
            return update

        return run

    return wrap


@timed("load")
def load(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Read the draft file (unless the caller passed a loaded draft)."""
    draft = state.get("draft") or load_draft(Path(state["path"]), runtime.context.settings)
    return {"draft": draft, "path": draft.path}


@timed("segment")
def segment(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Embed the draft's sentences once for every later step."""
    draft = state["draft"]
    vectors = runtime.context.embedder.embed([s.text for s in draft.sentences])
    return {"draft_vectors": vectors.tolist()}


@timed("retrieve")
def retrieve(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """The themes relevant to this draft, with customer quotes and reps' replies from the store."""
    ctx = runtime.context
    draft = state["draft"]
    if not ctx.themes:
        return {
            "themes": [],
            "notices": ["No call notes yet, so only brand rules and tone were checked: run `reviewer ingest PATH`."],
        }
    candidates = eligible(ctx.themes, state.get("segment"), state.get("product"))
    segment = _stored_value(state.get("segment"), [s for t in candidates for s in t.segments])
    product = _stored_value(state.get("product"), [p for t in candidates for p in t.products])
    store = ctx.review_store  # each sentence is asked of Chroma; the chunk rows it returns are kept
    hits = draft_hits(store, _vectors(state), candidates, segment=segment, product=product, note_themes=ctx.note_themes)
    themes = select_themes(candidates, hits, draft.language)
    selected = [t.theme for t in themes]
    found = retrieve_evidence(
        ctx.theme_store,  # theme queries do not depend on the draft's sentences: answered once
        ctx.embed_phrases,
        selected,
        ctx.theme_vectors,
        draft.language,
        segment=segment,
        product=product,
        statements_of=ctx.statements_of,
    )
    for relevant in themes:
        theme_id = relevant.theme.theme_id
        if found.evidence.get(theme_id):  # else the theme's mined quotes stay
            relevant.evidence = found.evidence[theme_id]
        relevant.answers = found.answers.get(theme_id, [])
    return {"themes": themes}


@timed("feedback")
def feedback(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Reps' flags on this draft: missed themes forced in with the flag first, wrong findings to drop."""
    book = runtime.context.flags
    if book is None:
        return {"suppressed": []}
    from reviewer.feedback.effects import apply_to_themes, wrong_for_draft

    draft = state["draft"]
    themes = apply_to_themes(book, draft, state.get("themes", []), runtime.context)
    return {"themes": themes, "suppressed": sorted(wrong_for_draft(book, draft))}


@timed("brand")
def brand(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Deterministic brand rules (Vale-compatible styles) on the draft."""
    ruleset = runtime.context.ruleset
    if ruleset is None:
        return {"brand": []}
    from reviewer.rules import lint_text

    draft = state["draft"]
    fmt = {"markdown": "md", "html": "txt", "docx": "txt", "pdf": "txt"}.get(draft.format, "txt")
    # A Markdown draft is linted by the parse its blocks came from, not parsed a second time.
    return {"brand": lint_text(draft.text, ruleset, fmt=fmt, path=draft.path, document=draft.markup())}


@timed("coverage")
def coverage(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Judge each relevant theme: addressed, partial, unaddressed or contradicted."""
    ctx = runtime.context
    draft, themes = state["draft"], state.get("themes", [])
    if ctx.llm is not None and themes:
        from reviewer.review.llm_judge import judge_coverage_llm

        usage = Usage()
        try:
            verdicts = judge_coverage_llm(ctx.llm, draft, themes, usage, ctx.settings.company)
            return {"verdicts": verdicts, "usage": usage}
        except LLMError as exc:
            return {
                "verdicts": _offline_coverage(state, ctx),
                "usage": usage,
                "fallback": True,
                "notices": [f"The model could not judge coverage ({exc}); the offline judge was used."],
            }
    return {"verdicts": _offline_coverage(state, ctx)}


def _offline_coverage(state: ReviewState, ctx: ReviewContext) -> list[Any]:
    promises = ctx.vocabulary.claims_pattern()
    draft, themes = state["draft"], state.get("themes", [])
    return judge_coverage(draft, themes, ctx.embed_phrases, _vectors(state), promises, reference=ctx.themes)


@timed("tone")
def tone(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Tone and claims against the narrative guideline."""
    ctx = runtime.context
    if not ctx.guidelines and ctx.ruleset is None:  # no brand guideline configured: nothing to judge against
        return {"tone": []}
    draft = state["draft"]
    findings = judge_tone(draft, ctx.vocabulary.proof_pattern())
    if ctx.llm is not None and ctx.guidelines:
        from reviewer.review.llm_judge import judge_tone_llm

        usage = Usage()
        try:
            return {
                "tone": findings + judge_tone_llm(ctx.llm, draft, ctx.guidelines, usage, ctx.settings.company),
                "usage": usage,
            }
        except LLMError as exc:
            return {
                "tone": findings,
                "usage": usage,
                "fallback": True,
                "notices": [f"The model could not judge tone ({exc}); offline checks were used."],
            }
    return {"tone": findings}


@timed("suggest")
def suggest(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Turn verdicts into findings with severity, evidence and a concrete suggestion."""
    themes = {t.theme.theme_id: t for t in state.get("themes", [])}
    top_impact = max((t.theme.impact for t in themes.values()), default=0.0)
    draft = state["draft"]
    findings = [
        to_finding(v, themes[v.theme_id], top_impact, draft.language, draft.text)
        for v in state.get("verdicts", [])
        if v.theme_id in themes
    ]
    return {"objections": findings}


@timed("validate")
def validate(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Drop or repair anything not grounded in the notes or the draft."""
    ctx = runtime.context
    objections, brand_findings, dropped = validate_findings(
        state["draft"],
        state.get("objections", []),
        state.get("brand", []) + state.get("tone", []),
        ctx.note_texts,
    )
    suppressed = set(state.get("suppressed", []))
    objections = [f for f in objections if f.finding_id not in suppressed]
    brand_findings = [f for f in brand_findings if f.finding_id not in suppressed]
    tone_rules = {f.rule for f in state.get("tone", [])}
    return {
        "objections": objections,
        "brand": [f for f in brand_findings if f.rule not in tone_rules],
        "tone": [f for f in brand_findings if f.rule in tone_rules],
        "notices": [f"Dropped an ungrounded finding: {d}" for d in dropped],
    }


@timed("score")
def score(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Score 0-100 and the verdict."""
    value, verdict = score_review(state.get("objections", []), state.get("brand", []), state.get("tone", []))
    return {"score": value, "verdict": verdict}


@timed("report")
def report(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    """Assemble the Review object, objections worst first."""
    started = time.perf_counter()
    ctx = runtime.context
    draft: Draft = state["draft"]
    order = {"contradicted": 0, "unaddressed": 1, "partial": 2, "addressed": 3}
    rank = {"error": 0, "warning": 1, "suggestion": 2}
    objections = sorted(
        state.get("objections", []),
        key=lambda f: (order[f.status], rank[f.severity], -(f.frequency * (0.5 + (f.loss_rate or 0.5)))),
    )
    review = Review(
        review_id=f"{draft.sha256[:12]}-{ctx.versions.get('corpus', 'none')[:8]}",
        draft=DraftInfo(path=draft.path, sha256=draft.sha256, language=draft.language),
        score=state["score"],
        verdict=state["verdict"],  # type: ignore[arg-type]
        engine=EngineInfo(
            model=ctx.model_name,
            fallback=bool(state.get("fallback")),
            notes=list(dict.fromkeys(state.get("notices", []))),
        ),
        objections=objections,
        brand=state.get("brand", []),
        tone=state.get("tone", []),
        usage=state.get("usage") or Usage(),
        timings=dict(state.get("timings", {})),
    )
    review.timings["report"] = round(time.perf_counter() - started, 4)
    return {"review": review}


def _vectors(state: ReviewState) -> np.ndarray:
    return np.asarray(state.get("draft_vectors") or np.zeros((0, 1)), dtype=np.float32)


def _stored_value(wanted: str | None, stored: list[str]) -> str | None:
    """The store's own spelling of a segment or product the caller named, None when it has none."""
    if not wanted:
        return None
    return next((value for value in stored if value.lower() == wanted.lower()), None)
