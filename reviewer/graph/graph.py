"""The review workflow as a LangGraph graph; reads like the diagram in the README."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph

from reviewer.drafts import Draft
from reviewer.graph import nodes
from reviewer.graph.context import ReviewContext
from reviewer.graph.state import ReviewInput, ReviewState
from reviewer.models import Review

STEPS = [
    "load",
    "segment",
    "retrieve",
    "feedback",
    "brand",
    "tone",
    "coverage",
    "suggest",
    "validate",
    "score",
    "report",
]


def build_graph(checkpointer: Any = None) -> Any:
    """load → segment → {retrieve → feedback → coverage, brand, tone} → suggest → validate → score → report."""
    graph = StateGraph(ReviewState, context_schema=ReviewContext, input_schema=ReviewInput)
    for name in STEPS:
        graph.add_node(name, getattr(nodes, name))
    graph.add_edge(START, "load")
    graph.add_edge("load", "segment")
    # Brand rules and the tone judge need only the draft, so they run beside retrieval; the LLM
    # path's two calls (coverage, tone) overlap, costing one round trip of latency, not two.
    graph.add_edge("segment", "retrieve")
    graph.add_edge("segment", "brand")
    graph.add_edge("segment", "tone")
    # Reps' flags are a stage of their own: they reshape the retrieved themes before judging.
    graph.add_edge("retrieve", "feedback")
    graph.add_edge("feedback", "coverage")
    graph.add_edge(["coverage", "brand", "tone"], "suggest")
    graph.add_edge("suggest", "validate")
    graph.add_edge("validate", "score")
    graph.add_edge("score", "report")
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


_GRAPH = None


def _default_graph() -> Any:
    global _GRAPH
    if _GRAPH is None:
        _GRAPH = build_graph()
    return _GRAPH


def review_draft(
    ctx: ReviewContext,
    *,
    path: Path | str | None = None,
    draft: Draft | None = None,
    segment: str | None = None,
    product: str | None = None,
    on_step: Callable[[str], None] | None = None,
    checkpoint: bool = False,
) -> Review:
    """Run the workflow for one draft; `on_step` hears each finished step's name.

    With `checkpoint`, steps are saved in SQLite under the data dir and an interrupted review of
    the same draft, corpus, rules and model resumes where it stopped.
    """
    payload: dict[str, Any] = {"segment": segment, "product": product}
    if draft is not None:
        payload["draft"] = draft
    elif path is not None:
        payload["path"] = str(path)
    else:
        raise ValueError("review_draft needs a path or a draft")
    if not checkpoint:
        return _run(_default_graph(), payload, ctx, {}, on_step)
    from langgraph.checkpoint.sqlite import SqliteSaver

    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(ctx.settings.data_dir / "checkpoints.sqlite3", check_same_thread=False)
    try:
        saver = SqliteSaver(connection)
        graph = build_graph(checkpointer=saver)
        key = draft.sha256 if draft is not None else str(Path(str(path)).resolve())
        thread = "|".join([key, *(f"{k}={v}" for k, v in sorted(ctx.versions.items()))])
        config = {"configurable": {"thread_id": thread}}
        pending = graph.get_state(config)
        review = _run(graph, None if pending.next else payload, ctx, config, on_step)
        saver.delete_thread(thread)  # finished: the next review of this draft starts afresh
        return review
    finally:
        connection.close()


def _run(
    graph: Any,
    payload: dict[str, Any] | None,
    ctx: ReviewContext,
    config: dict[str, Any],
    on_step: Callable[[str], None] | None,
) -> Review:
    review: Review | None = None
    for update in graph.stream(payload, config or None, context=ctx, stream_mode="updates"):
        for step, values in update.items():
            if on_step:
                on_step(step)
            if isinstance(values, dict) and "review" in values:
                review = values["review"]
    if review is None:
        state = graph.get_state(config).values if config else {}
        review = state.get("review")
    if review is None:
        raise RuntimeError("the review workflow ended without a report")
    return review
