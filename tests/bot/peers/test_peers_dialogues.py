"""Dialogues: people arriving through referral codes on Telegram and SMS, SHARE, DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.identity import pseudonym
from bot.messages import Channel, InboundKind
from bot.peers.models import ReachCount, ReferralAttribution
from bot.peers.registry import revoke_code
from bot.render import render_sms
from bot.sms_encoding import count_segments
from bot.storage.models import Person


def who(services, visitor) -> str:  # type: ignore[no-untyped-def]
    return pseudonym(services.settings.secret_key, visitor.channel.value, visitor.address)


def attributed_code(services, visitor) -> str | None:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        row = session.get(ReferralAttribution, who(services, visitor))
        return row.code if row else None


def person_row(services, visitor) -> Person:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        person = session.get(Person, who(services, visitor))
        assert person is not None
        return person


def new_people(services, code: str) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(ReachCount.count), 0)).where(
            ReachCount.code == code, ReachCount.metric == "new")) or 0)


def welcomes(visitor) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for reply in visitor.last if reply.intent == "greet" and not reply.options)


def assert_normal_start(visitor) -> None:  # type: ignore[no-untyped-def]
    """Welcome once, then the main menu; nothing that looks like an error."""
    assert welcomes(visitor) == 1
    assert any(key.startswith("intent:") for key in visitor.option_keys)
    assert "code" not in visitor.text.lower()


# --- Telegram /start <code> ------------------------------------------------------------
def test_telegram_start_with_a_live_code_starts_in_the_educators_language_and_region(
        peer_services, visitor, code):  # type: ignore[no-untyped-def]
    thandi_friend = visitor(Channel.TELEGRAM)
    thandi_friend.starts(code)
    assert_normal_start(thandi_friend)
    person = person_row(peer_services, thandi_friend)
    assert (person.language, person.region) == ("zu", "gauteng")
    assert attributed_code(peer_services, thandi_friend) == code
    assert new_people(peer_services, code) == 1


def test_codes_match_whatever_the_case(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    someone = visitor(Channel.TELEGRAM)
    someone.starts(code.lower())
    assert attributed_code(peer_services, someone) == code


@pytest.mark.parametrize("payload", [
    "Q7Q7Q7Q7",  # code-shaped but never issued
    "hello",  # malformed
    "ABC",  # too short
    "K7M2Q9XP" + "A" * 57,  # overlong: more than Telegram's 64 characters
    "x" * 64,  # at the limit but not a code
    "../../etc/passwd",  # characters Telegram never sends
    "K7M2-Q9XP",
    "",
])
def test_telegram_start_with_a_bad_code_is_a_normal_start(peer_services, visitor, code, payload):  # type: ignore[no-untyped-def]
    someone = visitor(Channel.TELEGRAM)
    someone.starts(payload)
    assert_normal_start(someone)
    assert attributed_code(peer_services, someone) is None
    person = person_row(peer_services, someone)
    assert person.region is None and person.language in (None, "en")
    assert new_people(peer_services, code) == 0


def test_a_revoked_code_starts_normally_and_attributes_no_one(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    with peer_services.db.session() as session:
        revoke_code(session, code)
    someone = visitor(Channel.TELEGRAM)
    someone.starts(code)
    assert_normal_start(someone)
    assert attributed_code(peer_services, someone) is None
    assert person_row(peer_services, someone).region is None


def test_someone_already_known_is_not_attributed(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    regular = visitor(Channel.TELEGRAM)
    regular.says("hi")
    regular.starts(code)
    assert welcomes(regular) == 0  # no second welcome either
    assert attributed_code(peer_services, regular) is None
    assert person_row(peer_services, regular).region is None


def test_a_second_code_does_not_move_an_attributed_person(peer_services, visitor, code, another_code):  # type: ignore[no-untyped-def]
    other = another_code(organisation="SWEAT", region="western_cape", language="af")
    someone = visitor(Channel.TELEGRAM)
    someone.starts(code)
    someone.starts(other)
    assert attributed_code(peer_services, someone) == code
    assert person_row(peer_services, someone).region == "gauteng"
    assert new_people(peer_services, other) == 0


def test_the_educators_language_beats_the_telegram_client_hint(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    # The Telegram client's language is only a hint; the educator's language wins over it.
    someone = visitor(Channel.TELEGRAM)
    someone.says("", kind=InboundKind.START, payload=code, language_hint="af")
    assert person_row(peer_services, someone).language == "zu"


# --- SMS: JOIN <code> and the code alone -------------------------------------------------
@pytest.mark.parametrize("words", ["JOIN {code}", "join {lower}", "Join {code} ", "JOYINA {code}",
                                   "aansluit {code}", "JOIN {code} please"])
def test_sms_join_with_a_code_starts_like_the_telegram_link(peer_services, visitor, code, words):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says(words.format(code=code, lower=code.lower()))
    assert_normal_start(texter)
    assert attributed_code(peer_services, texter) == code
    assert person_row(peer_services, texter).language == "zu"


def test_sms_join_alone_or_with_a_bad_code_is_a_normal_start(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    for text in ("JOIN", "JOIN Q7Q7Q7Q7", "JOIN 12345", "JOIN " + "Z9" * 40):
        texter = visitor(Channel.SMS)
        texter.says(text)
        assert_normal_start(texter)
        assert attributed_code(peer_services, texter) is None
    assert new_people(peer_services, code) == 0


def test_the_code_alone_by_sms_starts_like_join(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says(f"  {code.lower()} ")
    assert_normal_start(texter)
    assert attributed_code(peer_services, texter) == code
    assert person_row(peer_services, texter).region == "gauteng"


@pytest.mark.parametrize("text", ["ARRESTED", "Q7Q7Q7Q7", "police!!", "R500CASH"])
def test_words_that_only_look_like_codes_go_to_the_nlu(peer_services, visitor, code, text):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says(text)
    assert attributed_code(peer_services, texter) is None
    assert texter.text  # answered like any other message (the NLU's reply), never an error


def test_a_revoked_code_alone_is_read_as_an_ordinary_message(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    with peer_services.db.session() as session:
        revoke_code(session, code)
    texter = visitor(Channel.SMS)
    texter.says(code)
    assert texter.text
    assert attributed_code(peer_services, texter) is None


def test_join_brings_back_someone_who_sent_stop(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says("hi")
    texter.says("STOP")
    texter.says(f"JOIN {code}")
    assert not person_row(peer_services, texter).opted_out
    assert any(key.startswith("intent:") for key in texter.option_keys)
    assert attributed_code(peer_services, texter) is None  # known before: not a referral


# --- SHARE ---------------------------------------------------------------------------------
def test_share_gives_a_message_to_forward_with_link_and_keyword(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says(f"JOIN {code}")
    texter.says("SHARE")
    intro, forward = texter.last
    assert intro.options and not forward.options
    assert "https://t.me/HakiTestBot" in forward.text
    assert "JOIN" in forward.text and "31555" in forward.text
    body = render_sms(forward)
    assert count_segments(body).segments == 1 and count_segments(body).encoding == "GSM-7"
    # Nothing in it points back at the sender or the educator.
    assert code not in forward.text
    for word in ("police", "drug", "sex", "arrest"):
        assert word not in forward.text.lower()


def test_share_is_on_the_main_menu_and_works_by_number(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says("MENU")
    keys = texter.option_keys
    assert "cmd:share" in keys
    texter.says(str(keys.index("cmd:share") + 1))
    assert "https://t.me/HakiTestBot" in texter.text


def test_share_in_isizulu_words(peer_services, visitor):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.TELEGRAM)
    texter.says("hi")
    texter.says("ABELANA")
    assert "https://t.me/HakiTestBot" in texter.text


def test_share_without_telegram_or_sms_number_still_answers(services_for, sqlite_url, visitors_for):  # type: ignore[no-untyped-def]
    bare = services_for(sqlite_url)
    texter = visitors_for(bare)(Channel.SMS)
    texter.says("hi")
    texter.says("SHARE")
    assert len(texter.last) == 2 and texter.last[1].text.strip()
    assert "t.me" not in texter.text


# --- DELETE -----------------------------------------------------------------------------------
def test_delete_removes_the_link_to_the_code_but_not_the_anonymous_counts(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    texter = visitor(Channel.SMS)
    texter.says(f"JOIN {code}")
    texter.says("DELETE")
    texter.says("1")  # the first option: yes
    assert texter.last[0].intent == "delete_data"
    assert attributed_code(peer_services, texter) is None
    assert new_people(peer_services, code) == 1
