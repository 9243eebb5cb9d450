"""Review quality on every labelled draft set, offline or through any litellm model.

    python benchmarks/quality.py [--model M] [--api-base URL] [--split test|dev|all] [--sets a,b] [--explain]

For each set it prints: recall on ignored concerns, false flags on answered ones, contradictions
caught (and contradictions claimed where the labels have none), quote grounding, LLM calls,
tokens and cost, next to the floors the test suite holds (`FLOORS`).

Protocol
--------
- Sets: `tests/fixtures/domains/<domain>/` (drafts written and labelled by a copywriter who never
  saw the engine; each draft has `split: dev|test`), plus the demo's earlier sets
  (`corpus/labels.yaml` drafts, all dev: the demo was calibrated on them; and
  `tests/fixtures/holdout_drafts/`, all test).
- Corpora: the demo's notes (with its taxonomy, guidelines and vocabulary, as `make run` passes them);
  `../shared/data/casino/notes`, `star/gong`, `abcd/gong` with no taxonomy and no vocabulary.
  Each is ingested once into `--data-root` (default: a folder in the system temp dir).
- Labels are per concern, keyed by the ground-truth label values of each corpus (abcd `flow` in
  flows.csv, star `domains` in tasks.csv, casino `prospect_high` in labels.csv, the demo's note
  labels in corpus/labels.yaml). An engine theme maps to the concern that is the majority label
  of its member conversations (ties: the label whose conversations the theme holds the larger
  share of, then alphabetical). Concerns no theme maps to are reported as "unmapped" and count as
  missed when ignored.
- Turn-level ground truth: a concern that is a kind of turn rather than a kind of conversation
  (casino's `fair_split`, from CaSiNo's vouch-fair / uv-part strategy annotations) is declared in
  the set's labels.yaml, `ground_truth: {turns: {file, note, turn, column, concerns}}`: a CSV in
  the corpus's shared folder with a note id column, a 1-based turn column (the index among the
  note's speaker turns), a column of `;`-separated annotations, and per concern the annotations
  that mean it. A theme's statements are the member statements mining keeps for it (its most
  central ones, at most two per call, `CANDIDATES_PER_THEME`); those from annotated conversations
  are located in their turns. The theme maps to a turn-level concern when at least
  `MIN_TURN_STATEMENTS` of its statements come from annotated conversations and more than half of
  those lie in turns annotated with the concern (several such concerns: the larger share, then
  alphabetical); otherwise it maps by the conversation-level rule above. One rule for every
  corpus: the majority of what the theme quotes, as the conversation rule takes the majority of
  its calls.
- A review's status for a concern, from the judged themes mapped to it, each weighted by the
  calls it comes up in: "contradicted" if any is; else "addressed" when the addressed themes
  weigh at least as much as the others; else partial or unaddressed, whichever weighs more;
  "not judged" when no theme of the concern was judged. (A concern is usually split over
  several themes; weighting by calls judges it as customers raise it.)
- Recall on ignored: share of `ignores` concerns whose status is unaddressed, partial or
  contradicted. False flags on answered: share of `addresses` concerns whose status is
  unaddressed or contradicted (a "partial" asks for a sharper answer, not for one). Contradictions:
  share of `contradicts` concerns judged contradicted.
- Grounding: share of shown customer quotes that are verbatim in the cited note and lie inside
  a customer turn (transcripts) or a customer statement extracted from it (rep-written notes).
- Tune on `--split dev` only; report `--split test`.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import SHARED  # noqa: E402
from reviewer.graph import build_context, review_draft  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.models import CallNote, Review, Theme  # noqa: E402
from reviewer.objections.evaluation import label_totals, majority_label  # noqa: E402
from reviewer.settings import Settings  # noqa: E402

CORPUS_DIR = ROOT / "corpus"
DOMAINS_DIR = ROOT / "tests" / "fixtures" / "domains"
HOLDOUT = ROOT / "tests" / "fixtures" / "holdout_drafts"
FLAGGED = {"unaddressed", "partial", "contradicted"}
# A theme maps to a turn-level concern only on this many statements from annotated conversations
# (a majority of fewer is one or two sentences).
MIN_TURN_STATEMENTS = 3
FALSE_FLAG = {"unaddressed", "contradicted"}

# The floors tests/test_quality.py holds offline on the test split: (recall on ignored, highest
# false-flag rate on answered, grounding). Each is at or below what this script measured on the
# test drafts (2 cores, static embeddings, mining with noise passes and the taxonomy margin, i12):
# demo 70% / 0% / 100%, demo-holdout 100% / 0% / 100%, abcd 68% / 14% / 100% (before: 60%, 85%,
# 32%). casino (71% / 25%) and star (100% / 14%) are printed without a floor: ingesting them takes
# longer than the suite's budget. Ignored concerns still missed mostly belong to no mined theme
# (the "unmapped" list).
# Issue 12 (turn-level truth for casino's fair_split; the judge measured against every theme, small
# themes judged), test split measured once: demo 80% / 0% / 100%, demo-holdout 100% / 9% / 100%,
# casino 100% / 25% / 100%, star 100% / 21% / 100%, abcd 45% / 14% / 100%. abcd's recall is under
# its floor with the same five unmapped concerns its dev drafts showed before issue 12 (5/13 on
# this checkout's base, where 8/13 was recorded with the 68%: its mining gives 6 themes on abcd's
# 50 calls here; issue 12 does not change mining). The cause was a fresh install's other transitive
# packages (pinned in constraints.txt since); the demo's themes moved with them too.
# Then calls no theme took join the nearest theme at 0.8 (mining's outlier reduction, chosen on
# dev: abcd 5/13 -> 8/13, the others unchanged), test measured once: demo 80% / 0% / 100%,
# demo-holdout 100% / 9% / 100%, casino 100% / 25% / 100%, star 100% / 14% / 100%, abcd 64% / 21% /
# 100%. abcd's false-flag floor holds that 21% (3 of 14), over the 15% goal: said, not hidden.
# The same commit and pins on another 2-core machine (an AMD EPYC without AVX-512: other float
# rounding in the vector maths) gave demo 80% / 10%, demo-holdout 100% / 0%, abcd 59% (13 of 22) /
# 21%: the floors leave that much room (one label of abcd's 22 is 4.5 points).
# Ties of the majority rule then went to the label whose conversations the theme holds the larger
# share of, not to the first in the alphabet (chosen on dev: abcd 17/21 -> 20/21 ignored flagged,
# false flags and the other sets unchanged). Test split, measured once (Intel Xeon, 2 cores): demo
# 80% / 10% -> 100% / 20%, demo-holdout 100% / 0% -> 100% / 9%, abcd 73% / 0% -> 95% / 0%, casino
# 71% / 0% and star 100% / 0% unchanged. The two demo false flags are English answers judged
# against German themes of two calls that now map to the concern they hold the rarer label of;
# the demo floor holds that 20%, over the 15% goal: said, not hidden.
# Then greetings' replies stopped being concerns (reviewer/objections/extract.py), test measured
# once: casino 71% / 0% -> 100% / 12% (fair_split has a theme now), star 100% / 0% (contradictions
# 1/3 -> 0/3, with 3 claimed where the labels have none), the floored sets unchanged.
# On the AMD EPYC the same code gave demo-holdout 18% false flags and abcd 86% recall: mining moved
# with float rounding (noise of 1e-5 or 1e-6 on every vector moved abcd's all-split recall between
# 81% and 98%). Since each noise pass samples by a rank drawn once and a tie at a theme's radius
# counts as inside, three noise draws of 1e-6 give the same recall and false flags on every set.
# Dev: demo-calibration 100% / 6%, casino 100% / 12%, star 100% / 0%, abcd 90% / 0%. Test: demo
# 100% / 20%, demo-holdout 100% / 9% (its contradiction lost), casino 100% / 0%, star 100% / 0%,
# abcd 95% / 7%. Contrast then measured among the themes of the theme's own language
# (reviewer/review/coverage.py, chosen on dev: demo calibration false flags 1/16 -> 0/16): test demo
# 100% / 20% -> 100% / 0%, the others unchanged. The demo's floor is the 15% goal again.
FLOORS: dict[str, tuple[float, float, float]] = {
    "demo": (0.90, 0.15, 1.0),
    "demo-holdout": (0.90, 0.10, 1.0),
    "abcd": (0.85, 0.15, 1.0),
    # Both measured 100% recall and 0% false flags on their test drafts. Star's floor is the goal.
    # casino's recall floor leaves room for another CPU: with other kernels (OpenBLAS for Haswell,
    # numpy without AVX-512, torch's AVX2, and the embedding model distilled again under them) its
    # test recall was 71% (5/7), `fair_split` without a theme. Its turn-level theme is one of many
    # alike negotiation themes, and whether it forms moves with rounding; the other sets were the same.
    "casino": (0.70, 0.15, 1.0),
    "star": (0.85, 0.15, 1.0),
}


@dataclass
class Corpus:
    """A corpus to review against: where its notes are, its ground truth, the settings it needs."""

    name: str
    notes: list[Path]
    truth: dict[str, list[str]]  # note id -> ground-truth labels (lower case)
    extra: dict[str, Any] = field(default_factory=dict)  # settings the corpus is reviewed with
    folder: Path | None = None  # where its ground-truth files are (a set's turn-level truth)


@dataclass
class TurnTruth:
    """A set's turn-level ground truth: the annotations of each turn and what they mean."""

    annotations: dict[tuple[str, int], set[str]]  # (note id, 1-based turn) -> annotations (lower case)
    notes: set[str]  # the conversations that were annotated
    concerns: dict[str, set[str]]  # concern -> the annotations that mean it


