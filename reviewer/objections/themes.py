"""The theme model: BERTopic's pipeline (vectors -> reduction -> HDBSCAN -> class-based TF-IDF).

Clustering runs on a bounded sample, so its cost does not grow with the corpus; every statement
(sampled or not, mined now or ingested later) then joins the nearest theme when it lies within that
theme's own radius. The same rule places new statements in an incremental update and a flagged
miss, so themes mean the same whichever way a statement arrived.

Every threshold of mining is in this module. "Checked on" names the corpora a value was looked at
on and what it gave there; none was fitted to the labelled sentences or topics.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from reviewer.text import _STOPWORDS

# ---- thresholds ------------------------------------------------------------------------------
# The largest sample HDBSCAN sees: its time and memory are bounded by this, whatever the corpus.
# Checked on casino (about 9,000 concern statements) and star (about 20,000): a 3,000 sample gave the
# same top themes as 6,000 in a fifth of the time.
SAMPLE_SIZE = 3000
# Dimensions the sample is reduced to (PCA) before density clustering; BERTopic uses 5 with UMAP,
# PCA needs a few more to keep the topic directions. Checked on demo, casino, star: 8-16 alike.
REDUCED_DIMS = 10
# Smallest theme HDBSCAN may form, as a share of the sample, never below MIN_CLUSTER: scaled by
# corpus size, not set per corpus. Checked on demo (about 300 statements: 5), casino and star (3,000
# sample: 30); 0.5% split one topic into near-duplicates on star, 2% merged casino's three needs.
MIN_CLUSTER_SHARE = 0.005
MIN_CLUSTER = 4
SELECTION = "leaf"
# A statement joins a theme when its similarity to the centroid is at least the similarity that
# this share of the theme's own sampled members reach (its radius): each theme sets its own radius.
# Checked on casino and star: 0.2 (the 20th percentile) left 30-40% of concerns unthemed; lower
# values let near-generic statements into several themes.
RADIUS_QUANTILE = 0.2
# A theme must come up in at least this many distinct conversations.
MIN_NOTES = 2
# An incremental update re-clusters when more than this share of the new statements join no theme
# beyond the share that joined none in the full mine (the calls drift to something new) ...
DRIFT_MARGIN = 0.15
DRIFT_MIN_STATEMENTS = 200  # judged once this many concerns were added: a few calls say nothing
# ... or when the corpus has grown by this share since the last full mine (the sample is stale).
REBUILD_GROWTH = 0.5
# After a re-cluster a theme keeps an earlier theme's id when their centroids are this alike.
# Checked on star re-mined with another sample seed: matched themes 0.93-0.99, different ones < 0.85.
KEEP_ID_SIMILARITY = 0.9
# A taxonomy theme takes a discovered cluster whose centroid is this close to its examples.
# Checked on the demo with its taxonomy (the only corpus with one): 0.6 merged the price and budget
# clusters into price; 0.5 pulled unrelated clusters in.
MERGE_SIMILARITY = 0.6
# A statement joins a taxonomy theme directly at this combined score (closeness to the examples
# plus KEYWORD_WEIGHT per taxonomy keyword named, two at most). Demo only: 0.8 gave precision
# 0.81, recall 0.70 on corpus/labels.yaml.
ASSIGN_SCORE = 0.8
KEYWORD_WEIGHT = 0.35
# A theme founded by flags keeps only terms named in fewer than this share of the calls: on the demo,
# "invoices" and "approve" are in most notes and made every draft answer a flagged mobile-app
# question; 0.05 kept "mobile", "app" and "road".
FOUNDED_TERM_SHARE = 0.05
# Quotes and answers shown per theme, and how many candidates each theme keeps for them.
QUOTES_PER_THEME = 5
ANSWERS_PER_THEME = 8
CANDIDATES_PER_THEME = 40
MIN_ANSWER_WORDS = 6

_EXTRA_STOP = set(
    "also really maybe bit lot very much well yes yeah okay ok right like would could should "
    "one two three us me it's that's don't can't we're i'm you're sie ja nein mal halt eben "
    "doch denn gerne bitte mehr viel ganz etwa hi hello thanks thank please doesn't isn't aren't won't "
    "wouldn't couldn't didn't haven't i've i'll we've we'll you'll there's what's let's".split()
)
# German function words beyond the short list the language guess uses (sklearn ships English ones).
_GERMAN_STOP = set(
    "ihnen ihre ihrer ihren ihrem ihres meine meiner meinen meinem mein dein deine unsere unseren unserem "
    "euch euer eure einem einer eines habe hast habt hatte hätte hätten bin bist sein seine seiner seinen "
    "waren wäre wären kann kannst könnt könnte muss musst müssen soll sollte sollten will wollte wurde "
    "wurden worden dieser diese dieses diesen diesem jener jene welche welcher welches wer wen wem wo "
    "wann warum weil denn doch nach vor unter zwischen durch gegen ohne um am an ins zum zur vom beim "
    "hier dort da jetzt immer wieder etwas nichts alles alle jeder jede jedes andere anderen anderer "
    "selbst sich sehr mehr weniger gut dabei damit dazu davon darauf darüber daran".split()
)


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | _STOPWORDS["en"] | _STOPWORDS["de"] | _GERMAN_STOP | _EXTRA_STOP)


# Words that make a sentence a concern without saying what about: never a theme's term.
_GENERIC = set(
    "worried worry worries concern concerns concerned afraid problem problems issue issues happens happen "
    "sure think need needs needed want wants wanted know question questions doubt doubts risk honestly really "
    "thing things people way going get got see look said says asked bit answer answers convinced sense "
    "makes make help like would could can will just sorry okay fine good great sorge sorgen bedenken frage "
    "ehrlich gesagt glaube denke brauchen brauche wollen sehen möchte".split()
)
_TOKEN = r"(?u)\b[^\W\d_][\w'-]{2,}\b"


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def sample_indices(n: int, seed: int = 0) -> np.ndarray:
    """A deterministic sample of at most SAMPLE_SIZE of n rows, in order."""
    if n <= SAMPLE_SIZE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, SAMPLE_SIZE, replace=False))


def min_cluster_size(sample: int) -> int:
    return max(MIN_CLUSTER, round(MIN_CLUSTER_SHARE * sample))


def fit_clusters(vectors: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Centroids (unit rows) and radii of the density clusters of a bounded sample of vectors."""
    if len(vectors) < 2 * MIN_CLUSTER:
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 1), dtype=np.float32), np.zeros(0)
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    sample = _unit_rows(vectors[sample_indices(len(vectors), seed)])
    dims = min(REDUCED_DIMS, sample.shape[1], len(sample) - 1)
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(sample)
    size = min_cluster_size(len(sample))
    labels = HDBSCAN(
        min_cluster_size=size, min_samples=max(2, size // 2), cluster_selection_method=SELECTION, copy=True
    ).fit_predict(reduced)
    centroids, radii = [], []
    for k in range(labels.max() + 1):
        members = sample[labels == k]
        centroid = members.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        centroids.append(centroid)
        radii.append(float(np.quantile(members @ centroid, RADIUS_QUANTILE)))
    if not centroids:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32), np.zeros(0)
    return np.stack(centroids).astype(np.float32), np.array(radii)


