"""Fixtures shared by every test: settings, real databases, real services, dialogues.

Databases are real: a file-backed SQLite per test, and a throw-away PostgreSQL database per
test run on the machine's server (HAKI_TEST_POSTGRES_URL, default the local `test` server),
dropped at the end. The NLU is the real embedded model; content is the real content/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.messages import Channel, InboundKind, InboundMessage, OutboundMessage
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage.db import Database

pytest_plugins = ["tests.standins.fixtures"]

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_FERNET_KEY = "q2xGQ1Q3d3J0b0p3cm1XZ1ZQbW1Ec2F3d0c4eFZ0bVk="


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago. The probe socket is closed again, so
    until someone listens there a connection to it is refused: tests use it both for a
    server they are about to start and for "the service is down"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "secret_key": "test-" + "k" * 40,
        "encryption_keys": TEST_FERNET_KEY,
        "environment": "test",
        "database_url": database_url,
        "var_dir": PROJECT_ROOT / "var",
    }
    values.update(overrides)
    return load_settings(**values)


# --- databases ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("HAKI_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    if not url:
        pytest.skip("HAKI_TEST_POSTGRES_URL is empty: PostgreSQL tests disabled")
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A brand-new database on the server for this test run, dropped afterwards."""
    name = f"haki_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    from bot.storage import migrate

    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
        ), {"name": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_all(database: Database) -> None:
    from bot.storage.registry import metadata

    with database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy (migrating per test costs ~0.4 s)."""
    from bot.storage import migrate

    path = tmp_path_factory.mktemp("template") / "haki.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "haki.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    database = Database(url)
    _truncate_all(database)
    database.dispose()


# --- the real services ------------------------------------------------------------------
@pytest.fixture(scope="session")
def shared_nlu():  # type: ignore[no-untyped-def]
    """The embedded NLU, built once per run (from var/ if `make nlu` already built it)."""
    from nlu import build_nlu

    return build_nlu(make_settings("sqlite://"))


@pytest.fixture(scope="session")
def shared_content():  # type: ignore[no-untyped-def]
    from bot.content import ContentLibrary

    settings = make_settings("sqlite://")
    return ContentLibrary.load(settings.content_dir, settings.locales_dir, settings.language_codes)


@pytest.fixture
def services_for(shared_nlu, shared_content):  # type: ignore[no-untyped-def]
    """Build real services on a given database URL (closes them after the test)."""
    from bot.services import build_services

    built = []

    def build(database_url: str, **overrides: object):  # type: ignore[no-untyped-def]
        services = build_services(make_settings(database_url, **overrides),
                                  nlu=shared_nlu, content=shared_content)
        built.append(services)
        return services

    yield build
    for services in built:
        services.close()


@pytest.fixture
def services(services_for, sqlite_url):  # type: ignore[no-untyped-def]
    return services_for(sqlite_url)


def person_row(services, channel: Channel | str, address: str):  # type: ignore[no-untyped-def]
    """The stored state (``people`` row) of whoever writes from ``address``; None if none."""
    from bot.identity import pseudonym
    from bot.storage.models import Person as PersonRow

    channel_name = channel.value if isinstance(channel, Channel) else channel
    with services.db.session() as session:
        return session.get(PersonRow, pseudonym(services.settings.secret_key, channel_name, address))


class Person:
    """One person talking to the bot: `person.says("hi")` returns the replies."""

    def __init__(self, conversation, channel: Channel, address: str) -> None:  # type: ignore[no-untyped-def]
        self.conversation = conversation
        self.channel = channel
        self.address = address
        self.last: list[OutboundMessage] = []

    def says(self, text: str, **fields: object) -> list[OutboundMessage]:
        message = InboundMessage(channel=self.channel, address=self.address, text=text,
                                 external_id=fields.pop("external_id", None) or secrets.token_hex(8),
                                 **fields)  # type: ignore[arg-type]
        self.last = self.conversation.handle(message)
        return self.last

    def presses(self, key: str) -> list[OutboundMessage]:
        return self.says("", kind=InboundKind.BUTTON, payload=key)

    def starts(self, payload: str | None = None) -> list[OutboundMessage]:
        return self.says("", kind=InboundKind.START, payload=payload)

    def sends_media(self) -> list[OutboundMessage]:
        return self.says("", kind=InboundKind.MEDIA)

    @property
    def reply_text(self) -> str:
        return "\n".join(reply.text for reply in self.last)


@pytest.fixture
def person_on(services):  # type: ignore[no-untyped-def]
    """Make a person on a channel: `person_on(Channel.SMS)`."""
    from bot.conversation import Conversation

    conversation = Conversation(services)
    counter = iter(range(10_000))

    def make(channel: Channel = Channel.SMS, address: str | None = None) -> Person:
        return Person(conversation, channel, address or f"+2782000{next(counter):04d}")

    return make
