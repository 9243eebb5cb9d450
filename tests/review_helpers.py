"""A scripted model for review tests: answers each judging prompt from what the prompt contains."""

from __future__ import annotations

import json
import re
from typing import Any


def _prompt(request: dict[str, Any]) -> str:
    """The rendered user prompt (the first user message; later ones are repair rounds)."""
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def theme_ids(request: dict[str, Any]) -> list[str]:
    user = _prompt(request)
    return re.findall(r"^theme_id: (\S+)$", user, flags=re.MULTILINE)


def quoted_note_ids(request: dict[str, Any], theme_id: str) -> list[str]:
    user = _prompt(request)
    block = user.split(f"theme_id: {theme_id}\n", 1)[1].split("\ntheme_id: ", 1)[0]
    return re.findall(r"^\s+- \[([^\]]+)\]", block, flags=re.MULTILINE)


def draft_text(request: dict[str, Any]) -> str:
    user = _prompt(request)
    match = re.search(r"<<<DRAFT (\w+)>>>\n(.*)\n<<<END DRAFT \1>>>", user, flags=re.DOTALL)
    return match.group(2) if match else ""


def model_answer(request: dict[str, Any], *, addressed: set[str] = frozenset(), invent_note: bool = False) -> str:
    """A valid answer for whichever judging prompt arrives."""
    system = request["messages"][0]["content"]
    if "brand owner's editor" in system:
        first_line = draft_text(request).splitlines()[0].lstrip("# ").strip()
        return json.dumps(
            {
                "issues": [
                    {
                        "quote": first_line,
                        "severity": "suggestion",
                        "message": "Headline is generic.",
                        "suggestion": None,
                    }
                ]
            }
        )
    sentence = next((s for s in re.split(r"(?<=[.!?])\s+", draft_text(request)) if len(s) > 30), None)
    judgements = []
    for theme in theme_ids(request):
        ids = quoted_note_ids(request, theme)
        judgements.append(
            {
                "theme_id": theme,
                "status": "addressed" if theme in addressed else "unaddressed",
                "draft_quote": sentence if theme in addressed else None,
                "evidence_note_ids": (["INVENTED-123"] if invent_note else []) + ids[:1],
                "rationale": "scripted",
                "suggestion": f"Answer {theme} with a concrete fact.",
            }
        )
    return json.dumps({"judgements": judgements})