def assign(vectors: np.ndarray, centroids: np.ndarray, radii: np.ndarray, batch: int = 20000) -> np.ndarray:
    """Index of the nearest theme for each vector, -1 where it lies outside that theme's radius."""
    result = np.full(len(vectors), -1)
    if not len(centroids) or not len(vectors):
        return result
    for start in range(0, len(vectors), batch):
        sims = _unit_rows(vectors[start : start + batch]) @ centroids.T
        nearest = sims.argmax(axis=1)
        close = sims[np.arange(len(nearest)), nearest] >= radii[nearest]
        result[start : start + batch] = np.where(close, nearest, -1)
    return result


def similarity_to(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    return _unit_rows(vectors) @ centroid


def match_ids(new: np.ndarray, old: np.ndarray, old_ids: Sequence[str]) -> list[str | None]:
    """For each new centroid the id of the most alike old one (each used once), None for new themes."""
    matched: list[str | None] = [None] * len(new)
    if not len(new) or not len(old):
        return matched
    sims = new @ old.T
    taken: set[int] = set()
    for flat in np.argsort(-sims, axis=None):
        i, j = divmod(int(flat), sims.shape[1])
        if sims[i, j] < KEEP_ID_SIMILARITY:
            break
        if matched[i] is None and j not in taken:
            matched[i] = old_ids[j]
            taken.add(j)
    return matched


# ---- class-based TF-IDF -------------------------------------------------------------------------


def term_counts(texts: Iterable[str]) -> Counter[str]:
    """Counts of the content words of some texts: one class's document (words, as the judges match them)."""
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [t for t in texts if t.strip()]
    if not docs:
        return Counter()
    vectorizer = CountVectorizer(token_pattern=_TOKEN, stop_words=_stop_words() + sorted(_GENERIC), lowercase=True)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return Counter()
    totals = np.asarray(matrix.sum(axis=0)).ravel()
    return Counter({term: int(totals[i]) for term, i in vectorizer.vocabulary_.items()})


def document_frequency(texts: Iterable[str]) -> tuple[Counter[str], int]:
    """In how many of the texts each content word occurs, and how many texts there were."""
    docs = [t for t in texts if t.strip()]
    counts: Counter[str] = Counter()
    for doc in docs:
        counts.update(set(term_counts([doc])))
    return counts, len(docs)


def class_tfidf(classes: Sequence[Counter[str]], top: int = 10) -> list[list[str]]:
    """The most distinctive terms of each class: BERTopic's c-TF-IDF, tf_{t,c} * log(1 + A / f_t).

    tf is a term's share of its class, f_t its count over all classes, A the mean words per class.
    """
    if not classes:
        return []
    overall: Counter[str] = Counter()
    for counts in classes:
        overall.update(counts)
    average = sum(overall.values()) / max(len(classes), 1)
    result = []
    for counts in classes:
        size = sum(counts.values()) or 1
        scored = sorted(
            ((c / size) * math.log(1 + average / overall[t]), t) for t, c in counts.items() if c >= 2 or size < 40
        )
        # a bigram replaces its own words, so a term list does not say the same thing twice
        chosen: list[str] = []
        for _, term in sorted(scored, key=lambda st: (-st[0], st[1])):
            if any(term in kept.split() or kept in term.split() for kept in chosen):
                continue
            chosen.append(term)
            if len(chosen) == top:
                break
        result.append(chosen)
    return result


def terms_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """Matches any of the terms at a word start (plurals and compounds included)."""
    if not keywords:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + ")", re.IGNORECASE)


