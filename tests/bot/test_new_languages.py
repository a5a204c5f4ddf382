"""Dialogues in isiXhosa, Sesotho, Setswana and Sepedi, and in languages Haki does not
answer in yet, on the real NLU, the real catalogs and the real conversation."""

from __future__ import annotations

import pytest

from bot.language_choice import choice_line, code_from_words
from bot.messages import Channel
from bot.render import render_sms
from bot.sms_encoding import count_segments
from nlu.language_table import load_table

NEW = ("xh", "st", "tn", "nso")


def texts(replies) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(reply.text for reply in replies)


def intents(replies) -> list[str | None]:  # type: ignore[no-untyped-def]
    return [reply.intent for reply in replies]


def never_a_command_prompt(services, replies, person) -> None:  # type: ignore[no-untyped-def]
    """No DELETE or STOP prompt, no goodbye, in any language, and the person still subscribed."""
    for code in services.settings.language_codes:
        for key in ("delete_confirm", "stop_confirmed", "goodbye"):
            assert services.content.text(key, code) not in texts(replies)
    assert not {"stop", "delete_data", "goodbye"} & set(intents(replies))


# --- the failures the issue found -----------------------------------------------------------
@pytest.mark.parametrize(("language", "message"), [
    ("st", "ke hloka ramolao empa ha ke na chelete"),
    ("nso", "ke nyaka ramolao eupsa ga ke na tshelete"),
    ("tn", "ke tlhoka ramolao mme ga ke na madi"),
    ("xh", "ndifuna igqwetha kodwa andinamali yokulihlawula"),
])
def test_no_money_for_a_lawyer_gets_the_lawyer_answer_in_that_language(person_on, services, language, message) -> None:
    person = person_on(Channel.SMS)
    replies = person.says(message)
    never_a_command_prompt(services, replies, person)
    answer = services.content.topic("za", replies[-1].intent, language)
    assert replies[-1].intent in {"rights_lawyer", "find_legal_help"}
    assert answer is not None and replies[-1].text == answer.sms


@pytest.mark.parametrize(("language", "message", "safety"), [
    # "lwala" (sick) is a medical situation word (content/common/choices.yml), so the
    # medical safety text comes, as "sick in the cells" does in English.
    ("tn", "tsala ya me e lwala thata mo seleng", "situation:medical"),
    ("st", "ke tshwerwe hona jwale ke mona seteisheneng", "urgent_arrested_now"),
    ("nso", "maphodisa a a mpetha bjale", "urgent_violence"),
    ("xh", "ndibanjiwe ngamapolisa ngoku", "urgent_arrested_now"),
])
def test_urgent_messages_get_the_safety_text_in_their_language(person_on, services, language, message, safety) -> None:
    person = person_on(Channel.SMS)
    replies = person.says(message)
    if safety.startswith("situation:"):
        # The situation's own safety text, maybe followed by the key line of a topic.
        assert replies[0].text.startswith(services.content.text(f"safety_{safety[10:]}", language, "za"))
    else:
        assert replies[0].text == services.content.safety("za", safety, language)
    never_a_command_prompt(services, replies, person)


@pytest.mark.parametrize(("language", "message", "intent"), [
    ("xh", "ndicela ukwazi ngebheyile yamapolisa", "rights_bail"),
    ("st", "mapolesa a nkile dikhondomo tsa ka maobane", "condoms_evidence"),
    ("tn", "ke batla go ngongorega ka mapodisi kwa IPID", "report_police"),
    ("nso", "ke nyaka go tseba ka beile ya maphodisa", "rights_bail"),
])
def test_a_first_question_is_answered_in_its_own_language(person_on, services, language, message, intent) -> None:
    person = person_on(Channel.SMS)
    replies = person.says(message)
    assert replies[0].text == services.content.text("welcome", language)
    assert replies[-1].intent == intent
    assert replies[-1].text == services.content.topic("za", intent, language).sms


# --- choosing a language ----------------------------------------------------------------------
@pytest.mark.parametrize(("message", "language"), [
    ("Sepedi", "nso"), ("isiXhosa", "xh"), ("sesotho", "st"), ("Setswana!", "tn"),
    ("LANG 7", "nso"), ("LANG st", "st"), ("LANG sesotho sa leboa", "nso"), ("ULWIMI isiXhosa", "xh"),
    ("PUO Setswana", "tn"), ("POLELO 5", "st"), ("LANG nso", "nso"), ("ke batla Sesotho", "st"),
])
def test_language_names_numbers_and_codes_work_in_every_language(person_on, services, message, language) -> None:
    person = person_on(Channel.SMS)
    person.says("LANG zu")
    replies = person.says(message)
    assert services.content.text("language_changed", language) in texts(replies)


