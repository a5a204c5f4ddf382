"""DELETE reaches Twilio's message log: a person who deletes their data on SMS has their
texts, our replies and our notices erased at Twilio too (the stand-in keeps a log)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from bot.conversation import Conversation
from bot.messages import Channel, OutboundMessage
from bot.storage.base import utcnow
from bot.storage.models import ProviderErasure
from tests.conftest import Person as Talker
from webhooks.erasure import erase_at_twilio

NUMBER = "+27820000401"
SOMEONE_ELSE = "+27820000402"


def erasures(services):  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return list(session.scalars(select(ProviderErasure)).all())


def test_delete_on_sms_erases_the_numbers_log_at_twilio(twilio_api, services_for, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **twilio_api.settings())
    sms = services.senders[Channel.SMS]
    person = Talker(Conversation(services), Channel.SMS, NUMBER)
    twilio_api.receive(NUMBER, "police took my needles")  # what they texted us
    person.says("police took my needles")
    sms.send(NUMBER, OutboundMessage("Case K7-3QF: a paralegal has seen your case."))
    sms.send(SOMEONE_ELSE, OutboundMessage("Someone else's update"))
    person.says("DELETE")
    person.says("YES")
    assert "deleted" in person.last[0].text.lower()

    [row] = erasures(services)
    assert NUMBER not in row.address_encrypted  # kept only encrypted, until done
    assert erase_at_twilio(services, sms, now=utcnow()) == 0  # not yet: replies still leaving

    later = utcnow() + timedelta(minutes=6)
    assert erase_at_twilio(services, sms, now=later) == 1
    left = twilio_api.message_log().values()
    assert all(NUMBER not in (entry["from"], entry["to"]) for entry in left)
    assert [entry["to"] for entry in left] == [SOMEONE_ELSE]
    assert erasures(services) == []


def test_a_message_still_sending_is_tried_again_later(twilio_api, services_for, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **twilio_api.settings())
    sms = services.senders[Channel.SMS]
    person = Talker(Conversation(services), Channel.SMS, NUMBER)
    person.says("hi")
    sending = sms.send(NUMBER, OutboundMessage("An update on its way"))
    assert sending
    twilio_api.in_progress(sending)
    person.says("DELETE")
    person.says("YES")

    later = utcnow() + timedelta(minutes=6)
    assert erase_at_twilio(services, sms, now=later) == 0
    [row] = erasures(services)
    assert row.attempts == 1 and "20009" in row.last_error
    assert erase_at_twilio(services, sms, now=later + timedelta(seconds=30)) == 0  # backing off

    twilio_api._in_progress.clear()  # noqa: SLF001 - the carrier finished with it
    assert erase_at_twilio(services, sms, now=later + timedelta(minutes=2)) == 1
    assert all(NUMBER not in (e["from"], e["to"]) for e in twilio_api.message_log().values())


def test_the_sweep_runs_the_erasure(twilio_api, services_for, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from bot.escalation import escalation_of
    from bot.escalation.sweeps import sweep

    services = services_for(sqlite_url, **twilio_api.settings())
    person = Talker(Conversation(services), Channel.SMS, NUMBER)
    person.says("hi")
    person.says("DELETE")
    person.says("YES")
    sweep(services, escalation_of(services).queue, now=utcnow() + timedelta(minutes=6))
    assert erasures(services) == []


def test_telegram_and_cancelled_deletes_leave_nothing_to_erase(twilio_api, services_for,
                                                               sqlite_url) -> None:  # type: ignore[no-untyped-def]
    services = services_for(sqlite_url, **twilio_api.settings())
    conversation = Conversation(services)
    on_telegram = Talker(conversation, Channel.TELEGRAM, "5550401")
    on_telegram.says("hi")
    on_telegram.says("DELETE")
    on_telegram.says("YES")
    changed_mind = Talker(conversation, Channel.SMS, SOMEONE_ELSE)
    changed_mind.says("DELETE")
    changed_mind.says("NO")
    assert erasures(services) == []


def test_notices_about_the_case_sent_to_an_sms_responder_are_erased_too(
        twilio_api, services_for, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from bot.escalation.responders import add_responder
    from bot.escalation.regions import all_region_ids

    services = services_for(sqlite_url, **twilio_api.settings())
    paralegal = "+27830000403"
    with services.db.session() as session:
        add_responder(session, services.cipher, services.settings.secret_key, name="P",
                      organisation="Test NGO", kind="paralegal", regions=["gauteng"],
                      channel="sms", address=paralegal, on_duty=True,
                      known_regions=all_region_ids(services.settings.content_dir))
    conversation = Conversation(services)
    person = Talker(conversation, Channel.SMS, NUMBER)
    person.says("police are beating me now help")
    for answer in ("1", "1", "YES", "YES"):  # paralegal, Gauteng, call me back, consent
        person.says(answer)
    def notices() -> list[dict[str, str]]:
        return [e for e in twilio_api.message_log().values() if e["to"] == paralegal]

    def recorded() -> bool:  # sent, and its Twilio sid written down
        from bot.escalation.models import Notification

        with services.db.session() as session:
            return session.scalar(select(Notification.provider_id).where(
                Notification.kind == "assigned")) is not None

    deadline = time.monotonic() + 15  # the in-process queue's worker thread sends it
    while not recorded() and time.monotonic() < deadline:
        time.sleep(0.02)
    [notice] = notices()
    assert NUMBER in notice["body"]  # the call-back number the person agreed to share

    person.says("DELETE")
    person.says("YES")
    erase_at_twilio(services, services.senders[Channel.SMS], now=utcnow() + timedelta(minutes=6))
    log = twilio_api.message_log().values()
    assert not any(NUMBER in entry["body"] or NUMBER in (entry["from"], entry["to"]) for entry in log)
    assert erasures(services) == []
