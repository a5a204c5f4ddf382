"""A person on Telegram in trouble, talking to the served app over real HTTP, with a
stand-in Telegram Bot API and a registered paralegal (tests of issue 13, items 1-4)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import requests
from sqlalchemy import select

from bot.escalation.models import Case, Notification
from bot.escalation.regions import all_region_ids
from bot.escalation.responders import add_responder
from tests.webhooks.conftest import TELEGRAM_PATH, telegram_headers

_update_ids = itertools.count(810_000_000)
_chats = itertools.count(7_100_000)


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "T", "language_code": "en"}
    return {"update_id": next(_update_ids), "message": {
        "message_id": 1, "from": user, "chat": {"id": chat_id, "type": "private"},
        "date": 1718000000, "text": text}}


def button_update(chat_id: int, data: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "T", "language_code": "en"}
    return {"update_id": next(_update_ids), "callback_query": {
        "id": f"cb{next(_update_ids)}", "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": 2, "date": 1718000000, "text": "...",
                    "chat": {"id": chat_id, "type": "private"}}}}


def add_paralegal(services: Any, chat_id: str = "990001") -> str:
    with services.db.session() as session:
        add_responder(session, services.cipher, services.settings.secret_key,
                      name="Paralegal", organisation="Test NGO", kind="paralegal",
                      regions=["gauteng"], channel="telegram", address=chat_id, on_duty=True,
                      known_regions=all_region_ids(services.settings.content_dir))
    return chat_id


class TelegramPerson:
    def __init__(self, base: str) -> None:
        self.base = base
        self.chat_id = next(_chats)

    def post(self, update: dict[str, Any]) -> requests.Response:
        return requests.post(self.base + TELEGRAM_PATH, json=update, headers=telegram_headers(),
                             timeout=30)

    def says(self, text: str) -> requests.Response:
        return self.post(text_update(self.chat_id, text))

    def presses(self, key: str) -> requests.Response:
        return self.post(button_update(self.chat_id, key))

    def walk_to_consent(self) -> None:
        """Urgent message, then paralegal, then Gauteng: the consent question is next."""
        for step in (lambda: self.says("police are beating me now help"),
                     lambda: self.presses("esc:kind:paralegal"),
                     lambda: self.presses("esc:region:gauteng")):
            assert step().status_code == 200


def cases(services: Any) -> list[Case]:
    with services.db.session() as session:
        return list(session.scalars(select(Case).order_by(Case.id)).all())


def notifications(services: Any) -> list[Notification]:
    with services.db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)).all())


def wait_until(predicate: Any, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