def test_the_language_menu_lists_every_language_in_its_own_name(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    menu = person.says("LANG")[-1]
    assert [o.label for o in menu.options] == [load_table().get(c).own for c in services.settings.language_codes]
    person.says("6")
    assert person.says("how does bail work")[-1].text == services.content.topic("za", "rights_bail", "tn").sms


def test_an_uncertain_first_message_gets_a_one_line_choice(person_on, services) -> None:
    person = person_on(Channel.SMS)
    replies = person.says("dumela")
    line = choice_line(services.settings.language_codes)
    assert line in texts(replies)
    assert count_segments(render_sms(next(r for r in replies if r.text == line))).segments == 1
    assert replies[-1].intent == "menu"  # the answer stays last, with its own numbers
    # A clear first message does not get it.
    other = person_on(Channel.SMS)
    assert line not in texts(other.says("ke tshwerwe ke maphodisa bjale ke nyaka ramolao"))


@pytest.mark.parametrize(("greeting", "line"), [("hi", False), ("thobela", True), ("molo", True)])
def test_a_greeting_gets_the_language_line_only_when_not_in_the_default_language(person_on, services,
                                                                                greeting, line) -> None:
    replies = person_on(Channel.SMS).says(greeting)
    assert (choice_line(services.settings.language_codes) in texts(replies)) is line
    assert replies[-1].intent == "menu"


def test_a_chosen_language_is_kept_whatever_the_message_looks_like(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("LANG tn")
    replies = person.says("ke batla go itse ka beile")
    assert replies[-1].text == services.content.topic("za", "rights_bail", "tn").sms


def test_lang_argument_parsing() -> None:
    codes = ("en", "zu", "af", "xh", "st", "tn", "nso")
    assert code_from_words("4", codes) == "xh"
    assert code_from_words("northern sotho", codes) == "nso"
    assert code_from_words("8", codes) is None
    assert code_from_words("french", codes) is None


# --- command words ---------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "delete_word", "stop_word"), [
    ("xh", "CIMA", "YEKA"), ("st", "HLAKOLA", "EMISA"), ("tn", "PHIMOLA", "EMISA"), ("nso", "PHUMOLA", "EMISA"),
])
def test_command_words_in_each_new_language(person_on, services, language, delete_word, stop_word) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    assert person.says(delete_word)[-1].text == services.content.text("delete_confirm", language)
    assert services.content.text("delete_cancelled", language) in texts(person.says("no"))
    assert person.says(stop_word)[-1].text == services.content.text("stop_confirmed", language)


# --- languages Haki does not answer in yet -------------------------------------------------------
@pytest.mark.parametrize(("message", "closest"), [
    ("ndzi lava ku tiva hi timfanelo ta mina inkomu swinene", "zu"),  # Xitsonga
    ("ndi khou humbela thuso nga ha pfanelo dzanga zwino vhathu", "nso"),  # Tshivenda
])
def test_an_unsupported_language_gets_a_safe_reply_in_english_and_the_closest(person_on, services, message, closest) -> None:
    person = person_on(Channel.SMS)
    replies = person.says(message)
    never_a_command_prompt(services, replies, person)
    assert services.content.text("not_understood", "en") in texts(replies)
    assert services.content.text("not_understood", closest) in texts(replies)
    assert "10111" in texts(replies)
    menu = replies[-1]
    assert [o.key for o in menu.options] == [f"lang:{c}" for c in services.settings.language_codes]
    sms = render_sms(menu)
    assert count_segments(sms).segments <= 2
    assert all(load_table().get(c).own in sms for c in services.settings.language_codes)


@pytest.mark.parametrize("message", [
    "ndzi khomiwile hi maphorisa sweswi",  # Xitsonga: arrested by police now
    "ndo farwa nga mapholisa zwino",  # Tshivenda
    "ngibotjiwe ngemaphoyisa nyalo",  # siSwati
    "ngibotjhiwe amapholisa nanje",  # isiNdebele
])
def test_urgent_words_in_unsupported_languages_bring_the_safety_text(person_on, services, message) -> None:
    person = person_on(Channel.SMS)
    replies = person.says(message)
    safety = {services.content.safety("za", intent, code) for code in services.settings.language_codes
              for intent in ("urgent_arrested_now", "urgent_violence", "urgent_medical_custody")}
    assert replies[0].text in safety and "10111" in replies[0].text
    never_a_command_prompt(services, replies, person)


# --- every answer fits the SMS budget in every new language --------------------------------------
@pytest.mark.parametrize("language", NEW)
def test_every_topic_answer_fits_two_segments(services, language) -> None:
    from bot.messages import OutboundMessage

    for intent in services.content.topic_intents("za"):
        topic = services.content.topic("za", intent, language)
        assert topic is not None and topic.translated, f"{language}/{intent}"
        assert count_segments(render_sms(OutboundMessage(text=topic.sms))).segments <= 2, f"{language}/{intent}"


# --- situations in words (content/common/choices.yml, situations) ---------------------------
@pytest.mark.parametrize(("language", "message", "situation"), [
    ("nso", "lephodisa le nkatile bjale", "sexual_violence"),
    ("xh", "ipolisa lithathe ifowuni yam ngoku", "phone_taken"),
    ("tn", "mapodisi a ntshwere go feta diura di le 48 ga ke ise ke ye kgotlatshekelong", "held_48h"),
    ("st", "ke tshwerwe, mapolesa a batla tjhelete hore ba ntokolle hona jwale", "extortion"),
])
def test_an_urgent_message_gets_its_situation_safety_text_in_its_language(person_on, services, language,
                                                                          message, situation) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert replies[0].text.startswith(services.content.text(f"safety_{situation}", language, "za"))
    assert count_segments(render_sms(replies[0])).segments <= 2
    never_a_command_prompt(services, replies, person)
