"""Gong API v2 exports through `reviewer ingest`: the shared ABCD/STAR pages, CaSiNo's Markdown
notes, and bad pages made here. The shared data is read in place (`../shared/data` beside the
repository) and its tests skip where it is absent."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.ingest.gong import GongIndex, read_gong_json
from reviewer.ingest.readers import read_notes
from reviewer.ingest.timeline import sentence_times, time_at
from reviewer.objections.extract import extract_statements
from reviewer.settings import Settings
from reviewer.store import open_store

REPO = Path(__file__).resolve().parent.parent
# ../shared/data beside the clone (CI); a git worktree nested deeper finds it further up.
DATA = next(
    (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()), REPO.parent / "shared" / "data"
)
runner = CliRunner()


def _shared(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared development data sits beside the clone as ../shared/data")
    return path


def _ingest(data_dir: Path, *args: str, env: dict[str, str] | None = None):
    result = runner.invoke(
        app, ["ingest", *args, "--data-dir", str(data_dir)], env={"REVIEWER_EMBEDDINGS": "hash", **(env or {})}
    )
    return result


def _stats(data_dir: Path) -> dict:
    result = runner.invoke(
        app, ["stats", "--format", "json", "--data-dir", str(data_dir)], env={"REVIEWER_EMBEDDINGS": "hash"}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _readme_count(readme: Path, what: str) -> int:
    match = re.search(rf"^\| {re.escape(what)} \| ([\d,]+)", readme.read_text("utf-8"), re.M)
    assert match, f"{readme} has no '{what}' row"
    return int(match.group(1).replace(",", ""))


def _sides_in_pages(gong: Path) -> tuple[int, Counter[str]]:
    """(calls, sentences by party affiliation) counted from the raw pages."""
    affiliation = {}
    for page in gong.glob("calls-*.json"):
        for call in json.loads(page.read_text("utf-8"))["calls"]:
            for party in call["parties"]:
                affiliation[party["speakerId"]] = party["affiliation"]
    calls = 0
    sentences: Counter[str] = Counter()
    for page in gong.glob("transcripts-*.json"):
        for item in json.loads(page.read_text("utf-8"))["callTranscripts"]:
            calls += 1
            for monologue in item["transcript"]:
                sentences[affiliation[monologue["speakerId"]]] += len(monologue["sentences"])
    return calls, sentences


def _pii(dataset: Path) -> list[str]:
    with (dataset / "pii.csv").open(encoding="utf-8", newline="") as handle:
        return [row["value"] for row in csv.DictReader(handle)]


def _surviving(data_dir: Path, values: list[str]) -> list[str]:
    """Listed values found in the raw bytes of any file under the data dir (store, themes, caches)."""
    emails = {v.encode() for v in values if "@" in v}
    phones: dict[bytes, list[bytes]] = {}
    for value in values:
        if "@" not in value:
            phones.setdefault(re.sub(r"\D", "", value)[-4:].encode(), []).append(value.encode())
    email_re = re.compile(rb"[\w.+-]+@example\.(?:com|org|net)")
    phone_re = re.compile(rb"[0-9(][0-9() .\-]{0,8}555[ .\-]?(01[0-9]{2})")
    found: list[str] = []
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        found += [f"{path.name}: {m.decode()}" for m in set(email_re.findall(raw)) & emails]
        for match in phone_re.finditer(raw):
            found += [f"{path.name}: {v.decode()}" for v in phones.get(match.group(1), []) if v in match.group(0)]
    return found


# --- the shared exports ------------------------------------------------------------------------


def test_abcd_calls_sides_pii_and_order_ids(tmp_path: Path) -> None:
    gong = _shared("abcd", "gong")
    data = tmp_path / "data"
    result = _ingest(data, str(gong))
    assert result.exit_code == 0, result.output
    assert "1 Gong call page joined" in result.stdout and "0 skipped" in result.stdout
    calls, sentences = _sides_in_pages(gong)
    assert calls == _readme_count(gong.parent / "README.md", "calls (conversations)") == 50
    assert sum(sentences.values()) == _readme_count(gong.parent / "README.md", "sentences")
    figures = _stats(data)["by_format"]["gong"]
    assert figures["notes"] == 50
    assert figures["customer_sentences"] == sentences["External"]
    assert figures["seller_sentences"] == sentences["Internal"]
    assert figures["unknown_sentences"] == 0
    table = runner.invoke(app, ["stats", "--data-dir", str(data)], env={"REVIEWER_EMBEDDINGS": "hash"}).stdout
    assert re.search(rf"format gong +50 notes; sentences: customer {sentences['External']}, seller ", table), table
    assert (data / "themes").is_dir()
    assert _surviving(data, _pii(gong.parent)) == []
    # Order ids are long digit runs, not phones: every one that is not listed as PII is kept.
    listed = _pii(gong.parent)
    raw = "".join(p.read_text("utf-8") for p in gong.glob("transcripts-*.json"))
    order_ids = {m for m in re.findall(r"(?<![\d\-.()])\d{10,11}(?![\d\-])", raw) if not any(m in v for v in listed)}
    assert len(order_ids) >= 10
    stored = "\n".join(n.text for n in open_store(Settings(data_dir=data, embeddings="hash")).iter_notes())
    assert sorted(i for i in order_ids if i not in stored) == []


@pytest.fixture(scope="module")
def star_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The 3,000 STAR calls ingested once, themes included, for the tests below."""
    gong = _shared("star", "gong")
    data = tmp_path_factory.mktemp("star") / "data"
    return data, _ingest(data, str(gong))


