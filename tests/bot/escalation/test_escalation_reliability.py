"""Reliability with the real parts: our own redis-server process, a real Celery worker
and beat (subprocesses), PostgreSQL, and the stand-in Telegram and Twilio servers.

Each test breaks something (kill -9 the worker mid-send, stop Redis, make the provider
answer 500, ACK five times at once) and then checks the promise: the case reaches a
responder, it is acknowledged once as the responder sees it, nothing is lost.

We start our own redis-server on a free port rather than touching the machine's shared
one: stopping and restarting it is part of the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.escalation.models import Case, CaseEvent, Notification
from bot.messages import Channel
from tests.conftest import TEST_FERNET_KEY, _truncate_all, free_port
from tests.standins.fixtures import TelegramApi, TwilioApi

from escalation_world import Escalations
from test_escalation_dialogues import escalate_on_sms

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(120)]

PROJECT = Path(__file__).resolve().parents[3]
CELERY = Path(sys.executable).with_name("celery")
REDIS_DB = 13  # a dedicated db number, as on the shared server


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    """A private redis-server without persistence: stopping it loses the queue."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server to answer PING")

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class SlowTelegram(TelegramApi):
    """The stand-in Telegram, able to hold sendMessage answers (a slow provider)."""

    def __init__(self) -> None:
        super().__init__()
        self.send_delay = 0.0
        self.send_arrived = threading.Event()

    def answer(self, request: Any) -> Any:
        if self.operation(request) == "sendMessage":
            self.send_arrived.set()
            if self.send_delay:
                time.sleep(self.send_delay)
        return super().answer(request)


