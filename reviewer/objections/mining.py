"""Mining as a state that grows: a full mine fits the themes, an update places new calls in them.

The state keeps, per theme, what its figures and quotes are made of (centroid and radius, the
conversations, term counts, the best quote and answer candidates), so adding 1% new calls costs
about 1% of a full mine, and theme ids stay the same across updates and, where the themes are the
same, across re-clusters.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from reviewer.embeddings import Embedder
from reviewer.models import CallNote, Chunk, Quote, Theme
from reviewer.objections import themes as model
from reviewer.objections.extract import THRESHOLD, Statement, extract_statements
from reviewer.objections.taxonomy import Taxonomy


class Candidate(BaseModel):
    """A member statement kept as a possible quote (and its seller reply as a possible answer)."""

    note_id: str
    text: str
    similarity: float
    reply: str | None = None


class NoteFacts(BaseModel):
    outcome: str | None = None
    segment: str | None = None
    product: str | None = None
    language: str | None = None
    date: str | None = None


class ThemeState(BaseModel):
    """One theme as mining keeps it between runs."""

    theme_id: str
    label: str = ""
    label_source: str = Field("question", description="taxonomy, question (offline) or model.")
    description: str | None = None
    discovered: bool = True
    centroid: list[float]
    radius: float
    note_ids: list[str] = Field(default_factory=list)
    terms: dict[str, int] = Field(default_factory=dict)
    reply_terms: dict[str, int] = Field(default_factory=dict)
    keywords: list[str] = Field(default_factory=list, description="The taxonomy's terms, for named themes.")
    quotes: list[Candidate] = Field(default_factory=list)
    replies: list[Candidate] = Field(default_factory=list)


class MiningState(BaseModel):
    """Everything an incremental update needs; written beside the themes."""

    key: str = Field(description="Mining version, embedding model and taxonomy it was built with.")
    notes: dict[str, str] = Field(default_factory=dict, description="Mined note id -> its file digest.")
    facts: dict[str, NoteFacts] = Field(default_factory=dict, description="Facts of the notes in themes.")
    themes: list[ThemeState] = Field(default_factory=list)
    other_terms: dict[str, int] = Field(default_factory=dict, description="Terms of unthemed concerns.")
    fitted_notes: int = 0
    fitted_unassigned: float = 0.0
    updates: int = 0
    added_statements: int = Field(0, description="Concerns placed by updates since the last full mine.")
    added_unassigned: int = Field(0, description="Of those, concerns that joined no theme.")


@dataclass
class Concerns:
    """Concern statements of some notes and their vectors (the stored vectors of their chunks)."""

    statements: list[Statement]
    vectors: np.ndarray

    @staticmethod
    def joined(parts: Sequence[Concerns]) -> Concerns:
        """One set of concerns from several batches of notes (mining reads the store page by page)."""
        kept = [p for p in parts if len(p.statements)]
        if not kept:
            return Concerns([], np.zeros((0, 1), dtype=np.float32))
        return Concerns([s for p in kept for s in p.statements], np.concatenate([p.vectors for p in kept]))


def facts_of(notes: Sequence[CallNote]) -> dict[str, NoteFacts]:
    """What themes need of each note: its outcome, segment, product, language and date."""
    return {
        n.note_id: NoteFacts(outcome=n.outcome, segment=n.segment, product=n.product, language=n.language, date=n.date)
        for n in notes
    }


def concerns_of(
    notes: Sequence[CallNote],
    chunks: Sequence[Chunk],
    chunk_vectors: np.ndarray,
    extracted: dict[str, list[Statement]] | None = None,
) -> Concerns:
    """The notes' concern statements, each with the vector of the stored chunk that holds it.

    `extracted`, when given, receives each note's statements as `extract_statements` returned them
    (reviews keep them, see reviewer.objections.statements).

    The chunk is the exchange around the statement, which names its topic better than the
    sentence alone: on star, sentence vectors recovered 6 of 17 tasks (purity 0.60), chunk vectors
    13 of 17 (0.93), with the same clustering. And nothing is embedded again.
    """
    by_note: dict[str, list[tuple[int, int]]] = {}
    for row, chunk in enumerate(chunks):
        by_note.setdefault(chunk.note_id, []).append((chunk.start, row))
    statements: list[Statement] = []
    rows: list[int] = []
    for note in notes:
        spans = sorted(by_note.get(note.note_id, []))
        if not spans:
            continue
        starts = np.array([s for s, _ in spans])
        found = extract_statements(note)
        if extracted is not None:
            extracted[note.note_id] = found
        for statement in found:
            if statement.score < THRESHOLD:
                continue
            at = max(int(np.searchsorted(starts, statement.start, side="right")) - 1, 0)
            statements.append(statement)
            rows.append(spans[at][1])
    dims = chunk_vectors.shape[1] if chunk_vectors.ndim == 2 else 1
    vectors = chunk_vectors[rows] if rows else np.zeros((0, dims), dtype=np.float32)
    return Concerns(statements, vectors)


def full_mine(
    facts: dict[str, NoteFacts],
    concerns: Concerns,
    note_versions: dict[str, str],
    taxonomy: Taxonomy | None,
    embedder: Embedder,
    key: str,
    previous: MiningState | None = None,
) -> MiningState:
    """Fit the themes on a bounded sample, place every concern, and keep what the themes need."""
    statements, vectors = concerns.statements, concerns.vectors
    assignment = np.full(len(statements), -1)
    states: list[ThemeState] = []
    anchors: list[np.ndarray] = []
    if taxonomy and taxonomy.themes and len(statements):
        anchors = [embedder.embed([*t.examples, t.label]) for t in taxonomy.themes]
        best, ok = _named_choice(_named_scores(statements, vectors, taxonomy, anchors))
        assignment[ok] = best[ok]
        for named in taxonomy.themes:
            states.append(
                ThemeState(
                    theme_id=named.id,
                    label=named.label,
                    label_source="taxonomy",
                    description=named.description or None,
                    discovered=False,
                    centroid=[],
                    radius=1.0,
                    keywords=[k.lower() for k in named.keywords],
                )
            )
    rest = np.flatnonzero(assignment < 0)
    centroids, radii = model.fit_clusters(vectors[rest]) if len(rest) else (np.zeros((0, 1)), np.zeros(0))
    clustered = model.assign(vectors[rest], centroids, radii)
    cluster_state: dict[int, int] = {}
    for k in range(len(centroids)):
        if anchors:
            closeness = [float((a @ centroids[k]).max()) for a in anchors]
            nearest = int(np.argmax(closeness))
            if closeness[nearest] >= model.MERGE_SIMILARITY:
                cluster_state[k] = nearest
                continue
        states.append(ThemeState(theme_id="", centroid=centroids[k].tolist(), radius=float(radii[k])))
        cluster_state[k] = len(states) - 1
    placed = clustered >= 0
    assignment[rest[placed]] = [cluster_state[int(k)] for k in clustered[placed]]
    # Named themes' centroids and radii come from the statements they took, so updates place
    # statements the same way for every theme.
    for index, named_state in enumerate(states):
        if named_state.discovered:
            continue
        members = vectors[assignment == index]
        if len(members):
            centroid = model._unit_rows(members.mean(axis=0, keepdims=True))[0]
            named_state.centroid = centroid.tolist()
            named_state.radius = float(np.quantile(model.similarity_to(members, centroid), model.RADIUS_QUANTILE))
        else:
            named_state.centroid = model._unit_rows(anchors[index].mean(axis=0, keepdims=True))[0].tolist()
    _adopt_orphans(statements, vectors, assignment, states)
    state = MiningState(key=key, themes=states)
    _accumulate(state, facts, statements, vectors, assignment)
    state.notes = dict(note_versions)
    state.fitted_notes = len(note_versions)
    state.fitted_unassigned = float((assignment < 0).mean()) if len(assignment) else 0.0
    _name_new(state, previous)
    return state


def update(
    state: MiningState,
    facts: dict[str, NoteFacts],
    concerns: Concerns,
    note_versions: dict[str, str],
    taxonomy: Taxonomy | None,
    embedder: Embedder,
) -> bool:
    """Place the concerns of newly ingested notes in the existing themes; False when it has drifted.

    False means the caller should re-cluster: too many new concerns fit no theme, or the corpus
    grew too much since the last full mine.
    """
    statements, vectors = concerns.statements, concerns.vectors
    assignment = np.full(len(statements), -1)
    if len(statements):
        named = [i for i, t in enumerate(state.themes) if not t.discovered]
        if taxonomy and named:
            anchors = [embedder.embed([*t.examples, t.label]) for t in taxonomy.themes]
            best, ok = _named_choice(_named_scores(statements, vectors, taxonomy, anchors))
            position = {t.theme_id: i for i, t in enumerate(state.themes)}
            assignment[ok] = [position.get(taxonomy.themes[b].id, -1) for b in best[ok]]
        rest = np.flatnonzero(assignment < 0)
        centroids = np.array([t.centroid for t in state.themes], dtype=np.float32)
        radii = np.array([t.radius for t in state.themes])
        assignment[rest] = model.assign(vectors[rest], centroids, radii)
        _adopt_orphans(statements, vectors, assignment, state.themes)
        # Drift is judged on everything added since the last full mine, once there is enough of it.
        added = state.added_statements + len(statements)
        unassigned = state.added_unassigned + int((assignment < 0).sum())
        if added >= model.DRIFT_MIN_STATEMENTS and unassigned / added > state.fitted_unassigned + model.DRIFT_MARGIN:
            return False
        state.added_statements, state.added_unassigned = added, unassigned
    total = len(set(state.notes) | set(note_versions))
    if state.fitted_notes and total > (1 + model.REBUILD_GROWTH) * state.fitted_notes:
        return False
    _accumulate(state, facts, statements, vectors, assignment)
    state.notes.update(note_versions)
    state.updates += 1
    _name_new(state, None)
    return True


def _adopt_orphans(
    statements: Sequence[Statement], vectors: np.ndarray, assignment: np.ndarray, themes: Sequence[ThemeState]
) -> None:
    """Conversations none of whose concerns joined a theme: each joins the theme nearest its closest
    concern (that one concern only) when the two are at least ORPHAN_SIMILARITY alike."""
    usable = [i for i, t in enumerate(themes) if t.centroid]
    if not usable or not len(statements):
        return
    placed = {statements[int(i)].note_id for i in np.flatnonzero(assignment >= 0)}
    rows = [row for row, statement in enumerate(statements) if statement.note_id not in placed]
    if not rows:
        return
    # Similarities for the orphans' statements only: at 100k calls all of them would be a matrix of
    # half a million rows.
    centroids = np.array([themes[i].centroid for i in usable], dtype=np.float32)
    sims = model.similarity_to(vectors[rows], centroids.T)
    best: dict[str, tuple[float, int]] = {}
    for at, row in enumerate(rows):
        note_id = statements[row].note_id
        top = float(sims[at].max())
        if top >= model.ORPHAN_SIMILARITY and top > best.get(note_id, (-1.0, -1))[0]:
            best[note_id] = (top, at)
    for _, at in best.values():
        assignment[rows[at]] = usable[int(sims[at].argmax())]


def _accumulate(
    state: MiningState,
    facts: dict[str, NoteFacts],
    statements: Sequence[Statement],
    vectors: np.ndarray,
    assignment: np.ndarray,
) -> None:
    other = Counter(state.other_terms)
    other.update(model.term_counts(s.text for s, a in zip(statements, assignment) if a < 0))
    state.other_terms = dict(other)
    for index, theme in enumerate(state.themes):
        members = np.flatnonzero(assignment == index)
        if not len(members):
            continue
        member_statements = [statements[int(i)] for i in members]
        theme.note_ids = sorted(set(theme.note_ids) | {s.note_id for s in member_statements})
        for note_id in {s.note_id for s in member_statements}:
            if note_id in facts and note_id not in state.facts:
                state.facts[note_id] = facts[note_id]
        terms = Counter(theme.terms)
        terms.update(model.term_counts(s.text for s in member_statements))
        theme.terms = dict(terms)
        replies = Counter(theme.reply_terms)
        replies.update(model.term_counts(s.reply or "" for s in member_statements))
        theme.reply_terms = dict(replies)
        sims = model.similarity_to(vectors[members], np.array(theme.centroid, dtype=np.float32))
        fresh = [
            Candidate(note_id=s.note_id, text=s.text, similarity=round(float(sim), 5), reply=s.reply)
            for s, sim in zip(member_statements, sims)
        ]
        theme.quotes = _best(theme.quotes + fresh)
        theme.replies = _best(
            theme.replies + [c for c in fresh if c.reply and len(c.reply.split()) >= model.MIN_ANSWER_WORDS]
        )


def _best(candidates: list[Candidate]) -> list[Candidate]:
    """The most central candidates, at most two per conversation, in a deterministic order."""
    kept: list[Candidate] = []
    per_note: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for candidate in sorted(candidates, key=lambda c: (-c.similarity, c.note_id, c.text)):
        if per_note[candidate.note_id] >= 2 or (candidate.note_id, candidate.text) in seen:
            continue
        per_note[candidate.note_id] += 1
        seen.add((candidate.note_id, candidate.text))
        kept.append(candidate)
        if len(kept) == model.CANDIDATES_PER_THEME:
            break
    return kept


def _name_new(state: MiningState, previous: MiningState | None) -> None:
    """Ids and offline labels for themes that have none; earlier ids and labels carried over."""
    keywords = _keywords(state)
    unnamed = [i for i, t in enumerate(state.themes) if not t.theme_id]
    if previous is not None and unnamed:
        old = [t for t in previous.themes if t.discovered and t.centroid]
        matched = model.match_ids(
            np.array([state.themes[i].centroid for i in unnamed], dtype=np.float32),
            np.array([t.centroid for t in old], dtype=np.float32).reshape(len(old), -1),
            [t.theme_id for t in old],
        )
        labels = {t.theme_id: (t.label, t.label_source) for t in old}
        for i, theme_id in zip(unnamed, matched):
            if theme_id is not None:
                state.themes[i].theme_id = theme_id
                state.themes[i].label, state.themes[i].label_source = labels[theme_id]
    taken = {t.theme_id for t in state.themes if t.theme_id}
    for index, theme in enumerate(state.themes):
        if not theme.theme_id:
            base = "d-" + "-".join(re.sub(r"\W+", "", k) for k in keywords[index][:2] if k) or "d-theme"
            candidate = base
            if candidate in taken:
                candidate = f"{base}-{hashlib.sha1(str(theme.centroid[:8]).encode()).hexdigest()[:6]}"
            theme.theme_id = candidate
            taken.add(candidate)
        if not theme.label and theme.quotes:
            theme.label = model.representative_label([c.text for c in theme.quotes])
            theme.label_source = "question"


def _keywords(state: MiningState) -> list[list[str]]:
    classes = [Counter(t.terms) for t in state.themes] + [Counter(state.other_terms)]
    return model.class_tfidf(classes)[:-1]


def themes_of(state: MiningState) -> list[Theme]:
    """The themes a review and the screen read: figures, distinctive terms, quotes and answers."""
    learned = _keywords(state)
    reply_keywords = model.class_tfidf([Counter(t.reply_terms) for t in state.themes] or [Counter()])
    themes: list[Theme] = []
    for index, kept in enumerate(state.themes):
        if len(kept.note_ids) < model.MIN_NOTES or not kept.quotes:
            continue
        keywords = kept.keywords or learned[index]
        facts = [state.facts[n] for n in kept.note_ids if n in state.facts]
        known = [f for f in facts if f.outcome in {"won", "lost"}]
        loss_rate = round(sum(f.outcome == "lost" for f in known) / len(known), 3) if known else None
        dates = sorted(f.date for f in facts if f.date)
        pattern = model.terms_pattern(keywords)
        quotes = _pick(kept.quotes, pattern, state, model.QUOTES_PER_THEME, reply=False)
        answers = _pick(kept.replies, pattern, state, model.ANSWERS_PER_THEME, reply=True)
        themes.append(
            Theme(
                theme_id=kept.theme_id,
                label=kept.label,
                description=kept.description or (kept.quotes[0].text if kept.quotes else None),
                keywords=keywords,
                frequency=len(kept.note_ids),
                loss_rate=loss_rate,
                impact=model.impact(len(kept.note_ids), loss_rate),
                segments=_ranked(f.segment for f in facts),
                products=_ranked(f.product for f in facts),
                languages=_ranked(f.language for f in facts),
                first_seen=dates[0] if dates else None,
                last_seen=dates[-1] if dates else None,
                quotes=quotes,
                answers=answers,
                answer_keywords=reply_keywords[index] if index < len(reply_keywords) else [],
                note_ids=list(kept.note_ids),
                discovered=kept.discovered,
            )
        )
    themes.sort(key=lambda t: (-t.impact, t.theme_id))
    return themes


def _pick(
    candidates: Sequence[Candidate], pattern: re.Pattern[str] | None, state: MiningState, limit: int, *, reply: bool
) -> list[Quote]:
    """Quotes (or answers) from distinct conversations: naming the theme's terms first, then centrality.

    Answers from won deals come before others, as what worked.
    """

    def text_of(c: Candidate) -> str:
        return (c.reply or "") if reply else c.text

    def order(c: Candidate) -> tuple[bool, bool, float]:
        on_topic = bool(pattern and pattern.search(text_of(c)))
        won = reply and state.facts.get(c.note_id, NoteFacts()).outcome == "won"
        return (not on_topic, not won, -c.similarity)

    picked: list[Quote] = []
    seen: set[str] = set()
    for candidate in sorted(candidates, key=order):
        if candidate.note_id in seen:
            continue
        seen.add(candidate.note_id)
        facts = state.facts.get(candidate.note_id, NoteFacts())
        picked.append(
            Quote(
                note_id=candidate.note_id,
                quote=text_of(candidate),
                outcome=facts.outcome if facts.outcome in {"won", "lost", "open"} else None,  # type: ignore[arg-type]
                date=facts.date,
                language=facts.language,  # the review ranks quotes by it without detecting again
            )
        )
        if len(picked) == limit:
            break
    return picked


def _ranked(values: object) -> list[str]:
    return [v for v, _ in Counter(v for v in values if v).most_common()]  # type: ignore[attr-defined]


def _named_choice(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The named theme each statement is closest to, and whether it joins it: its score is high
    enough and clearly above the next named theme's (a statement as close to two named themes says
    neither; it is left to discovery)."""
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(scores)), best]
    second = np.sort(scores, axis=1)[:, -2] if scores.shape[1] > 1 else np.full(len(scores), -np.inf)
    return best, (top >= model.ASSIGN_SCORE) & (top - second >= model.NAMED_MARGIN)


def _named_scores(
    statements: Sequence[Statement], vectors: np.ndarray, taxonomy: Taxonomy, anchors: list[np.ndarray]
) -> np.ndarray:
    """Statement x named theme: closeness to its examples plus the taxonomy keywords it names."""
    unit = model._unit_rows(vectors)
    similarity = np.stack([(unit @ a.T).max(axis=1) for a in anchors], axis=1)
    hits = np.zeros_like(similarity)
    for column, theme in enumerate(taxonomy.themes):
        pattern = model.terms_pattern(theme.keywords)
        if pattern is not None:
            hits[:, column] = [min(len(pattern.findall(s.text)), 2) for s in statements]
    return similarity + model.KEYWORD_WEIGHT * hits
