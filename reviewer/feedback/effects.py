"""What flags do to a review: missed objections join or found themes and come first, wrong findings go.

Missed objections become evidence (`flag-<id>`) of the theme they name, else of the nearest mined
theme when it is close in meaning and shares a term, else of a theme founded from the flags
themselves. For the draft a flag concerns (same file hash, same text, same path, or a near-identical
text) its theme is forced into the review with the flag as first evidence; the coverage judge still
decides whether the draft now answers it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reviewer.feedback.models import Flag
from reviewer.feedback.store import text_sha256
from reviewer.models import BrandFinding, Evidence, ObjectionFinding, Quote, Theme
from reviewer.objections import themes as theme_model
from reviewer.text import detect_language

if TYPE_CHECKING:
    from reviewer.drafts import Draft
    from reviewer.embeddings import Embedder
    from reviewer.feedback.store import FlagBook
    from reviewer.graph.context import ReviewContext
    from reviewer.review.relevance import RelevantTheme

# Different demo drafts are at most 0.92 alike as whole texts; a lightly edited draft stays > 0.99.
SIMILAR_DRAFT = 0.97
FLAGGED_RELEVANCE = 1.0  # above any computed relevance (at most 1.0): flagged themes come first
GOOD_BOOST = 0.1  # relevance added per good catch on a theme (three at most)
NOISY_AT = 3  # a rule or theme with this many wrong-finding flags is reported as noisy
KEYWORDS_PER_FOUNDED = 8

_LEAD_IN = re.compile(
    r"^\s*(?:(?:our\s+)?(?:customers?|prospects?|buyers?|clients?|they|people|kunden|interessenten)\s+)?"
    r"(?:(?:keep|kept|always|often|still|usually|immer|oft|wieder)\s+)*"
    r"(?:ask(?:ing|ed|s)?|want(?:s|ed)?\s+to\s+know|wonder(?:ing|s)?|say(?:ing|s)?|worr(?:y|ied|ies)|"
    r"fragen|fragt|wollen\s+wissen|sagen)\s+(?:(?:us|me)\s+)?(?:whether|if|about|that|ob|nach|wie|dass)?\s*",
    re.IGNORECASE,
)


@dataclass
class FlagGroup:
    """Missed-objection flags that belong to one theme (mined, or founded by the flags)."""

    theme: Theme
    flags: list[Flag] = field(default_factory=list)
    founded: bool = False


def flag_evidence(flag: Flag) -> Evidence:
    """A missed-objection flag as evidence: the rep's (redacted) words, cited as `flag-<id>`."""
    return Evidence(note_id=flag.note_id, quote=flag.text or "", outcome=None, date=flag.created_at[:10])


def group_missed(flags: list[Flag], ctx: ReviewContext) -> list[FlagGroup]:
    """Each missed-objection flag with the theme it joins or founds, by the rule mining places statements.

    A flag naming a mined theme joins it. Any other flag joins the nearest mined theme when it lies
    within that theme's radius (`themes.assign`, as every mined statement does), measured among the
    theme's quotes, which are sentences like the flag; else it joins a theme founded by earlier flags
    within the same radius, or founds one. Founded themes are labelled and given terms the way mined
    ones are (a representative customer sentence; class-based TF-IDF against the calls' words).
    """
    mined = {t.theme_id: t for t in ctx.themes}
    groups: dict[str, FlagGroup] = {}
    loose: list[Flag] = []
    for flag in flags:
        if flag.theme_id in mined:
            groups.setdefault(flag.theme_id, FlagGroup(mined[flag.theme_id])).flags.append(flag)
        else:
            loose.append(flag)
    if not loose:
        return list(groups.values())
    vectors = ctx.embedder.embed([f.text or "" for f in loose])
    ids, centroids, radii = _theme_geometry(ctx)
    placed = theme_model.assign(vectors, centroids, radii)
    founded: list[tuple[np.ndarray, FlagGroup]] = []
    founded_by_id: dict[str, FlagGroup] = {}
    founding_radius = float(np.median(radii)) if len(radii) else theme_model.RADIUS_QUANTILE
    for flag, vector, at in zip(loose, vectors, placed):
        named = founded_by_id.get(flag.theme_id or "")
        if named is not None:  # a later flag naming a theme that flags founded
            named.flags.append(flag)
            continue
        if at >= 0:
            theme_id = ids[int(at)]
            groups.setdefault(theme_id, FlagGroup(mined[theme_id])).flags.append(flag)
            continue
        joined = -1
        if founded:
            own = np.stack([v for v, _ in founded])
            joined = int(theme_model.assign(vector[None, :], own, np.full(len(own), founding_radius))[0])
        if joined >= 0:
            founded[joined][1].flags.append(flag)
        else:
            group = FlagGroup(_placeholder(flag), [flag], founded=True)
            founded.append((vector, group))
            founded_by_id[group.theme.theme_id] = group
    background = _background(ctx) if founded else (Counter(), 0)
    for _, group in founded:
        group.theme = founded_theme(group.flags, background)
        groups[group.theme.theme_id] = group
    return list(groups.values())