# ---- labels -----------------------------------------------------------------------------------

_LEAD = re.compile(
    r"^(?:(?:and|but|so|well|ok|okay|oh|um|uh|hi|hello|hey|yes|yeah|no|sorry|also|actually|und|aber|also|"
    r"ja|nein|naja|hallo|ähm)\b[\s,.!-]*)+",
    re.IGNORECASE,
)
LABEL_CHARS = 80


def representative_label(candidates: Sequence[str]) -> str:
    """A readable label: the most representative customer question, else statement, trimmed.

    `candidates` come most representative first; a short question is preferred because it says
    what customers want to know in their own words.
    """
    cleaned = [c for c in (_tidy(c) for c in candidates) if c]
    if not cleaned:
        return "Unnamed theme"
    short_questions = [c for c in cleaned[:10] if c.endswith("?") and 4 <= len(c.split()) <= 16]
    pick = short_questions[0] if short_questions else min(cleaned[:5], key=lambda c: abs(len(c.split()) - 10))
    if len(pick) > LABEL_CHARS:
        pick = pick[: LABEL_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return pick


def _tidy(text: str) -> str:
    core = _LEAD.sub("", " ".join(text.split())).strip(" \"'“”„-–")
    return core[0].upper() + core[1:] if core else ""


def impact(frequency: int, loss_rate: float | None) -> float:
    """The one ranking score of a theme: its distinct conversations, weighted by how often they are lost.

    An unknown loss rate counts as even (0.5), so themes of calls without outcomes rank by frequency.
    """
    return round(frequency * (0.5 + (loss_rate if loss_rate is not None else 0.5)), 2)
