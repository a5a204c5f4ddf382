"""A responder on SMS or Telegram: CASES, HELP, NOTE, DONE with an outcome, the Done
button that asks for the outcome and a note, linking a Telegram chat with a one-time code,
and the SLA reminder and coordinator alert the sweep sends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from test_escalation_dialogues import escalate_on_sms

from bot.escalation.models import AuditEntry, CaseNote, Organisation, Responder
from bot.escalation.regions import all_region_ids
from bot.escalation.responders import add_unlinked_responder
from bot.escalation.sweeps import sweep
from bot.messages import Channel
from bot.storage.base import utcnow


def test_cases_lists_a_responders_open_cases_with_their_due_times(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    first = escalate_on_sms(world, world.person())
    second = escalate_on_sms(world, world.person())
    paralegal.says(f"ACK {first}")

    paralegal.says("CASES")
    assert first in paralegal.text and "acknowledged" in paralegal.text
    assert second in paralegal.text and "ACK by" in paralegal.text
    with world.services.db.session() as session:
        looks = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "view_cases")).all()
    assert len(looks) == 1 and looks[0].endswith("via sms")


def test_cases_from_someone_who_is_not_a_responder_says_nothing_about_cases(sqlite_world):
    world = sqlite_world
    world.responder()
    escalate_on_sms(world, world.person())
    stranger = world.person()
    stranger.says("CASES")
    assert "open cases" not in stranger.text


def test_help_from_a_responder_shows_the_responder_commands(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    paralegal.says("HELP")
    assert "CASES" in paralegal.text and "legal_aid" in paralegal.text and "/console/" in paralegal.text
    person = world.person()
    person.says("HELP")
    assert "CASES" not in person.text


def test_done_without_an_outcome_asks_for_one_on_sms(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    reference = escalate_on_sms(world, world.person())
    paralegal.says(f"DONE {reference}")
    assert "Unknown outcome" in paralegal.text and "legal_aid" in paralegal.text
    assert world.case(reference).status == "assigned"
    paralegal.says(f"DONE {reference} legal_aid sent to the Legal Aid office")
    case = world.case(reference)
    assert (case.status, case.outcome_code) == ("closed", "legal_aid")


def test_the_telegram_done_button_asks_for_the_outcome_and_a_note(sqlite_world):
    world = sqlite_world
    paralegal = world.responder()
    person = world.person()
    reference = escalate_on_sms(world, person)

    paralegal.presses(f"esc:done:{reference}")
    keys = [option.key for reply in paralegal.last for option in reply.options]
    assert f"esc:outcome:{reference}:released" in keys
    assert world.case(reference).status == "assigned"

    paralegal.presses(f"esc:outcome:{reference}:released")
    assert "Send a short note" in paralegal.text
    paralegal.says("Released after we spoke to the station commander")
    assert f"Closed {reference}" in paralegal.text
    case = world.case(reference)
    assert (case.status, case.outcome_code) == ("closed", "released")
    assert case.close_note_encrypted and "Released" not in case.close_note_encrypted


def test_a_note_by_sms_is_stored_encrypted(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    reference = escalate_on_sms(world, world.person())
    paralegal.says(f"NOTE {reference} on my way to the station")
    assert f"Note added to {reference}" in paralegal.text
    with world.services.db.session() as session:
        [stored] = session.scalars(select(CaseNote.text_encrypted)).all()
    assert "station" not in stored


def test_the_person_is_told_only_after_the_message_went_out(sqlite_world):
    world = sqlite_world
    paralegal = world.responder()
    reference = escalate_on_sms(world, world.person())
    paralegal.presses(f"esc:ack:{reference}")
    assert "has been told" not in paralegal.text and "We are telling the person" in paralegal.text


def test_a_telegram_responder_links_their_chat_with_a_one_time_code(sqlite_world):
    world = sqlite_world
    services = world.services
    with services.db.session() as session:
        responder, code = add_unlinked_responder(
            session, name="Zanele", organisation="Test NGO", kind="paralegal", regions=["gauteng"],
            on_duty=True, known_regions=all_region_ids(services.settings.content_dir), now=utcnow())
        responder_id = responder.id
    chat = world.person(Channel.TELEGRAM, address="4455667788")
    chat.says(f"LINK {code}")
    assert "now receives your Haki cases" in chat.text
    with services.db.session() as session:
        linked = session.get(Responder, responder_id)
        assert linked is not None and linked.active and "4455667788" not in linked.address_encrypted
    again = world.person(Channel.TELEGRAM, address="9999999")
    again.says(f"LINK {code}")
    assert "wrong or has expired" in again.text

    reference = escalate_on_sms(world, world.person())
    world.settle()
    assert any(reference in text for text in world.telegram_texts("4455667788"))


def test_the_sweep_reminds_the_responder_and_alerts_the_coordinator(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    with world.services.db.session() as session:
        session.add(Organisation(name="Test NGO", ack_minutes=20, remind_before_minutes=5,
                                 alert_channel="sms",
                                 alert_address_encrypted=world.services.cipher.encrypt("+27830000001")))
    reference = escalate_on_sms(world, world.person())
    case = world.case(reference)
    assert case.ack_deadline is not None and case.assigned_at is not None
    assert case.ack_deadline - case.assigned_at == timedelta(minutes=20)  # the organisation's deadline
    world.settle()

    sweep(world.services, world.queue(), now=utcnow() + timedelta(minutes=10))
    world.settle()
    assert not any("Reminder" in t for t in world.sms_texts(paralegal.address))
    sweep(world.services, world.queue(), now=utcnow() + timedelta(minutes=16))
    world.settle()
    reminders = [t for t in world.sms_texts(paralegal.address) if "Reminder" in t]
    assert len(reminders) == 1 and reference in reminders[0]

    # Only responder: past the deadline the case bounces back to them and the coordinator hears.
    sweep(world.services, world.queue(), now=utcnow() + timedelta(minutes=21))
    world.settle()
    alerts = world.sms_texts("+27830000001")
    assert alerts and reference in alerts[0] and "console" in alerts[0]


def test_delete_removes_the_responders_notes_on_the_case(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    person = world.person()
    reference = escalate_on_sms(world, person)
    paralegal.says(f"NOTE {reference} called the station")
    person.says("DELETE")
    person.says("YES")
    with world.services.db.session() as session:
        assert session.scalars(select(CaseNote)).all() == []
    assert world.case(reference).pseudonym is None


def test_status_from_a_responder_lists_their_cases(sqlite_world):
    world = sqlite_world
    paralegal = world.responder(channel=Channel.SMS)
    reference = escalate_on_sms(world, world.person())
    paralegal.says("STATUS")
    assert reference in paralegal.text and "no open case" not in paralegal.text.lower()
