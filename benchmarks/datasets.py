"""The labelled conversation sets of ../shared/data (and the demo) as call notes, with their topics.

Every set is read by the engine's own readers, as `reviewer ingest` reads it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from reviewer.models import CallNote
from reviewer.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the clone (CI); a git worktree one level deeper finds it one level up.
SHARED = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
CORPUS = REPO / "corpus"
# The labelled sets, in the order the benchmarks print them.
SETS = ("demo", "casino", "star", "abcd")


def shared_dir(name: str) -> Path | None:
    path = SHARED / name
    return path if path.is_dir() else None


def demo_notes(settings: Settings) -> list[CallNote]:
    from reviewer.ingest.files import iter_note_files
    from reviewer.ingest.readers import read_notes

    return [n for p in iter_note_files([CORPUS / "notes"]) for n in read_notes(p, settings)]


def demo_topics() -> dict[str, list[str]]:
    notes = yaml.safe_load((CORPUS / "labels.yaml").read_text("utf-8"))["notes"]
    return {k: list(v) for k, v in notes.items() if v}


def casino_notes(settings: Settings) -> list[CallNote]:
    from reviewer.ingest.readers import read_notes

    root = SHARED / "casino" / "notes"
    return [n for p in sorted(root.glob("*.md")) for n in read_notes(p, settings)]


def casino_topics() -> dict[str, list[str]]:
    """The customer side's (Prospect's) top priority: what it argues for."""
    with (SHARED / "casino" / "labels.csv").open(encoding="utf-8") as f:
        return {r["id"]: [r["prospect_high"]] for r in csv.DictReader(f)}


def gong_notes(
    name: str, limit: int | None = None, *, redact: bool = True
) -> tuple[list[CallNote], dict[tuple[str, int], tuple[int, int]]]:
    """Notes read by the Gong reader, and (call id, sentence start ms) -> the sentence's span in the note."""
    from reviewer.ingest.readers import read_notes
    from reviewer.ingest.timeline import sentence_times

    settings = Settings(redact=redact)
    notes: list[CallNote] = []
    for path in sorted((SHARED / name / "gong").glob("transcripts-*.json")):
        notes.extend(read_notes(path, settings))
        if limit and len(notes) >= limit:
            break
    spans = {(n.note_id, start_ms): (a, b) for n in notes for a, b, start_ms, _ in sentence_times(n)}
    return notes[:limit] if limit else notes, spans


def gong_topics(name: str) -> dict[str, list[str]]:
    """star: the tasks of each call; abcd: the flow of each chat."""
    if name == "star":
        with (SHARED / "star" / "tasks.csv").open(encoding="utf-8") as f:
            return {r["callId"]: r["tasks"].split(";") for r in csv.DictReader(f)}
    with (SHARED / "abcd" / "flows.csv").open(encoding="utf-8") as f:
        return {r["callId"]: [r["flow"]] for r in csv.DictReader(f)}


def present_sets(names: Iterable[str], width: int) -> Iterator[str]:
    """The named sets that are here; each absent shared set is printed as skipped (name `width` wide)."""
    for name in names:
        if name != "demo" and not (SHARED / name).is_dir():
            print(f"{name:{width}} skipped: {SHARED / name} is absent")
            continue
        yield name


def set_notes(name: str) -> tuple[list[CallNote], dict[tuple[str, int], tuple[int, int]] | None]:
    """A set's notes, the demo's redacted as `reviewer ingest` reads them and the others as they are,
    with the Gong sets' sentence spans (see `gong_notes`; None for the others)."""
    if name == "demo":
        return demo_notes(Settings()), None
    if name == "casino":
        return casino_notes(Settings(redact=False)), None
    return gong_notes(name, redact=False)


def set_topics(name: str) -> dict[str, list[str]]:
    """A set's labelled topics by note id."""
    if name == "demo":
        return demo_topics()
    if name == "casino":
        return casino_topics()
    return gong_topics(name)
