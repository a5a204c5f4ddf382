"""Twilio requests an attacker edited or forged (issue 13, items 5-7).

Twilio's signature is ``url + name1 + value1 + ...`` with no separators, so a captured,
signed request can be edited without breaking it; every such edit is refused with 403. So
are unsigned requests that make the validator itself fail, and nothing they carry (but
fixed words and lengths) reaches the log.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.webhooks.conftest import SMS_PATH, STATUS_PATH, load, twilio_signature


def shifted_but_signed(form: dict[str, str], path: str = SMS_PATH) -> dict[str, Any]:
    """The form and a signature valid for it, *without* re-aligning the message ids the
    way tests/webhooks/conftest.signed_sms does: the signature Twilio gave the original."""
    return {"data": form, "headers": {"X-Twilio-Signature": twilio_signature(path, form)}}


def same_signature(original: dict[str, str], edited: dict[str, str]) -> None:
    assert twilio_signature(SMS_PATH, original) == twilio_signature(SMS_PATH, edited)


def test_numMedia_shifted_into_the_message_sid_is_refused(make_app) -> None:  # type: ignore[no-untyped-def]
    original = load("twilio/sms_text")
    client = make_app().test_client()
    assert client.post(SMS_PATH, **shifted_but_signed(original)).status_code == 200
    # "MessageSid" + "SM...01" + "NumMedia" + "0"  ==  "MessageSid" + "SM...01NumMedia0"
    replay = {k: v for k, v in original.items() if k != "NumMedia"}
    replay["MessageSid"] = original["MessageSid"] + "NumMedia0"
    same_signature(original, replay)
    answer = client.post(SMS_PATH, **shifted_but_signed(replay))
    assert answer.status_code == 403
    assert b"<Message>" not in answer.data


def test_text_shifted_between_from_and_fromcity_is_refused(make_app) -> None:  # type: ignore[no-untyped-def]
    original = load("twilio/sms_text")
    # "From" + "+27820000101" + "FromCity" + "JOHANNESBURG": the From field swallows FromCity.
    forged = dict(original)
    forged["From"] = original["From"] + "FromCity" + original["FromCity"]
    del forged["FromCity"]
    same_signature(original, forged)
    client = make_app().test_client()
    assert client.post(SMS_PATH, **shifted_but_signed(forged)).status_code == 403


@pytest.mark.parametrize(("change", "reason"), [
    ({"AccountSid": "AC" + "1" * 32}, "bad_account_sid"),
    ({"From": "+27 82 000 0101"}, "bad_from"),
    ({"To": "Haki"}, "bad_to"),
    ({"NumMedia": "0x1"}, "bad_nummedia"),
    ({"Extra": "1"}, "unknown_field"),
    ({"MessageSid": "SMnot-an-id"}, "bad_message_sid"),
])
def test_a_signed_form_twilio_would_never_send_is_refused(make_app, caplog, change: dict[str, str],  # type: ignore[no-untyped-def]
                                                          reason: str) -> None:
    app = make_app(twilio_account_sid="AC0000000000000000000000005ca1ab1e")
    form = load("twilio/sms_text") | change
    with caplog.at_level(logging.WARNING):
        assert app.test_client().post(SMS_PATH, **shifted_but_signed(form)).status_code == 403
    assert [r.reason for r in caplog.records if hasattr(r, "reason")] == [reason]


def test_a_repeated_field_is_refused(make_app) -> None:  # type: ignore[no-untyped-def]
    form = load("twilio/sms_text")
    pairs = list(form.items()) + [("Body", "second body")]
    from werkzeug.datastructures import MultiDict

    signature = twilio_signature(SMS_PATH, MultiDict(pairs))  # type: ignore[arg-type]
    answer = make_app().test_client().post(SMS_PATH, data=MultiDict(pairs),
                                           headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 403


def test_a_status_callback_with_a_shifted_sid_is_refused(make_app) -> None:  # type: ignore[no-untyped-def]
    report = load("twilio/status_delivered")
    report["MessageSid"] = report["MessageSid"] + "x"
    assert make_app().test_client().post(STATUS_PATH, data=report, headers={
        "X-Twilio-Signature": twilio_signature(STATUS_PATH, report)}).status_code == 403


# --- item 6: a request that makes verification fail is 403, never 200 ----------------------
def _multipart_with_cr_in_a_name() -> tuple[bytes, str]:
    boundary = "haki-boundary"
    body = (f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="Bo\rdy"\r\n\r\n'
            "hello\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="From"\r\n\r\n'
            "+27820000101\r\n"
            f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_a_malformed_multipart_request_is_forbidden(make_app, caplog, path: str) -> None:  # type: ignore[no-untyped-def]
    body, content_type = _multipart_with_cr_in_a_name()
    with caplog.at_level(logging.INFO):
        answer = make_app().test_client().post(path, data=body, content_type=content_type,
                                               headers={"X-Twilio-Signature": "AAAA"})
    assert answer.status_code == 403
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- item 7: nothing from an unauthenticated request is logged ------------------------------
def test_the_signature_settings_header_never_reaches_the_log(make_app, caplog) -> None:  # type: ignore[no-untyped-def]
    marker = "attacker-chosen-words-\u2603"
    with caplog.at_level(logging.DEBUG):
        answer = make_app().test_client().post(
            SMS_PATH, data=load("twilio/sms_text"),
            headers={"X-Twilio-Signature": "AAAA",
                     "X-Twilio-Webhooks-Signature-Settings": f"algorithm={marker}"})
    assert answer.status_code == 403
    for record in caplog.records:
        assert marker not in record.getMessage()
        assert all(marker not in str(value) for value in vars(record).values())
