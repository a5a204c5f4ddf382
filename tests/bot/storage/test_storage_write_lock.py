"""SQLite's writers queue on a file lock instead of polling in SQLite's busy handler."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.identity import pseudonym
from bot.storage.db import Database
from bot.storage.models import Person


def _new_person(database: Database, address: str):  # type: ignore[no-untyped-def]
    session = database.new_session()
    session.autoflush = False
    session.add(Person(pseudonym=pseudonym("k" * 40, "sms", address), channel="sms",
                       jurisdiction="za", pending_data={}, menu=[], consents={}))
    return session


def test_a_commit_waits_for_the_writer_in_another_process(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    lock_file = Path(sqlite_url.removeprefix("sqlite:///") + ".writelock")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(0.4)\n")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    session = _new_person(database, "+27820000301")
    session.execute(Person.__table__.select())  # a read first, as every turn does
    started = time.monotonic()
    database.commit(session)
    waited = time.monotonic() - started
    session.close()
    holder.wait(5)
    database.dispose()
    assert waited > 0.2  # queued behind the other process, then committed


def test_threads_of_one_process_take_turns(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    assert database._write_lock is not None  # noqa: SLF001
    order: list[str] = []
    with database._write_lock.held():  # noqa: SLF001
        session = _new_person(database, "+27820000302")
        session.execute(Person.__table__.select())
        worker = threading.Thread(target=lambda: (database.commit(session), order.append("committed")))
        worker.start()
        time.sleep(0.2)
        order.append("released")
    worker.join(5)
    session.close()
    database.dispose()
    assert order == ["released", "committed"]


def test_a_session_that_already_wrote_does_not_wait_for_the_lock(sqlite_url: str) -> None:
    # It holds SQLite's own write lock; waiting for ours could deadlock with the holder,
    # who waits for SQLite's. So it commits straight away.
    database = Database(sqlite_url)
    with database._write_lock.held():  # type: ignore[union-attr]  # noqa: SLF001
        session = _new_person(database, "+27820000303")
        session.flush()
        done = threading.Event()
        threading.Thread(target=lambda: (database.commit(session), done.set())).start()
        assert done.wait(5)
    session.close()
    database.dispose()


def test_postgres_and_memory_databases_have_no_file_lock(database_url: str) -> None:
    for url in (database_url, "sqlite://"):
        database = Database(url)
        if not database.is_sqlite or url == "sqlite://":
            assert database._write_lock is None  # noqa: SLF001
        database.dispose()
