"""Which objection themes a draft is judged on, and the customer evidence to show for each.

A theme is judged when it matters to this corpus or to this draft: its impact is a large enough
share of the top theme's, or the draft's sentences retrieve its calls from the store. How many
themes that is depends on the corpus and the draft, not on a fixed count.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from reviewer.models import Evidence, Theme
from reviewer.review.evidence import mined_evidence

# One setting for every corpus; see benchmarks/quality.py for the figures per domain. Dev drafts
# (demo, casino, star, abcd), ignored concerns flagged: 0.1 gave 17/31, 1/3, 9/12, 3/13; 0.05 and
# 0 gave 23/31, 2/3, 9/12, 3/13 with the same false flags (1/16, 0/3, 0/4, 0/3). With the i12
# mining (noise passes, many small discovered themes): 0.05 gave 27/31, 2/3, 12/12, 8/13 (false
# flags 2/16, 0/3, 0/4, 0/3); 0.1 the same; 0.15 and 0.2 28/31, 2/3, 12/12, 8/13 (0/16, 0/3, 0/4,
# 0/3): a two-call theme is judged only when the draft retrieves its calls.
# That selection leaks the answer: a small concern the draft ignores retrieves none of its calls,
# so it was never judged (demo approval themes of 2 calls each). Once the judge measures contrast
# and shared terms against every theme of the corpus (reviewer/review/coverage.py), a verdict no
# longer depends on what else is judged (issue 12): 0.15 and 0.1 gave 28/31, 3/3, 12/12, 5/13;
# 0.05 and 0 gave 31/31, 3/3, 12/12, 5/13, false flags 0/16, 0/3, 0/4, 0/3 (with MIN_TERMS).
MIN_IMPACT_SHARE = 0.05  # a theme with a twentieth of the top theme's impact is a concern of the corpus
MIN_DRAFT_HITS = 0.45  # ... or the draft's sentences retrieve its calls this closely (mean best cosine)
# A theme named by a single distinctive term (a title or a filler word of two calls, e.g. "herr")
# cannot be told answered from ignored: with it judged, an answered demo concern was flagged (1/16).
MIN_TERMS = 2
# A guard for the screen, not a quota. At 25 it bound on star (59 themes): the three meeting themes
# ranked below sub-themes of larger concerns and an ignored meeting concern was never judged.
MAX_THEMES = 40


class RelevantTheme(BaseModel):
    """A theme selected for a draft, why, and the quotes that back it."""

    theme: Theme
    relevance: float = Field(description="How strongly the theme concerns this draft (0-1).")
    evidence: list[Evidence] = Field(default_factory=list)
    answers: list[Evidence] = Field(default_factory=list, description="Reps' replies retrieved with the evidence.")
    flagged: list[Evidence] = Field(default_factory=list, description="Reps' flags about this draft.")


def eligible(themes: Sequence[Theme], segment: str | None = None, product: str | None = None) -> list[Theme]:
    """Themes raised in the draft's segment and product (themes that record none stay)."""

    def fits(values: list[str], wanted: str | None) -> bool:
        return not wanted or not values or wanted.lower() in {v.lower() for v in values}

    return [t for t in themes if fits(t.segments, segment) and fits(t.products, product)]


def select_themes(
    themes: Sequence[Theme],
    hits: dict[str, float],
    language: str,
) -> list[RelevantTheme]:
    """The themes to judge, most relevant first, each with its mined quotes as first evidence."""
    if not themes:
        return []
    max_impact = max(t.impact for t in themes) or 1.0
    scored: list[tuple[float, Theme]] = []
    for theme in themes:
        if len(theme.keywords) < MIN_TERMS:
            continue  # a theme named by one word cannot be told answered from ignored
        share = theme.impact / max_impact
        hit = hits.get(theme.theme_id, 0.0)
        if share < MIN_IMPACT_SHARE and hit < MIN_DRAFT_HITS:
            continue
        scored.append((round(0.7 * share + 0.3 * hit, 3), theme))
    scored.sort(key=lambda pair: (-pair[0], pair[1].theme_id))
    return [
        RelevantTheme(theme=theme, relevance=score, evidence=mined_evidence(theme, language))
        for score, theme in scored[:MAX_THEMES]
    ]


def pick_evidence(theme: Theme, language: str) -> list[Evidence]:
    """A theme's mined quotes, the draft's language first (for themes a flag brings in)."""
    return mined_evidence(theme, language)
