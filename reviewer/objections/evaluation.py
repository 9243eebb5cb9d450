"""Theme quality against labelled conversations: assignment scores, topics recovered, purity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from reviewer.models import Theme, themes_by_note


def score_against_labels(themes: Sequence[Theme], labels: Mapping[str, list[str]]) -> tuple[int, int, int]:
    """(right, wrong, missed) note-to-theme assignments against labelled notes.

    A discovered theme counts as the labelled theme most of its notes carry.
    """
    found = themes_by_note(themes)
    totals = label_totals(labels.values())
    mapping = {}
    for theme in themes:
        votes = Counter(label for note in theme.note_ids for label in labels.get(note, []))
        mapping[theme.theme_id] = majority_label(votes, totals) if theme.discovered and votes else theme.theme_id
    right = wrong = missed = 0
    for note_id, gold in labels.items():
        predicted = {mapping[t] for t in found.get(note_id, [])}
        right += len(predicted & set(gold))
        wrong += len(predicted - set(gold))
        missed += len(set(gold) - predicted)
    return right, wrong, missed


def label_totals(labels: Iterable[Sequence[str]]) -> Counter[str]:
    """label -> how many conversations carry it, from each conversation's labels."""
    return Counter(label for values in labels for label in set(values))


def majority_label(votes: Counter[str], totals: Mapping[str, int]) -> str:
    """The most common label. A tie goes to the label the theme holds the larger share of (`totals`:
    `label_totals` of the whole set): two calls of a label raised in five say more about a theme than
    two of one raised in fifty, which any theme collects by chance. Then alphabetical: `most_common`
    breaks ties by insertion order, which follows the hash seed."""

    def rank(item: tuple[str, int]) -> tuple[int, float, str]:
        label, n = item
        return -n, -n / max(totals.get(label, n), n), label

    return min(votes.items(), key=rank)[0]


class TopicScore(BaseModel):
    """How the top themes line up with the labelled topics of the conversations."""

    topics: int  # labelled topics with at least `min_share` of the labelled conversations
    recovered: int  # of those, topics that are the majority label of at least one top theme
    purity: float  # conversations of the top themes carrying their theme's majority label
    themes: int  # top themes looked at
    majority: dict[str, str]  # theme id -> its majority label


def topic_recovery(
    themes: Sequence[Theme], labels: Mapping[str, Sequence[str]], top: int = 15, min_share: float = 0.02
) -> TopicScore:
    """Recovered topics and purity of the `top` themes by impact, against note id -> its labels.

    A conversation with several labels counts for the theme's majority label when it carries it.
    Topics rarer than `min_share` of the labelled conversations are not counted as topics to find.
    """
    ranked = sorted(themes, key=lambda t: (-t.impact, t.theme_id))[:top]
    counts = label_totals(labels.values())
    total = len(labels) or 1
    topics = {label for label, n in counts.items() if n / total >= min_share}
    majority: dict[str, str] = {}
    pure = seen = 0
    for theme in ranked:
        labelled = [labels[n] for n in theme.note_ids if n in labels]
        if not labelled:
            continue
        best = majority_label(Counter(label for values in labelled for label in set(values)), counts)
        majority[theme.theme_id] = best
        pure += sum(best in values for values in labelled)
        seen += len(labelled)
    recovered = len(topics & set(majority.values()))
    return TopicScore(
        topics=len(topics), recovered=recovered, purity=round(pure / max(seen, 1), 3), themes=len(ranked),
        majority=majority,
    )  # fmt: skip
