"""A real PostgreSQL server for tests: Debian's binaries, a temporary cluster on 127.0.0.1, stopped after.

`initdb` refuses to run as root (CI runs as root), so the cluster is owned by, and the server runs
as, the unprivileged `postgres` user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "reviewer"


def _binaries() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` that has initdb and pg_ctl."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return next((p for p in reversed(found) if (p / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster in a temporary folder; `url(db)` for a database in it, `create_database()` for a fresh one."""

    def __init__(self, binaries: Path, run_as: str | None) -> None:
        self.binaries = binaries
        self.run_as = run_as
        self.root = Path(tempfile.mkdtemp(prefix="reviewer-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.binaries / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresServer:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        init = self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        if started.returncode:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr or started.stdout}\n{log[-2000:]}")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Unavailable(Exception):
    """No PostgreSQL server can be started on this machine; the message says why."""


def locate() -> tuple[Path, str | None]:
    """The binaries to start a server with and the user to run it as (None: this one); Unavailable
    where neither works here. The tests skip, and benchmarks/batch_workers.py stops, on its reason."""
    binaries = _binaries()
    if binaries is None:
        raise Unavailable(
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (make test installs postgresql)"
        )
    if os.geteuid() != 0:
        return binaries, None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' user to run the server as") from None
    if shutil.which("runuser") is None:
        raise Unavailable("running as root and runuser is missing, so the server cannot drop privileges")
    return binaries, "postgres"


def postgres_server_fixture() -> Iterator[PostgresServer]:
    """Start the server, or skip with the reason it cannot be started here."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (the dev extra brings it)")
    try:
        binaries, run_as = locate()
    except Unavailable as exc:
        pytest.skip(str(exc))
    server = PostgresServer(binaries, run_as).start()
    try:
        yield server
    finally:
        server.stop()
