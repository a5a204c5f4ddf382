"""What each notification says, built at send time from the case (never stored as text).

Minimal disclosure: a responder sees the reference, category, region, urgency and the
consented summary, and the person's number only if they agreed to a call-back (and only
on SMS, where the address *is* a phone number). The person sees their reference and
where it stands, in their language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.escalation.cases import category_label
from bot.escalation.models import Case, Notification
from bot.escalation.regions import UNKNOWN
from bot.messages import Channel, OutboundMessage, ReplyOption

if TYPE_CHECKING:
    from bot.services import Services

#: Responder texts are operational and in English (see content/common/escalation.yml).
RESPONDER_LANGUAGE = "en"


def responder_word(services: Services, case: Case, language: str) -> str:
    return services.content.text(f"esc_responder_{case.responder_kind}", language, case.jurisdiction)


def region_label(services: Services, case: Case, language: str) -> str:
    key = "esc_region_unknown" if case.region == UNKNOWN else f"region_{case.region}"
    try:
        return services.content.text(key, language, case.jurisdiction)
    except KeyError:
        return case.region


def callback_line(services: Services, case: Case) -> str:
    text = services.content.text
    if case.callback_allowed and case.channel == Channel.SMS.value and case.contact_encrypted:
        number = services.cipher.decrypt(case.contact_encrypted)
        return text("esc_resp_callback", RESPONDER_LANGUAGE, case.jurisdiction, number=number)
    return text("esc_resp_no_callback", RESPONDER_LANGUAGE, case.jurisdiction)


def for_responder(services: Services, case: Case, notification: Notification,
                  responder_channel: str) -> OutboundMessage:
    text = services.content.text
    lang, jur, ref = RESPONDER_LANGUAGE, case.jurisdiction, case.reference
    kind = notification.kind
    if kind == "assigned":
        summary = services.cipher.decrypt(case.summary_encrypted) if case.summary_encrypted else ""
        body = text("esc_resp_new", lang, jur, reference=ref, urgency=case.urgency.upper(),
                    category=category_label(services, jur, case.category),
                    region=region_label(services, case, lang), summary=summary,
                    callback=callback_line(services, case))
        if services.settings.console:
            # One tap to the case in the console (the ACK is the next tap there).
            body += "\n" + text("esc_resp_console_link", lang, jur,
                                 url=f"{services.settings.public_url.rstrip('/')}/console/case/{ref}")
        options: tuple[ReplyOption, ...] = ()
        if responder_channel == Channel.TELEGRAM.value:
            # Buttons only where they exist: on SMS a typed "1" would hit the responder's
            # own menu, so SMS responders reply ACK K7-3QF as the text says.
            options = (ReplyOption(f"esc:ack:{ref}", text("esc_resp_button_ack", lang, jur)),
                       ReplyOption(f"esc:done:{ref}", text("esc_resp_button_done", lang, jur)))
        return OutboundMessage(text=body, options=options, intent="escalation")
    if kind == "update":
        summary = services.cipher.decrypt(case.summary_encrypted) if case.summary_encrypted else ""
        return OutboundMessage(text=text("esc_resp_update", lang, jur, reference=ref, summary=summary),
                               intent="escalation")
    if kind == "reminder":
        return OutboundMessage(text=text("esc_resp_reminder", lang, jur, reference=ref,
                                         due=_hhmm(case)), intent="escalation")
    if kind == "reassigned":
        return OutboundMessage(text=text("esc_resp_reassigned", lang, jur, reference=ref),
                               intent="escalation")
    if kind == "moved":
        return OutboundMessage(text=text("esc_resp_moved", lang, jur, reference=ref), intent="escalation")
    if kind == "withdrawn":
        return OutboundMessage(text=text("esc_resp_withdrawn", lang, jur, reference=ref),
                               intent="escalation")
    raise ValueError(f"unknown responder notification kind {kind!r}")


def _hhmm(case: Case) -> str:
    return f"{case.ack_deadline:%H:%M} UTC" if case.ack_deadline else "now"


def for_coordinator(services: Services, case: Case, notification: Notification) -> OutboundMessage:
    """An SLA alert: reference, state and region only (the console has the rest)."""
    key = "esc_coord_unassigned" if notification.kind == "alert_unassigned" else "esc_coord_overdue"
    return OutboundMessage(text=services.content.text(
        key, RESPONDER_LANGUAGE, case.jurisdiction, reference=case.reference,
        region=region_label(services, case, RESPONDER_LANGUAGE)), intent="escalation")


def for_person(services: Services, case: Case, notification: Notification) -> OutboundMessage:
    lang, jur, ref = case.language, case.jurisdiction, case.reference
    responder = responder_word(services, case, lang)
    keys = {"acknowledged": "esc_notice_acknowledged", "closed": "esc_notice_closed",
            "rerouted": "esc_notice_rerouted", "waiting": "esc_notice_waiting"}
    key = keys.get(notification.kind)
    if key is None:
        raise ValueError(f"unknown person notification kind {notification.kind!r}")
    return OutboundMessage(text=services.content.text(key, lang, jur, reference=ref,
                                                      responder=responder),
                           intent="escalation")