def test_star_calls_and_sides_match_the_pages(star_store) -> None:
    data, result = star_store
    gong = DATA / "star" / "gong"
    assert result.exit_code == 0, result.output
    assert "30 files ingested (3000 notes" in result.stdout and "30 Gong call pages joined" in result.stdout
    calls, sentences = _sides_in_pages(gong)
    assert calls == _readme_count(gong.parent / "README.md", "calls (conversations)") == 3000
    figures = _stats(data)["by_format"]["gong"]
    assert figures["notes"] == calls
    assert figures["customer_sentences"] == sentences["External"]
    assert figures["seller_sentences"] == sentences["Internal"]
    assert figures["customer_sentences"] + figures["seller_sentences"] == _readme_count(
        gong.parent / "README.md", "sentences"
    )


def test_star_no_listed_pii_survives_anywhere_in_the_data_dir(star_store) -> None:
    data, _ = star_store
    values = _pii(DATA / "star")
    assert len(values) == 1171
    assert (data / "themes").is_dir() and any((data / "themes").iterdir())
    assert _surviving(data, values) == []


def test_star_sentence_times_are_kept_and_point_at_their_text(star_store) -> None:
    data, _ = star_store
    page = json.loads((DATA / "star" / "gong" / "transcripts-0001.json").read_text("utf-8"))
    item = page["callTranscripts"][0]
    note = open_store(Settings(data_dir=data, embeddings="hash")).get_notes([item["callId"]])[item["callId"]]
    raw = [s for m in item["transcript"] for s in m["sentences"]]
    timed = sentence_times(note)
    assert [(e[2], e[3]) for e in timed] == [(s["start"], s["end"]) for s in raw]
    for (start, end, _, _), sentence in zip(timed, raw, strict=True):
        if "@" not in sentence["text"] and "555" not in sentence["text"]:
            assert note.text[start:end] == " ".join(sentence["text"].split())
    last = raw[-1]
    assert time_at(note, timed[-1][0]) == last["start"]


def test_star_unchanged_pages_cost_nothing_on_a_second_ingest(star_store) -> None:
    data, _ = star_store
    again = _ingest(data, str(DATA / "star" / "gong"), "--no-themes")
    assert again.exit_code == 0, again.output
    assert "0 files ingested" in again.stdout and "30 unchanged" in again.stdout


