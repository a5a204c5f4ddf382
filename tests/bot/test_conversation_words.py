"""Dialogues in words, as frightened people write them: situation safety texts, urgent
answers that keep the specific help, "did you mean", follow-ups, and the SMS budget."""

from __future__ import annotations

import pytest

from bot.messages import Channel
from bot.render import render_sms
from bot.sms_encoding import count_segments
from tests.conftest import person_row


def texts(replies) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(reply.text for reply in replies)


def segments(replies) -> int:  # type: ignore[no-untyped-def]
    return sum(count_segments(render_sms(reply)).segments for reply in replies)


# --- sexual violence never gets "do not resist" ------------------------------------------------
SEXUAL_VIOLENCE = [
    ("en", "the policeman forced himself on me in the van just now"),
    ("en", "police took photos of me naked in the cells"),
    ("en", "a cop raped me"),
    ("en", "the officer said have sex with me or you go to jail"),
    ("zu", "iphoyisa langidlwengula manje"),
    ("zu", "amaphoyisa athatha izithombe zami ngiqunu emaseleni"),
    ("af", "die polisie het my verkrag"),
    ("af", "die polisieman het foto's van my kaal geneem in die selle"),
]


@pytest.mark.parametrize(("language", "message"), SEXUAL_VIOLENCE)
def test_sexual_violence_by_police_gets_pep_and_gbv_never_do_not_resist(person_on, language, message) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    said = texts(replies).lower()
    assert "resist" not in said and "weerstaan" not in said and "ungamelani" not in said
    assert "72" in replies[0].text and "0800 428 428" in replies[0].text
    assert any(o.key.startswith("esc:") for o in replies[-1].options)  # the offer follows
    assert segments(replies) <= 4


