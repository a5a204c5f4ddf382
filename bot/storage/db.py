"""Engine and session handling for SQLite (the default) and PostgreSQL (production)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets webhook readers run while one writer commits; the busy timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Said explicitly, whatever the SQLite build's default: a commit (an urgent case) is on
    # disk before we answer the webhook. NORMAL would be faster and could lose it on power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # DELETE must delete bytes, not just unlink rows: freed space is overwritten with zeros
    # (with checkpoint() after an erasure, the -wal file's old copies go too).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class StorageUnavailable(RuntimeError):
    """The database could not be reached (or was busy past its timeout) during a turn.

    Nothing of the turn was saved. The channel says so instead of answering as if all
    went well: Telegram gets a 503 and redelivers the update later; an SMS person is asked
    to send their message again (Twilio does not redeliver)."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database was unreachable, not that our code is wrong:
    connection refused or lost, server shutting down, SQLite locked past busy_timeout."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def make_engine(url: str) -> Engine:
    """An engine whose errors never echo bound values (pseudonyms, ciphertext) into logs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         hide_parameters=True)


class SqliteWriteLock:
    """One writer at a time across threads *and* processes (gunicorn workers), for SQLite.

    SQLite allows one writer; the others wait in its busy handler, which polls with sleeps
    of 1, 2, 5, 10 ... 100 ms. Under load those sleeps become the latency tail (p99 70-90 ms
    in docs/benchmarks.md before this lock). Waiting on an ``flock`` instead wakes the next
    writer the moment the lock is free. The thread lock is needed as well: an flock belongs
    to the open file, which all threads of a process share.
    """

    def __init__(self, database_path: Path) -> None:
        self._path = database_path.with_name(database_path.name + ".writelock")
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        import fcntl

        with self._threads:
            descriptor = self._file()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)


def _writing_already(session: Session) -> bool:
    """Whether this session's SQLite connection already holds a write transaction (an
    explicit flush ran INSERTs): taking the lock then could deadlock with its holder, who
    waits for SQLite's own lock, so such a commit goes without it."""
    connection = session.connection().connection.dbapi_connection
    return bool(getattr(connection, "in_transaction", True))


class Database:
    """Owns the engine; hands out sessions that commit on success and roll back on error."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        database = make_url(url).database if self.is_sqlite else None
        self._write_lock = (SqliteWriteLock(Path(database))
                            if database and database != ":memory:" and os.name == "posix"
                            else None)

    def commit(self, session: Session) -> None:
        """Commit a session whose writes all happen at commit (the conversation's turns),
        queued behind other writers on SQLite (see SqliteWriteLock)."""
        if self._write_lock is None or _writing_already(session):
            session.commit()
            return
        with self._write_lock.held():
            session.commit()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def new_session(self) -> Session:
        """A bare session; the caller commits or rolls back (the conversation does both)."""
        return self._sessions()

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def checkpoint(self, attempts: int = 5) -> bool:
        """SQLite: copy the write-ahead log into the database file and truncate the log, so
        the older page versions in it (a deleted person's rows) are gone from disk too.
        Run after an erasure has committed. A reader holding an old snapshot can make a
        checkpoint incomplete, so it is tried a few times; True when complete. No-op (True)
        on PostgreSQL, where VACUUM does this job (docs/deploy.md)."""
        if not self.is_sqlite:
            return True
        import time

        for attempt in range(attempts):
            with self.engine.connect() as connection:
                busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return True
            time.sleep(0.05 * (attempt + 1))
        return False

    def create_all(self) -> None:
        """Create every table directly (used for throw-away databases like `haki ask`'s)."""
        from bot.storage.registry import metadata

        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
