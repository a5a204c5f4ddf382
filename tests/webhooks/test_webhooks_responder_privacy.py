"""What responders see and what Twilio's log keeps (issue 13, items 14 and 15).

A person on SMS agrees to a call-back; an SMS paralegal acknowledges and closes the case by
text; the person then deletes everything. Afterwards Twilio's message log (the stand-in
keeps one, TwiML replies included) holds nothing with the person's number or their line.
A second paralegal, not assigned, learns nothing about which references exist.
"""

from __future__ import annotations

from datetime import timedelta

from bot.escalation.regions import all_region_ids
from bot.escalation.responders import add_responder
from bot.messages import Channel
from bot.storage.base import utcnow
from tests.webhooks.conftest import PUBLIC_URL, SMS_PATH
from tests.webhooks.urgent_world import wait_until
from webhooks.erasure import erase_at_twilio

PERSON = "+27820000555"
PARALEGAL = "+27830000555"
OTHER_PARALEGAL = "+27830000556"
LINE = "Held at Hillbrow station since noon"


def _paralegal(services, number: str, name: str) -> None:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        add_responder(session, services.cipher, services.settings.secret_key, name=name,
                      organisation="Test NGO", kind="paralegal", regions=["gauteng"],
                      channel="sms", address=number, on_duty=True,
                      known_regions=all_region_ids(services.settings.content_dir))


def _world(make_app, serve, twilio_api):  # type: ignore[no-untyped-def]
    app = make_app(**twilio_api.settings())
    base = serve(app)
    services = app.haki.services
    _paralegal(services, PARALEGAL, "First")

    def text(number: str, body: str) -> str:
        return "\n".join(twilio_api.text_webhook(base + SMS_PATH, number, body,
                                                 signed_url=PUBLIC_URL + SMS_PATH))

    return app, services, text


def _open_case(text, twilio_api) -> str:  # type: ignore[no-untyped-def]
    import re

    assert "10111" in text(PERSON, "police are beating me now help")
    text(PERSON, "1")  # paralegal
    text(PERSON, "1")  # the first region (Gauteng)
    text(PERSON, "YES")  # call me back
    created = text(PERSON, "YES")
    reference = re.search(r"\b([2-9A-Z]{2}-[2-9A-Z]{3})\b", created)
    assert reference, created
    text(PERSON, LINE)
    assert wait_until(lambda: any(m["To"] == PARALEGAL for m in twilio_api.sent_messages()))
    return reference.group(1)


def test_after_delete_twilio_keeps_no_message_with_the_persons_number(make_app, serve,  # type: ignore[no-untyped-def]
                                                                      twilio_api) -> None:
    _, services, text = _world(make_app, serve, twilio_api)
    reference = _open_case(text, twilio_api)
    acknowledged = text(PARALEGAL, f"ACK {reference}")
    assert f"Acknowledged {reference}" in acknowledged
    assert PERSON not in acknowledged  # a TwiML reply: Twilio's log would keep it for good
    assert f"Closed {reference}" in text(PARALEGAL, f"DONE {reference} released called her, she is out")
    text(PERSON, "DELETE")
    assert "deleted" in text(PERSON, "YES").lower()
    # The paralegal is asked to drop the case (a notice through the API, erased too).
    assert wait_until(lambda: any(m["To"] == PARALEGAL and "withdrew" in m["Body"]
                                  for m in twilio_api.sent_messages()))
    for minutes in (6, 12, 30):  # the sweeps after DELETE
        erase_at_twilio(services, services.senders[Channel.SMS],
                        now=utcnow() + timedelta(minutes=minutes))
    log = twilio_api.message_log().values()
    assert [m for m in log if PERSON in (m["from"], m["to"]) or PERSON in m["body"]] == []
    assert [m for m in log if LINE in m["body"] or "she is out" in m["body"]] == []


def test_an_unassigned_responder_cannot_tell_real_references_from_made_up_ones(  # type: ignore[no-untyped-def]
        make_app, serve, twilio_api) -> None:
    _, services, text = _world(make_app, serve, twilio_api)
    _paralegal(services, OTHER_PARALEGAL, "Second")
    reference = _open_case(text, twilio_api)
    made_up = "ZZ-ZZZ" if reference != "ZZ-ZZZ" else "YY-YYY"
    for verb in ("ACK", "DONE"):
        real = text(OTHER_PARALEGAL, f"{verb} {reference}").replace(reference, "<ref>")
        fake = text(OTHER_PARALEGAL, f"{verb} {made_up}").replace(made_up, "<ref>")
        assert real == fake
