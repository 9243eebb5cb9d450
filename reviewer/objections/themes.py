"""Group objection statements into themes: anchored by the taxonomy, discovered by clustering."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from reviewer.embeddings import Embedder
from reviewer.models import CallNote, Quote, Theme
from reviewer.objections.extract import THRESHOLD, Statement
from reviewer.objections.taxonomy import Taxonomy
from reviewer.text import _STOPWORDS, words

# Calibrated on the demo labels (tests/test_objections.py prints the figures).
ASSIGN_SCORE = 0.85  # a statement joins a named theme at or above this combined score
KEYWORD_WEIGHT = 0.35  # per taxonomy keyword found (two at most)
SELF_TRAINING = True
MIN_CUE = 1.5  # below this objection-cue score (a strong cue, or two weak ones) a statement needs ASSIGN_SCORE_NO_CUE
ASSIGN_SCORE_NO_CUE = 1.0
CUE_WEIGHT = 0.0  # per point of objection-cue score (four at most); 0 measured best
CLUSTER_DISTANCE = 0.40  # average-linkage cosine distance that still makes one discovered theme
MERGE_SIMILARITY = 0.80  # a discovered cluster this close to a named theme joins it
MIN_NOTES = 2  # a theme must come up in at least this many distinct notes
MAX_CLUSTERED = 3000  # above this, cluster a sample and attach the rest to the nearest cluster
QUOTES_PER_THEME = 5
ANSWERS_PER_THEME = 8
ANSWER_SIMILARITY = 0.6  # for themes without terms: a reply this close to the theme counts as an answer

_EXTRA_STOP = set(
    "also really maybe bit lot very much well yes yeah okay ok right like would could should "
    "one two three us me it's that's don't can't we're i'm you're sie ja nein mal halt eben "
    "doch denn also gerne bitte schon noch mehr viel ganz etwa ".split()
)
_STOP = _STOPWORDS["en"] | _STOPWORDS["de"] | _EXTRA_STOP
# Words that make a sentence an objection without saying what about; never a theme's keyword.
_GENERIC = set(
    "worried worry worries concern concerns concerned afraid problem problems issue issues happens happen "
    "sure think need needs want wants know question questions doubt doubts risk honestly really thing things "
    "team people guys way going get got see look said says asked bit answer answers convinced sense makes "
    "sorge sorgen bedenken problem frage "
    "ehrlich gesagt glaube denke brauchen wollen sehen".split()
)


def build_themes(
    statements: list[Statement],
    vectors: np.ndarray,
    notes: dict[str, CallNote],
    taxonomy: Taxonomy | None,
    embedder: Embedder,
) -> list[Theme]:
    """Themes with frequency, loss rate, quotes and answers, ranked by impact."""
    if not statements:
        return []
    assignment = np.full(len(statements), -1)
    groups: list[tuple[str, str, str | None, bool]] = []  # (theme_id, label, description, discovered)
    anchors: list[np.ndarray] = []
    if taxonomy and taxonomy.themes:
        for named in taxonomy.themes:
            groups.append((named.id, named.label, named.description or None, False))
            anchors.append(embedder.embed([*named.examples, named.label]))
        combined = _named_scores(statements, vectors, taxonomy, anchors)
        best = combined.argmax(axis=1)
        # Without any objection cue a sentence may be mere context ("we have 20 budget owners"):
        # it must then match a theme much more closely to count.
        needed = np.array([ASSIGN_SCORE if st.score >= MIN_CUE else ASSIGN_SCORE_NO_CUE for st in statements])
        ok = combined[np.arange(len(statements)), best] >= needed
        assignment[ok] = best[ok]
        if SELF_TRAINING and ok.any():
            # Second pass: the customers' own words of each theme join its examples, which reaches
            # phrasings the taxonomy's few examples do not cover.
            anchors2 = [np.vstack([a, vectors[assignment == k]]) for k, a in enumerate(anchors)]
            combined = _named_scores(statements, vectors, taxonomy, anchors2, exclude_self=assignment)
            best = combined.argmax(axis=1)
            ok = combined[np.arange(len(statements)), best] >= needed
            assignment[:] = -1
            assignment[ok] = best[ok]
    cues = np.array([st.score for st in statements])
    topical = np.array([bool(_topic_text(st.text)) for st in statements])
    rest = np.flatnonzero((assignment < 0) & (cues >= THRESHOLD) & topical)
    # Clustering on the topic words alone: "worried", "not sure" and the like say that it is an
    # objection, not what it is about, and would otherwise pull unrelated statements together.
    topic_vectors = embedder.embed([_topic_text(statements[i].text) for i in rest]) if len(rest) else vectors[rest]
    for members in _cluster(topic_vectors):
        indices = rest[members]
        if len({statements[i].note_id for i in indices}) < MIN_NOTES:
            continue
        centroid = _unit(vectors[indices].mean(axis=0))
        if anchors:
            closeness = [float((a @ centroid).max()) for a in anchors]
            nearest = int(np.argmax(closeness))
            if closeness[nearest] >= MERGE_SIMILARITY:
                assignment[indices] = nearest
                continue
        groups.append(("", "", None, True))
        assignment[indices] = len(groups) - 1
    named_keywords = {t.id: [k.lower() for k in t.keywords] for t in taxonomy.themes} if taxonomy else {}
    themes = []
    all_terms = _term_counts(s.text for s in statements)
    all_replies = [s.reply for s in statements if s.reply]
    reply_terms = _term_counts(all_replies)
    for group_index, (theme_id, label, description, discovered) in enumerate(groups):
        members = np.flatnonzero(assignment == group_index)
        if len({statements[i].note_id for i in members}) < MIN_NOTES:
            continue
        learned = _keywords([statements[i].text for i in members], all_terms, len(statements))
        # A named theme's distinctive terms are the taxonomy's (curated, in every language it covers).
        keywords = named_keywords.get(theme_id) or learned
        if discovered:
            theme_id = "d-" + "-".join(re.sub(r"\W+", "", k) for k in learned[:2])
            label = ", ".join(learned[:3]).capitalize()
        theme = _describe(theme_id, label, description, keywords, statements, members, vectors, notes, embedder)
        theme.discovered = discovered
        theme.answer_keywords = _keywords(
            [r for i in members if (r := statements[i].reply)], reply_terms, len(all_replies)
        )
        themes.append(theme)
    _dedupe_ids(themes)
    themes.sort(key=lambda t: (-t.impact, t.theme_id))
    return themes


def _topic_text(text: str) -> str:
    return " ".join(w for w in words(text) if w not in _STOP and w not in _GENERIC)


def _named_scores(
    statements: list[Statement],
    vectors: np.ndarray,
    taxonomy: Taxonomy,
    anchors: list[np.ndarray],
    exclude_self: np.ndarray | None = None,
) -> np.ndarray:
    """Statement x named theme: closeness to its examples, its keywords, and the cue score."""
    columns = []
    for k, anchor in enumerate(anchors):
        sims = vectors @ anchor.T
        if exclude_self is not None:
            # a statement may not vouch for itself: mask its own row among the added anchors
            own = np.flatnonzero(exclude_self == k)
            base = anchor.shape[0] - len(own)
            sims[own, base + np.arange(len(own))] = -1.0
        columns.append(sims.max(axis=1))
    similarity = np.stack(columns, axis=1)
    keyword_hits = np.zeros_like(similarity)
    for column, theme in enumerate(taxonomy.themes):
        if theme.keywords:
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in theme.keywords) + ")", re.IGNORECASE)
            keyword_hits[:, column] = [min(len(pattern.findall(st.text)), 2) for st in statements]
    cues = np.minimum(np.array([st.score for st in statements]), 4.0)[:, None]
    return similarity + KEYWORD_WEIGHT * keyword_hits + CUE_WEIGHT * cues


def _cluster(vectors: np.ndarray) -> list[np.ndarray]:
    """Average-linkage clusters of unit vectors (indices into vectors)."""
    if len(vectors) < MIN_NOTES:
        return []
    from sklearn.cluster import AgglomerativeClustering

    sample = np.arange(len(vectors))
    if len(vectors) > MAX_CLUSTERED:
        sample = np.random.default_rng(0).choice(len(vectors), MAX_CLUSTERED, replace=False)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=CLUSTER_DISTANCE
    ).fit_predict(vectors[sample])
    full = np.full(len(vectors), -1)
    full[sample] = labels
    if len(sample) < len(vectors):
        centroids = np.stack([_unit(vectors[sample[labels == k]].mean(axis=0)) for k in range(labels.max() + 1)])
        others = np.setdiff1d(np.arange(len(vectors)), sample)
        sims = vectors[others] @ centroids.T
        nearest = sims.argmax(axis=1)
        close = sims[np.arange(len(others)), nearest] >= 1 - CLUSTER_DISTANCE
        full[others[close]] = nearest[close]
    return [np.flatnonzero(full == k) for k in range(full.max() + 1)]


def _describe(
    theme_id: str,
    label: str,
    description: str | None,
    keywords: list[str],
    statements: list[Statement],
    members: np.ndarray,
    vectors: np.ndarray,
    notes: dict[str, CallNote],
    embedder: Embedder,
) -> Theme:
    centroid = _unit(vectors[members].mean(axis=0))
    # Representative quotes: clear objections naming the theme's terms first, then closeness.
    closeness = vectors[members] @ centroid
    is_objection = np.array([statements[i].score >= THRESHOLD for i in members])
    terms = _terms_pattern(keywords)
    on_topic = np.array([bool(terms and terms.search(statements[i].text)) for i in members])
    order = members[np.lexsort((-closeness, ~is_objection, ~on_topic))]
    note_ids = sorted({statements[i].note_id for i in members})
    theme_notes = [notes[n] for n in note_ids if n in notes]
    known = [n for n in theme_notes if n.outcome]
    loss_rate = round(sum(n.outcome == "lost" for n in known) / len(known), 3) if known else None
    dates = sorted(n.date for n in theme_notes if n.date)
    quotes = _distinct_quotes((statements[i] for i in order), notes, QUOTES_PER_THEME)
    return Theme(
        theme_id=theme_id,
        label=label,
        description=description or statements[order[0]].text,
        keywords=keywords,
        frequency=len(note_ids),
        loss_rate=loss_rate,
        impact=round(len(note_ids) * (0.5 + (loss_rate if loss_rate is not None else 0.5)), 2),
        segments=_ranked(n.segment for n in theme_notes),
        products=_ranked(n.product for n in theme_notes),
        languages=_ranked(n.language for n in theme_notes),
        first_seen=dates[0] if dates else None,
        last_seen=dates[-1] if dates else None,
        quotes=quotes,
        answers=_answers(statements, members, centroid, notes, embedder, keywords),
        note_ids=note_ids,
    )


def _distinct_quotes(ordered: object, notes: dict[str, CallNote], limit: int) -> list[Quote]:
    quotes: list[Quote] = []
    seen: set[str] = set()
    for statement in ordered:  # type: ignore[attr-defined]
        if statement.note_id in seen:
            continue
        note = notes.get(statement.note_id)
        seen.add(statement.note_id)
        quotes.append(
            Quote(
                note_id=statement.note_id,
                quote=statement.text,
                outcome=note.outcome if note else None,
                date=note.date if note else None,
                language=note.language if note else None,
            )
        )
        if len(quotes) == limit:
            break
    return quotes


def _answers(
    statements: list[Statement],
    members: np.ndarray,
    centroid: np.ndarray,
    notes: dict[str, CallNote],
    embedder: Embedder,
    keywords: Sequence[str],
) -> list[Quote]:
    """The seller replies that followed the theme's objections: on-topic replies of won deals first.

    A reply is on topic when it names one of the theme's terms; a statement put in the wrong
    theme then cannot bring its unrelated reply to the top.
    """
    replies = [statements[i] for i in members if statements[i].reply]
    if not replies:
        return []
    sims = embedder.embed([r.reply or "" for r in replies]) @ centroid
    won = np.array([notes[r.note_id].outcome == "won" if r.note_id in notes else False for r in replies])
    terms = _terms_pattern(keywords)
    on_topic = np.array([bool(terms and terms.search(r.reply or "")) for r in replies])
    # A reply that neither names the theme nor sounds like its topic is small talk or a next step.
    # Without terms (a discovered theme whose words are unknown) closeness has to do.
    topical = on_topic if terms else sims >= ANSWER_SIMILARITY
    useful = topical & np.array([len((r.reply or "").split()) >= 6 for r in replies])
    order = [i for i in np.lexsort((-sims, ~won, ~on_topic)) if useful[i]]
    answers: list[Quote] = []
    seen: set[str] = set()
    for index in order:
        reply = replies[index]
        if reply.note_id in seen:
            continue
        seen.add(reply.note_id)
        note = notes.get(reply.note_id)
        answers.append(
            Quote(
                note_id=reply.note_id,
                quote=reply.reply or "",
                outcome=note.outcome if note else None,
                date=note.date if note else None,
                language=note.language if note else None,
            )
        )
        if len(answers) == ANSWERS_PER_THEME:
            break
    return answers


def _term_counts(texts: Iterable[str]) -> Counter[str]:
    """In how many of the texts each content word occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            {w for w in words(text) if w not in _STOP and w not in _GENERIC and len(w) > 2 and not w.isdigit()}
        )
    return counts


