"""The SQL seam: SQLite files under the data dir, or Postgres when `REVIEWER_DATABASE_URL` is set.

One connection (SQLite) or one pool (Postgres) per database per process, shared by every thread
of the screen, a batch and the watcher. Schema changes run in one transaction under a lock
(`BEGIN IMMEDIATE` in SQLite, an advisory lock in Postgres), so processes starting together on a
fresh database cannot race.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reviewer.errors import ConfigError, StoreError
from reviewer.settings import Settings

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
# Seconds a connection waits for another process's write (SQLite) or for a pooled connection (Postgres).
WAIT_SECONDS = 30.0
POOL_SIZE = 8  # Postgres connections per process: the batch's threads, the checkpointer, a migration


def postgres_url(settings: Settings) -> str | None:
    """The Postgres URL of these settings in the form psycopg takes, or None for SQLite in the data dir."""
    url = (settings.database_url or "").strip()
    if not url:
        return None
    if not url.startswith(_POSTGRES_SCHEMES):
        raise ConfigError(
            "REVIEWER_DATABASE_URL", f"{_safe(url)} is not a postgresql:// URL; unset it to use SQLite in the data dir"
        )
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise StoreError(
            "REVIEWER_DATABASE_URL is a Postgres URL but psycopg is not installed "
            "(pip install 'collateral-reviewer[postgres]'), or unset it to keep flags in SQLite"
        ) from exc
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Database:
    """A database shared by the threads of this process; `transaction()` hands out a cursor-like object.

    SQL uses `?` placeholders and rows are read by column name, in both backends.
    """

    def __init__(self, location: str, *, postgres: bool) -> None:
        self.postgres = postgres
        self.location = location
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pool: Any = None
        self._file_id: tuple[int, int] | None = None
        self._migrated: set[str] = set()
        if postgres:
            self._pool = _open_pool(location)
        else:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
            try:
                # Autocommit mode: transactions are begun explicitly, IMMEDIATE where they write.
                self._connection = sqlite3.connect(
                    location, timeout=WAIT_SECONDS, check_same_thread=False, isolation_level=None
                )
                self._connection.row_factory = sqlite3.Row
                self._connection.execute(f"PRAGMA busy_timeout={int(WAIT_SECONDS * 1000)}")
                self._connection.execute("PRAGMA journal_mode=WAL")
                stat = os.stat(location)
            except OSError as exc:
                raise StoreError(f"cannot open the database {location}: {exc.strerror or exc}") from exc
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the database {location}: {exc}") from exc
            self._file_id = (stat.st_dev, stat.st_ino)

    @property
    def pool(self) -> Any:
        """The psycopg pool (Postgres only): for LangGraph's Postgres saver."""
        return self._pool

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (SQLite only, autocommit): for LangGraph's SQLite saver."""
        assert self._connection is not None, "a Postgres database has no SQLite connection"
        return self._connection

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Any]:
        """A transaction: committed on success, rolled back on error."""
        if self._pool is not None:
            import psycopg

            try:
                with self._pool.connection(timeout=WAIT_SECONDS) as connection, connection.transaction():
                    yield _PgCursor(connection)
            except psycopg.Error as exc:
                raise StoreError(f"database {_safe(self.location)}: {exc}") from exc
            return
        assert self._connection is not None
        with self._lock:
            try:
                self._connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"database {self.location}: {exc}") from exc
            try:
                yield self._connection
            except BaseException as exc:
                self._connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"database {self.location}: {exc}") from exc
                raise
            try:
                self._connection.execute("COMMIT")
            except sqlite3.Error as exc:
                self._connection.execute("ROLLBACK")
                raise StoreError(f"database {self.location}: {exc}") from exc

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """Hold a lock across processes while the block runs (for a schema set up by a library)."""
        if self._pool is None:
            with self.transaction(write=True):  # SQLite: the write lock of this file
                yield
            return
        key = _lock_key(name)
        with self._pool.connection(timeout=WAIT_SECONDS) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def migrate_once(self, component: str, migrations: Sequence[Sequence[str]]) -> None:
        """`migrate`, the first time this process asks for `component` on this database."""
        with self._lock:
            if component not in self._migrated:
                self.migrate(component, migrations)
                self._migrated.add(component)

    def migrate(self, component: str, migrations: Sequence[Sequence[str]]) -> None:
        """Move `component`'s schema up to the last migration, in one locked transaction.

        The version is `PRAGMA user_version` in SQLite (one component per file) and the row of
        `<component>_schema` in Postgres. Never edit a migration, append one.
        """
        with self.transaction(write=True) as db:
            if self.postgres:
                # Taken before anything is read or created: CREATE TABLE IF NOT EXISTS races too.
                db.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(f"{component}-schema"),))
                db.execute(f"CREATE TABLE IF NOT EXISTS {component}_schema (version INTEGER NOT NULL)")
                row = db.execute(f"SELECT version FROM {component}_schema").fetchone()
                version = row["version"] if row else 0
            else:
                version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(migrations[version:], start=version + 1):
                for statement in statements:
                    db.execute(statement)
                if self.postgres:
                    db.execute(f"DELETE FROM {component}_schema")
                    db.execute(f"INSERT INTO {component}_schema (version) VALUES (?)", (number,))
                else:
                    db.execute(f"PRAGMA user_version = {int(number)}")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._connection is not None:
            self._connection.close()


class _PgCursor:
    """psycopg behind the sqlite3 calls used here: `?` placeholders and rows by column name."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        from psycopg.rows import dict_row

        cursor = self.connection.cursor(row_factory=dict_row)
        cursor.execute(sql.replace("?", "%s"), tuple(params))  # type: ignore[arg-type]
        return cursor


def _open_pool(url: str) -> Any:
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool, PoolTimeout

    # Autocommit with explicit transactions, dict rows and no prepared statements: what LangGraph's
    # Postgres saver needs, so one pool serves it, the flags and the batch journal.
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=POOL_SIZE,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        check=ConnectionPool.check_connection,
        open=False,
        name="reviewer",
    )
    try:
        pool.open(wait=True, timeout=WAIT_SECONDS)
    except PoolTimeout as exc:
        pool.close()
        raise StoreError(f"cannot connect to the database at {_safe(url)} within {WAIT_SECONDS:.0f} s") from exc
    return pool


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    return int.from_bytes(hashlib.sha256(f"collateral-reviewer:{name}".encode()).digest()[:8], "big", signed=True)


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at or "://" not in head:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':', 1)[0]}@{tail}"


_OPEN: dict[tuple[int, str, str], Database] = {}
_OPEN_LOCK = threading.Lock()


def open_database(settings: Settings, sqlite_name: str) -> Database:
    """The database of these settings, opened once per process: Postgres by URL, else `sqlite_name`.

    A SQLite file deleted or replaced since it was opened (a reset data dir) is opened again, and
    so is everything in a forked child (connections are never shared across processes).
    """
    url = postgres_url(settings)
    location = url if url else str((settings.data_dir / sqlite_name).resolve())
    key = (os.getpid(), "postgres" if url else "sqlite", location)
    with _OPEN_LOCK:
        database = _OPEN.get(key)
        if database is not None and not url and not _same_file(database):
            database.close()
            database = None
        if database is None:
            database = _OPEN[key] = Database(location, postgres=bool(url))
        return database


def _same_file(database: Database) -> bool:
    """True while the open SQLite connection still writes the file at its path."""
    try:
        stat = os.stat(database.location)
    except OSError:
        return False
    return (stat.st_dev, stat.st_ino) == database._file_id
