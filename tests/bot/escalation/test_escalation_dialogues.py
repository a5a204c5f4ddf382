"""Dialogues: a person in trouble, the consent questions, a responder who acts."""

from __future__ import annotations

import re

from bot.messages import Channel

REFERENCE = re.compile(r"\b([2-9A-HJ-NP-Z]{2}-[2-9A-HJ-NP-Z]{3})\b")


def escalate_on_sms(world, person, *, kind: str = "paralegal", region: str = "gauteng",
                    callback: str = "NO") -> str:
    """Walk the SMS consent flow with typed numbers and words; return the reference."""
    replies = person.says("police are beating me now help")
    assert any("esc:kind:paralegal" in [o.key for o in r.options] for r in replies), person.text
    person.says(person.option_number(f"esc:kind:{kind}"))
    if "is on duty now" in person.text:  # nobody of that kind on duty: keep the case waiting
        person.says(person.option_number("esc:wait"))
    assert "Which area" in person.text
    person.says(person.option_number(f"esc:region:{region}"))
    assert "call you back" in person.text
    person.says(callback)
    assert "If you say YES" in person.text
    person.says("YES")
    match = REFERENCE.search(person.text)
    assert match, person.text
    return match.group(1)


def test_sms_person_consents_and_a_telegram_paralegal_acknowledges_and_closes(world):
    paralegal = world.responder(kind="paralegal", regions=["gauteng"])
    person = world.person(Channel.SMS)

    reference = escalate_on_sms(world, person)
    assert "Send STATUS" in person.text
    world.settle()

    [notice] = world.telegram.sent_messages()
    assert str(notice["chat_id"]) == paralegal.address
    assert reference in notice["text"] and "Gauteng" in notice["text"]
    assert person.address not in notice["text"]  # no call-back agreed: no number
    buttons = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"esc:ack:{reference}", f"esc:done:{reference}"]

    paralegal.presses(f"esc:ack:{reference}")
    assert f"Acknowledged {reference}" in paralegal.text
    world.settle()
    assert any("has seen your case" in body for body in world.sms_texts(person.address))

    person.says("STATUS")
    assert reference in person.text and "acting on it" in person.text

    paralegal.says(f"DONE {reference} released spoke to station commander")
    assert f"Closed {reference}" in paralegal.text
    world.settle()
    assert any("closed" in body for body in world.sms_texts(person.address))
    case = world.case(reference)
    assert case.status == "closed" and case.close_note_encrypted
    assert "released" not in case.close_note_encrypted  # encrypted at rest


def test_telegram_person_is_not_asked_for_a_call_back_and_no_means_nothing_is_kept(world):
    world.responder(kind="liaison", regions=["western_cape"])
    person = world.person(Channel.TELEGRAM)
    person.says("they are arresting me right now")
    person.presses("esc:kind:liaison")
    person.presses("esc:region:western_cape")
    # What is seen, and that another responder may see it, are said before YES (legal-facts §10).
    assert "police liaison officer will see:" in person.text and "another will see it" in person.text
    assert "Not your number" in person.text
    person.presses("answer:no")
    assert "nothing was shared" in person.text
    assert world.notifications() == []
    with world.services.db.session() as session:
        from bot.escalation.models import Case
        from sqlalchemy import select
        assert session.scalars(select(Case)).all() == []


def test_call_back_agreed_on_sms_shows_the_number_to_the_responder_only_then(world):
    paralegal = world.responder(kind="paralegal", regions=["all"])
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person, region="limpopo", callback="YES")
    world.settle()
    [notice] = world.telegram_texts(paralegal.address)
    assert f"Call back on: {person.address}" in notice
    paralegal.says(f"ack {reference.lower()}")  # case and hyphen do not matter
    assert person.address in paralegal.text


def test_the_one_line_summary_goes_only_to_the_responder_and_is_stored_encrypted(world):
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    person.says("Cops took my phone at Hillbrow station")
    assert f"Added to case {reference}" in person.text
    world.settle()
    update = world.telegram_texts(paralegal.address)[-1]
    assert "Cops took my phone at Hillbrow station" in update
    case = world.case(reference)
    assert "Hillbrow" not in (case.summary_encrypted or "")
    assert world.services.cipher.decrypt(case.summary_encrypted) == "Cops took my phone at Hillbrow station"


def test_skipping_the_summary_sends_the_default_category_and_urgency(world):
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    person.says(person.option_number("esc:skip"))
    assert f"Case {reference} is with a paralegal" in person.text
    world.settle()
    [notice] = world.telegram_texts(paralegal.address)
    assert "urgent" in notice.split("Summary:")[1].splitlines()[0]