def _keywords(texts: list[str], all_terms: Counter[str], total: int) -> list[str]:
    """Terms frequent in these texts and rare in the others (class-based TF-IDF)."""
    if not texts:
        return []
    inside = _term_counts(texts)
    scored = {
        term: (count / len(texts)) * math.log(1 + total / all_terms[term])
        for term, count in inside.items()
        if count >= 2 or len(texts) < 4
    }
    return [t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]


def _terms_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """Matches any of the terms at a word start (German compounds and plurals included)."""
    if not keywords:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + ")", re.IGNORECASE)


def _ranked(values: object) -> list[str]:
    return [v for v, _ in Counter(v for v in values if v).most_common()]  # type: ignore[attr-defined]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def _dedupe_ids(themes: list[Theme]) -> None:
    seen: Counter[str] = Counter()
    for theme in themes:
        seen[theme.theme_id] += 1
        if seen[theme.theme_id] > 1:
            theme.theme_id = f"{theme.theme_id}-{seen[theme.theme_id]}"


def notes_per_theme(themes: Sequence[Theme]) -> dict[str, set[str]]:
    """note id -> theme ids raised in it."""
    result: dict[str, set[str]] = defaultdict(set)
    for theme in themes:
        for note_id in theme.note_ids:
            result[note_id].add(theme.theme_id)
    return result


def score_against_labels(themes: Sequence[Theme], labels: dict[str, list[str]]) -> tuple[int, int, int]:
    """(right, wrong, missed) note-to-theme assignments against labelled notes.

    A discovered theme counts as the labelled theme most of its notes carry.
    """
    found = notes_per_theme(themes)
    mapping = {}
    for theme in themes:
        votes = Counter(label for note in theme.note_ids for label in labels.get(note, []))
        mapping[theme.theme_id] = votes.most_common(1)[0][0] if theme.discovered and votes else theme.theme_id
    right = wrong = missed = 0
    for note_id, gold in labels.items():
        predicted = {mapping[t] for t in found.get(note_id, set())}
        right += len(predicted & set(gold))
        wrong += len(predicted - set(gold))
        missed += len(set(gold) - predicted)
    return right, wrong, missed
