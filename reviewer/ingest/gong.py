"""Gong API v2 exports: `POST /v2/calls/transcript` pages joined to `POST /v2/calls/extensive` pages.

A team dumps the API's responses page by page into a folder: transcript pages
(`{"callTranscripts": [{"callId", "transcript": [{"speakerId", "topic", "sentences": [{"start",
"end", "text"}]}]}]}`) and call pages (`{"calls": [{"metaData": {...}, "parties": [...],
"context": [...]}]}`). Pages join by `callId` in any order and layout. One note per call: one
`Name: words` line per monologue, each sentence's time offset kept in the note's timeline.

Sides: a party's `affiliation` Internal is the seller, External the customer; Unknown (or none) is
decided by the configured internal e-mail domains, else left 'unknown' (reported, and never read as
a customer's objection). A transcript whose call metadata is missing still ingests, sides unknown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.ingest.fields import as_text, build_note
from reviewer.ingest.participants import Participant, role_by_domain, side_from_label
from reviewer.ingest.timeline import TIMELINE_KEY, Entry, encode
from reviewer.models import CallNote, Role, Turn
from reviewer.settings import Settings

SOURCE = "gong"
# A page of Gong's API holds at most 100 calls (a few MB); far larger files are not API pages and
# are refused before json.loads builds them in memory.
MAX_PAGE_BYTES = 64 * 1024 * 1024
_LISTED = 5
# metaData fields kept as note metadata. Not kept: ids of Gong's users and workspaces, and the
# call's `url` (it is the call id, which the note id already is; and a 19-digit id can pass the
# card-number checksum, so redaction would mangle it).
_META_FIELDS = ("title", "started", "scheduled", "duration", "direction", "system", "scope", "media", "purpose")


class GongIndex:
    """Call metadata by call id, from the call pages among a set of JSON files."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.call_pages: set[str] = set()
        self.transcript_pages: set[str] = set()
        self.transcript_ids: set[str] = set()
        self.bad: dict[str, str] = {}
        self.warnings: list[str] = []
        self._digest = hashlib.sha256()

    @property
    def digest(self) -> str:
        """Changes when any call page changes, so transcript pages joined to it are read again."""
        return self._digest.hexdigest()

    @classmethod
    def scan(cls, paths: Iterable[Path]) -> GongIndex:
        """Classify JSON files as call pages, transcript pages or bad files, and index the calls."""
        index = cls()
        for path in sorted(paths, key=str):
            key = _key(path)
            try:
                data = load_json(path)
                kind = page_kind(data)
                if kind is None:
                    continue  # not a Gong page: the JSON reader decides what it is
                if kind == "calls":
                    index._add_calls(path, data)
                else:
                    index.transcript_pages.add(key)
                    for item in data["callTranscripts"]:
                        if isinstance(item, dict) and item.get("callId") is not None:
                            index.transcript_ids.add(str(item["callId"]))
            except InputError as exc:
                index.bad[key] = exc.reason
        if index.transcript_pages:
            orphans = sorted(set(index.calls) - index.transcript_ids)
            if orphans:
                index.warnings.append(f"{len(orphans)} calls in the call pages have no transcript: {_listed(orphans)}")
        return index

    def is_call_page(self, path: Path) -> bool:
        return _key(path) in self.call_pages

    def covers(self, path: Path) -> bool:
        return _key(path) in self.call_pages or _key(path) in self.transcript_pages or _key(path) in self.bad

    def _add_calls(self, path: Path, data: dict[str, Any]) -> None:
        self.call_pages.add(_key(path))
        self._digest.update(path.read_bytes())
        for call in data["calls"]:
            if isinstance(call, dict) and "metaData" not in call and "id" in call:
                # `GET /v2/calls` lists calls flat, without parties: the same fields, no sides.
                call = {"metaData": call}
            meta = call.get("metaData") if isinstance(call, dict) else None
            call_id = meta.get("id") if isinstance(meta, dict) else None
            if call_id is None:
                self.warnings.append(f"{path}: a call without metaData.id, ignored")
                continue
            self.calls[str(call_id)] = call


