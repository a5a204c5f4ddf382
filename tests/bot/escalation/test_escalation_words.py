"""Urgent cases answered in words, in every language; asking again; nobody on duty; and a
property test: whatever a person replies at any step, they are told where they stand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.escalation.flow import STEP_CALLBACK, STEP_CONSENT, STEP_NOBODY, STEP_OFFER, STEP_REGION
from bot.messages import Channel
from bot.render import render_sms
from bot.sms_encoding import count_segments
from tests.conftest import person_row

ESCALATION_STEPS = {STEP_OFFER, STEP_NOBODY, STEP_REGION, STEP_CALLBACK, STEP_CONSENT}

# (language, urgent message, who to tell, area, call-back, consent, region stored)
IN_WORDS = [
    ("en", "they are arresting me right now", "the paralegal", "im in durban", "no", "yes please hurry", "kwazulu_natal"),
    ("en", "police are beating me now", "Paralegal!", "joburg", "n", "YES", "gauteng"),
    ("en", "they are arresting me right now", "paralegl", "cape town", "nope", "ok", "western_cape"),
    ("en", "they are arresting me right now", "yes please", "kzn pls", "no thanks", "yes", "kwazulu_natal"),
    ("zu", "amaphoyisa ayangibopha manje", "iparalegal", "kzn", "cha", "yebo ngiyacela", "kwazulu_natal"),
    ("zu", "amaphoyisa ayangishaya manje", "yebo", "eThekwini", "hhayi", "yebo", "kwazulu_natal"),
    ("af", "die polisie arresteer my nou", "paralegal", "kaapstad", "nee", "ja asseblief", "western_cape"),
    ("af", "die polisie slaan my nou", "ja", "gauteng", "nee dankie", "ja", "gauteng"),
    # isiXhosa, Sesotho, Setswana, Sepedi (issue 16): place names as people say them there.
    ("xh", "ndibanjiwe ngamapolisa ngoku", "iparalegal", "eKapa", "hayi", "ewe ndiyacela", "western_cape"),
    ("xh", "ndibanjiwe ngamapolisa ngoku", "ewe", "eRhawutini", "hayi enkosi", "ewe", "gauteng"),
    ("st", "ke tshwerwe hona jwale ke mona seteisheneng", "paralegal", "Foreistata", "tjhe", "e ka kopo", "free_state"),
    ("st", "ke tshwerwe hona jwale ke mona seteisheneng", "ee", "ke Tshwane", "tjhe ke a leboha", "e", "gauteng"),
    ("tn", "tsala ya me e lwala thata mo seleng", "ee", "Mahikeng", "nnyaa", "ee tsweetswee", "north_west"),
    ("tn", "tsala ya me e lwala thata mo seleng", "paralegal", "Kapa Bokone", "nnyaa ke a leboga", "ee", "northern_cape"),
    ("nso", "maphodisa a a mpetha bjale", "paralegal", "Polokwane", "aowa", "ee hle", "limpopo"),
    ("nso", "maphodisa a a mpetha bjale", "ee", "Kapa", "aowa", "ee", "western_cape"),
]


@pytest.mark.parametrize(("language", "urgent", "kind", "area", "callback", "consent", "region"), IN_WORDS)
def test_an_urgent_case_answered_only_in_words_reaches_a_responder(
        sqlite_world, language, urgent, kind, area, callback, consent, region) -> None:
    responder = sqlite_world.responder(regions=["all"])
    person = sqlite_world.person(Channel.SMS)
    person.says(f"LANG {language}")
    person.says(urgent)
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_OFFER
    person.says(kind)
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_REGION
    person.says(area)
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_CALLBACK
    person.says(callback)
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_CONSENT
    person.says(consent)
    case = sqlite_world.case()
    assert case.region == region and not case.callback_allowed
    sqlite_world.settle()
    assert any(case.reference in text for text in sqlite_world.telegram_texts(responder.address))


def test_a_reply_that_answers_nothing_is_asked_again_once_then_nothing_is_sent_yet(sqlite_world) -> None:
    sqlite_world.responder()
    content = sqlite_world.services.content
    person = sqlite_world.person(Channel.SMS)
    person.says("they are arresting me right now")
    person.says("paralegal")
    person.says("banana")
    assert person.last[-1].text.startswith(content.text("reask", "en"))
    assert [o.key for o in person.last[-1].options][0].startswith("esc:region:")
    person.says("banana")
    assert person.last[-1].text == content.text("still_waiting", "en")
    assert [o.key for o in person.last[-1].options][-1] == "cmd:menu"
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_REGION
    person.says("gauteng")  # the step is still there
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_CALLBACK


def test_an_urgent_message_in_the_middle_gets_safety_first_then_the_same_question(sqlite_world) -> None:
    sqlite_world.responder()
    person = sqlite_world.person(Channel.SMS)
    person.says("they are arresting me right now")
    person.says("paralegal")
    replies = person.says("they are beating me now")
    assert "10111" in replies[0].text or "112" in replies[0].text
    assert replies[-1].options[0].key.startswith("esc:region:")
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step == STEP_REGION


def test_menu_in_the_middle_says_nothing_was_shared(sqlite_world) -> None:
    person = sqlite_world.person(Channel.SMS)
    person.says("they are arresting me right now")
    person.says("MENU")
    assert sqlite_world.services.content.text("esc_left", "en") in person.last[-1].text
    assert person_row(sqlite_world.services, Channel.SMS, person.address).pending_step is None


def test_nobody_on_duty_is_said_before_consent_with_other_ways_to_get_help(sqlite_world) -> None:
    person = sqlite_world.person(Channel.SMS)
    person.says("they are arresting me right now")
    assert "esc:kind:liaison" not in [o.key for o in person.last[-1].options]  # nobody there
    person.says("paralegal")
    assert "No paralegal is on duty now" in person.last[-1].text
    assert "0800 428 428" in person.last[-1].text
    keys = [o.key for o in person.last[-1].options]
    assert keys == ["esc:wait", "esc:anon", "esc:no"]
    person.says("wait")
    person.says("gauteng")
    person.says("no")
    person.says("yes")
    text = person.reply_text
    assert "within" not in text and "No paralegal is on duty now" in text
    assert sqlite_world.case().status == "unassigned"


def test_nobody_of_the_chosen_kind_offers_the_other_kind(sqlite_world) -> None:
    sqlite_world.responder(kind="liaison")
    person = sqlite_world.person(Channel.SMS)
    person.says("they are arresting me right now")
    assert "A liaison officer is a police officer." in person.last[-1].text
    person.says("paralegal")
    assert [o.key for o in person.last[-1].options][0] == "esc:kind:liaison"
    person.says("anonymous")
    person.says("rather not say")
    assert "Recorded anonymously" in person.reply_text


def test_talk_to_a_person_with_nobody_on_duty_fits_two_segments_in_every_language(sqlite_world) -> None:
    for language in ("en", "zu", "af"):
        person = sqlite_world.person(Channel.SMS)
        person.says(f"LANG {language}")
        replies = person.presses("intent:talk_to_person")
        assert sum(count_segments(render_sms(r)).segments for r in replies) <= 2, language
        assert "0800 428 428" in replies[-1].text


def test_urgent_turns_stay_within_four_segments_in_every_language(sqlite_world) -> None:
    sqlite_world.responder(kind="liaison")
    for language, message in [("en", "they are arresting me right now"),
                              ("en", "the policeman forced himself on me in the van just now"),
                              ("en", "my son is in the cells, the cop says pay R1000 bail or he stays"),
                              ("en", "i need my ARVs im locked up"),
                              ("zu", "amaphoyisa ayangibopha manje"), ("zu", "iphoyisa langidlwengula manje"),
                              ("af", "die polisie arresteer my nou"), ("af", "die polisie het my verkrag")]:
        person = sqlite_world.person(Channel.SMS)
        replies = person.says(message, language_hint=language)  # a first message: welcome too
        segments = sum(count_segments(render_sms(r)).segments for r in replies)
        assert segments <= 4, (language, message, segments)


# --- the property: never left without knowing where they stand --------------------------------
REPLIES = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "9", "10", "12", "0", "yes", "no", "yebo", "cha", "ja", "nee",
                     "paralegal", "liaison", "anonymous", "wait", "kzn", "durban", "cape town", "banana",
                     "😢", "?", "ok", "MENU", "HELP", "they are beating me now", "skip", "rather not say",
                     "im in jozi", "yes please hurry", "no thanks", "asdf qwer", "the police took my phone",
                     "PRIVACY", "STATUS", "LANG zu", "SHARE", "START", "LANG"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30),
)
ENDINGS = ("esc_declined", "esc_left", "esc_anonymous_recorded", "esc_summary_prompt")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(replies=st.lists(REPLIES, min_size=1, max_size=6), liaison_on_duty=st.booleans(),
       paralegal_on_duty=st.booleans())
def test_whatever_the_replies_the_person_always_knows_where_they_stand(
        sqlite_world, replies, liaison_on_duty, paralegal_on_duty) -> None:

    world = sqlite_world
    if paralegal_on_duty and not any(r.kind == "paralegal" for r in world.responders()):
        world.responder(kind="paralegal")
    if liaison_on_duty and not any(r.kind == "liaison" for r in world.responders()):
        world.responder(kind="liaison")
    content = world.services.content
    # In every language: "LANG zu" may come first, and the ending is then said in isiZulu.
    endings = [content.text(key, code, responder="paralegal").split("{")[0][:20]
               for key in ENDINGS for code in world.services.settings.language_codes]
    person = world.person(Channel.SMS)
    person.says("they are arresting me right now")
    for reply in replies:
        before = person_row(world.services, Channel.SMS, person.address).pending_step
        answer = person.says(reply)
        if before not in ESCALATION_STEPS:
            break  # the flow ended earlier; what follows is an ordinary conversation
        assert answer, f"silence after {reply!r} at {before}"
        step = person_row(world.services, Channel.SMS, person.address).pending_step
        if step in ESCALATION_STEPS:
            assert answer[-1].options, f"{reply!r} at {before}: still asking, but no options shown"
        else:
            told = "\n".join(r.text for r in answer)
            assert any(ending in told for ending in endings) or step == "esc_summary", (
                f"{reply!r} at {before} ended the flow without saying so: {told!r}")


def test_an_urgent_line_as_the_summary_reaches_the_case_and_gets_the_safety_text(sqlite_world) -> None:
    sqlite_world.responder()
    person = sqlite_world.person(Channel.SMS)
    for reply in ["they are arresting me right now", "paralegal", "gauteng", "no", "yes"]:
        person.says(reply)
    replies = person.says("they are beating me now in the van")
    assert "10111" in replies[0].text or "112" in replies[0].text
    assert "Added to case" in replies[-1].text


def test_talk_to_a_person_with_both_kinds_on_duty_fits_two_segments_in_every_language(sqlite_world) -> None:
    sqlite_world.responder(kind="paralegal")
    sqlite_world.responder(kind="liaison")
    for language in ("en", "zu", "af"):
        person = sqlite_world.person(Channel.SMS)
        person.says(f"LANG {language}")
        replies = person.presses("intent:talk_to_person")
        assert sum(count_segments(render_sms(r)).segments for r in replies) <= 2, language
        shown = render_sms(replies[-1])
        assert all(f"{n} " in shown for n in range(1, len(replies[-1].options) + 1)), language


def test_yes_to_talk_to_a_person_with_nobody_on_duty_keeps_the_case_waiting(sqlite_world) -> None:
    person = sqlite_world.person(Channel.SMS)
    person.says("hi")
    person.presses("intent:talk_to_person")
    for reply in ["yes please", "joburg", "no", "yes"]:
        person.says(reply)
    assert "No paralegal is on duty now" in person.reply_text
    assert sqlite_world.case().status == "unassigned"
