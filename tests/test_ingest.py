"""Ingest into the store: idempotency, changes, pruning, bad files, redaction, the writer lock, server mode."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.errors import StoreError
from reviewer.ingest.pipeline import ingest_paths
from reviewer.settings import Settings
from reviewer.store import open_store, writer_lock
from tests.demo import CORPUS_DIR
from tests.test_chroma_server import chroma_command

runner = CliRunner()
NOTE = """---
id: N-1
outcome: lost
rep: Jana Weber
contact: Oskar Lindqvist
---
Rep: Hi Oskar, thanks for joining.
Prospect: Sure. Honestly, the price is too expensive compared with Payzio. Mail me at oskar.lindqvist@example.com
or call +49 30 1234567 if you can do better, Oskar is always reachable.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_second_ingest_of_unchanged_files_changes_nothing(settings, tmp_path) -> None:
    notes = tmp_path / "notes"
    _write(notes, "a.md", NOTE)
    first = ingest_paths([notes], settings)
    assert (first.files_ingested, first.notes) == (1, 1)
    version = open_store(settings).corpus_version
    second = ingest_paths([notes], settings)
    assert (second.files_ingested, second.files_unchanged, second.notes) == (0, 1, 0)
    assert open_store(settings).corpus_version == version


def test_changed_file_replaces_its_chunks_and_prune_removes_gone_files(settings, tmp_path) -> None:
    notes = tmp_path / "notes"
    path = _write(notes, "a.md", NOTE)
    _write(notes, "b.md", NOTE.replace("N-1", "N-2"))
    ingest_paths([notes], settings)
    store = open_store(settings)
    before = store.chunks.count()
    path.write_text(NOTE.replace("too expensive compared with Payzio", "fine"), encoding="utf-8")
    report = ingest_paths([notes], settings)
    assert report.files_ingested == 1 and report.files_unchanged == 1
    texts = store.get_notes(["N-1"])["N-1"].text
    assert "Payzio" not in texts and store.chunks.count() == before
    (notes / "b.md").unlink()
    assert ingest_paths([notes], settings).pruned_files == 0  # without --prune nothing is removed
    pruned = ingest_paths([notes], settings, prune=True)
    assert pruned.pruned_files == 1
    assert set(store.get_notes(["N-1", "N-2"])) == {"N-1"}


def test_no_email_or_phone_survives_in_the_store(settings, tmp_path) -> None:
    ingest_paths([_write(tmp_path / "notes", "a.md", NOTE)], settings)
    store = open_store(settings)
    stored = json.dumps(store.notes.get(include=["documents", "metadatas"])) + json.dumps(
        store.chunks.get(include=["documents", "metadatas"])
    )
    assert "@example.com" not in stored and "1234567" not in stored
    assert "Oskar" not in stored and "Lindqvist" not in stored
    assert "[EMAIL]" in stored and "[PHONE]" in stored and "[NAME]" in stored


