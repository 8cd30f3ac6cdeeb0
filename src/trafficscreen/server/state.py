"""Server state every worker must share: the record of token ids (``jti``) already used.

A CDS Hooks token may be used once. With several worker processes, or several hosts, a record kept in
each process would let a token replayed to another worker through, so the record is kept in one store
that all of them use:

* **SQLite** (the default): a file ``replay.sqlite3`` in the server's state directory, shared by every
  worker on the host (WAL mode, each check one atomic statement);
* **PostgreSQL**, for a deployment on several hosts: ``--replay-store postgresql://user@host/db`` (the
  ``postgres`` extra installs the driver, psycopg; the password belongs in ``~/.pgpass`` or
  ``PGPASSWORD``, not in the URL);
* ``memory``: one process only, for tests and development.

The store holds the issuer, the token id and its expiry time, nothing about a patient, and forgets a
token id once its token has expired (plus the clock leeway). A check is one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE expired`` statement, so two workers given the same token
at the same moment cannot both accept it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from ..errors import MissingExtraError
from ..errors import ReplayStoreError as ReplayStoreError  # re-exported: its old home
from .config import CLOCK_LEEWAY, REPLAY_STORE_HELP, ServerConfigError

TABLE = "trafficscreen_jti_seen"
PURGE_EVERY = 1000
"""Checks between two purges of expired token ids (a purge also runs at least once a minute)."""
STATE_DIR_ENV = "TRAFFICSCREEN_STATE_DIR"
"""Environment variable naming the state directory when ``--state-dir`` is not given."""
SQLITE_FILE = "replay.sqlite3"
REPLAY_CACHE_SIZE = 100_000


class ReplayStore(Protocol):
    def first_use(self, iss: str, jti: str, exp: float, now: float) -> bool:
        """True the first time ``(iss, jti)`` is seen while its token is valid; False for a replay."""

    def close(self) -> None: ...


class ReplayCache:
    """``jti`` values seen, kept until their token expires; bounded, oldest dropped first. It lives in
    one process: the server uses a shared store (SQLite or PostgreSQL, below) unless told
    ``--replay-store memory``."""

    def __init__(self, limit: int = REPLAY_CACHE_SIZE) -> None:
        self.limit = limit
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, exp: float, now: float) -> bool:
        key = (iss, jti)
        with self._lock:
            if key in self._seen and self._seen[key] + CLOCK_LEEWAY >= now:
                return False
            if len(self._seen) >= self.limit:
                for k in [k for k, e in self._seen.items() if e + CLOCK_LEEWAY < now]:
                    del self._seen[k]
                while len(self._seen) >= self.limit:
                    self._seen.popitem(last=False)
            self._seen[key] = exp
            return True

    def close(self) -> None:
        with self._lock:
            self._seen.clear()


def default_state_dir() -> Path:
    """``$TRAFFICSCREEN_STATE_DIR``, else ``$XDG_STATE_HOME/trafficscreen``, else
    ``~/.local/state/trafficscreen``."""
    given = os.environ.get(STATE_DIR_ENV)
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "trafficscreen"


def _upsert(param: str) -> str:
    return (
        f"INSERT INTO {TABLE} (iss, jti, expires) VALUES ({param}, {param}, {param}) "
        f"ON CONFLICT (iss, jti) DO UPDATE SET expires = excluded.expires "
        f"WHERE {TABLE}.expires < {param}"
    )


_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (iss TEXT NOT NULL, jti TEXT NOT NULL, "
    "expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (iss, jti))"
)


class _SqlStore:
    """What the SQLite and PostgreSQL stores share: one connection, a lock, periodic purges."""

    param = "?"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks = 0
        self._purged = time.monotonic()

    def _execute(self, sql: str, args: tuple[Any, ...]) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def first_use(self, iss: str, jti: str, exp: float, now: float) -> bool:
        stale = now - CLOCK_LEEWAY
        with self._lock:
            changed = self._execute(_upsert(self.param), (iss, jti, float(exp), stale))
            self._checks += 1
            if self._checks >= PURGE_EVERY or time.monotonic() - self._purged > 60:
                self._execute(f"DELETE FROM {TABLE} WHERE expires < {self.param}", (stale,))
                self._checks = 0
                self._purged = time.monotonic()
        return changed == 1


class SqliteReplayStore(_SqlStore):
    """The record in a SQLite file, shared by the workers of one host."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        super().__init__()
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_CREATE)
        except (OSError, sqlite3.Error) as exc:
            raise ServerConfigError(
                f"{self.path}: the replay store cannot be opened "
                f"({getattr(exc, 'strerror', None) or type(exc).__name__}); "
                "choose a writable --state-dir"
            ) from None

    def _execute(self, sql: str, args: tuple[Any, ...]) -> int:
        import sqlite3

        try:
            return int(self._conn.execute(sql, args).rowcount)
        except sqlite3.Error as exc:
            raise ReplayStoreError(f"the replay store cannot be used ({type(exc).__name__})") from None

    def close(self) -> None:
        self._conn.close()


class PostgresReplayStore(_SqlStore):
    """The record in a PostgreSQL table, shared by workers on several hosts (needs psycopg)."""

    param = "%s"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError:
            raise MissingExtraError("postgres", "psycopg", needed_for="a PostgreSQL replay store") from None
        self._psycopg = psycopg
        self._url = url
        self._conn: Any = None
        try:
            conn = self._connect()
            # another worker may create the table at the same moment: then it is there
            with self._lock, contextlib.suppress(psycopg.errors.UniqueViolation):
                conn.execute(_CREATE)
        except psycopg.Error as exc:
            raise ServerConfigError(f"the PostgreSQL replay store cannot be used: {_first_line(exc)}") from None

    def _connect(self) -> Any:
        self._conn = self._psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        return self._conn

    def _execute(self, sql: str, args: tuple[Any, ...]) -> int:
        psycopg = self._psycopg
        for attempt in (1, 2):
            try:
                conn = self._conn if self._conn is not None and not self._conn.closed else self._connect()
                return int(conn.execute(sql, args).rowcount)
            except psycopg.OperationalError:
                self._conn = None  # the server went away: connect again once
                if attempt == 2:
                    break
            except psycopg.Error as exc:
                raise ReplayStoreError(f"the replay store cannot be used ({type(exc).__name__})") from None
        raise ReplayStoreError("the replay store (PostgreSQL) cannot be reached")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:200] + "..."


def open_replay_store(replay_store: str | None, state_dir: Path | None) -> ReplayStore:
    """The store a server's settings name: ``None`` is SQLite in the state directory."""
    if replay_store == "memory":
        return ReplayCache()
    if replay_store is None:
        return SqliteReplayStore((state_dir or default_state_dir()) / SQLITE_FILE)
    if replay_store.startswith("sqlite:///"):
        return SqliteReplayStore(Path(replay_store[len("sqlite://") :]))
    if replay_store.startswith(("postgresql://", "postgres://")):
        return PostgresReplayStore(replay_store)
    raise ServerConfigError(REPLAY_STORE_HELP)
