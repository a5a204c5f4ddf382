"""Deadlines, re-routing, retries, DELETE and key rotation: the sweep and the worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.escalation import delivery
from bot.storage.crypto import rotate_all
from bot.escalation.models import Case, CaseEvent, Notification
from bot.escalation.sweeps import sweep
from bot.messages import Channel
from bot.storage.base import utcnow
from bot.storage.crypto import Cipher, new_key

from test_escalation_dialogues import escalate_on_sms


def run_sweep(world, minutes_later: float = 0):
    return sweep(world.services, world.queue(), now=utcnow() + timedelta(minutes=minutes_later))


def test_unacknowledged_case_goes_to_the_next_responder_and_the_person_is_told(world):
    first = world.responder(name="First")
    second = world.responder(name="Second")
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    assert run_sweep(world, minutes_later=5).rerouted == 0  # deadline (10 min) not reached
    report = run_sweep(world, minutes_later=11)
    assert report.rerouted == 1
    world.settle()
    assert reference in world.telegram_texts(second.address)[0]
    assert "passed to another responder" in world.telegram_texts(first.address)[-1]
    assert any("passed it to another paralegal" in b for b in world.sms_texts(person.address))
    first.says(f"ACK {reference}")
    assert "not assigned to you" in first.text
    second.says(f"ACK {reference}")
    assert "Acknowledged" in second.text


def test_round_robin_spreads_cases_among_equal_responders(world):
    world.responder(name="A")
    world.responder(name="B")
    assigned = []
    for _ in range(4):
        escalate_on_sms(world, world.person(Channel.SMS))
        assigned.append(world.case().responder_id)
    assert assigned[0] != assigned[1] and assigned[0] == assigned[2] and assigned[1] == assigned[3]


def test_region_first_then_national_backup_never_the_other_kind(world):
    world.responder(kind="liaison", regions=["gauteng"], name="Police")
    national = world.responder(kind="paralegal", regions=["all"], name="National")
    local = world.responder(kind="paralegal", regions=["gauteng"], name="Local")
    escalate_on_sms(world, world.person(Channel.SMS))
    ids = {r.name: r.id for r in world.responders()}
    assert world.case().responder_id == ids["Local"]
    run_sweep(world, minutes_later=11)
    assert world.case().responder_id == ids["National"]
    run_sweep(world, minutes_later=22)  # both tried: a new round, never the police
    assert world.case().responder_id == ids["Local"]
    assert national and local


def test_nobody_on_duty_the_person_is_told_and_the_case_waits_for_someone(world):
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    assert world.case(reference).status == "unassigned"
    world.settle()
    assert any("no paralegal is on duty yet" in b for b in world.sms_texts(person.address))
    paralegal = world.responder()
    assert run_sweep(world).assigned == 1
    world.settle()
    assert reference in world.telegram_texts(paralegal.address)[0]


def test_provider_errors_are_retried_until_it_recovers(world, monkeypatch):
    monkeypatch.setattr(delivery, "BASE_BACKOFF_SECONDS", 0.05)
    paralegal = world.responder()
    world.telegram.fail_next(4, status=500)
    reference = escalate_on_sms(world, world.person(Channel.SMS))
    world.settle(timeout=20)
    assert reference in world.telegram_texts(paralegal.address)[0]
    [notice] = [n for n in world.notifications() if n.kind == "assigned"]
    assert notice.status == "sent" and notice.attempts == 5 and notice.provider_id


def test_a_blocked_responder_is_skipped_at_the_next_sweep(world):
    blocked = world.responder(name="Blocked")
    backup = world.responder(name="Backup")
    world.telegram.block_chat(blocked.address)
    reference = escalate_on_sms(world, world.person(Channel.SMS))
    world.settle()
    assert run_sweep(world).rerouted == 1  # no need to wait for the deadline
    world.settle()
    assert reference in world.telegram_texts(backup.address)[0]


def test_a_lost_queue_message_is_found_by_the_sweep(world, monkeypatch):
    """The row is the truth: a notification whose queue message vanished still goes out."""
    paralegal = world.responder()
    queue = world.queue()
    with monkeypatch.context() as patch:
        patch.setattr(queue, "enqueue", lambda notification_id, delay=0.0: None)  # Redis lost it
        reference = escalate_on_sms(world, world.person(Channel.SMS))
    assert world.telegram_texts(paralegal.address) == []
    assert run_sweep(world).requeued == 0  # queued a moment ago: give the queue its grace
    report = sweep(world.services, queue, now=utcnow() + timedelta(minutes=3))
    assert report.requeued == 1
    world.settle()
    assert reference in world.telegram_texts(paralegal.address)[0]


def test_delete_after_hand_over_keeps_only_an_anonymised_row_and_tells_the_responder(world):
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person, callback="YES")
    world.settle()
    person.says("DELETE")
    person.says("YES")
    assert "deleted" in person.text
    world.settle()
    assert "withdrew and deleted their data" in world.telegram_texts(paralegal.address)[-1]
    case = world.case(reference)
    assert case.pseudonym is None and case.contact_encrypted is None
    assert case.summary_encrypted is None and not case.callback_allowed
    assert case.status == "withdrawn" and case.created_at.day == 1
    assert (case.category, case.region) != ("", "")
    with world.services.db.session() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.event for e in events] == ["anonymised"]
    paralegal.says(f"ACK {reference}")
    assert "withdrew" in paralegal.text


def test_closed_cases_lose_their_personal_parts_after_the_grace_period(world):
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    paralegal.says(f"DONE {reference} advice_given sorted")
    world.settle()
    assert run_sweep(world, minutes_later=60).expired == 0
    assert run_sweep(world, minutes_later=8 * 24 * 60).expired == 1
    case = world.case(reference)
    assert case.contact_encrypted is None and case.pseudonym is None and case.status == "closed"


def test_key_rotation_re_encrypts_cases_and_responders(world):
    world.responder()
    reference = escalate_on_sms(world, world.person(Channel.SMS))
    old_key = world.services.settings.fernet_keys[0]
    fresh = new_key()
    rotated = Cipher([fresh, old_key])
    with world.services.db.session() as session:
        count = rotate_all(session, rotated)
    assert count >= 3
    only_new = Cipher([fresh])
    case = world.case(reference)
    assert only_new.decrypt(case.contact_encrypted).startswith("+27")
    assert only_new.decrypt(world.responders()[0].address_encrypted).isdigit()


def test_notifications_hold_no_text_and_no_address(world):
    world.responder()
    person = world.person(Channel.SMS)
    escalate_on_sms(world, person)
    world.settle()
    with world.services.db.session() as session:
        rows = session.scalars(select(Notification)).all()
        cases = session.scalars(select(Case)).all()
    for row in rows:
        values = " ".join(str(getattr(row, c.name)) for c in Notification.__table__.columns)
        assert person.address not in values and "beating" not in values
    for case in cases:
        values = " ".join(str(getattr(case, c.name)) for c in Case.__table__.columns)
        assert person.address not in values


def test_the_sweep_forgets_old_delivery_receipts(world):
    from sqlalchemy import func

    from bot.storage.models import InboundReceipt

    person = world.person(Channel.SMS)
    person.says("hi")
    with world.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundReceipt)) == 1
    run_sweep(world, minutes_later=60)
    with world.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundReceipt)) == 1
    run_sweep(world, minutes_later=31 * 24 * 60)  # RECEIPT_RETENTION: 30 days
    with world.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundReceipt)) == 0
