"""GSM-7 vs UCS-2: what one curly quote costs, and how we avoid paying it."""

import pytest

from bot.sms_encoding import count_segments, is_gsm7, non_gsm7_characters, to_gsm7


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters cost two septets each
        ("{" * 81, "GSM-7", 2),
        ("a" * 70 + "\u2019", "UCS-2", 2),  # one curly quote: 71 UCS-2 units
        ("\u2019" * 70, "UCS-2", 1),
        ("😀" * 35, "UCS-2", 1),  # emoji are two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_segments_are_counted_the_way_carriers_bill(text: str, encoding: str, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


def test_look_alikes_are_replaced_so_the_message_stays_gsm7() -> None:
    text = "Don\u2019t sign \u201canything\u201d \u2014 ask for a lawyer\u2026\u00a0now"
    replaced = to_gsm7(text)
    assert replaced == "Don't sign \"anything\" - ask for a lawyer... now"
    assert is_gsm7(replaced)


def test_afrikaans_diacritics_outside_gsm7_are_written_plain() -> None:
    assert to_gsm7("Wêreld, reëls, môre") == "Wereld, reels, more"


def test_non_gsm_characters_are_named_once_in_order() -> None:
    assert non_gsm7_characters("a\u2019b\u2019c😀") == ["\u2019", "😀"]


def test_emoji_cannot_be_replaced_and_keeps_ucs2() -> None:
    assert not is_gsm7(to_gsm7("help 😀"))
