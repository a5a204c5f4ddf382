"""A peer educator texts STATS and sees last month's reach of their own codes, hidden where
small; from anyone else STATS is just a word."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.messages import Channel
from bot.peers.educator_stats import register_contact

NOVEMBER = datetime(2026, 11, 12, 10, 0, tzinfo=timezone.utc)
DECEMBER = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def educator_phone(services, code: str, channel: Channel, address: str) -> None:  # type: ignore[no-untyped-def]
    from bot.peers.registry import find_code

    with services.db.session() as session:
        row = find_code(session, code)
        assert row is not None
        register_contact(session, services.settings.secret_key, row.educator_id, channel.value, address)
        session.commit()


def test_an_educator_texts_stats_and_gets_their_codes_figures(peer_services, visitor, code) -> None:  # type: ignore[no-untyped-def]
    for _ in range(7):
        visitor(Channel.SMS).says(f"JOIN {code}", at=NOVEMBER)
    visitor(Channel.SMS).says(f"JOIN {code}", at=DECEMBER)  # this month: not published yet
    educator = visitor(Channel.SMS)
    educator_phone(peer_services, code, Channel.SMS, educator.address)
    educator.says("stats", at=DECEMBER)
    assert "2026-11" in educator.text
    assert f"{code}: 7 new, 0 came back, 0 asked for help" in educator.text


def test_the_zulu_word_on_telegram_works_and_a_small_count_is_hidden(peer_services, visitor, code) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        visitor(Channel.TELEGRAM).starts(code, at=NOVEMBER)
    educator = visitor(Channel.TELEGRAM)
    educator_phone(peer_services, code, Channel.TELEGRAM, educator.address)
    educator.says("IZIBALO", at=DECEMBER)
    assert f"{code}: x " in educator.text
    assert " 3 " not in educator.text


def test_stats_from_someone_who_is_not_an_educator_goes_to_the_normal_conversation(peer_services, visitor, code) -> None:  # type: ignore[no-untyped-def]
    for _ in range(7):
        visitor(Channel.SMS).says(f"JOIN {code}", at=NOVEMBER)
    stranger = visitor(Channel.SMS)
    stranger.says("STATS", at=DECEMBER)
    assert code not in stranger.text and "new" not in stranger.text


def test_an_educator_with_no_reach_last_month_is_told_so(peer_services, visitor, code) -> None:  # type: ignore[no-untyped-def]
    educator = visitor(Channel.SMS)
    educator_phone(peer_services, code, Channel.SMS, educator.address)
    educator.says("STATS", at=DECEMBER)
    assert "No figures for your codes in 2026-11 yet" in educator.text