def test_casino_notes_read_with_their_front_matter_and_deal_lines_apart() -> None:
    notes = _shared("casino", "notes")
    files = sorted(notes.glob("*.md"))
    assert len(files) == _readme_count(notes.parent / "README.md", "notes (conversations)")
    roles: Counter[str] = Counter()
    for path in files:
        [note] = read_notes(path, Settings())
        assert note.note_id == path.stem and note.date and note.rep and note.outcome in {"won", "lost"}
        roles.update(turn.role for turn in note.turns)
        assert all(not re.search(r"^\*[^*]+\*$", turn.text, re.M) for turn in note.turns)
        assert note.text.startswith(("Rep:", "Prospect:"))  # role labels are not names to redact
    assert roles == {"seller": 5951, "customer": 5968}  # README: speech turns (Rep / Prospect)


@pytest.mark.slow
def test_casino_notes_ingest_through_the_cli(tmp_path: Path) -> None:
    """1,030 one-note files: about two minutes on 2 cores, spent in Chroma's per-file upserts."""
    notes = _shared("casino", "notes")
    data = tmp_path / "data"
    result = _ingest(data, str(notes), "--no-themes")
    assert result.exit_code == 0, result.output
    readme = notes.parent / "README.md"
    assert f"({_readme_count(readme, 'notes (conversations)')} notes" in result.stdout
    store = open_store(Settings(data_dir=data, embeddings="hash"))
    roles: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for note in store.iter_notes():
        outcomes[note.outcome or "none"] += 1
        assert note.account and note.account.startswith("Account ") and note.segment
        for turn in note.turns:
            roles[turn.role] += 1
            # Deal lines are the chat's events, not anybody's words.
            assert not re.search(r"^\*[^*]+\*$", turn.text, re.M), turn.text
    assert roles == {"seller": 5951, "customer": 5968}  # README: speech turns (Rep / Prospect)
    assert outcomes == {"won": 1005, "lost": 25}
    figures = _stats(data)["by_format"]["markdown"]
    assert figures["notes"] == 1030 and figures["customer_sentences"] > 0 and figures["seller_sentences"] > 0


# --- pages made here -----------------------------------------------------------------------------


def _party(speaker: str, name: str, email: str, affiliation: str, **extra: object) -> dict:
    return {"speakerId": speaker, "name": name, "emailAddress": email, "affiliation": affiliation, **extra}


def _call(call_id: str, parties: list[dict], **extra: object) -> dict:
    meta = {"id": call_id, "title": f"Call {call_id}", "started": "2024-03-05T10:00:00+01:00", "language": "eng"}
    return {"metaData": meta, "parties": parties, **extra}


def _monologue(speaker: str, *sentences: str, at: int = 0) -> dict:
    return {
        "speakerId": speaker,
        "topic": None,
        "sentences": [{"start": at + 1000 * i, "end": at + 1000 * i + 900, "text": t} for i, t in enumerate(sentences)],
    }


