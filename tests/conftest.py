"""Shared fixtures: an isolated environment per test and a demo store built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.settings import Settings
from tests.demo import CORPUS_DIR, DEMO_SETTINGS
from tests.fakes import block_real_providers, fake_llm, fake_openai_server, llm_settings  # noqa: F401
from tests.pg_server import PostgresServer, postgres_server_fixture

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """No test reads the developer's REVIEWER_* variables or writes outside its tmp dir."""
    for key in list(os.environ):
        if key.startswith("REVIEWER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    if "demo_settings" in request.fixturenames:
        # Commands run on the demo store get the demo's taxonomy and rules, as `make demo` passes them.
        monkeypatch.setenv("REVIEWER_TAXONOMY", str(DEMO_SETTINGS["taxonomy"]))
        monkeypatch.setenv("REVIEWER_GUIDELINES", str(DEMO_SETTINGS["guidelines"]))


@pytest.fixture(autouse=True)
def _no_real_providers(request: pytest.FixtureRequest) -> None:
    """Every test fails if it tries to reach anything but loopback."""
    request.getfixturevalue("block_real_providers")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data dir with the model-free hash embedder (fast, deterministic)."""
    return Settings(data_dir=tmp_path / "data", embeddings="hash")


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo corpus ingested once, with the default (static) embeddings and its own taxonomy and rules."""
    from reviewer.ingest.pipeline import ingest_paths

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    demo = Settings(data_dir=data_dir, **DEMO_SETTINGS)
    report = ingest_paths([CORPUS_DIR / "notes"], demo)
    assert report.files_ingested > 0, report.skipped
    return demo


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL on 127.0.0.1, started once when a test first asks for it (skips without one)."""
    yield from postgres_server_fixture()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the test server."""
    return postgres_server.create_database()
