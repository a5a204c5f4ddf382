"""The console tests' world: the real app with HAKI_CONSOLE on, real services on a real
database, stand-in Telegram and Twilio servers, responders, coordinators and cases.

Accounts are made the way people make them: an invitation, then the enrolment pages
(password, then a TOTP code from the secret the page showed), then sign-in.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import select

from bot.escalation import escalation_of
from bot.escalation.cases import NewCase
from bot.escalation.models import PENDING, SENDING, Case, ConsoleAccount, Notification
from bot.escalation.regions import all_region_ids
from bot.escalation.responders import add_responder
from bot.escalation.service import EscalationService
from bot.storage.base import utcnow
from console.auth import invite

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


@dataclass
class Login:
    """One signed-in browser session (a Flask test client) and the account behind it."""

    client: Any
    username: str
    secret: str
    recovery_codes: list[str]

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def csrf(self, path: str = "/console/") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, token_from: str | None = None,
             with_token: bool = True) -> Any:
        form = dict(data or {})
        if with_token:
            form["csrf_token"] = self.csrf(token_from or "/console/")
        return self.client.post(path, data=form)


class ConsoleWorld:
    def __init__(self, services: Any, app: Any, telegram: Any, twilio: Any) -> None:
        self.services = services
        self.app = app
        self.telegram = telegram
        self.twilio = twilio
        self.service = EscalationService(escalation_of(services))

    # --- people -----------------------------------------------------------------------------
    def responder(self, organisation: str = "Sisonke", *, region: str = "gauteng",
                  kind: str = "paralegal", name: str | None = None) -> int:
        with self.services.db.session() as session:
            responder = add_responder(
                session, self.services.cipher, self.services.settings.secret_key,
                name=name or f"Responder {next(_numbers)}", organisation=organisation, kind=kind,
                regions=[region], channel="telegram", address=str(700000 + next(_numbers)),
                on_duty=True, known_regions=all_region_ids(self.services.settings.content_dir))
            return responder.id

    def invitation(self, *, responder_id: int | None = None, organisation: str | None = None,
                   role: str | None = None, hours: int = 48, now: datetime | None = None) -> str:
        role = role or ("responder" if responder_id else "coordinator")
        with self.services.db.session() as session:
            return invite(session, role=role, now=now or utcnow(), hours=hours,
                          organisation=organisation, responder_id=responder_id).token

    def enrol(self, token: str, username: str | None = None) -> Login:
        """Open the invitation, choose a password, confirm a TOTP code: signed in."""
        client = _https(self.app.test_client())
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{next(_numbers) % 250}"
        username = username or f"user{next(_numbers)}"
        page = client.get(f"/console/enrol?token={token}")
        assert page.status_code == 200, page.status_code
        token_field = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert token_field
        shown = client.post("/console/enrol", data={
            "csrf_token": token_field.group(1), "token": token, "username": username,
            "password": PASSWORD})
        html = shown.get_data(as_text=True)
        assert shown.status_code == 200, html
        secret = re.search(r"Key: <code>([A-Z2-7]+)</code>", html).group(1)  # type: ignore[union-attr]
        codes = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", html)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        done = client.post("/console/enrol/confirm",
                           data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()})
        assert done.status_code == 302, done.get_data(as_text=True)
        return Login(client, username, secret, codes)

    def sign_in(self, login: Login, code: str | None = None) -> Any:
        """A fresh browser session for an existing account: password, then a code."""
        client = _https(self.app.test_client())
        page = client.get("/console/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        first = client.post("/console/login", data={"csrf_token": csrf, "username": login.username,
                                                    "password": PASSWORD})
        if first.status_code != 302:
            return first
        page = client.get("/console/login/totp").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        second = client.post("/console/login/totp", data={"csrf_token": csrf,
                                                          "code": code or self.next_code(login)})
        login.client = client
        return second

    def next_code(self, login: Login) -> str:
        """A code the server has not seen yet (each TOTP step is accepted once)."""
        with self.services.db.session() as session:
            last = session.scalar(select(ConsoleAccount.totp_last_step)
                                  .where(ConsoleAccount.username == login.username)) or 0
        totp = pyotp.TOTP(login.secret)
        step = max(int(time.time()) // 30, last + 1)
        return totp.at(step * 30)

    # --- cases ------------------------------------------------------------------------------
    def open_case(self, *, region: str = "gauteng", urgency: str = "urgent", kind: str = "paralegal",
                  callback: bool = False, number: str | None = None,
                  now: datetime | None = None) -> str:
        details = NewCase(pseudonym=f"p{next(_numbers):062d}", channel="sms",
                          address=number or f"+2782{next(_numbers):07d}", language="en",
                          jurisdiction="za", category="arrested_now", region=region,
                          urgency=urgency, kind=kind, callback_allowed=callback)
        with self.service.unit() as uow:
            case = self.service.open(uow, details, now)
            return case.reference

    def case(self, reference: str) -> Case:
        with self.services.db.session() as session:
            found = session.scalar(select(Case).where(Case.reference == reference))
            assert found is not None
            return found

    def make_overdue(self, reference: str, minutes: int = 5) -> None:
        with self.services.db.session() as session:
            case = session.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            case.ack_deadline = utcnow() - timedelta(minutes=minutes)

    def settle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.services.db.session() as session:
                busy = session.scalar(select(Notification.id).where(
                    Notification.status.in_((PENDING, SENDING))).limit(1))
            if busy is None:
                return
            time.sleep(0.02)
        raise AssertionError("notifications still moving")

    def notifications(self, reference: str) -> list[Notification]:
        case = self.case(reference)
        with self.services.db.session() as session:
            return list(session.scalars(select(Notification).where(Notification.case_id == case.id)
                                        .order_by(Notification.id)).all())


def _https(client: Any) -> Any:
    """Console cookies are Secure: the test client must talk HTTPS to send them back."""
    client.environ_base["wsgi.url_scheme"] = "https"
    client.environ_base["HTTP_HOST"] = "localhost"
    return client