@dataclass
class Tally:
    ignored: int = 0
    flagged: int = 0
    answered: int = 0
    false_flags: int = 0
    contradicts: int = 0
    caught: int = 0
    claimed_wrongly: int = 0
    quotes: int = 0
    grounded: int = 0
    drafts: int = 0
    unmapped: set[str] = field(default_factory=set)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def line(self, name: str) -> str:
        def rate(a: int, b: int) -> str:
            return f"{a / b:5.0%} ({a}/{b})" if b else "    – (0/0)"

        floor = FLOORS.get(name)
        floors = (
            f"  floors: recall ≥ {floor[0]:.0%}, false flags ≤ {floor[1]:.0%}, grounding ≥ {floor[2]:.0%}"
            if floor
            else ""
        )
        return (
            f"{name:14} drafts {self.drafts:2}  recall on ignored {rate(self.flagged, self.ignored)}  "
            f"false flags on answered {rate(self.false_flags, self.answered)}  "
            f"contradictions {rate(self.caught, self.contradicts)} (+{self.claimed_wrongly} unlabelled)  "
            f"grounding {rate(self.grounded, self.quotes)}  calls {self.calls}  tokens "
            f"{self.prompt_tokens}+{self.completion_tokens}  cost ${self.cost:.4f}"
            + (f"  unmapped: {', '.join(sorted(self.unmapped))}" if self.unmapped else "")
            + floors
        )

    def rates(self) -> tuple[float, float, float]:
        return (
            self.flagged / self.ignored if self.ignored else 1.0,
            self.false_flags / self.answered if self.answered else 0.0,
            self.grounded / self.quotes if self.quotes else 1.0,
        )


