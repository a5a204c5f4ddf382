"""The operator's side: `haki console invite` prints a one-time link, `haki console org`
sets an organisation's SLA, `haki responders add` for Telegram prints a LINK code, and
`haki cases ack/close/reassign` act through the same escalation service as the console."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.cli import cli
from bot.escalation.models import AuditEntry, Case, Organisation
from bot.settings import get_settings
from bot.storage import migrate
from bot.storage.db import Database

LINK = re.compile(r"^https://console\.example/console/enrol\?token=([A-Za-z0-9_-]{40,})$", re.MULTILINE)


@pytest.fixture
def haki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    for name, value in {"HAKI_SECRET_KEY": "cli-test-" + "s" * 40,
                        "HAKI_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                        "HAKI_DATABASE_URL": url, "HAKI_PUBLIC_URL": "https://console.example",
                        "HAKI_ENVIRONMENT": "test", "HAKI_TWILIO_NUMBER": ""}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def database() -> Database:
    return Database(get_settings().database_url)


def test_invitations_are_printed_as_one_time_links(haki) -> None:  # type: ignore[no-untyped-def]
    coordinator = haki("console", "invite", "--coordinator", "Sisonke")
    assert coordinator.exit_code == 0, coordinator.output
    assert LINK.search(coordinator.output)
    assert haki("console", "invite", "--responder", "99").exit_code == 1  # no such responder
    assert haki("console", "invite").exit_code == 1  # a role is required


def test_a_telegram_responder_is_added_without_a_chat_id(haki) -> None:  # type: ignore[no-untyped-def]
    added = haki("responders", "add", "--name", "Zanele", "--org", "Sisonke", "--kind", "paralegal",
                 "--regions", "gauteng", "--channel", "telegram")
    assert added.exit_code == 0, added.output
    assert re.search(r"LINK \d{8}$", added.output.strip())
    invite = haki("console", "invite", "--responder", "1")
    assert invite.exit_code == 0 and LINK.search(invite.output)


def test_an_organisation_sets_its_own_deadline(haki) -> None:  # type: ignore[no-untyped-def]
    result = haki("console", "org", "Sisonke", "--ack-minutes", "20", "--remind-before", "5",
                  "--alert-channel", "sms", "--alert-address", "+27830000001")
    assert result.exit_code == 0, result.output
    assert "ACK within 20 min" in result.output and "+2783" not in result.output
    db = database()
    with db.session() as session:
        org = session.scalar(select(Organisation))
        assert org is not None and org.ack_minutes == 20
        assert "+2783" not in (org.alert_address_encrypted or "")
    db.dispose()


def test_cases_ack_close_and_reassign_from_the_command_line(haki) -> None:  # type: ignore[no-untyped-def]
    for name in ("Nomsa", "Pieter"):
        assert haki("responders", "add", "--name", name, "--org", "Sisonke", "--kind", "paralegal",
                    "--regions", "gauteng", "--channel", "sms",
                    "--address", f"+2783000000{len(name)}").exit_code == 0
    from bot.escalation import escalation_of
    from bot.escalation.cases import NewCase
    from bot.escalation.service import service_of
    from bot.escalation.standalone import worker_services

    services = worker_services(get_settings())
    service = service_of(escalation_of(services))
    with service.unit() as uow:
        case = service.open(uow, NewCase(pseudonym="p" * 64, channel="sms", address="+27820000009",
                                         language="en", jurisdiction="za", category="arrested_now",
                                         region="gauteng", urgency="urgent", kind="paralegal",
                                         callback_allowed=False))
        reference, first = case.reference, case.responder_id
    services.close()
    other = 2 if first == 1 else 1

    moved = haki("cases", "reassign", reference, "--to", str(other))
    assert moved.exit_code == 0 and "done, now assigned" in moved.output, moved.output
    assert haki("cases", "ack", reference).exit_code == 0
    bad = haki("cases", "close", reference, "--outcome", "vanished")
    assert bad.exit_code == 1 and "unknown outcome" in bad.output
    closed = haki("cases", "close", reference, "--outcome", "advice_given", "--note", "called back")
    assert closed.exit_code == 0 and "now closed" in closed.output
    db = database()
    with db.session() as session:
        row = session.scalar(select(Case).where(Case.reference == reference))
        assert row is not None and (row.responder_id, row.outcome_code) == (other, "advice_given")
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "operator via cli")).all()
        assert list(actions) == ["reassign", "ack", "close"]
    db.dispose()
