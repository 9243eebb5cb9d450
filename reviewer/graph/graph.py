"""The review workflow as a LangGraph graph; reads like the diagram in the README."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_type_hints

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel

from reviewer.drafts import Draft, load_draft
from reviewer.graph import nodes
from reviewer.graph.context import ReviewContext
from reviewer.graph.state import ReviewInput, ReviewState
from reviewer.models import Review
from reviewer.settings import Settings

CHECKPOINTS = "checkpoints.sqlite3"
STEPS = ["load", "segment", "retrieve", "brand", "tone", "coverage", "suggest", "validate", "score", "report"]


def build_graph(checkpointer: Any = None) -> Any:
    """load → segment → {retrieve → {coverage, tone}, brand} → suggest → validate → score → report."""
    graph = StateGraph(ReviewState, context_schema=ReviewContext, input_schema=ReviewInput)
    for name in STEPS:
        graph.add_node(name, getattr(nodes, name))
    graph.add_edge(START, "load")
    graph.add_edge("load", "segment")
    # Brand rules run beside retrieval; both model-backed judges start together after it, so the
    # LLM path costs one round trip of latency, not two.
    graph.add_edge("segment", "retrieve")
    graph.add_edge("segment", "brand")
    graph.add_edge("retrieve", "coverage")
    graph.add_edge("retrieve", "tone")
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


def state_models() -> list[type[BaseModel]]:
    """Every pydantic model the workflow's state can hold: the checkpoint serializer's allow-list."""
    found: list[type[BaseModel]] = []

    def walk(hint: Any) -> None:
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            if hint not in found:
                found.append(hint)
                for field in hint.model_fields.values():
                    walk(field.annotation)
            return
        for arg in get_args(hint):
            walk(arg)

    for hint in get_type_hints(ReviewState, include_extras=True).values():
        walk(hint)
    return found


_CHECKPOINTED: dict[str, Any] = {}
_CHECKPOINTED_LOCK = threading.Lock()


def checkpointed_graph(settings: Settings) -> Any:
    """The graph with LangGraph's saver for these settings, one per process and database.

    Postgres when `REVIEWER_DATABASE_URL` is set (its tables set up under an advisory lock),
    else `checkpoints.sqlite3` in the data dir. Only the state's own types are deserialized.
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from reviewer.database import open_database, postgres_url

    url = postgres_url(settings)
    key = url or str((settings.data_dir / CHECKPOINTS).resolve())
    with _CHECKPOINTED_LOCK:
        graph = _CHECKPOINTED.get(key)
        if graph is not None:
            return graph
        serde = JsonPlusSerializer(allowed_msgpack_modules=state_models())
        database = open_database(settings, CHECKPOINTS)
        saver: Any
        if database.postgres:
            from langgraph.checkpoint.postgres import PostgresSaver

            saver = PostgresSaver(database.pool, serde=serde)
            with database.locked("langgraph-checkpoints"):
                saver.setup()
        else:
            from langgraph.checkpoint.sqlite import SqliteSaver

            saver = SqliteSaver(database.connection, serde=serde)
        graph = _CHECKPOINTED[key] = build_graph(checkpointer=saver)
        return graph


def checkpoint_key(ctx: ReviewContext, draft: Draft, payload: dict[str, Any]) -> str:
    """What a review reads, hashed: the draft's bytes and name, the settings, the hints, and the
    corpus, rules, model and flags versions. Any change starts the review afresh instead of resuming."""
    parts = {
        "draft": draft.sha256,
        "path": draft.path,  # the report names the file
        "settings": ctx.settings.model_dump(mode="json", exclude={"api_key"}),
        "versions": ctx.versions,
        "segment": payload.get("segment"),
        "product": payload.get("product"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


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

    With `checkpoint`, finished steps are saved (SQLite under the data dir, or Postgres) and an
    interrupted review of the same bytes, settings, corpus, rules, model and flags resumes where
    it stopped; anything else is reviewed from the start.
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
    if draft is None:
        # Loaded here, not in the graph: the key is the bytes on disk now, never those of an earlier run.
        payload["draft"] = draft = load_draft(Path(str(path)), ctx.settings)
    graph = checkpointed_graph(ctx.settings)
    thread = checkpoint_key(ctx, draft, payload)
    config = {"configurable": {"thread_id": thread}}
    pending = graph.get_state(config)
    review = _run(graph, None if pending.next else payload, ctx, config, on_step)
    graph.checkpointer.delete_thread(thread)  # finished: the next review of this draft starts afresh
    return review


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