def corpora(shared: Path = SHARED) -> dict[str, Corpus]:
    """Every corpus whose files are present."""
    found: dict[str, Corpus] = {}
    demo_labels = yaml.safe_load((CORPUS_DIR / "labels.yaml").read_text("utf-8"))
    found["demo"] = Corpus(
        "demo",
        [CORPUS_DIR / "notes"],
        {k: [x.lower() for x in v] for k, v in demo_labels["notes"].items()},
        {
            "taxonomy": CORPUS_DIR / "objections.yaml",
            "guidelines": CORPUS_DIR / "guidelines",
            "vocabulary": CORPUS_DIR / "vocabulary.yaml",
        },
        CORPUS_DIR,
    )
    readers = {
        "casino": ("notes", "labels.csv", "id", "prospect_high"),
        "star": ("gong", "tasks.csv", "callId", "domains"),
        "abcd": ("gong", "flows.csv", "callId", "flow"),
    }
    for name, (folder, truth_file, key, column) in readers.items():
        if not (shared / name / folder).is_dir() or not (shared / name / truth_file).is_file():
            continue
        with (shared / name / truth_file).open(encoding="utf-8", newline="") as handle:
            truth = {
                row[key]: [x.strip().lower() for x in row[column].split(";") if x.strip()]
                for row in csv.DictReader(handle)
            }
        found[name] = Corpus(name, [shared / name / folder], truth, {"taxonomy": None}, shared / name)
    return found