def load_json(path: Path) -> Any:
    """A JSON file's value; InputError for truncated or invalid JSON, or an oversized file."""
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise InputError(path, f"JSON file of {size // (1024 * 1024)} MB is larger than an API page can be")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise InputError(path, "empty file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(path, "not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"invalid or truncated JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    return data


def page_kind(data: object) -> str | None:
    """'transcripts', 'calls' or None for a JSON value that is neither kind of page."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("callTranscripts"), list):
        return "transcripts"
    if isinstance(data.get("calls"), list):
        return "calls"
    return None


def read_gong_json(path: Path, settings: Settings, index: GongIndex | None = None) -> tuple[list[CallNote], list[str]]:
    """The notes of one transcript page; the call pages are taken from `index`, or from the JSON
    files beside it when no index is given. Raises InputError for a page with nothing usable."""
    if index is None:
        index = scan_folder_of(path)
    data = load_json(path)
    kind = page_kind(data)
    if kind == "calls":
        raise InputError(path, "a Gong call page (metadata only): it is read with the transcript pages beside it")
    if kind is None:
        raise InputError(path, "not a Gong API page: no callTranscripts or calls list")
    return read_transcript_page(path, data, index, settings)


def scan_folder_of(path: Path) -> GongIndex:
    """The index of the JSON files beside `path`, for reading one page on its own."""
    return GongIndex.scan(p for p in path.parent.iterdir() if p.suffix.lower() == ".json" and p.is_file())


def read_transcript_page(
    path: Path, data: Mapping[str, Any], index: GongIndex, settings: Settings
) -> tuple[list[CallNote], list[str]]:
    """Notes of the calls on a transcript page; bad calls are skipped with a reason."""
    notes: list[CallNote] = []
    problems: list[str] = []
    without_metadata: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(data["callTranscripts"]):
        if not isinstance(item, dict) or item.get("callId") is None:
            problems.append(f"skipped entry {position} of callTranscripts: no callId")
            continue
        call_id = str(item["callId"])
        if call_id in seen:
            problems.append(f"skipped call {call_id}: it appears twice on the page")
            continue
        seen.add(call_id)
        call = index.calls.get(call_id)
        try:
            note, undecided = _call_note(path, call_id, item.get("transcript"), call, settings)
        except _BadCall as exc:
            problems.append(f"skipped call {call_id}: {exc}")
            continue
        if call is None:
            without_metadata.append(call_id)
        elif undecided:
            problems.append(
                f"call {call_id}: speaker(s) {', '.join(undecided)} with affiliation Unknown and no internal "
                "e-mail domain (REVIEWER_INTERNAL_DOMAINS): side unknown, kept out of objections"
            )
        notes.append(note)
    warnings = []
    if without_metadata:
        warnings.append(
            f"{len(without_metadata)} calls without call metadata (no calls page lists them), ingested with "
            f"unknown sides: {_listed(without_metadata)}"
        )
    if not notes:
        detail = f": {problems[0]}" if problems else ": the page lists no calls"
        raise InputError(path, f"no usable call transcripts{detail}")
    return notes, warnings + problems


class _BadCall(Exception):
    """A call of a transcript page that cannot be read (the reason is the message)."""


def _call_note(
    path: Path, call_id: str, transcript: object, call: dict[str, Any] | None, settings: Settings
) -> tuple[CallNote, list[str]]:
    if not isinstance(transcript, list) or not transcript:
        raise _BadCall("the transcript has no monologues")
    parties = [p for p in (call or {}).get("parties") or [] if isinstance(p, dict)]
    by_speaker = {str(p["speakerId"]): p for p in parties if p.get("speakerId") is not None}
    labels: dict[str, str] = {}
    roles: dict[str, Role] = {}
    undecided: list[str] = []
    lines: list[str] = []
    turns: list[Turn] = []
    timeline: list[Entry] = []
    offset = 0
    for monologue in transcript:
        if not isinstance(monologue, dict):
            raise _BadCall("a monologue is not a JSON object")
        speaker_id = str(monologue.get("speakerId"))
        if speaker_id not in labels:
            party = by_speaker.get(speaker_id)
            if parties and party is None:
                raise _BadCall(f"unknown speakerId {speaker_id}: no party of the call has it")
            labels[speaker_id] = _label(party, len(labels) + 1)
            roles[speaker_id] = _side(party, settings)
            if party is not None and roles[speaker_id] == "unknown":
                undecided.append(speaker_id)
        sentences = monologue.get("sentences")
        pieces: list[tuple[str, int, int]] = []
        for sentence in sentences if isinstance(sentences, list) else []:
            if not isinstance(sentence, dict):
                continue
            words = " ".join(str(sentence.get("text") or "").split())
            if words:
                pieces.append((words, _ms(sentence.get("start")), _ms(sentence.get("end"))))
        if not pieces:
            continue
        label = labels[speaker_id]
        start = offset + len(label) + 2
        cursor = start
        for index, (words, begin, end) in enumerate(pieces):
            cursor += 1 if index else 0
            timeline.append((cursor, cursor + len(words), begin, end))
            cursor += len(words)
        body = " ".join(words for words, _, _ in pieces)
        turns.append(Turn(speaker=label, role=roles[speaker_id], text=body, start=start, end=start + len(body)))
        lines.append(f"{label}: {body}")
        offset = start + len(body) + 1
    if not turns:
        raise _BadCall("the transcript has no sentences")
    known, metadata = _fields(call_id, call, parties, settings)
    metadata[TIMELINE_KEY] = encode(timeline)
    note = build_note(
        known=known,
        metadata=metadata,
        text="\n".join(lines),
        source=SOURCE,
        path=path,
        default_id=call_id,
        settings=settings,
        turns=turns,
        participants=[Participant(name=str(p["name"])) for p in parties if p.get("name")],
    )
    return note, undecided


def _label(party: dict[str, Any] | None, number: int) -> str:
    name = " ".join(str((party or {}).get("name") or "").split())
    return name if name else f"Speaker {number}"


def _side(party: dict[str, Any] | None, settings: Settings) -> Role:
    if party is None:
        return "unknown"
    side = side_from_label(str(party.get("affiliation") or ""))
    if side != "unknown":
        return side
    return role_by_domain(party.get("emailAddress"), settings.internal_domains)


def _ms(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _fields(
    call_id: str,
    call: dict[str, Any] | None,
    parties: list[dict[str, Any]],
    settings: Settings,
) -> tuple[dict[str, str], dict[str, str]]:
    """Known note fields and metadata from a call's metaData, parties and CRM context."""
    known: dict[str, str] = {"id": call_id}
    metadata: dict[str, str] = {}
    if call is None:
        return known, metadata
    raw_meta = call.get("metaData")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    for field in _META_FIELDS:
        value = as_text(meta.get(field))
        if value:
            metadata[field] = value
    known["date"] = as_text(meta.get("started") or meta.get("scheduled"))
    known["language"] = as_text(meta.get("language"))
    side = {id(p): _side(p, settings) for p in parties}
    sellers = [p for p in parties if side[id(p)] == "seller"]
    customers = [p for p in parties if side[id(p)] == "customer"]
    primary = meta.get("primaryUserId")
    owner = [p for p in sellers if primary is not None and p.get("userId") == primary]
    rep = (owner or sellers or [{}])[0]
    if rep.get("name"):
        known["rep"] = str(rep["name"])
    if customers and customers[0].get("name"):
        known["contact"] = str(customers[0]["name"])
    crm = _crm_fields(call, parties)
    for field in ("account", "outcome"):
        if crm.get(field):
            known[field] = crm.pop(field)
    metadata.update(crm)
    return known, metadata


def _crm_fields(call: dict[str, Any], parties: list[dict[str, Any]]) -> dict[str, str]:
    """Account name and opportunity stage from the CRM `context` of the call and of its parties
    (`[{system, objects: [{objectType, objectId, fields: [{name, value}]}]}]`)."""
    found: dict[str, str] = {}
    contexts: list[Any] = list(call.get("context") or [])
    for party in parties:
        contexts += list(party.get("context") or [])
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for obj in context.get("objects") or []:
            if not isinstance(obj, dict):
                continue
            kind = str(obj.get("objectType") or "").strip().lower()
            fields = {
                str(f.get("name") or "").strip().lower(): as_text(f.get("value"))
                for f in obj.get("fields") or []
                if isinstance(f, dict)
            }
            if kind in {"account", "company"}:
                name = fields.get("name") or fields.get("account name") or fields.get("company name")
                if name:
                    found.setdefault("account", name)
            elif kind in {"opportunity", "deal"}:
                stage = fields.get("stagename") or fields.get("stage") or fields.get("dealstage")
                if not stage and fields.get("iswon") == "true":
                    stage = "Closed Won"
                elif not stage and fields.get("isclosed") == "true":
                    stage = "Closed Lost"
                if stage:
                    found.setdefault("outcome", stage)
                    found.setdefault("opportunity_stage", stage)
                if fields.get("name"):
                    found.setdefault("opportunity", fields["name"])
    return found


def _listed(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LISTED])
    return shown + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())
