"""Dialogues with the core, as people would have them, on the real NLU and real content."""

from __future__ import annotations

import pytest

from bot.messages import Channel
from bot.render import render_sms
from bot.sms_encoding import count_segments


def texts(replies) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(reply.text for reply in replies)


def intents(replies) -> list[str | None]:  # type: ignore[no-untyped-def]
    return [reply.intent for reply in replies]


# --- first contact -------------------------------------------------------------------------
def test_first_hello_gets_the_welcome_with_privacy_notice_and_the_menu(person_on, services) -> None:
    person = person_on(Channel.SMS)
    replies = person.says("hi")
    assert replies[0].text == services.content.text("welcome", "en")
    assert "DELETE" in replies[0].text and "STOP" in replies[0].text
    menu = replies[-1]
    assert menu.intent == "menu" and len(menu.options) >= 6
    topics = [o.key for o in menu.options if o.key.startswith("intent:")]
    assert len(topics) >= 6 and topics[0] == "intent:rights_arrest"


def test_the_welcome_comes_once(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hello")
    again = person.says("hello")
    assert services.content.text("welcome", "en") not in texts(again)


def test_an_urgent_first_message_gets_safety_then_the_offer_with_a_one_line_welcome(person_on, services) -> None:
    person = person_on(Channel.SMS)
    replies = person.says("police are arresting me right now help")
    assert replies[0].intent in {"urgent_arrested_now", "rights_arrest"}
    assert "10111" in replies[0].text
    assert services.content.text("welcome", "en") not in texts(replies)
    assert replies[-1].text.startswith(services.content.text("welcome_short", "en"))
    assert sum(count_segments(render_sms(r)).segments for r in replies) <= 4


# --- topics, in three languages ---------------------------------------------------------------
DIALOGUES = [
    # (language, what the person writes, intent of the answer, a fragment of the answer)
    ("en", "do i have to talk to the cops", "rights_arrest", "silent"),
    ("en", "arrested friday when is court", "rights_48_hours", "48 hours"),
    ("en", "i have no money for a lawyer", "rights_lawyer", "Legal Aid"),
    ("en", "if i get arrested can i keep taking my ARVs", "rights_medication_custody", "35(2)"),
    ("en", "how does bail work", "rights_bail", "bail"),
    ("en", "is it legal to sell sex", "sex_work_law", "crime"),
    ("en", "how to lay a complaint against a cop", "report_police", "IPID"),
    ("zu", "umthetho uthini ngamahora angu-48 ngaphambi kwenkantolo", "rights_48_hours", "48"),
    ("zu", "anginayo imali yommeli", "rights_lawyer", "Legal Aid"),
    ("af", "hoe werk borgtog", "rights_bail", "borg"),
    ("af", "is dit onwettig om seks te verkoop", "sex_work_law", ""),
]


@pytest.mark.parametrize(("language", "message", "intent", "fragment"), DIALOGUES)
def test_questions_are_answered_from_content(person_on, services, language: str, message: str,
                                             intent: str, fragment: str) -> None:
    person = person_on(Channel.TELEGRAM)
    person.says("LANG " + language)
    replies = person.says(message)
    assert intents(replies)[-1] == intent
    topic = services.content.topic("za", intent, language)
    assert replies[-1].text == topic.full
    assert fragment.lower() in replies[-1].text.lower()


def test_in_the_cells_without_medicine_now_gets_safety_first(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says("can i take my pills in the cells")
    assert replies[0].intent == "rights_medication_custody"
    assert replies[0].text.startswith(services.content.text("safety_medical", "en"))


def test_sms_answers_fit_two_segments_and_name_their_source(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    for question in ["what are my rights if arrested", "cops took my condoms", "jail for weed?",
                     "where to get clean needles", "what is the program letter for"]:
        replies = person.says(question)
        body = render_sms(replies[-1])
        assert count_segments(body).segments <= 2, question
        assert count_segments(body).encoding == "GSM-7", question
        assert "not legal advice" in body.lower(), question


# --- menus and numbers ---------------------------------------------------------------------------
def test_a_number_picks_the_option_shown_on_sms(person_on) -> None:
    person = person_on(Channel.SMS)
    menu = person.says("MENU")[-1]
    first = menu.options[0].key.removeprefix("intent:")
    assert menu.options[0].key.startswith("intent:")
    assert intents(person.says("1"))[-1] == first
    follow_up = person.last[-1].options[0].key.removeprefix("intent:")
    assert intents(person.says("1."))[-1] == follow_up


def test_a_button_press_on_telegram_answers_that_topic(person_on) -> None:
    person = person_on(Channel.TELEGRAM)
    person.says("hi")
    assert intents(person.presses("intent:rights_bail")) == ["rights_bail"]


def test_a_stale_button_shows_the_menu(person_on) -> None:
    person = person_on(Channel.TELEGRAM)
    person.says("hi")
    assert intents(person.presses("nonsense:thing"))[-1] == "menu"


def test_a_number_without_a_menu_is_read_as_text(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("STOP")
    person.says("START")
    person.last = []
    replies = person.says("42")
    assert replies  # answered (out of scope or a menu), never silence or an error


# --- language ------------------------------------------------------------------------------------
def test_lang_menu_switches_and_sticks(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    languages = person.says("LANG")[-1]
    assert [o.key for o in languages.options] == [f"lang:{c}" for c in services.settings.language_codes]
    replies = person.says("2")
    assert services.content.text("language_changed", "zu") in replies[-1].text
    # Detection no longer overrides a chosen language, even for an English message.
    replies = person.says("how does bail work")
    assert replies[-1].text == services.content.topic("za", "rights_bail", "zu").sms


def test_command_words_work_in_every_language(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    assert intents(person.says("IMENYU"))[-1] == "menu"
    assert intents(person.says("kieslys"))[-1] == "menu"


def test_help_at_the_start_of_an_urgent_message_is_not_the_help_command(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("help they are beating me")
    assert any("10111" in reply.text for reply in person.last)


# --- STOP, START, DELETE -------------------------------------------------------------------------
def test_stop_silences_everything_until_start(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    stop = person.says("STOP")
    assert stop[0].ignore_opt_out and stop[0].text == services.content.text("stop_confirmed", "en")
    assert person.says("how does bail work") == []
    assert person.says("MENU") == []
    replies = person.says("START")
    assert intents(replies)[-1] == "menu"


def test_stop_in_isizulu(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("sawubona")
    assert intents(person.says("YIMA")) == ["stop"]
    assert person.says("sawubona") == []


def test_delete_asks_first_and_no_keeps_everything(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    ask = person.says("DELETE")
    assert [o.key for o in ask[0].options] == ["answer:yes", "answer:no"]
    kept = person.says("NO")
    assert services.content.text("delete_cancelled", "en") in kept[-1].text
    assert services.content.text("welcome", "en") not in texts(person.says("hi"))


def test_delete_yes_erases_the_person_and_they_start_fresh(person_on, services) -> None:
    from bot.storage.models import Person

    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("LANG af")
    person.says("VEE UIT")
    done = person.says("JA")
    assert done[0].text == services.content.text("delete_done", "af")
    with services.db.session() as session:
        assert session.query(Person).count() == 0
    assert person.says("hi")[0].text == services.content.text("welcome", "en")


def test_a_new_question_instead_of_yes_or_no_is_answered(person_on) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("DELETE")
    replies = person.says("how does bail work")
    assert intents(replies)[-1] == "rights_bail"


def test_delete_works_after_stop(person_on, services) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    person.says("STOP")
    person.says("DELETE")
    assert person.says("YES")[0].text == services.content.text("delete_done", "en")


# --- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "\x00\x01\x02", "a" * 10_000, "🚓" * 3000, "\u200b\u200b",
     "ПОЛИЦИЯ арестовала", "%s%s%n{0}'; DROP TABLE people;--", "\ud7ff\ufffd"],
)
def test_bad_input_gets_a_sensible_reply(person_on, message: str) -> None:
    person = person_on(Channel.SMS)
    person.says("hi")
    replies = person.says(message)
    assert replies and all(reply.text.strip() for reply in replies)
    for reply in replies:
        assert count_segments(render_sms(reply)).segments <= 10


def test_pictures_get_a_please_type_reply(person_on, services) -> None:
    person = person_on(Channel.TELEGRAM)
    person.says("hi")
    replies = person.sends_media()
    assert replies[0].text == services.content.text("media_unsupported", "en")


def test_a_redelivered_message_is_answered_once(person_on) -> None:
    person = person_on(Channel.SMS)
    assert person.says("hi", external_id="SM-same")
    assert person.says("hi", external_id="SM-same") == []


# --- privacy -----------------------------------------------------------------------------------------
def test_nothing_stored_contains_the_number_or_the_words(services_for, database_url) -> None:
    from sqlalchemy import text as sql

    from bot.conversation import Conversation
    from bot.messages import InboundMessage
    from bot.storage.registry import metadata

    services = services_for(database_url)
    conversation = Conversation(services)
    number, secret_words = "+27820009999", "zebra-cardamom police raid tonight"
    for message in ["hi", secret_words, "LANG zu", "1"]:
        conversation.handle(InboundMessage(channel=Channel.SMS, address=number, text=message))
    with services.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sql(f"SELECT * FROM {table.name}")):
                flat = " ".join(str(value) for value in row)
                assert "27820009999" not in flat and "zebra" not in flat, table.name


def test_a_bug_in_a_handler_becomes_an_apology_not_a_crash(person_on, services) -> None:
    def broken(turn, argument):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    services.registry.actions["intent"] = broken
    person = person_on(Channel.TELEGRAM)
    replies = person.presses("intent:rights_bail")
    assert [reply.text for reply in replies] == [services.content.text("not_understood", "en")]
    # Nothing of the failed turn was kept, and the person can carry on.
    assert person.says("MENU")[-1].intent == "menu"


def test_a_missing_translation_falls_back_to_english_and_offers_languages(person_on, services,
                                                                           monkeypatch) -> None:
    english = services.content.topic("za", "rights_bail", "en")
    untranslated = type(english)(**{**english.__dict__, "translated": False, "sms_translated": False})
    monkeypatch.setattr(services.content, "topic",
                        lambda j, intent, language: untranslated if intent == "rights_bail"
                        else type(services.content).topic(services.content, j, intent, language))
    person = person_on(Channel.SMS)
    person.says("LANG zu")
    replies = person.says("how does bail work")
    assert replies[0].text == english.sms
    assert count_segments(render_sms(replies[0])).segments <= 2
    assert replies[1].text == services.content.text("fallback_language_note", "zu")
    assert [o.key for o in replies[1].options] == [f"lang:{c}" for c in services.settings.language_codes]