def test_bad_files_are_skipped_with_a_reason_and_the_rest_goes_on(tmp_path) -> None:
    notes = tmp_path / "notes"
    _write(notes, "good.md", NOTE)
    _write(notes, "empty.md", "")
    _write(notes, "broken.csv", 'id,notes\n1,"unterminated\n')
    _write(notes, "nocolumn.csv", "id,colour\n1,blue\n")
    (notes / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    result = runner.invoke(app, ["ingest", str(notes), "--data-dir", str(tmp_path / "data")], catch_exceptions=False)
    assert result.exit_code == 2, result.output  # not everything was read, as `review` says of a bad draft
    assert "1 file ingested" in result.stdout and "4 skipped" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("exit 2: 4 files could not be read")
    again = runner.invoke(app, ["ingest", str(notes / "good.md"), "--data-dir", str(tmp_path / "data")])
    assert again.exit_code == 0 and "1 unchanged" in again.stdout  # the good file was kept
    for name, reason in [
        ("empty.md", "empty"),
        ("broken.csv", "CSV"),
        ("nocolumn.csv", "no text column"),
        ("binary.txt", "binary"),
    ]:
        assert re.search(rf"{name}: .*{reason}", result.stderr), result.stderr


def test_nothing_ingestable_exits_2(tmp_path) -> None:
    _write(tmp_path / "notes", "empty.md", "")
    result = runner.invoke(app, ["ingest", str(tmp_path / "notes"), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "data")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_store_refuses_another_embedding_model(settings, tmp_path) -> None:
    ingest_paths([_write(tmp_path / "notes", "a.md", NOTE)], settings)
    other = settings.model_copy(update={"embeddings": "static"})
    with pytest.raises(StoreError, match="built with the embedding model 'hash-512'"):
        open_store(other)


def test_second_writer_waits_then_gives_up_clearly(settings, tmp_path) -> None:
    impatient = settings.model_copy(update={"lock_timeout": 0.3})
    with writer_lock(settings):
        started = time.monotonic()
        with pytest.raises(StoreError, match="another process is writing"):
            ingest_paths([_write(tmp_path / "notes", "a.md", NOTE)], impatient)
        assert time.monotonic() - started >= 0.3
    assert ingest_paths([tmp_path / "notes"], impatient).files_ingested == 1  # the lock is free again


def test_second_writer_process_exits_2_with_a_message(settings, tmp_path) -> None:
    notes = tmp_path / "notes"
    _write(notes, "a.md", NOTE)
    env = {
        **os.environ,
        "REVIEWER_DATA_DIR": str(settings.data_dir),
        "REVIEWER_EMBEDDINGS": "hash",
        "REVIEWER_LOCK_TIMEOUT": "0.5",
    }
    with writer_lock(settings):
        done = subprocess.run(
            [sys.executable, "-m", "reviewer", "ingest", str(notes)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert "another process is writing" in done.stderr


def test_stats_show_what_the_store_holds(demo_settings) -> None:
    result = runner.invoke(
        app, ["stats", "--format", "json", "--data-dir", str(demo_settings.data_dir)], catch_exceptions=False
    )
    figures = json.loads(result.stdout)
    assert figures["notes"] >= 80 and figures["chunks"] >= figures["notes"]
    assert {"csv", "markdown", "jsonl", "vtt", "srt"} <= set(figures["by_source"])
    assert figures["by_language"]["de"] >= 0.2 * figures["notes"]
    assert {"won", "lost", "open"} <= set(figures["by_outcome"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_server_mode_against_chroma_run(tmp_path) -> None:
    chroma = chroma_command()
    if chroma is None:
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        settings = Settings(data_dir=tmp_path / "data", embeddings="hash", chroma_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                open_store(settings)
                break
            except StoreError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        notes = CORPUS_DIR / "notes" / "markdown"
        first = ingest_paths([notes], settings)
        assert first.notes > 10
        assert ingest_paths([notes], settings).files_unchanged == first.files_ingested
        assert open_store(settings).stats()["notes"] == first.notes
        assert not (tmp_path / "data" / "chroma").exists()  # nothing was written to an embedded store
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_local_embedder_is_safe_to_share_between_threads(demo_settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reviewer.embeddings import get_embedder

    embedder = get_embedder(demo_settings)
    texts = [f"invoice number {i} is too expensive compared with Payzio" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: embedder.embed(texts[i:] + texts[:i]), range(32)))
    assert all(r.shape == (200, results[0].shape[1]) for r in results)


def test_a_feedback_folder_inside_the_notes_is_imported_as_flags_not_notes(tmp_path) -> None:
    from reviewer.feedback import open_flags

    notes = tmp_path / "notes"
    _write(notes, "a.md", NOTE)
    _write(notes / "feedback", "flags.csv", "kind,text,draft\nmissed,Customers ask whether it runs on-prem,x.md\n")
    data = tmp_path / "data"
    result = runner.invoke(app, ["ingest", str(notes), "--data-dir", str(data), "--no-themes"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 file ingested (1 note" in result.stdout
    flags = open_flags(Settings(data_dir=data)).list()
    assert [f.text for f in flags] == ["Customers ask whether it runs on-prem"]


def test_a_providers_embedding_model_through_litellm(tmp_path, fake_openai_server, llm_settings) -> None:
    settings = llm_settings.model_copy(
        update={"data_dir": tmp_path / "data", "embeddings": "litellm/openai/fake-embed"}
    )
    report = ingest_paths([_write(tmp_path / "notes", "a.md", NOTE)], settings)
    assert report.notes == 1
    assert fake_openai_server.embedding_requests, "the chunks were embedded by the provider"
    assert all(r["model"] == "fake-embed" for r in fake_openai_server.embedding_requests)
    assert open_store(settings).embedding_model == "litellm/openai/fake-embed"
    for request in fake_openai_server.embedding_requests:
        assert "@example.com" not in json.dumps(request)  # redacted before it left the machine


def test_chunks_are_retrievable_by_meaning(settings, tmp_path) -> None:
    from reviewer.embeddings import get_embedder

    ingest_paths([_write(tmp_path / "notes", "a.md", NOTE)], settings)
    query = get_embedder(settings).embed(["the price is too expensive compared with Payzio"])
    [hits] = open_store(settings).query_chunks(query, n_results=1)
    chunk, similarity = hits[0]
    assert chunk.note_id == "N-1" and "Payzio" in chunk.text and similarity > 0.3
    assert open_store(settings).get_notes(["N-1"])["N-1"].text[chunk.start : chunk.end] == chunk.text


def test_a_folder_of_one_file_per_call_is_written_in_a_few_batches(settings, tmp_path, monkeypatch) -> None:
    from chromadb.api.models.Collection import Collection

    writes: list[int] = []
    upsert = Collection.upsert

    def counting_upsert(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        writes.append(len(kwargs["ids"]))
        return upsert(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", counting_upsert)
    notes = tmp_path / "notes"
    for i in range(60):
        _write(notes, f"call-{i:03}.md", NOTE.replace("N-1", f"N-{i}"))
    report = ingest_paths([notes], settings)
    assert (report.files_ingested, report.notes) == (60, 60)
    assert len(writes) == 2 and writes[1] == 60  # one write of all chunks, one of all notes
    # A second run finds all 60 digests with one lookup and writes nothing.
    writes.clear()
    again = ingest_paths([notes], settings)
    assert (again.files_unchanged, writes) == (60, [])
    # Two changed files and a new one go in one batch that replaces the old records.
    _write(notes, "call-000.md", NOTE.replace("N-1", "N-0").replace("Payzio", "Ledgermate"))
    _write(notes, "call-001.md", NOTE.replace("N-1", "N-1b"))
    _write(notes, "call-999.md", NOTE.replace("N-1", "N-999"))
    changed = ingest_paths([notes], settings)
    assert (changed.files_ingested, changed.files_unchanged) == (3, 58)
    store = open_store(settings)
    assert store.notes.count() == 61 and "Ledgermate" in store.get_notes(["N-0"])["N-0"].text
    assert not store.get_notes(["N-1"]) and store.get_notes(["N-1b"])


def test_a_later_file_reusing_a_note_id_overwrites_it_as_before(settings, tmp_path) -> None:
    notes = tmp_path / "notes"
    _write(notes, "a.md", NOTE)
    _write(notes, "b.md", NOTE.replace("Payzio", "Billvo"))  # same id N-1
    report = ingest_paths([notes], settings)
    assert report.files_ingested == 2
    note = open_store(settings).get_notes(["N-1"])["N-1"]
    assert "Billvo" in note.text and note.source_path.endswith("b.md")
