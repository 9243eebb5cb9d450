"""Theme names from a model: one batched call names every theme that has no model-given name yet."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel, Field

from reviewer.errors import LLMError
from reviewer.models import Usage
from reviewer.objections.mining import MiningState, _keywords
from reviewer.prompts import fence, render_prompt

log = logging.getLogger(__name__)
SENTENCES_PER_THEME = 5
MAX_LABEL_CHARS = 60


class ThemeName(BaseModel):
    theme_id: str = Field(description="The id of a theme given in the prompt.")
    label: str = Field(description="A short noun phrase naming the theme.")


class ThemeNames(BaseModel):
    names: list[ThemeName] = Field(description="One entry per theme id given.")


def name_themes(llm: Any, state: MiningState, usage: Usage | None = None) -> int:
    """Give discovered themes a model-written label in one call; the number of themes renamed.

    A failing model leaves the offline labels (the representative customer question) in place.
    """
    keywords = _keywords(state)
    todo = [(i, t) for i, t in enumerate(state.themes) if t.discovered and t.label_source != "model" and t.quotes]
    if not todo:
        return 0
    payload = [
        {
            "id": theme.theme_id,
            "terms": keywords[index][:8],
            "sentences": [c.text for c in theme.quotes[:SENTENCES_PER_THEME]],
        }
        for index, theme in todo
    ]
    prompt = render_prompt("name_themes", themes=fence(json.dumps(payload, ensure_ascii=False, indent=1), "themes"))
    try:
        answer: ThemeNames = llm.complete_json(prompt, ThemeNames, usage=usage or Usage())
    except LLMError as exc:
        log.warning("themes keep their offline labels: %s", exc)
        return 0
    wanted = {t.theme_id: t for _, t in todo}
    renamed = 0
    for name in answer.names:
        label = " ".join(name.label.split()).strip(" \"'“”.")
        theme = wanted.get(name.theme_id)
        if theme is None or not label or len(label) > MAX_LABEL_CHARS or "," in label and len(label.split()) <= 4:
            continue  # unknown id, empty, overlong, or a word list: the offline label stays
        theme.label, theme.label_source = label, "model"
        renamed += 1
    return renamed
