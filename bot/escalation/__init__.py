"""Escalation: urgent cases reach a person who can act, with consent, and none is lost.

``register(services)`` plugs the feature into the core (see docs/escalation.md):

* an urgent hook: after the core's safety text, the offer (paralegal, police liaison
  officer, anonymous record, no);
* steps for the consent questions, the ``talk_to_person`` intent, a main-menu entry;
* commands STATUS (every language, via content), ACK and DONE (responders);
* the ``esc:`` option action (the person's choices and the responders' buttons);
* an eraser for DELETE;
* a delivery listener: an SMS notice the carrier could not deliver re-routes the case at
  once (``bot/escalation/reports.py``).

Deliveries go through a queue chosen by HAKI_QUEUE: in this process (default) or Celery.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.actions import Replies
from bot.escalation.models import Notification
from bot.messages import DeliveryReport
from bot.storage.base import utcnow
from bot.turn import Turn

if TYPE_CHECKING:
    from bot.escalation.queues import NotificationQueue
    from bot.services import Services

ATTRIBUTE = "escalation"


class Escalation:
    """The feature's per-process state: the queue (built on first use)."""

    log = logging.getLogger("haki.escalation")

    def __init__(self, services: Services) -> None:
        self.services = services
        self._queue: NotificationQueue | None = None

    @property
    def queue(self) -> NotificationQueue:
        if self._queue is None:
            if self.services.settings.queue == "celery":
                from bot.escalation.tasks import CeleryQueue  # imports Celery: only when used

                self._queue = CeleryQueue(self.services)
            else:
                from bot.escalation.queues import InProcessQueue

                self._queue = InProcessQueue(self.services)
            # Closers run last-added first: stopping our workers before the senders they
            # use lets an in-flight send finish instead of timing out on a closed client.
            self.services.closers.append(self.close)
        return self._queue

    def use_queue(self, queue: NotificationQueue) -> None:
        """Replace the queue (the `haki worker run` loop, tests that drive their own)."""
        if self._queue is None:
            self.services.closers.append(self.close)
        elif self._queue is not queue:
            self._queue.close()
        self._queue = queue

    def enqueue_after_commit(self, turn: Turn, notifications: Iterable[Notification]) -> None:
        notification_ids = [n.id for n in notifications]
        if notification_ids:
            turn.defer(lambda: self.enqueue(notification_ids))

    def enqueue(self, notification_ids: Iterable[int]) -> None:
        for notification_id in notification_ids:
            self.queue.enqueue(notification_id)

    def close(self) -> None:
        queue, self._queue = self._queue, None
        if queue is not None:
            queue.close()


def escalation_of(services: Services) -> Escalation:
    """The Escalation object ``register`` attached to these services."""
    found = getattr(services, ATTRIBUTE, None)
    if not isinstance(found, Escalation):
        raise RuntimeError("bot.escalation is not registered on these services")
    return found


def register(services: Services) -> None:
    from bot.escalation.cases import erase_person_cases
    from bot.escalation.flow import (
        STEP_CALLBACK,
        STEP_CONSENT,
        STEP_NOBODY,
        STEP_OFFER,
        STEP_REGION,
        STEP_SUMMARY,
        Flow,
    )
    from bot.escalation.handlers import STEP_CLOSE_NOTE, ResponderCommands

    escalation = Escalation(services)
    setattr(services, ATTRIBUTE, escalation)
    flow = Flow(escalation)
    responders = ResponderCommands(escalation)
    registry = services.registry

    registry.urgent_hooks.append(flow.urgent_hook)
    registry.intents["talk_to_person"] = flow.talk_to_person
    registry.menu_extras.append(flow.menu_option)
    registry.steps[STEP_OFFER] = flow.step_offer
    registry.steps[STEP_NOBODY] = flow.step_nobody
    registry.steps[STEP_REGION] = flow.step_region
    registry.steps[STEP_CALLBACK] = flow.step_callback
    registry.steps[STEP_CONSENT] = flow.step_consent
    registry.steps[STEP_SUMMARY] = flow.step_summary

    def option(turn: Turn, argument: str) -> Replies:
        handled = responders.button(turn, argument)
        return handled if handled is not None else flow.stale_option(turn, argument)

    registry.actions["esc"] = option
    # STATUS from a responder lists their cases (as CASES); from a person, their own case.
    def status_command(turn: Turn, argument: str) -> Replies | None:
        return responders.list_cases(turn, argument) or flow.status(turn, argument)

    registry.command("status")(status_command)
    registry.command("ack", takes_argument=True)(responders.ack)
    registry.command("done", takes_argument=True)(responders.done)
    registry.command("note", takes_argument=True)(responders.note)
    registry.command("cases", takes_argument=True)(responders.list_cases)
    registry.command("link", takes_argument=True)(responders.link)
    registry.steps[STEP_CLOSE_NOTE] = responders.close_note_step
    # HELP from a responder lists the responder commands; from anyone else, the core's HELP.
    core_help = registry.commands["help"]

    def help_command(turn: Turn, argument: str) -> Replies | None:
        return responders.help(turn, argument) or core_help.handler(turn, argument)

    registry.command("help", takes_argument=core_help.takes_argument,
                     allowed_when_opted_out=core_help.allowed_when_opted_out)(help_command)
    registry.extra_command_words.setdefault("ACK", "ack")
    registry.extra_command_words.setdefault("DONE", "done")
    registry.extra_command_words.setdefault("NOTE", "note")
    registry.extra_command_words.setdefault("CASES", "cases")
    registry.extra_command_words.setdefault("LINK", "link")
    registry.extra_command_words.setdefault("STATUS", "status")

    def erase(turn: Turn) -> None:
        notifications = erase_person_cases(turn.session, turn.person.pseudonym, utcnow())
        escalation.enqueue_after_commit(turn, notifications)

    registry.erasers.append(erase)

    def delivery_report(report: DeliveryReport) -> None:
        from bot.escalation.reports import apply_report

        apply_report(escalation, report)

    registry.delivery_listeners.append(delivery_report)

    if services.settings.queue == "inprocess" and services.settings.environment != "test":
        # The web process and `haki chat` sweep for themselves when there is no Celery beat.
        from bot.escalation.queues import InProcessQueue

        queue = escalation.queue
        if isinstance(queue, InProcessQueue):
            queue.start_sweeper()