def _theme_geometry(ctx: ReviewContext) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each mined theme's centroid and radius among its quote vectors (the space a flag is in)."""
    ids, centroids, radii = [], [], []
    for theme in ctx.themes:
        vectors = ctx.theme_vectors.get(theme.theme_id)
        if vectors is None or not len(vectors):
            continue
        centroid = vectors.mean(axis=0)
        centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-9)
        ids.append(theme.theme_id)
        centroids.append(centroid)
        radii.append(float(np.quantile(vectors @ centroid, theme_model.RADIUS_QUANTILE)))
    if not ids:
        return [], np.zeros((0, 1), dtype=np.float32), np.zeros(0)
    return ids, np.stack(centroids).astype(np.float32), np.array(radii)


_BACKGROUNDS: dict[tuple[str, str], tuple[Counter[str], int]] = {}


def _background(ctx: ReviewContext) -> tuple[Counter[str], int]:
    """In how many calls each word occurs (once per corpus version): common talk, not a distinct concern."""
    if ctx.store is None:
        return theme_model.document_frequency(q.quote for t in ctx.themes for q in [*t.quotes, *t.answers])
    key = (str(ctx.settings.data_dir.resolve()), ctx.store.corpus_version)
    if key not in _BACKGROUNDS:
        _BACKGROUNDS.clear()
        _BACKGROUNDS[key] = theme_model.document_frequency(n.text for n in ctx.store.iter_notes())
    return _BACKGROUNDS[key]


def _placeholder(flag: Flag) -> Theme:
    return Theme(theme_id=f"flag-{flag.id}", label="", frequency=1, loss_rate=None)


def founded_theme(flags: list[Flag], background: tuple[Counter[str], int] | None = None) -> Theme:
    """A theme founded by flags no mined theme covers, labelled and given terms as mined themes are.

    Its terms are the flags' words that are distinctive against the calls' words (class-based
    TF-IDF), so a word common in every call (the offer's own name) cannot make every draft answer it.
    """
    texts = [f.text or "" for f in flags]
    calls, total = background or (Counter(), 0)
    own = theme_model.term_counts(label_from_text(t) for t in texts)
    keywords = theme_model.class_tfidf([own, calls])[0] if own else []
    keywords = [k for k in keywords if calls[k] < theme_model.FOUNDED_TERM_SHARE * total or total == 0]
    dates = sorted(f.created_at[:10] for f in flags)
    frequency = len({f.note_id for f in flags})
    return Theme(
        theme_id=f"flag-{flags[0].id}",
        label=theme_model.representative_label([label_from_text(t) for t in texts]),
        description=texts[0],
        keywords=keywords[:KEYWORDS_PER_FOUNDED],
        frequency=frequency,
        loss_rate=None,
        impact=theme_model.impact(frequency, None),
        languages=sorted({detect_language(t) for t in texts}),
        first_seen=dates[0],
        last_seen=dates[-1],
        quotes=[Quote(note_id=f.note_id, quote=f.text or "", date=f.created_at[:10]) for f in flags],
        note_ids=[f.note_id for f in flags],
        discovered=True,
    )


