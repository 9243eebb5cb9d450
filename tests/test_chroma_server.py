"""A real Chroma server under load: `chroma run` on 127.0.0.1, with `reviewer` processes against it.

Ingest and batch run at once in two processes; an ingest SIGKILLed in the middle of a file, then run
again, leaves exactly the notes and chunks a clean ingest leaves (ids, texts and counts compared).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.settings import Settings
from tests.demo import CORPUS_DIR, DEMO_GUIDELINES, DEMO_SETTINGS, DEMO_TAXONOMY

REPO = Path(__file__).resolve().parent.parent
BIG_NOTES = 300  # one JSONL file large enough that its upserts take a while on the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chroma_command() -> str | None:
    """The `chroma` executable: on PATH, else beside this Python (a venv not activated); None without one."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    return chroma if Path(chroma).exists() else None


class ChromaServer:
    def __init__(self, root: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        chroma = chroma_command()
        if chroma is None:
            raise FileNotFoundError("the chroma command is not installed")
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(root), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )

    def client(self):  # noqa: ANN201 - chromadb's client type
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        return chromadb.HttpClient(
            host="127.0.0.1", port=self.port, settings=ChromaSettings(anonymized_telemetry=False)
        )

    def wait(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.client().heartbeat()
                return
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.3)

    def reset(self) -> None:
        client = self.client()
        for collection in client.list_collections():
            client.delete_collection(collection.name)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve_chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A module's `chroma run` on loopback, stopped after its tests; skips where chroma is absent."""
    if chroma_command() is None:
        pytest.skip("the chroma command is not installed")
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    yield from serve_chroma(tmp_path_factory)


@pytest.fixture
def server(chroma_server: ChromaServer) -> ChromaServer:
    chroma_server.reset()  # each test starts from an empty server
    return chroma_server


def reviewer(*args: str, data: Path, url: str, **popen: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env.update(PYTHONPATH=str(REPO), REVIEWER_DATA_DIR=str(data), REVIEWER_CHROMA_URL=url)
    env.update(REVIEWER_TAXONOMY=str(DEMO_TAXONOMY), REVIEWER_GUIDELINES=str(DEMO_GUIDELINES))
    return subprocess.Popen(
        [sys.executable, "-m", "reviewer", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,  # type: ignore[arg-type]
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


def write_big_notes(folder: Path) -> Path:
    """Our own synthetic call notes: one JSONL file of BIG_NOTES short calls."""
    folder.mkdir(parents=True, exist_ok=True)
    worries = [
        "the price per seat is too high next to the tool we use now",
        "our security team will ask where the data is hosted",
        "the last rollout took months and nobody wants that again",
        "we are not sure the ERP sync copes with our volume",
    ]
    path = folder / "b_calls.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(BIG_NOTES):
            text = f"Rep: How did the team react?\nCustomer: Honestly, {worries[i % 4]}. (call {i})\nRep: Noted."
            record = {"id": f"LOAD-{i:05d}", "date": "2026-03-02", "outcome": ["won", "lost"][i % 2], "text": text}
            handle.write(json.dumps(record) + "\n")
    first = sorted((CORPUS_DIR / "notes" / "markdown").glob("*.md"))[0]
    shutil.copy(first, folder / "a_first.md")
    return path


def contents(client, name: str) -> dict[str, str]:  # noqa: ANN001
    collection = client.get_collection(name, embedding_function=None)
    got = collection.get(include=["documents"])
    return dict(zip(got["ids"], got["documents"]))


def test_ingest_and_batch_at_once_against_one_server(server: ChromaServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = finish(reviewer("ingest", str(CORPUS_DIR / "notes"), data=data, url=server.url))
    assert first[0] == 0, first[2]
    more = tmp_path / "more"
    write_big_notes(more)
    out = tmp_path / "reviews"
    ingest = reviewer("ingest", str(more), data=data, url=server.url)
    batch = reviewer(
        "batch", str(CORPUS_DIR / "drafts"), "--out", str(out), "--fail-on", "never", data=data, url=server.url
    )
    ingest_rc, ingest_out, ingest_err = finish(ingest)
    batch_rc, batch_out, batch_err = finish(batch)
    assert ingest_rc == 0, ingest_err
    assert batch_rc == 0, batch_err
    assert "0 failed" in batch_out, batch_err
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert {row["status"] for row in summary["drafts"]} == {"reviewed"} and len(summary["drafts"]) == 7
    notes = contents(server.client(), "call_notes")
    assert sum(note_id.startswith("LOAD-") for note_id in notes) == BIG_NOTES and len(notes) >= BIG_NOTES + 90


def test_sigkill_mid_file_then_rerun_leaves_what_a_clean_ingest_leaves(server: ChromaServer, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    big = write_big_notes(folder)
    client = server.client()
    data = tmp_path / "data"
    ingest = reviewer("ingest", str(folder), "--no-themes", data=data, url=server.url)
    source = str(big.resolve())
    killed_mid_file = False
    deadline = time.monotonic() + 240
    while ingest.poll() is None and time.monotonic() < deadline:
        try:
            chunks = client.get_collection("call_chunks", embedding_function=None)
            notes = client.get_collection("call_notes", embedding_function=None)
            has_chunks = bool(chunks.get(where={"source_path": source}, limit=1, include=[])["ids"])
            has_all_notes = len(notes.get(where={"source_path": source}, include=[])["ids"]) == BIG_NOTES
        except Exception:  # the collections do not exist yet
            has_chunks = has_all_notes = False
        if has_chunks and not has_all_notes:
            ingest.send_signal(signal.SIGKILL)
            killed_mid_file = True
            break
        time.sleep(0.02)
    finish(ingest)
    assert killed_mid_file, "the ingest finished before it could be killed in the middle of the big file"
    stored_notes = contents(client, "call_notes")
    assert sum(i.startswith("LOAD-") for i in stored_notes) < BIG_NOTES  # the kill really cut the file

    rerun = finish(reviewer("ingest", str(folder), "--no-themes", data=data, url=server.url))
    assert rerun[0] == 0, rerun[2]
    after_notes, after_chunks = contents(client, "call_notes"), contents(client, "call_chunks")
    version = client.get_collection("call_notes", embedding_function=None).metadata
    assert "writing" not in (version or {})  # the rerun recorded its version

    from reviewer.ingest.pipeline import ingest_paths
    from reviewer.store import open_store

    clean = Settings(data_dir=tmp_path / "clean", **DEMO_SETTINGS)
    ingest_paths([folder], clean)
    store = open_store(clean)
    clean_notes, clean_chunks = contents(store.client, "call_notes"), contents(store.client, "call_chunks")
    assert len(after_notes) == len(clean_notes) and len(after_chunks) == len(clean_chunks)
    assert after_notes == clean_notes
    assert after_chunks == clean_chunks
