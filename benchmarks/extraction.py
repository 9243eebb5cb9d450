"""Extraction against blind sentence labels: precision and recall of concern statements per set.

    python benchmarks/extraction.py [--sets demo casino star abcd]

The labels (tests/fixtures/extraction/, written by an annotator who did not read the engine) mark
customer-side sentences `concern` or `not`. A labelled sentence counts as extracted when a concern
statement of its note overlaps it. The cue lexicons were written before the labels existed; the
first DEV_ROWS rows of each file (the annotator's order is a random shuffle) are the only ones
looked at afterwards (two language-general fixes came from the demo's: number words in time
expressions, short questions). The report part is every row after them.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datasets import CORPUS, SETS, SHARED, present_sets, set_notes  # noqa: E402
from reviewer.models import CallNote  # noqa: E402
from reviewer.objections.extract import extract_statements  # noqa: E402

LABELS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "extraction"
DEV_ROWS = 64  # 20% of each set's 320 rows


@dataclass
class Score:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    unmatched: int = 0

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)


def label_rows(name: str, part: str) -> list[dict[str, str]]:
    with (LABELS / f"{name}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:DEV_ROWS] if part == "dev" else rows[DEV_ROWS:] if part == "report" else rows


def labelled_spans(
    name: str, notes: list[CallNote], gong_spans: dict | None = None, part: str = "report"
) -> list[tuple[str, int, int, bool]]:
    """(note id, start, end, is concern) of the label rows found in a note; rows not found are dropped."""
    rows = label_rows(name, part)
    found: list[tuple[str, int, int, bool]] = []
    if name in {"star", "abcd"}:
        for row in rows:
            span = (gong_spans or {}).get((row["call_id"], int(row["start_ms"])))
            if span:
                found.append((row["call_id"], span[0], span[1], row["label"] == "concern"))
        return found
    root = CORPUS if name == "demo" else SHARED / "casino"
    by_path: dict[str, list[CallNote]] = {}
    for note in notes:
        by_path.setdefault(Path(note.source_path).resolve().as_posix(), []).append(note)
    raw: dict[str, str] = {}
    for row in rows:
        path = (root / row["path"]).resolve()
        if path.as_posix() not in raw:
            raw[path.as_posix()] = path.read_bytes().decode("utf-8")
        sentence = row.get("text") or raw[path.as_posix()][int(row["start"]) : int(row["end"])]
        for note in by_path.get(path.as_posix(), []):
            at = note.text.find(sentence)
            if at >= 0:
                found.append((note.note_id, at, at + len(sentence), row["label"] == "concern"))
                break
    return found


def score(name: str, notes: list[CallNote], gong_spans: dict | None = None, part: str = "report") -> Score:
    spans = labelled_spans(name, notes, gong_spans, part)
    result = Score(name, unmatched=len(label_rows(name, part)) - len(spans))
    wanted = {s[0] for s in spans}
    extracted = {n.note_id: [(s.start, s.end) for s in extract_statements(n)] for n in notes if n.note_id in wanted}
    for note_id, start, end, concern in spans:
        hit = any(a < end and start < b for a, b in extracted.get(note_id, []))
        if concern:
            result.tp += hit
            result.fn += not hit
        else:
            result.fp += hit
            result.tn += not hit
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'set':8} {'part':6} {'labelled':>8} {'concern':>8} {'precision':>10} {'recall':>7} {'unmatched':>10}")
    for name in present_sets(args.sets, 8):
        notes, spans = set_notes(name)
        for part in ("report", "dev"):
            s = score(name, notes, spans, part)
            print(
                f"{name:8} {part:6} {s.tp + s.fp + s.fn + s.tn:>8} {s.tp + s.fn:>8} {s.precision:>10.2f} "
                f"{s.recall:>7.2f} {s.unmatched:>10}"
            )


if __name__ == "__main__":
    main()