class CeleryProcess:
    """`celery -A bot.escalation.tasks worker|beat` as the operator runs it."""

    def __init__(self, role: str, env: dict[str, str], workdir: Path) -> None:
        self.role, self.env, self.workdir = role, env, workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{role}.log"

    def start(self) -> None:
        if self.role == "worker":
            args = ["worker", "--pool=solo", "--concurrency=1", "--without-gossip",
                    "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
        else:
            args = ["beat", f"--schedule={self.workdir / 'beat-schedule'}", "--loglevel=INFO"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(CELERY), "-A", "bot.escalation.tasks", *args],
                                            cwd=PROJECT, env=self.env, stdout=log, stderr=log,
                                            start_new_session=True)

    def kill(self) -> None:
        """kill -9: no chance to finish, acknowledge or clean up."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


class Site:
    """Web side (this process), Redis, a worker and beat, all on one PostgreSQL database."""

    def __init__(self, world: Escalations, redis_server: RedisServer, env: dict[str, str],
                 workdir: Path) -> None:
        self.world, self.redis = world, redis_server
        self.worker = CeleryProcess("worker", env, workdir)
        self.beat = CeleryProcess("beat", env, workdir)

    def notification(self, kind: str) -> Notification:
        return next(n for n in self.world.notifications() if n.kind == kind)

    def sent(self, kind: str) -> bool:
        found = [n for n in self.world.notifications() if n.kind == kind]
        return bool(found) and all(n.status == "sent" for n in found)

    def logs(self) -> str:
        return "\n".join(p.log.read_text(errors="replace")[-3000:] for p in (self.worker, self.beat)
                         if p.log.exists())


@pytest.fixture
def site(services_for, postgres_url, tmp_path) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    from bot.storage.db import Database

    database = Database(postgres_url)
    _truncate_all(database)
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    telegram, twilio = SlowTelegram(), TwilioApi()
    telegram.start()
    twilio.start()
    overrides: dict[str, Any] = {
        **telegram.settings(), **twilio.settings(), "queue": "celery",
        "redis_url": redis_server.url, "sweep_seconds": 1, "delivery_lease_seconds": 4,
    }
    services = services_for(postgres_url, **overrides)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HAKI_")}
    env.update({
        "HAKI_SECRET_KEY": services.settings.secret_key,
        "HAKI_ENCRYPTION_KEYS": TEST_FERNET_KEY,
        "HAKI_ENVIRONMENT": "test",
        "HAKI_DATABASE_URL": postgres_url,
        **{f"HAKI_{key.upper()}": str(value) for key, value in overrides.items()},
    })
    world = Escalations(services, telegram, twilio)
    running = Site(world, redis_server, env, tmp_path)
    running.worker.start()
    running.beat.start()
    try:
        yield running
    finally:
        running.worker.stop()
        running.beat.stop()
        redis_server.stop()
        telegram.stop()
        twilio.stop()
        _truncate_all(database)
        database.dispose()


def acknowledge_and_check(site: Site, reference: str, responder: Any, person: Any) -> None:
    """The responder ACKs (once, as they see it) and the person is told exactly once."""
    responder.says(f"ACK {reference}")
    assert f"Acknowledged {reference}" in responder.text
    responder.says(f"ACK {reference}")
    assert "already acknowledged" in responder.text
    wait_until(lambda: site.sent("acknowledged"), 30, "the person to be told")
    told = [b for b in site.world.sms_texts(person.address) if "has seen your case" in b]
    assert len(told) == 1
    with site.world.services.db.session() as session:
        events = session.scalars(select(CaseEvent.event).where(CaseEvent.event == "acknowledged")).all()
        cases = session.scalars(select(Case)).all()
    assert len(events) == 1 and [c.status for c in cases] == ["acknowledged"]


def test_worker_killed_mid_send_the_case_still_reaches_the_responder(site):
    world = site.world
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    world.telegram.send_delay = 2.0
    reference = escalate_on_sms(world, person)
    assert world.telegram.send_arrived.wait(20), site.logs()
    site.worker.kill()  # while Telegram is still answering
    assert site.notification("assigned").status == "sending"
    world.telegram.send_delay = 0.0
    site.worker.start()
    wait_until(lambda: site.sent("assigned"), 40, "the notification after the restart\n" + site.logs())
    notices = [t for t in world.telegram_texts(paralegal.address) if reference in t]
    # At least once: the killed attempt may have reached Telegram before the kill.
    assert 1 <= len(notices) <= 2
    assert site.notification("assigned").attempts == 2
    acknowledge_and_check(site, reference, paralegal, person)


def test_redis_down_then_back_nothing_is_lost(site):
    world = site.world
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    site.redis.stop()
    started = time.monotonic()
    reference = escalate_on_sms(world, person)  # the person still gets their reference
    assert time.monotonic() - started < 10
    assert site.notification("assigned").status == "pending"
    site.redis.start()  # empty: whatever was queued is gone
    wait_until(lambda: site.sent("assigned"), 50, "delivery after Redis came back\n" + site.logs())
    assert [t for t in world.telegram_texts(paralegal.address) if reference in t]
    acknowledge_and_check(site, reference, paralegal, person)


def test_provider_answers_500_for_a_while_then_recovers(site):
    world = site.world
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    world.telegram.fail_next(3, status=500, method="sendMessage")
    reference = escalate_on_sms(world, person)
    wait_until(lambda: site.sent("assigned"), 50, "delivery after the outage\n" + site.logs())
    notice = site.notification("assigned")
    assert notice.attempts == 4 and notice.provider_id
    assert len([t for t in world.telegram_texts(paralegal.address) if reference in t]) == 1
    acknowledge_and_check(site, reference, paralegal, person)


def test_the_same_ack_five_times_at_once_is_one_acknowledgement(site):
    world = site.world
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    wait_until(lambda: site.sent("assigned"), 30, "the notification\n" + site.logs())
    barrier = threading.Barrier(5)
    answers: list[str] = []

    def ack() -> None:
        from bot.messages import InboundMessage

        barrier.wait()
        replies = world.conversation.handle(InboundMessage(
            channel=Channel.TELEGRAM, address=paralegal.address, text=f"ACK {reference}",
            external_id=os.urandom(6).hex()))
        answers.append(" ".join(r.text for r in replies))

    threads = [threading.Thread(target=ack) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(a.startswith(f"Acknowledged {reference}") for a in answers) == 1
    wait_until(lambda: site.sent("acknowledged"), 30, "the person to be told")
    assert len([b for b in world.sms_texts(person.address) if "has seen your case" in b]) == 1
    with world.services.db.session() as session:
        events = session.scalars(select(CaseEvent.event).where(CaseEvent.event == "acknowledged")).all()
    assert len(events) == 1
