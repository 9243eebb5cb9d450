"""Subtitle-style transcripts: WebVTT (`<v Name>` voices, NOTE metadata) and SRT (`Name:` prefixes).

Both become a note whose text is one `Name: text` line per turn (consecutive cues of the same
speaker merged), so the turn offsets point into `CallNote.text` like any other transcript.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml

from reviewer.errors import InputError
from reviewer.ingest.fields import build_note, split_record
from reviewer.ingest.files import META_SUFFIX, read_text_file
from reviewer.ingest.participants import parse_participants
from reviewer.ingest.turns import set_turn_roles
from reviewer.models import CallNote, Turn
from reviewer.settings import Settings
from reviewer.text import parse_yaml

_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_VTT_TIMING = re.compile(r"^(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}")
_SRT_TIMING = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s+-->\s+\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+([^>]+)>")
_TAG = re.compile(r"</?[^>]*>|\{\\[^}]*\}")
# `Name: text` inside a cue (SRT convention, and Zoom's VTT export).
_PREFIX = re.compile(r"^([^\W\d_][\w .'’&()-]{0,40}?)[ \t]*:[ \t]+(\S.*)$", re.S)
_META_LINE = re.compile(r"^([\w][\w \-]{0,40}?)[ \t]*:[ \t]*(.*)$")

Segment = tuple[str | None, str]


def read_vtt(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note from a WebVTT file; raises InputError without a `WEBVTT` header or cues."""
    lines = text.lstrip("\ufeff").split("\n", 1)
    if not lines[0].startswith("WEBVTT"):
        raise InputError(path, "not a WebVTT file: the first line must be 'WEBVTT'")
    body = lines[1] if len(lines) > 1 else ""
    record: dict[str, object] = {}
    segments: list[Segment] = []
    for block in _BLOCK_SPLIT.split(body):
        block_lines = [line for line in block.strip("\n").split("\n") if line.strip()]
        if not block_lines:
            continue
        first = block_lines[0].strip()
        if first.startswith("NOTE"):
            _note_block_metadata([first[4:].strip(), *block_lines[1:]], record)
            continue
        if first.startswith(("STYLE", "REGION")):
            continue
        timing = next((i for i, line in enumerate(block_lines[:2]) if _VTT_TIMING.match(line.strip())), None)
        if timing is None:
            continue
        segments += _vtt_cue(block_lines[timing + 1 :])
    if not segments:
        raise InputError(path, "no cues with text in the WebVTT file")
    record.update(sidecar_fields(path))
    return [_transcript_note(path, "vtt", segments, record, settings)], []


def read_srt(path: Path, text: str, settings: Settings) -> tuple[list[CallNote], list[str]]:
    """One note from an SRT file, with metadata from a sibling `<name>.meta.yaml` when present."""
    segments: list[Segment] = []
    for block in _BLOCK_SPLIT.split(text.lstrip("\ufeff")):
        block_lines = [line for line in block.strip("\n").split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(block_lines[:2]) if _SRT_TIMING.match(line.strip())), None)
        if timing is None:
            continue
        payload = _clean(" ".join(line.strip() for line in block_lines[timing + 1 :]))
        if payload:
            segments.append(_prefixed(payload))
    if not segments:
        raise InputError(path, "not an SRT file: no numbered cues with timings")
    return [_transcript_note(path, "srt", segments, sidecar_fields(path), settings)], []


def _vtt_cue(payload: list[str]) -> list[Segment]:
    """Segments of one cue: a `<v Name>` starts a voice; text before any voice may be `Name: text`."""
    segments: list[Segment] = []
    for line in payload:
        voices = list(_VOICE.finditer(line))
        if not voices:
            cleaned = _clean(line)
            if cleaned:
                segments.append(_prefixed(cleaned))
            continue
        for index, voice in enumerate(voices):
            stop = voices[index + 1].start() if index + 1 < len(voices) else len(line)
            cleaned = _clean(line[voice.end() : stop])
            if cleaned:
                segments.append((voice.group(1).strip(), cleaned))
    # Lines of one cue without their own voice continue the cue's voice.
    speaker: str | None = None
    resolved: list[Segment] = []
    for name, words in segments:
        speaker = name if name is not None else speaker
        resolved.append((speaker, words))
    return resolved


def _prefixed(payload: str) -> Segment:
    match = _PREFIX.match(payload)
    if match and len(match.group(1).split()) <= 4:
        return match.group(1).strip(), match.group(2).strip()
    return None, payload


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _note_block_metadata(lines: list[str], record: dict[str, object]) -> None:
    for line in lines:
        match = _META_LINE.match(line.strip())
        if match and match.group(2).strip():
            record[match.group(1).strip()] = match.group(2).strip()


def sidecar_fields(path: Path) -> dict[str, object]:
    """Fields from `<stem>.meta.yaml` (or `<name>.meta.yaml`) next to the transcript."""
    for candidate in (path.with_name(path.stem + META_SUFFIX), path.with_name(path.name + META_SUFFIX)):
        if candidate.is_file():
            try:
                data = parse_yaml(read_text_file(candidate))
            except yaml.YAMLError as exc:
                raise InputError(candidate, f"invalid YAML: {exc}") from exc
            if data is None:
                return {}
            if not isinstance(data, dict):
                raise InputError(candidate, "metadata file must be a mapping of field: value")
            return {str(k): v for k, v in data.items()}
    return {}


def _transcript_note(
    path: Path, source: str, segments: list[Segment], record: dict[str, object], settings: Settings
) -> CallNote:
    """Consecutive segments of one speaker merged into a turn; text rebuilt as `Name: text` lines."""
    speakers: list[str | None] = []
    texts: list[str] = []
    for speaker, words in segments:
        # A cue without a speaker continues the previous one (subtitles cut long utterances).
        if speaker is None and speakers:
            speaker = speakers[-1]
        if speakers and speaker == speakers[-1]:
            texts[-1] = f"{texts[-1]} {words}"
        else:
            speakers.append(speaker)
            texts.append(words)
    participants = parse_participants(record.pop("participants", None))
    known, metadata = split_record(record)
    lines: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for speaker, words in zip(speakers, texts, strict=True):
        prefix = f"{speaker}: " if speaker else ""
        start = offset + len(prefix)
        end = start + len(words)
        turns.append(Turn(speaker=speaker, role="unknown", text=words, start=start, end=end))
        lines.append(prefix + words)
        offset = end + 1
    set_turn_roles(turns, known, participants, settings)
    if all(turn.speaker is None for turn in turns):
        turns = []
    return build_note(
        known=known,
        metadata=metadata,
        text="\n".join(lines),
        source=source,
        path=path,
        default_id=path.stem,
        settings=settings,
        turns=turns,
        participants=participants,
    )
