"""What providers say after they accepted a notice. Twilio posts its signed status
callback over real HTTP to the running app, and the case moves on without waiting.

Dialogue: a person is being beaten and asks for a paralegal; the first paralegal's phone
is switched off, so Twilio reports the SMS undelivered; the case goes straight to the
second paralegal and the person is told.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.escalation.models import CaseEvent, Notification
from bot.messages import Channel
from test_escalation_dialogues import escalate_on_sms
from test_escalation_sweeps import run_sweep
from tests.conftest import free_port, person_row


@pytest.fixture
def live(world_for, database_url) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The escalation world with the web app listening at its own public URL, so Twilio's
    callbacks (signed over that URL) reach it."""
    from webhooks.app import build_app

    port = free_port()
    world = world_for(database_url, public_url=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, build_app(services=world.services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield world
    server.shutdown()
    thread.join(5)


def events(world: Any) -> list[str]:
    with world.services.db.session() as session:
        return list(session.scalars(select(CaseEvent.event).order_by(CaseEvent.id)))


def notice_to(world: Any, responder_id: int) -> Notification:
    return next(n for n in world.notifications()
                if n.responder_id == responder_id and n.kind == "assigned")


def test_undelivered_notice_goes_to_the_next_paralegal_at_once(live) -> None:  # type: ignore[no-untyped-def]
    world = live
    first = world.responder(name="First", channel=Channel.SMS)
    second = world.responder(name="Second", channel=Channel.SMS)
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    [notice] = world.sms_texts(first.address)
    assert reference in notice
    assert world.twilio.sent_messages()[0]["StatusCallback"].endswith("/webhooks/twilio/status")

    # First's phone is off: the carrier gives up, Twilio tells us.
    sid = world.twilio.sid_of(first.address)
    assert world.twilio.report_status(sid, "undelivered", error_code="30003") == 204
    world.settle()

    assert reference in world.sms_texts(second.address)[0]
    assert any("passed it to another paralegal" in body for body in world.sms_texts(person.address))
    assert "not_delivered" in events(world)
    ids = {r.name: r.id for r in world.responders()}
    assert world.case(reference).responder_id == ids["Second"]
    assert notice_to(world, ids["First"]).status == "failed"

    # Twilio may post the same callback twice: nothing moves a second time.
    assert world.twilio.report_status(sid, "undelivered", error_code="30003") == 204
    world.settle()
    assert world.case(reference).responder_id == ids["Second"]
    assert events(world).count("not_delivered") == 1

    second.says(f"ACK {reference}")
    assert "Acknowledged" in second.text


def test_delivered_is_written_in_the_audit_once(live) -> None:  # type: ignore[no-untyped-def]
    world = live
    paralegal = world.responder(channel=Channel.SMS)
    reference = escalate_on_sms(world, world.person(Channel.SMS))
    world.settle()
    sid = world.twilio.sid_of(paralegal.address)
    for status in ("sent", "delivered", "delivered"):
        assert world.twilio.report_status(sid, status) == 204
    assert events(world).count("delivered_assigned") == 1
    notice = next(n for n in world.notifications() if n.kind == "assigned")
    assert notice.delivered_at is not None and notice.status == "sent"
    assert world.case(reference).status == "assigned"


def test_an_update_that_did_not_reach_the_person_is_sent_again(live, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.escalation import delivery

    monkeypatch.setattr(delivery, "BASE_BACKOFF_SECONDS", 0.05)
    world = live
    paralegal = world.responder(channel=Channel.SMS)
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    paralegal.says(f"ACK {reference}")
    world.settle()
    acknowledged = [b for b in world.sms_texts(person.address) if "has seen your case" in b]
    assert len(acknowledged) == 1

    # The person's phone had no signal: handset unreachable is worth another try.
    assert world.twilio.report_status(world.twilio.sid_of(person.address), "undelivered",
                                      error_code="30003") == 204
    update = next(n for n in world.notifications() if n.kind == "acknowledged")
    assert update.status == "pending"
    run_sweep(world, minutes_later=1)
    world.settle()
    assert len([b for b in world.sms_texts(person.address) if "has seen your case" in b]) == 2

    # A landline can never get it: give up, and say so in the audit.
    assert world.twilio.report_status(world.twilio.sid_of(person.address), "undelivered",
                                      error_code="30006") == 204
    assert next(n for n in world.notifications() if n.kind == "acknowledged").status == "failed"
    assert "delivery_failed" in events(world)


def test_reports_for_messages_we_do_not_know_change_nothing(live) -> None:  # type: ignore[no-untyped-def]
    world = live
    world.responder(channel=Channel.SMS)
    reference = escalate_on_sms(world, world.person(Channel.SMS))
    world.settle()
    before = events(world)
    from bot.escalation.reports import apply_report
    from bot.escalation import escalation_of
    from bot.messages import DeliveryReport

    unknown = DeliveryReport(Channel.SMS, "SM" + "0" * 32, "undelivered", "30003")
    assert apply_report(escalation_of(world.services), unknown) == "unknown"
    queued = DeliveryReport(Channel.SMS, world.twilio.sid_of(world.twilio.sent_messages()[0]["To"]),
                            "queued")
    assert apply_report(escalation_of(world.services), queued) == "ignored"
    assert events(world) == before and world.case(reference).status == "assigned"


def test_a_person_who_blocked_the_bot_gets_no_updates_until_they_write(world) -> None:  # type: ignore[no-untyped-def]
    from webhooks.outbound import mark_blocked

    paralegal = world.responder(kind="paralegal", regions=["gauteng"])
    person = world.person(Channel.TELEGRAM)
    person.says("they are arresting me right now")
    person.presses("esc:kind:paralegal")
    person.presses("esc:region:gauteng")
    person.presses("answer:yes")
    reference = world.case().reference
    world.settle()

    # Frightened, they blocked the bot (Telegram's my_chat_member said "kicked").
    mark_blocked(world.services, Channel.TELEGRAM, person.address)
    paralegal.says(f"ACK {reference}")
    world.settle()
    update = next(n for n in world.notifications() if n.kind == "acknowledged")
    assert update.status == "cancelled" and update.last_error == "person blocked us"
    assert not any("has seen your case" in t for t in world.telegram_texts(person.address))

    person.says("STATUS")  # writing again clears the mark, and STATUS still answers
    assert reference in person.text
    row = person_row(world.services, Channel.TELEGRAM, person.address)
    assert row is not None and not row.blocked


def test_a_late_report_adds_nothing_to_a_deleted_case(live) -> None:  # type: ignore[no-untyped-def]
    world = live
    paralegal = world.responder(channel=Channel.SMS)
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    person.says("DELETE")
    person.says("YES")
    world.settle()
    sid = world.twilio.sid_of(paralegal.address, 0)
    assert world.twilio.report_status(sid, "delivered") == 204
    assert world.twilio.report_status(sid, "undelivered", error_code="30003") == 204
    assert events(world) == ["anonymised"]
    assert world.case(reference).status == "withdrawn"
    assert all(n.delivered_at is None for n in world.notifications())
