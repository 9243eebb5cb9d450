"""The labelled conversation sets of ../shared/data (and the demo) as call notes, with their topics.

Until the Gong reader lands in the engine, the Gong pages are turned into notes here: one turn per
monologue, one line per turn, with each Gong sentence's character span kept so that sentence
labels (call id, start ms) can be matched to extracted statements.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from reviewer.models import CallNote, Turn
from reviewer.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the clone (CI); a git worktree one level deeper finds it one level up.
SHARED = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
CORPUS = REPO / "corpus"


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


def gong_notes(name: str, limit: int | None = None) -> tuple[list[CallNote], dict[tuple[str, int], tuple[int, int]]]:
    """Notes from Gong pages, and (call id, sentence start ms) -> the sentence's span in the note."""
    root = SHARED / name / "gong"
    notes: list[CallNote] = []
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    for calls_page in sorted(root.glob("calls-*.json")):
        transcripts_page = calls_page.with_name(calls_page.name.replace("calls-", "transcripts-"))
        calls = {c["metaData"]["id"]: c for c in json.loads(calls_page.read_text("utf-8"))["calls"]}
        for transcript in json.loads(transcripts_page.read_text("utf-8"))["callTranscripts"]:
            call = calls.get(transcript["callId"])
            if call is None:
                continue
            roles = {
                p.get("speakerId"): ("seller" if p.get("affiliation") == "Internal" else "customer")
                for p in call.get("parties", [])
            }
            text, turns = "", []
            for part in transcript["transcript"]:
                role = roles.get(part["speakerId"], "unknown")
                label = "Agent" if role == "seller" else "Customer"
                text += f"{label}: "
                start = len(text)
                for sentence in part["sentences"]:
                    if len(text) > start:
                        text += " "
                    spans[(transcript["callId"], int(sentence["start"]))] = (
                        len(text),
                        len(text) + len(sentence["text"]),
                    )
                    text += sentence["text"]
                turns.append(Turn(speaker=label, role=role, text=text[start:], start=start, end=len(text)))  # type: ignore[arg-type]
                text += "\n"
            meta = call["metaData"]
            notes.append(
                CallNote(
                    note_id=transcript["callId"], text=text, source="gong", source_path=str(transcripts_page),
                    date=(meta.get("started") or "")[:10] or None, language="en", turns=turns,
                )
            )  # fmt: skip
            if limit and len(notes) >= limit:
                return notes, spans
    return notes, spans


def gong_topics(name: str) -> dict[str, list[str]]:
    """star: the tasks of each call; abcd: the flow of each chat."""
    if name == "star":
        with (SHARED / "star" / "tasks.csv").open(encoding="utf-8") as f:
            return {r["callId"]: r["tasks"].split(";") for r in csv.DictReader(f)}
    with (SHARED / "abcd" / "flows.csv").open(encoding="utf-8") as f:
        return {r["callId"]: [r["flow"]] for r in csv.DictReader(f)}