# --- urgent + topical: the specific help stays ------------------------------------------------------
def test_bail_or_bribe_in_the_cells_gets_the_bribe_safety_text_and_the_bail_line(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("my son is in the cells, the cop says pay R1000 bail or he stays, "
                          "is that real bail or a bribe?")
    assert replies[0].text.startswith(services.content.text("safety_extortion", "en"))
    assert services.content.text("key_rights_bail", "en") in replies[0].text
    assert "do not resist" not in texts(replies).lower()
    assert replies[-1].options[0].key == "esc:kind:paralegal"


@pytest.mark.parametrize(("language", "message"), [
    ("en", "i need my ARVs im locked up"),
    ("zu", "ngidinga ama-arv ami ngivalelwe emaseleni"),
    ("af", "ek het my ARVs nodig ek is in die selle toegesluit"),
])
def test_medicine_in_the_cells_gets_a_safety_text_that_names_the_medicine(person_on, language, message) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert "ARV" in replies[0].text and "10177" in replies[0].text


def test_a_phone_taken_by_police_is_not_a_medical_emergency(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("poliec tok my fone n wont giv it bak")
    assert "10177" not in texts(replies)
    assert "CPA s20" in replies[0].text or replies[-1].intent == "clarify"


# --- did you mean -------------------------------------------------------------------------------
# Phrases the current model is unsure about (a new model may need new phrases: the test is of
# the menu, the model is measured in docs/nlu-report.md).
@pytest.mark.parametrize("message", ["and the law on that", "the law thing"])
def test_an_unsure_guess_becomes_a_did_you_mean_menu(person_on, services, message) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says(message)
    assert replies[-1].text == services.content.text("clarify_prompt", "en")
    keys = [o.key for o in replies[-1].options]
    assert 2 <= len([k for k in keys if k.startswith("intent:")]) <= 3
    assert segments(replies) <= 2
    title = replies[-1].options[1].label
    answer = person.says(title.lower())  # answered by word
    assert answer[-1].intent == keys[1].removeprefix("intent:")


def test_maybe_urgent_but_unclear_gets_safety_then_did_you_mean_with_a_person_first(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("the cops have my bag and stuff")
    assert "10111" in replies[0].text or "112" in replies[0].text
    assert replies[-1].intent == "clarify"
    assert replies[-1].options[0].key == "esc:start"


# --- context and small talk ---------------------------------------------------------------------
def test_a_follow_up_is_answered_in_the_context_of_the_last_topic(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("is it legal to sell sex")
    assert person.last[-1].intent == "sex_work_law"
    assert person.says("can i get in trouble for that")[-1].intent == "sex_work_law"
    person.says("arrested friday when is court")
    assert person.says("what about my friend")[-1].intent in {"rights_48_hours", "held_over_48_hours"}


@pytest.mark.parametrize(("language", "message"), [
    ("en", "ok"), ("en", "thanks"), ("en", "😢😢"), ("zu", "kulungile"), ("af", "reg"), ("af", "dankie"),
])
def test_ok_thanks_and_emoji_get_a_short_acknowledgement_with_the_menu(person_on, services, language, message) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert services.content.text("not_understood", language) not in texts(replies)
    assert services.content.text("empty_message", language) not in texts(replies)
    assert any(o.key.startswith("intent:") for o in replies[-1].options)
    assert segments(replies) <= 2


@pytest.mark.parametrize(("language", "message"), [
    ("en", "my boyfriend hits me"), ("en", "a client beat me last night"),
    ("zu", "isoka lami uyangishaya"), ("af", "my kerel slaan my"),
])
def test_violence_by_a_partner_or_client_gets_the_gbv_command_centre(person_on, language, message) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert "0800 428 428" in texts(replies)
    assert replies[0].intent == "partner_violence"


def test_held_longer_than_48_hours_gets_what_to_do_now(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("my brother is held more than 48 hours and still no court")
    assert "station commander" in texts(replies)


# --- menus by word; HELP; what was not shown does not work -----------------------------------------
@pytest.mark.parametrize(("typed", "language"), [("afrikaans", "af"), ("isizulu", "zu"), ("zulu", None),
                                                 ("English", "en"), ("english please", "en")])
def test_the_language_menu_answers_to_words(person_on, typed, language, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("LANG")
    person.says(typed)
    row = person_row(services, Channel.SMS, person.address)
    if language:
        assert row.language == language and row.language_chosen


@pytest.mark.parametrize("language", ["en", "zu", "af"])
def test_help_shows_talk_to_a_person_within_two_segments(person_on, language) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says({"en": "HELP", "zu": "USIZO", "af": "HULP"}[language])
    body = render_sms(replies[-1])
    assert "esc:start" in [o.key for o in replies[-1].options]
    number = [o.key for o in replies[-1].options].index("esc:start") + 1
    assert f"\n{number} " in body
    assert count_segments(body).segments <= 2


def test_a_number_that_was_not_shown_picks_nothing(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("cops took my condoms")  # an answer with follow-ups that may not all fit
    shown = render_sms(replies[-1]).count("\n")
    stored = person_row(services, Channel.SMS, person.address).menu
    assert len(stored) == len(replies[-1].options) <= shown + 2


# --- the SMS budget of every answer, in every language ------------------------------------------------
@pytest.mark.parametrize("language", ["en", "zu", "af", "xh", "st", "tn", "nso"])
def test_every_topic_answer_and_system_text_fits_two_segments(services, language) -> None:
    content = services.content
    for intent in content.topic_intents("za"):
        topic = content.topic("za", intent, language)
        assert count_segments(topic.sms).segments <= 2, (language, intent)
    namespace = content.content.jurisdictions["za"]
    keys = set(content.content.common.system) | set(namespace.system)
    params = {"responder": "paralegal", "reference": "K7-3QF", "minutes": "10", "category": "Arrested now",
              "region": "Gauteng", "state": "closed.", "number": "+27820000000", "summary": "x",
              "urgency": "urgent", "callback": "", "help": "SWEAT 0800 60 60 60"}
    for key in keys:
        text = content.text(key, language, "za", **params)
        # Two segments unless the text's definition allows more (the privacy notice, sent
        # only on request, may take three: content/common/system.yml, max_segments).
        definition = namespace.system.get(key) or content.content.common.system[key]
        assert count_segments(text).segments <= max(2, definition.max_segments), (language, key)


@pytest.mark.parametrize("language", ["en", "zu", "af", "xh", "st", "tn", "nso"])
def test_urgent_safety_text_with_a_key_line_fits_two_segments(services, language) -> None:
    content = services.content
    safety = [content.text(f"safety_{name}", language) for name in
              ("sexual_violence", "extortion", "medical", "held_48h", "phone_taken")]
    safety += [content.safety("za", intent, language) for intent in
               ("urgent_arrested_now", "urgent_violence", "urgent_medical_custody")]
    for text in safety:
        assert count_segments(text).segments <= 2, (language, text[:40])


# --- the same in isiZulu and Afrikaans ----------------------------------------------------------------
@pytest.mark.parametrize(("language", "question", "intent", "follow_up"), [
    ("en", "how does bail work", "rights_bail", "and if they refuse"),
    ("zu", "anginayo imali yommeli", "rights_lawyer", "ngingaba sezinkingeni ngalokho"),
    ("zu", "anginayo imali yommeli", "rights_lawyer", "kuthiwani ngomngani wami"),
    ("af", "hoe werk borgtog", "rights_bail", "kan ek in die moeilikheid kom daarvoor"),
])
def test_follow_ups_keep_the_topic_in_every_language(person_on, language, question, intent, follow_up) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    assert person.says(question)[-1].intent == intent
    replies = person.says(follow_up)
    # answered in context (an urgent-sounding one also gets the offer of help), or asked
    # "did you mean" with the last topic among the first two
    keys = [o.key for o in replies[-1].options][:2]
    assert replies[0].intent == intent or f"intent:{intent}" in keys
    assert segments(replies) <= 4


@pytest.mark.parametrize(("language", "message"), [
    ("zu", "ngingaba sezinkingeni ngalokho"),
    # Afrikaans: the current model is sure (or sure it is off-topic) on every vague phrase
    # we tried, so there is no unsure Afrikaans message to show the menu with today.
])
def test_did_you_mean_in_isizulu_and_afrikaans(person_on, services, language, message) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert replies[-1].text == services.content.text("clarify_prompt", language)
    assert replies[-1].text != services.content.text("clarify_prompt", "en")
    assert segments(replies) <= 2


@pytest.mark.parametrize(("language", "message", "key_line"), [
    ("en", "im in the cells now they searched me naked", None),
    ("zu", "ngisemaseleni manje iphoyisa lifuna imali ukuthi ngikhululwe ngebheyili", "key_rights_bail"),
    ("af", "ek is nou in die selle en die polisie wil geld he vir borg", "key_rights_bail"),
])
def test_urgent_and_topical_in_every_language_keeps_within_four_segments(person_on, services, language,
                                                                        message, key_line) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    replies = person.says(message)
    assert "resist" not in texts(replies).lower()
    assert segments(replies) <= 4
    if key_line and replies[0].intent != "urgent_violence":
        assert services.content.text(key_line, language) in replies[0].text or "112" in replies[0].text


# --- DELETE confirmation in words -----------------------------------------------------------------
@pytest.mark.parametrize(("language", "yes"), [("en", "yes delete it"), ("zu", "yebo"), ("af", "ja asseblief")])
def test_delete_is_confirmed_in_words(person_on, services, language, yes) -> None:
    person = person_on(Channel.SMS)
    person.says(f"LANG {language}")
    person.says("DELETE")
    person.says(yes)
    assert person_row(services, Channel.SMS, person.address) is None


def test_delete_asks_again_once_then_says_nothing_is_deleted_yet(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("DELETE")
    assert person.says("banana")[-1].text.startswith(services.content.text("reask", "en"))
    assert person.says("banana")[-1].text == services.content.text("delete_still_pending", "en")
    assert person_row(services, Channel.SMS, person.address).pending_step == "confirm_delete"
    person.says("no thanks")
    row = person_row(services, Channel.SMS, person.address)
    assert row is not None and row.pending_step is None


@pytest.mark.parametrize("danger", ["they are beating me now", "they are arresting me right now"])
def test_danger_right_after_an_answer_is_urgent_not_a_follow_up(person_on, services, danger) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("how does bail work")
    replies = person.says(danger)
    assert replies[0].intent != "rights_bail"
    assert "10111" in replies[0].text or "112" in replies[0].text
