"""How a reply looks on SMS and Telegram."""

from bot.messages import OutboundMessage, ReplyOption
from bot.render import render_plain, render_sms, render_telegram
from bot.sms_encoding import count_segments


def options(count: int, label: str = "Topic") -> tuple[ReplyOption, ...]:
    return tuple(ReplyOption(key=f"intent:t{i}", label=f"{label} {i}") for i in range(count))


def test_sms_menu_shows_numbered_lines() -> None:
    body = render_sms(OutboundMessage("What do you want to know?", options(3)))
    assert body.splitlines()[1:] == ["1 Topic 0", "2 Topic 1", "3 Topic 2"]


def test_sms_answer_drops_follow_ups_that_would_cost_a_third_segment() -> None:
    answer = OutboundMessage("x" * 290, options(5, "A longer follow-up"))
    body = render_sms(answer)
    assert count_segments(body).segments <= 2
    assert body.startswith("x" * 290)


def test_sms_is_gsm7_even_when_content_has_curly_quotes() -> None:
    body = render_sms(OutboundMessage("You\u2019re allowed \u2013 ask."))
    assert body == "You're allowed - ask."
    assert count_segments(body).encoding == "GSM-7"


def test_sms_never_exceeds_twilio_limit() -> None:
    assert len(render_sms(OutboundMessage("y" * 5000))) <= 1600


def test_telegram_gets_one_button_per_option() -> None:
    text, rows = render_telegram(OutboundMessage("Choose", options(2)))
    assert text == "Choose"
    assert rows == [[("Topic 0", "intent:t0")], [("Topic 1", "intent:t1")]]


def test_console_shows_text_then_numbers() -> None:
    assert render_plain(OutboundMessage("Hi", options(1))) == "Hi\n1 Topic 0"
