"""The review workflow: state, context, nodes and the graph that wires them."""

from reviewer.graph.context import ReviewContext, build_context
from reviewer.graph.graph import build_graph, review_draft

__all__ = ["ReviewContext", "build_context", "build_graph", "review_draft"]
