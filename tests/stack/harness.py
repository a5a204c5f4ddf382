"""Drive the native stack from outside, the way Twilio and Telegram do.

Used by the end-to-end stack test (tests/stack/test_stack_smoke.py) and the load test
(bench/load.py). :class:`StackRun` starts the stand-in Telegram and Twilio APIs (the only
things imitated: the providers' servers), generates fresh secrets, starts the stack with
``scripts/stack/stack.py start`` pointed at the stand-ins, and stops everything it started
on exit. :class:`Provider` sends what the providers send: Twilio form posts signed with
the auth token over the public URL, Telegram updates with the secret-token header.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.standins.fixtures import TelegramApi, TwilioApi

STACK = ROOT / "scripts" / "stack" / "stack.py"
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass
class StackRun:
    """A running stack plus its stand-in providers; a context manager."""

    state_dir: Path = ROOT / "var" / "stack-test"
    workers: int = 2
    database: str = "haki_stack_test"
    redis_db: int = 6
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Run without Rasa (the embedded NLU) even where .venv-rasa has a model.
    embedded: bool = False
    telegram: TelegramApi = field(default_factory=TelegramApi)
    twilio: TwilioApi = field(default_factory=TwilioApi)
    info: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    start_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.secrets = {
            "HAKI_SECRET_KEY": secrets.token_urlsafe(48),
            "HAKI_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "HAKI_TELEGRAM_SECRET": secrets.token_urlsafe(24).replace("-", "_"),
        }

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> StackRun:
        self.telegram.start()
        self.twilio.start()
        self.env = {
            **os.environ,
            **self.secrets,
            "HAKI_ENVIRONMENT": "production",
            "HAKI_SANDBOX": "0",
            "HAKI_TELEGRAM_API_URL": self.telegram.url,
            "HAKI_TELEGRAM_TOKEN": self.telegram.token,
            "HAKI_TELEGRAM_BOT_USERNAME": self.telegram.bot_username,
            "HAKI_TWILIO_API_URL": self.twilio.url,
            "HAKI_TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "HAKI_TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "HAKI_TWILIO_NUMBER": self.twilio.number,
            **self.extra_env,
        }
        started = time.monotonic()
        self._stop_stack()  # whatever an interrupted earlier run left behind
        done = subprocess.run(
            [str(PYTHON), str(STACK), "start", "--fresh", "--state-dir", str(self.state_dir),
             "--workers", str(self.workers), "--database", self.database,
             "--redis-db", str(self.redis_db), "--port", "0",
             *(["--embedded"] if self.embedded else [])],
            env=self.env, cwd=ROOT, check=False, timeout=240,
        )
        self.start_seconds = time.monotonic() - started
        if done.returncode != 0:
            self.stop()
            raise RuntimeError("the stack did not start (see the output above and "
                               f"{self.state_dir}/*.log)")
        self.info = json.loads((self.state_dir / "stack.json").read_text())
        return self

    def _stop_stack(self) -> None:
        subprocess.run([str(PYTHON), str(STACK), "stop", "--state-dir", str(self.state_dir)],
                       cwd=ROOT, check=False, timeout=120)

    def stop(self) -> None:
        self._stop_stack()
        self.telegram.stop()
        self.twilio.stop()

    def __enter__(self) -> StackRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    def add_responder(self, chat_id: int, kind: str = "paralegal") -> None:
        """A responder on duty everywhere, reached on Telegram at ``chat_id`` (the stand-in)."""
        from bot.escalation.regions import all_region_ids
        from bot.escalation.responders import add_responder
        from bot.storage.crypto import Cipher
        from bot.storage.db import Database

        database = Database(self.info["database_url"])
        try:
            with database.session() as session:
                add_responder(session, Cipher([self.secrets["HAKI_ENCRYPTION_KEYS"]]),
                              self.secrets["HAKI_SECRET_KEY"], name=f"Stack {kind}",
                              organisation="Stack Legal Aid", kind=kind, regions=["all"],
                              channel="telegram", address=str(chat_id), on_duty=True,
                              known_regions=all_region_ids(ROOT / "content"))
        finally:
            database.dispose()

    def provider(self) -> Provider:
        return Provider(self.base_url, self.twilio.auth_token, self.secrets["HAKI_TELEGRAM_SECRET"],
                        account_sid=self.twilio.account_sid)

    def log(self, name: str) -> str:
        path = self.state_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Reply:
    status: int
    texts: list[str]
    seconds: float = 0.0


class Provider:
    """Sends webhooks as Twilio and Telegram would. Thread-safe; one HTTP pool per thread."""

    def __init__(self, base_url: str, twilio_auth_token: str, telegram_secret: str,
                 account_sid: str = "AC" + "0" * 32) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_sid = account_sid
        self.validator = RequestValidator(twilio_auth_token)
        self.telegram_secret = telegram_secret
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session  # type: ignore[no-any-return]

    def next_id(self) -> int:
        with self._ids_lock:
            return next(self._ids)

    def sms(self, sender: str, body: str, number: str = "+27600000000") -> Reply:
        """A signed Twilio messaging webhook; the replies are the TwiML <Message>s."""
        url = f"{self.base_url}/webhooks/twilio/sms"
        sid = "SM" + secrets.token_hex(16)
        form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": self.account_sid,
                "From": sender, "To": number, "Body": body, "NumMedia": "0", "NumSegments": "1",
                "FromCountry": "ZA", "FromCity": "JOHANNESBURG"}
        signature = self.validator.compute_signature(url, form)
        started = time.perf_counter()
        response = self.session.post(url, data=form, headers={"X-Twilio-Signature": signature},
                                     timeout=30)
        seconds = time.perf_counter() - started
        texts: list[str] = []
        if response.status_code == 200 and response.content:
            root = ElementTree.fromstring(response.content)
            texts = [element.findtext("Body") or element.text or ""
                     for element in root.iter("Message")]
        return Reply(response.status_code, texts, seconds=seconds)

    def telegram(self, chat_id: int, text: str) -> Reply:
        """A Telegram update: a private-chat text message; the reply in the response, if any."""
        update_id = self.next_id()
        person = {"id": chat_id, "is_bot": False, "first_name": "Stack", "language_code": "en"}
        chat = {"id": chat_id, "type": "private", "first_name": "Stack"}
        update: dict[str, Any] = {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "chat": chat, "from": person,
            "text": text}}
        started = time.perf_counter()
        response = self.session.post(
            f"{self.base_url}/webhooks/telegram", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": self.telegram_secret}, timeout=30)
        seconds = time.perf_counter() - started
        texts: list[str] = []
        if response.status_code == 200 and response.content:
            call = response.json()
            if call.get("method") == "sendMessage":
                texts.append(str(call.get("text", "")))
        return Reply(response.status_code, texts, seconds)


def telegram_texts_to(api: TelegramApi, chat_id: int) -> list[str]:
    """Texts the stack sent to one chat through the (stand-in) Bot API."""
    return [str(message.get("text", "")) for message in api.sent_messages()
            if str(message.get("chat_id")) == str(chat_id)]