def test_anonymous_record_counts_category_region_and_month_and_contacts_nobody(world):
    world.responder()
    person = world.person(Channel.SMS)
    person.says("police are beating me now help")
    person.says(person.option_number("esc:anon"))
    person.says(person.option_number("esc:region:kwazulu_natal"))
    assert "Recorded anonymously" in person.text
    assert world.notifications() == []
    from bot.escalation.cases import monthly_figures
    with world.services.db.session() as session:
        [(month, category, region, count)] = monthly_figures(session)
        from bot.escalation.models import AnonymousReport
        from sqlalchemy import select
        [report] = session.scalars(select(AnonymousReport)).all()
    assert (region, count) == ("kwazulu_natal", 1) and category.startswith(("urgent", "police"))
    # No pseudonym, no time: violation/perpetrator/is_test are the oversight figures' codes.
    assert set(c.name for c in AnonymousReport.__table__.columns) == {
        "id", "jurisdiction", "category", "region", "month", "violation", "perpetrator", "is_test"}


def test_the_same_ack_five_times_gives_one_acknowledgement_and_one_message(world):
    paralegal = world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    world.settle()
    answers = []
    for _ in range(5):
        paralegal.presses(f"esc:ack:{reference}")
        answers.append(paralegal.text)
    assert answers[0].startswith(f"Acknowledged {reference}")
    assert all("already acknowledged" in answer for answer in answers[1:])
    world.settle()
    told = [b for b in world.sms_texts(person.address) if "has seen your case" in b]
    assert len(told) == 1
    with world.services.db.session() as session:
        from bot.escalation.models import CaseEvent
        from sqlalchemy import select
        events = session.scalars(select(CaseEvent.event).where(CaseEvent.event == "acknowledged")).all()
    assert len(events) == 1


def test_only_the_assigned_responder_can_act_and_strangers_learn_nothing(world):
    assigned = world.responder(name="A")
    other = world.responder(name="B", regions=["free_state"])
    stranger = world.person(Channel.TELEGRAM)
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    assert world.case(reference).responder_id == world.responders()[0].id
    other.says(f"ACK {reference}")
    assert "not assigned to you" in other.text
    stranger.says(f"ACK {reference}")
    # Someone who is not a responder is read as an ordinary message: nothing about the case.
    assert reference not in stranger.text and "not assigned" not in stranger.text
    stranger.says("done")
    assert "responder" not in stranger.text.lower()
    assert world.case(reference).status == "assigned"
    assigned.says("ACK ZZ-ZZZ")
    # The same answer as for a real case that is not theirs: no oracle for references.
    assert "ZZ-ZZZ is not assigned to you" in assigned.text
    assigned.says("ACK hello")
    assert "Send ACK and the case reference" in assigned.text


def test_status_works_in_isizulu(world):
    world.responder()
    person = world.person(Channel.SMS)
    reference = escalate_on_sms(world, person)
    person.says("ISIMO")
    assert reference in person.text


def test_status_without_a_case(world):
    person = world.person(Channel.SMS)
    person.says("STATUS")
    assert "no open case" in person.text


def test_talk_to_person_answers_then_offers_to_connect(world):
    world.responder(kind="liaison")
    person = world.person(Channel.TELEGRAM)
    person.presses("intent:talk_to_person")
    assert "To talk to a person" in person.text or "computer service" in person.text
    assert [o.key for o in person.last[-1].options][:2] == ["esc:kind:paralegal", "esc:kind:liaison"]
    assert "Do you want us to pass your case" in person.last[-1].text
    assert "A liaison officer is a police officer." in person.last[-1].text


def test_the_main_menu_offers_help_from_a_person(world):
    world.responder()
    person = world.person(Channel.TELEGRAM)
    person.says("MENU")
    assert "esc:start" in [o.key for o in person.last[-1].options]
    person.presses("esc:start")
    assert "esc:kind:paralegal" in [o.key for o in person.last[-1].options]


def test_option_keys_fit_telegram_callback_data():
    from bot.escalation.cases import new_reference, normalise_reference
    for _ in range(200):
        reference = new_reference()
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{2}-[2-9A-HJ-NP-Z]{3}", reference)
        assert len(f"esc:done:{reference}".encode()) <= 64
        assert normalise_reference(reference.lower().replace("-", " ")) == reference
    assert normalise_reference("K0-1OI") is None


def test_text_instead_of_yes_asks_the_consent_question_once_more(world):
    world.responder()
    person = world.person(Channel.TELEGRAM)
    person.says("they are arresting me right now")
    person.presses("esc:kind:paralegal")
    person.presses("esc:region:gauteng")
    person.says("they took my bag and my phone")
    assert "If you say YES" in person.text and world.notifications() == []
    person.says("YES")
    assert REFERENCE.search(person.text)