def _write(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _export(folder: Path) -> None:
    """Two good calls on one transcript page, their metadata split over two call pages."""
    seller = _party("s1", "Jana Weber", "jana@acme.example", "Internal", userId="u1")
    buyer = _party("c1", "Olaf Berg", "olaf@kunde.example", "External")
    context = [
        {
            "system": "Salesforce",
            "objects": [
                {"objectType": "Account", "objectId": "a1", "fields": [{"name": "Name", "value": "Kunde GmbH"}]},
                {
                    "objectType": "Opportunity",
                    "objectId": "o1",
                    "fields": [{"name": "StageName", "value": "Closed Lost"}],
                },
            ],
        }
    ]
    call_a = _call("100", [seller, buyer], context=context)
    call_a["metaData"]["primaryUserId"] = "u1"
    call_b = _call("200", [seller, buyer])
    _write(folder, "calls-0002.json", {"records": {"totalRecords": 2}, "calls": [call_b]})
    _write(folder, "calls-0001.json", {"records": {"totalRecords": 2}, "calls": [call_a]})
    transcripts = [
        {
            "callId": "100",
            "transcript": [
                _monologue("s1", "Hi Olaf, thanks for joining.", "How is the rollout going?"),
                _monologue(
                    "c1",
                    "Honestly, the price is too high compared with Payzio.",
                    "Mail me at olaf@kunde.example.",
                    at=5000,
                ),
                _monologue("s1", "Jana here: I will send a proposal.", at=9000),
            ],
        },
        {
            "callId": "200",
            "transcript": [_monologue("c1", "We worry the onboarding takes months."), _monologue("s1", "Ok.")],
        },
    ]
    _write(folder, "transcripts-0001.json", {"records": {"totalRecords": 2}, "callTranscripts": transcripts})


def test_a_gong_export_joins_pages_and_keeps_crm_context(tmp_path: Path) -> None:
    folder = tmp_path / "gong"
    _export(folder)
    data = tmp_path / "data"
    result = _ingest(data, str(folder), "--no-themes")
    assert result.exit_code == 0, result.output
    assert "1 file ingested (2 notes" in result.stdout and "2 Gong call pages joined" in result.stdout
    store = open_store(Settings(data_dir=data, embeddings="hash"))
    note = store.get_notes(["100"])["100"]
    assert note.source == "gong" and note.account == "Kunde GmbH" and note.outcome == "lost"
    assert note.date == "2024-03-05" and note.language == "en" and note.rep == "Jana Weber"
    assert [t.role for t in note.turns] == ["seller", "customer", "seller"]
    stored = json.dumps(store.notes.get(include=["documents", "metadatas"]))
    assert "Olaf" not in stored and "Berg" not in stored and "olaf@" not in stored
    assert "Jana" not in note.text  # the rep field is kept, the name in the text is not
    quote = "the price is too high compared with Payzio."
    assert time_at(note, note.text.index(quote)) == 5000
    assert time_at(note, note.text.index("Mail me")) == 6000
    # Offsets still point at each sentence after redaction shortened or lengthened the text.
    spans = [note.text[a:b] for a, b, _, _ in sentence_times(note)]
    assert spans[3] == "Mail me at [EMAIL]." and spans[4] == "[NAME] here: I will send a proposal."
    assert time_at(note, note.text.index("proposal")) == 9000


def test_bad_pages_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "gong"
    _export(folder)
    good = (folder / "transcripts-0001.json").read_text("utf-8")
    (folder / "transcripts-0002.json").write_text(good[: len(good) // 2], encoding="utf-8")
    _write(folder, "transcripts-0003.json", {"callTranscripts": [{"callId": "100", "transcript": [_monologue("s1")]}]})
    _write(
        folder,
        "transcripts-0004.json",
        {"callTranscripts": [{"callId": "200", "transcript": [_monologue("x9", "Hello there.")]}]},
    )
    _write(
        folder,
        "transcripts-0005.json",
        {"callTranscripts": [{"callId": "300", "transcript": [_monologue("q", "Who am I?")]}]},
    )
    _write(folder, "users.json", {"users": []})
    (folder / "recording.mp4").write_bytes(b"\x00\x00\x00 ftypisom")
    data = tmp_path / "data"
    result = _ingest(data, str(folder), "--no-themes")
    assert result.exit_code == 2, result.output
    assert "2 files ingested (3 notes" in result.stdout and "5 skipped" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last == "exit 2: 5 files could not be read (see above); the rest is ingested"
    for name, reason in [
        ("transcripts-0002.json", "invalid or truncated JSON"),
        ("transcripts-0003.json", "call 100: the transcript has no sentences"),
        ("transcripts-0004.json", "call 200: unknown speakerId x9"),
        ("users.json", "neither a Gong API page"),
        ("recording.mp4", "file type .mp4 is not read"),
    ]:
        assert re.search(rf"{re.escape(name)}: .*{re.escape(reason)}", result.stderr), result.stderr
    # The transcript whose call metadata is missing still ingests, and the summary says so.
    assert re.search(r"transcripts-0005.json: 1 calls without call metadata .*300", result.stderr), result.stderr
    assert open_store(Settings(data_dir=data, embeddings="hash")).get_notes(["300"])["300"].turns[0].role == "unknown"


def test_nothing_but_bad_pages_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "gong"
    folder.mkdir()
    (folder / "transcripts-0001.json").write_text('{"callTranscripts": [', encoding="utf-8")
    result = _ingest(tmp_path / "data", str(folder))
    assert result.exit_code == 2
    assert "transcripts-0001.json: invalid or truncated JSON" in result.stderr


def _unknown_party_export(folder: Path) -> Path:
    guest = _party("g1", "Pat Doe", "pat@acme.example", "Unknown")
    buyer = _party("c1", "Olaf Berg", "olaf@kunde.example", "External")
    _write(folder, "calls-0001.json", {"calls": [_call("700", [guest, buyer])]})
    objection = "Honestly, your price is far too expensive compared with Payzio."
    return _write(
        folder,
        "transcripts-0001.json",
        {"callTranscripts": [{"callId": "700", "transcript": [_monologue("g1", objection), _monologue("c1", "Hi.")]}]},
    )


def test_unknown_affiliation_is_decided_by_internal_domains(tmp_path: Path) -> None:
    page = _unknown_party_export(tmp_path / "gong")
    [note], _ = read_gong_json(page, Settings(internal_domains=["acme.example"]))
    assert [t.role for t in note.turns] == ["seller", "customer"]
    [note], _ = read_gong_json(page, Settings(internal_domains=["sales.other.example", "ACME.example"]))
    assert note.turns[0].role == "seller"


def test_undecided_parties_are_reported_and_kept_out_of_objections(tmp_path: Path) -> None:
    page = _unknown_party_export(tmp_path / "gong")
    [note], warnings = read_gong_json(page, Settings())
    assert note.turns[0].role == "unknown"
    assert any("call 700" in w and "kept out of objections" in w for w in warnings)
    assert not any("Payzio" in s.text for s in extract_statements(note))
    result = _ingest(tmp_path / "data", str(page.parent), "--no-themes")
    assert result.exit_code == 0 and "kept out of objections" in result.stderr


def test_the_index_tells_call_pages_from_transcript_pages(tmp_path: Path) -> None:
    folder = tmp_path / "gong"
    _export(folder)
    index = GongIndex.scan(folder.glob("*.json"))
    assert set(index.calls) == {"100", "200"}
    assert index.is_call_page(folder / "calls-0001.json") and not index.is_call_page(folder / "transcripts-0001.json")
    assert index.warnings == []


def test_a_flat_calls_list_gives_fields_but_no_sides(tmp_path: Path) -> None:
    folder = tmp_path / "gong"
    flat = {"id": "900", "title": "Intro", "started": "2024-05-02T09:00:00Z", "language": "deu"}
    _write(folder, "calls.json", {"records": {"totalRecords": 1}, "calls": [flat]})
    page = _write(
        folder,
        "transcripts.json",
        {"callTranscripts": [{"callId": "900", "transcript": [_monologue("a", "Hallo."), _monologue("b", "Hi.")]}]},
    )
    [note], warnings = read_gong_json(page, Settings())
    assert note.date == "2024-05-02" and note.language == "de" and note.metadata["title"] == "Intro"
    assert [t.role for t in note.turns] == ["unknown", "unknown"]
    assert [t.speaker for t in note.turns] == ["Speaker 1", "Speaker 2"]