def label_from_text(text: str, limit: int = 60) -> str:
    """A short label from a flag: 'customers keep asking whether it runs on-prem' -> 'It runs on-prem'."""
    core = _LEAD_IN.sub("", " ".join(text.split())).strip(" .?!\"'“”„") or text.strip()
    core = core[0].upper() + core[1:] if core else "Flagged objection"
    return core if len(core) <= limit else core[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- the review's retrieve step ----------------------------------------------------------------


class _DraftMatcher:
    """Decides whether a flag concerns the draft under review, and how closely."""

    def __init__(self, book: FlagBook, draft: Draft, embedder: Embedder) -> None:
        self.draft = draft
        self.text_hash = text_sha256(draft.text)
        self.stored = book.draft_texts()
        self.embedder = embedder
        self._vector: np.ndarray | None = None
        self._similar: dict[str, bool] = {}

    def rank(self, flag: Flag) -> int | None:
        """0 for this very draft, 1 for the same file edited or a near-identical text, None otherwise."""
        sha = flag.draft_sha256
        if sha and (sha == self.draft.sha256 or (sha in self.stored and self.stored[sha][2] == self.text_hash)):
            return 0
        if flag.draft_path and _same_path(flag.draft_path, self.draft.path):
            return 1
        if sha and sha in self.stored and self._is_similar(sha):
            return 1
        return None

    def _is_similar(self, sha: str) -> bool:
        if sha not in self._similar:
            if self._vector is None:
                self._vector = self.embedder.embed([self.draft.text])[0]
            other = self.embedder.embed([self.stored[sha][1]])[0]
            self._similar[sha] = float(other @ self._vector) >= SIMILAR_DRAFT
        return self._similar[sha]


def _same_path(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def apply_to_themes(
    book: FlagBook, draft: Draft, themes: list[RelevantTheme], ctx: ReviewContext
) -> list[RelevantTheme]:
    """Flagged themes forced in first with the flags as evidence; good catches weigh more."""
    from reviewer.review.relevance import RelevantTheme, pick_evidence

    missed, good = book.list("missed"), book.list("good")
    if not missed and not good:
        return themes
    matcher = _DraftMatcher(book, draft, ctx.embedder)
    selected = {rt.theme.theme_id: rt.model_copy(deep=True) for rt in themes}
    mined = {t.theme_id: t for t in ctx.themes}

    def ensure(theme: Theme, relevance: float) -> RelevantTheme:
        current = selected.get(theme.theme_id)
        if current is None:
            evidence = [] if theme.theme_id.startswith("flag-") else pick_evidence(theme, draft.language)
            current = selected[theme.theme_id] = RelevantTheme(theme=theme, relevance=relevance, evidence=evidence)
        current.relevance = max(current.relevance, relevance)
        return current

    for group in group_missed(missed, ctx):
        ranked = [(matcher.rank(f), f) for f in group.flags]
        # This very draft's flags first, then those of its earlier versions; newest first within each.
        concerning = sorted(
            [(r, f) for r, f in ranked if r is not None], key=lambda pair: (pair[0], _neg_time(pair[1]))
        )
        general = [f for r, f in ranked if r is None and not f.draft_sha256 and not f.draft_path]
        if concerning:
            relevant = ensure(group.theme, FLAGGED_RELEVANCE + 0.01 * len(concerning))
        elif general and group.theme.theme_id in selected:
            relevant = selected[group.theme.theme_id]
        else:
            continue
        flagged = [flag_evidence(f) for _, f in concerning] + [flag_evidence(f) for f in general]
        relevant.flagged = flagged + [e for e in relevant.flagged if e.note_id not in {x.note_id for x in flagged}]

    good_counts = Counter(f.theme_id for f in good if f.theme_id)
    for flag in good:
        if flag.theme_id in mined and matcher.rank(flag) == 0:
            ensure(mined[flag.theme_id], 0.0)
    for theme_id, count in good_counts.items():
        if theme_id in selected:
            selected[theme_id].relevance = round(selected[theme_id].relevance + GOOD_BOOST * min(count, 3), 3)
    return sorted(selected.values(), key=lambda rt: (-rt.relevance, rt.theme.theme_id))


def _neg_time(flag: Flag) -> str:
    # ISO timestamps sort as text; inverting each character sorts them newest first.
    return "".join(chr(0x10FFFF - ord(c)) for c in flag.created_at)


# --- the review's validate step ----------------------------------------------------------------


def wrong_for_draft(book: FlagBook, draft: Draft) -> set[str]:
    """Finding ids reps marked wrong on this draft, unless a later good catch took it back."""
    text_hash = text_sha256(draft.text)
    stored = book.draft_texts()

    def same_draft(flag: Flag) -> bool:
        sha = flag.draft_sha256
        return bool(sha) and (sha == draft.sha256 or (sha in stored and stored[sha][2] == text_hash))

    latest: dict[str, Flag] = {}
    for flag in book.list("wrong") + book.list("good"):
        if flag.finding_id and same_draft(flag):
            previous = latest.get(flag.finding_id)
            if previous is None or flag.created_at >= previous.created_at:
                latest[flag.finding_id] = flag
    return {finding for finding, flag in latest.items() if flag.kind == "wrong"}


def suppress_wrong(
    book: FlagBook, draft: Draft, objections: list[ObjectionFinding], brand: list[BrandFinding]
) -> tuple[list[ObjectionFinding], list[BrandFinding]]:
    """The findings without those marked wrong on this draft."""
    wrong = wrong_for_draft(book, draft)
    if not wrong:
        return objections, brand
    return [f for f in objections if f.finding_id not in wrong], [f for f in brand if f.finding_id not in wrong]


# --- insights ----------------------------------------------------------------------------------


def rule_or_theme(finding_id: str) -> str:
    """What a finding id counts against: `objection:<theme>` -> the theme, `<rule>:<offset>` -> the rule."""
    if finding_id.startswith("objection:"):
        return finding_id
    head, _, tail = finding_id.rpartition(":")
    return head if head and tail.isdigit() else finding_id


def insights(book: FlagBook, ctx: ReviewContext | None = None) -> dict[str, Any]:
    """Flags over time, top missed themes, noisy rules and themes, and the last eval's recall."""
    flags = book.list()
    per_week: dict[str, Counter[str]] = defaultdict(Counter)
    for flag in flags:
        year, week, _ = _date(flag.created_at).isocalendar()
        per_week[f"{year}-W{week:02d}"][flag.kind] += 1
    missed = [f for f in flags if f.kind == "missed"]
    top: list[dict[str, Any]]
    if ctx is not None:
        top = [
            {"theme_id": g.theme.theme_id, "label": g.theme.label, "flags": len(g.flags), "founded": g.founded}
            for g in group_missed(missed, ctx)
        ]
    else:
        named: dict[str, list[Flag]] = defaultdict(list)
        for flag in missed:
            named[flag.theme_id or f"flag-{flag.id}"].append(flag)
        top = [
            {
                "theme_id": key,
                "label": key if not key.startswith("flag-") else label_from_text(group[0].text or ""),
                "flags": len(group),
                "founded": key.startswith("flag-"),
            }
            for key, group in named.items()
        ]
    top.sort(key=lambda row: (-row["flags"], row["theme_id"]))
    wrong_counts = Counter(rule_or_theme(f.finding_id) for f in flags if f.kind == "wrong" and f.finding_id)
    good_counts = Counter(rule_or_theme(f.finding_id) for f in flags if f.kind == "good" and f.finding_id)
    noisy = [
        {"target": target, "wrong": count, "good": good_counts.get(target, 0), "noisy": count >= NOISY_AT}
        for target, count in sorted(wrong_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    last = book.last_eval()
    return {
        "totals": {kind: sum(f.kind == kind for f in flags) for kind in ("missed", "wrong", "good")},
        "per_week": [
            {"week": week, **{k: counts.get(k, 0) for k in ("missed", "wrong", "good")}}
            for week, counts in sorted(per_week.items())
        ],
        "top_missed_themes": top,
        "wrong_by_target": noisy,
        "noisy": [row["target"] for row in noisy if row["noisy"]],
        "last_eval": last,
        "recall": None if last is None else last.get("recall"),
    }


def _date(stamp: str) -> Any:
    from datetime import date

    return date.fromisoformat(stamp[:10])
