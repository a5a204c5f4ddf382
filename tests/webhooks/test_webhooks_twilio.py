"""Twilio SMS webhook: a person texts Haki; Twilio signs the request; we answer in TwiML."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

import pytest

from bot.messages import Channel, InboundKind
from bot.sms_encoding import count_segments, is_gsm7
from tests.conftest import person_row
from tests.webhooks.conftest import (
    PUBLIC_URL,
    SMS_PATH,
    STATUS_PATH,
    TWILIO_TOKEN,
    load,
    signed_sms,
    twilio_signature,
)
from webhooks.twilio_sms import LOCATION_FIELDS, parse_message, without_location


def messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The <Message> bodies of a TwiML response."""
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return [node.text or "" for node in ET.fromstring(response.data).iter("Message")]


def opted_out(app, number: str) -> bool:  # type: ignore[no-untyped-def]
    person = person_row(app.haki.services, Channel.SMS, number)
    return bool(person and person.opted_out)


# --- parsing: fixture -> InboundMessage ---------------------------------------------------
@pytest.mark.parametrize(("fixture", "kind", "text"), [
    ("sms_text", InboundKind.TEXT, "What happens if the police arrest me?"),
    ("sms_unicode_zulu", InboundKind.TEXT, "Sawubona \u2014 amaphoyisa angibophile, ngenzeni? \U0001F64F"),
    ("sms_stop_advanced", InboundKind.TEXT, "STOP"),
    ("sms_stop_default", InboundKind.TEXT, "STOP"),
    ("sms_cancel_default", InboundKind.TEXT, "STOP"),  # Twilio opts "cancel" out too
    ("sms_stop_zulu", InboundKind.TEXT, "Yima"),  # not a Twilio keyword: the core's word
    ("sms_start_advanced", InboundKind.TEXT, "START"),
    ("sms_help_advanced", InboundKind.TEXT, "HELP"),
    ("mms_photo", InboundKind.MEDIA, ""),
    ("mms_photo_with_text", InboundKind.TEXT, "Can police take my condoms?"),
])
def test_twilio_forms_become_inbound_messages(fixture: str, kind: InboundKind, text: str) -> None:
    form = load(f"twilio/{fixture}")
    inbound = parse_message(without_location(form))
    assert inbound is not None
    assert (inbound.channel, inbound.kind, inbound.text) == (Channel.SMS, kind, text)
    assert inbound.address == form["From"]
    assert inbound.external_id == form["MessageSid"]


def test_location_fields_are_dropped_before_parsing() -> None:
    form = load("twilio/sms_unicode_zulu")
    kept = without_location(form)
    assert not LOCATION_FIELDS & kept.keys()
    assert {"FromCity", "FromState", "ToCountry"} <= form.keys()
    assert kept["Body"] == form["Body"] and kept["MessageSid"] == form["MessageSid"]


def test_a_body_longer_than_twilio_allows_is_cut_to_1600() -> None:
    form = load("twilio/sms_text") | {"Body": "a" * 5000}
    inbound = parse_message(without_location(form))
    assert inbound is not None and len(inbound.text) == 1600