def label_sets(corpus: str) -> list[tuple[str, Path, Path]]:
    """(set name, labels file, drafts folder) for a corpus."""
    sets = []
    if (DOMAINS_DIR / corpus / "labels.yaml").is_file():
        sets.append((corpus, DOMAINS_DIR / corpus / "labels.yaml", DOMAINS_DIR / corpus))
    if corpus == "demo":
        sets.append(("demo-calibration", CORPUS_DIR / "labels.yaml", CORPUS_DIR / "drafts"))
        sets.append(("demo-holdout", HOLDOUT / "labels.yaml", HOLDOUT))
    return sets


def concern_of(themes: list[Theme], truth: dict[str, list[str]]) -> dict[str, str]:
    """theme id -> the majority ground-truth label of the theme's conversations (`majority_label`)."""
    totals = label_totals(truth.values())
    mapping = {}
    for theme in themes:
        votes = Counter(label for note_id in theme.note_ids for label in set(truth.get(note_id, [])))
        if votes:
            mapping[theme.theme_id] = majority_label(votes, totals)
    return mapping


def read_turn_truth(labels_file: Path, data: dict[str, Any], folder: Path | None) -> TurnTruth | None:
    """The `ground_truth.turns` block of a labels file, read from the corpus's folder; None without one."""
    block = data.get("ground_truth") or {}
    spec = block.get("turns") if isinstance(block, dict) else None
    if not spec:
        return None
    keys = ("file", "note", "turn", "column", "concerns")
    if not isinstance(spec, dict) or any(k not in spec for k in keys) or not isinstance(spec["concerns"], dict):
        raise SystemExit(
            f"{labels_file}: ground_truth.turns needs {', '.join(keys)} (concerns: concern -> annotations)"
        )
    if folder is None or not (folder / str(spec["file"])).is_file():
        raise SystemExit(f"{labels_file}: ground_truth.turns: no {spec['file']} in {folder}")
    path = folder / str(spec["file"])
    annotations: dict[tuple[str, int], set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                key = (row[spec["note"]], int(row[spec["turn"]]))
                values = {x.strip().lower() for x in (row[spec["column"]] or "").split(";") if x.strip()}
            except (KeyError, TypeError, ValueError) as exc:
                raise SystemExit(f"{path}:{line}: not a turn annotation ({exc!r})") from exc
            annotations[key] = values
    concerns = {str(c).lower(): {str(a).lower() for a in meant} for c, meant in spec["concerns"].items()}
    return TurnTruth(annotations, {note for note, _ in annotations}, concerns)


def turn_concern_of(located: dict[str, list[tuple[str, int | None]]], turns: TurnTruth) -> dict[str, str]:
    """theme id -> the turn-level concern most of its statements come from (see the protocol above).

    `located`: theme id -> (note id, 1-based turn or None) of each of the theme's statements.
    """
    mapping = {}
    for theme_id, statements in located.items():
        annotated = [(note, turn) for note, turn in statements if note in turns.notes and turn is not None]
        if len(annotated) < MIN_TURN_STATEMENTS:
            continue
        shares = {
            concern: sum(bool(turns.annotations.get(at, set()) & meant) for at in annotated) / len(annotated)
            for concern, meant in turns.concerns.items()
        }
        most = [concern for concern, share in shares.items() if share > 0.5]
        if most:
            mapping[theme_id] = min(most, key=lambda c: (-shares[c], c))
    return mapping


def statement_turns(ctx: Any, notes_wanted: set[str] | None = None) -> dict[str, list[tuple[str, int | None]]]:
    """theme id -> (note id, 1-based speaker turn) of the member statements mining keeps for the theme.

    Only statements of `notes_wanted` (when given) are located; a statement outside every turn has None.
    """
    from reviewer.objections import read_state

    state = read_state(ctx.settings, ctx.store.embedding_model)
    judged = {t.theme_id for t in ctx.themes}
    kept: dict[str, list[tuple[str, str]]] = {}
    if state is not None:
        kept = {t.theme_id: [(c.note_id, c.text) for c in t.quotes] for t in state.themes if t.theme_id in judged}
    for theme in ctx.themes:  # a theme the state does not hold: its shown quotes
        kept.setdefault(theme.theme_id, [(q.note_id, q.quote) for q in theme.quotes])
    if notes_wanted is not None:
        kept = {t: [s for s in found if s[0] in notes_wanted] for t, found in kept.items()}
    notes = ctx.store.get_notes(sorted({note for found in kept.values() for note, _ in found}))
    located: dict[str, list[tuple[str, int | None]]] = {}
    for theme_id, found in kept.items():
        located[theme_id] = []
        for note_id, text in found:
            note = notes.get(note_id)
            at = note.text.find(text) if note is not None else -1
            turn = next((i + 1 for i, t in enumerate(note.turns) if t.start <= at < t.end), None) if at >= 0 else None
            located[theme_id].append((note_id, turn))
    return located


def theme_concerns(ctx: Any, truth: dict[str, list[str]], turns: TurnTruth | None) -> dict[str, str]:
    """theme id -> its concern: turn-level where its statements mostly say one, else its calls' majority."""
    mapping = concern_of(ctx.themes, truth)
    if turns is not None:
        mapping.update(turn_concern_of(statement_turns(ctx, turns.notes), turns))
    return mapping


def concern_status(review: Review, mapping: dict[str, str]) -> dict[str, str]:
    """concern -> the review's status for it (see the protocol above)."""
    weights: dict[str, Counter[str]] = {}
    for finding in review.objections:
        concern = mapping.get(finding.theme_id)
        if concern:
            weights.setdefault(concern, Counter())[finding.status] += max(finding.frequency, 1)
    statuses = {}
    for concern, found in weights.items():
        flagged = sum(found[s] for s in FLAGGED)
        if found["contradicted"]:
            statuses[concern] = "contradicted"
        elif found["addressed"] >= flagged:
            statuses[concern] = "addressed"
        else:
            statuses[concern] = "partial" if found["partial"] > found["unaddressed"] else "unaddressed"
    return statuses


def customer_side(quote: str, note: CallNote) -> bool:
    """The quote is verbatim in the note and lies in a customer turn or an extracted customer statement."""
    from reviewer.objections.extract import extract_statements

    start = note.text.find(quote)
    if start < 0:
        return False
    end = start + len(quote)
    if any(t.role == "customer" and t.start <= start and end <= t.end for t in note.turns):
        return True
    return any(s.start <= start and end <= s.end for s in extract_statements(note))


def split_of(name: str, label: dict[str, Any], drafts: Path, set_name: str) -> str:
    if "split" in label:
        return str(label["split"])
    return "dev" if set_name == "demo-calibration" else "test"


def run_set(
    ctx: Any,
    set_name: str,
    labels_file: Path,
    drafts: Path,
    truth: dict[str, list[str]],
    split: str,
    folder: Path | None = None,
    explain: bool = False,
) -> Tally:
    """Review every draft of a set in the chosen split and count against its labels."""
    data = yaml.safe_load(labels_file.read_text("utf-8"))
    mapping = theme_concerns(ctx, truth, read_turn_truth(labels_file, data, folder))
    known = set(mapping.values())
    tally = Tally()
    for name, label in (data.get("drafts") or {}).items():
        if split != "all" and split_of(name, label, drafts, set_name) != split:
            continue
        review = review_draft(ctx, path=drafts / name)
        tally.drafts += 1
        status = concern_status(review, mapping)
        if explain:
            print(explanation(f"{set_name}/{name}", label, review, mapping, status))
        for concern in [str(c).lower() for c in label.get("ignores") or []]:
            tally.ignored += 1
            tally.flagged += status.get(concern) in FLAGGED
            if concern not in known:
                tally.unmapped.add(concern)
        for concern in [str(c).lower() for c in label.get("addresses") or []]:
            tally.answered += 1
            tally.false_flags += status.get(concern) in FALSE_FLAG
        wanted = {str(c).lower() for c in label.get("contradicts") or []}
        tally.contradicts += len(wanted)
        tally.caught += sum(status.get(c) == "contradicted" for c in wanted)
        tally.claimed_wrongly += sum(s == "contradicted" and c not in wanted for c, s in status.items())
        cited = [e for f in review.objections for e in f.evidence if not e.note_id.startswith("flag-")]
        notes = ctx.store.get_notes(sorted({e.note_id for e in cited}))
        tally.quotes += len(cited)
        tally.grounded += sum(e.note_id in notes and customer_side(e.quote, notes[e.note_id]) for e in cited)
        tally.calls += review.usage.llm_calls
        tally.prompt_tokens += review.usage.prompt_tokens
        tally.completion_tokens += review.usage.completion_tokens
        tally.cost += review.usage.cost_usd
    return tally


def explanation(
    title: str, label: dict[str, Any], review: Review, mapping: dict[str, str], status: dict[str, str]
) -> str:
    """Per labelled concern: the review's status, and each judged theme of it with the sentence matched.

    Misses and false flags are marked `!!`; for diagnosing the dev drafts, never for tuning on test.
    """
    lines = [f"--- {title}"]
    for kind in ("ignores", "addresses", "partial", "contradicts"):
        for concern in [str(c).lower() for c in label.get(kind) or []]:
            found = status.get(concern, "not judged")
            wrong = (kind == "ignores" and found not in FLAGGED) or (kind == "addresses" and found in FALSE_FLAG)
            lines.append(f"  {'!!' if wrong else '  '} {kind:11} {concern:22} {found}")
            for finding in review.objections:
                if mapping.get(finding.theme_id) == concern:
                    span = " ".join((finding.draft_span.text if finding.draft_span else "").split())[:100]
                    lines.append(
                        f"        {finding.status:12} {finding.theme_id[:32]:32} {finding.frequency:4} calls | {span}"
                    )
    return "\n".join(lines)


def prepare(corpus: Corpus, data_root: Path, **settings: Any) -> Settings:
    """Settings on the corpus's own data dir, ingested (once; later runs find the files unchanged)."""
    configured = Settings(data_dir=data_root / corpus.name, **{**corpus.extra, **settings})
    report = ingest_paths(corpus.notes, configured)
    if report.skipped and not report.files_ingested and not report.files_unchanged:
        raise SystemExit(f"{corpus.name}: nothing could be ingested: {report.skipped[:3]}")
    return configured


def main(argv: list[str] | None = None) -> dict[str, Tally]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="offline", help="a litellm model string, or offline")
    parser.add_argument("--api-base", default=None, help="base URL of an OpenAI-compatible server")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--split", default="test", choices=["test", "dev", "all"])
    parser.add_argument("--sets", default="", help="comma-separated corpora (default: every one present)")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "reviewer-quality")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument(
        "--explain", action="store_true", help="per draft and concern: judged themes, status, sentence matched"
    )
    args = parser.parse_args(argv)
    wanted = {s for s in args.sets.split(",") if s}
    results: dict[str, Tally] = {}
    print(f"model {args.model}, split {args.split}")
    for name, corpus in corpora(args.shared).items():
        if wanted and name not in wanted:
            continue
        settings = prepare(corpus, args.data_root, model=args.model, api_base=args.api_base, api_key=args.api_key)
        ctx = build_context(settings)
        for set_name, labels_file, drafts in label_sets(name):
            tally = run_set(ctx, set_name, labels_file, drafts, corpus.truth, args.split, corpus.folder, args.explain)
            if tally.drafts:
                results[set_name] = tally
                print(tally.line(set_name), flush=True)
    return results


if __name__ == "__main__":
    main()