# --- the webhook, end to end ----------------------------------------------------------------
@pytest.mark.parametrize(("fixture", "fragments"), [
    ("sms_text", ["Haki", "arrest"]),
    ("sms_unicode_zulu", ["Haki"]),
    ("mms_photo", ["cannot read pictures"]),
    ("sms_help_advanced", ["MENU"]),
])
def test_a_person_texts_and_gets_twiml(make_app, fixture: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    bodies = messages(app.test_client().post(SMS_PATH, **signed_sms(load(f"twilio/{fixture}"))))
    assert bodies, "expected at least one <Message>"
    joined = "\n".join(bodies)
    for fragment in fragments:
        assert fragment.lower() in joined.lower()
    for body in bodies:
        # GSM-7 (curly quotes, dashes replaced), one Message each, never over 1,600 chars.
        assert is_gsm7(body), sorted(set(ch for ch in body if not is_gsm7(ch)))
        assert len(body) <= 1600


def test_answers_stay_within_two_segments(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    form = load("twilio/sms_text")
    bodies = messages(client.post(SMS_PATH, **signed_sms(form)))
    answer = bodies[-1]  # after the first-contact welcome
    assert count_segments(answer).segments <= 2


@pytest.mark.parametrize("signature", ["missing", "forged", "other-url", "tampered-body",
                                       "wrong-token"])
def test_unsigned_or_forged_requests_get_403(make_app, signature: str) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    form = load("twilio/sms_text")
    headers = {
        "missing": {},
        "forged": {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        "other-url": {"X-Twilio-Signature": twilio_signature("/webhooks/other", form)},
        "tampered-body": {"X-Twilio-Signature": twilio_signature(SMS_PATH, form)},
        "wrong-token": {"X-Twilio-Signature": twilio_signature(SMS_PATH, form, token="f" * 32)},
    }[signature]
    if signature == "tampered-body":
        form = form | {"Body": "something else"}
    response = client.post(SMS_PATH, data=form, headers=headers)
    assert response.status_code == 403
    assert b"Message" not in response.data


def test_no_auth_token_configured_refuses_everything(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(twilio_auth_token="").test_client()
    form = load("twilio/sms_text")
    assert client.post(SMS_PATH, data=form, headers={
        "X-Twilio-Signature": twilio_signature(SMS_PATH, form, token="")}).status_code == 403


def test_signature_uses_the_public_url_behind_a_tls_proxy(make_app) -> None:  # type: ignore[no-untyped-def]
    """Twilio signs https://haki.example/...; the app sees http://10.0.0.5:8000/... ."""
    client = make_app().test_client()
    form = load("twilio/sms_text")
    response = client.post(SMS_PATH, base_url="http://10.0.0.5:8000", **signed_sms(form))
    assert messages(response)
    assert PUBLIC_URL.startswith("https://")


def test_a_replayed_message_sid_gets_empty_twiml(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app().test_client()
    form = load("twilio/sms_text")
    assert messages(client.post(SMS_PATH, **signed_sms(form)))
    assert messages(client.post(SMS_PATH, **signed_sms(form))) == []


def test_stop_through_twilio_advanced_opt_out(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    hello = load("twilio/sms_text") | {"From": "+27820000103"}
    assert messages(client.post(SMS_PATH, **signed_sms(hello)))
    # Twilio has confirmed the opt-out itself and blocks our reply: we record it, say nothing.
    assert messages(client.post(SMS_PATH, **signed_sms(load("twilio/sms_stop_advanced")))) == []
    assert opted_out(app, "+27820000103")
    sid = "SM" + "e" * 32  # Twilio sends the same id under all three names
    later = load("twilio/sms_text") | {"From": "+27820000103", "MessageSid": sid,
                                       "SmsSid": sid, "SmsMessageSid": sid}
    assert messages(client.post(SMS_PATH, **signed_sms(later))) == []
    start = load("twilio/sms_start_advanced") | {"From": "+27820000103"}
    assert messages(client.post(SMS_PATH, **signed_sms(start)))
    assert not opted_out(app, "+27820000103")


def test_stop_in_isizulu_opts_out_with_a_receipt(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    bodies = messages(client.post(SMS_PATH, **signed_sms(load("twilio/sms_stop_zulu"))))
    assert bodies, "the STOP receipt goes out even though the person opted out"
    assert opted_out(app, "+27820000105")


def test_default_opt_out_words_mirror_twilio(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    messages(app.test_client().post(SMS_PATH, **signed_sms(load("twilio/sms_cancel_default"))))
    assert opted_out(app, "+27820000108")


def test_status_callback(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    delivered = load("twilio/status_delivered")
    assert client.post(STATUS_PATH, **signed_sms(delivered, STATUS_PATH)).status_code == 204
    assert client.post(STATUS_PATH, data=delivered).status_code == 403

    # Someone we know opts out at Twilio; the failed send tells us so (error 21610).
    hello = load("twilio/sms_text") | {"From": "+27820000111"}
    messages(client.post(SMS_PATH, **signed_sms(hello)))
    failed = load("twilio/status_undelivered_21610")
    assert client.post(STATUS_PATH, **signed_sms(failed, STATUS_PATH)).status_code == 204
    assert opted_out(app, "+27820000111")


def test_logs_carry_no_number_text_or_place(make_app, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    client = make_app().test_client()
    form = load("twilio/sms_unicode_zulu")
    client.post(SMS_PATH, **signed_sms(form))
    client.post(SMS_PATH, data=form)  # forged: logged as a warning
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    for secret in (form["From"], "angibophile", "DURBAN", TWILIO_TOKEN, form["From"][1:]):
        assert secret not in logged
    assert re.search(r"signature", logged)
