"""Messages we send on our own initiative (not as a webhook reply): Telegram and Twilio SMS.

Both senders implement :class:`bot.services.Sender`: ``send(address, message)`` returns the
provider's message id or raises :class:`DeliveryError`, which tells the caller's retry logic
(escalation's delivery queue) whether and when to try again.

The API base URLs come from the settings (``HAKI_TELEGRAM_API_URL``,
``HAKI_TWILIO_API_URL``), so the tests run these exact code paths against local stand-in
servers that speak the providers' real HTTP protocols.

python-telegram-bot is asyncio-only, while the web app runs in gunicorn's synchronous
workers and the escalation worker runs plain threads. Each process therefore keeps one
private event loop in a daemon thread (:class:`EventLoopThread`) that owns the ``Bot`` and
its httpx connection pool; any thread submits coroutines to it and waits for the result.
One loop per process (not ``asyncio.run`` per call) keeps connections alive between sends
and never binds an httpx client to a loop that has gone away. The loop is started lazily
and again after a fork, so gunicorn's pre-fork model is safe.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.identity import log_tag, pseudonym
from bot.messages import Channel, OutboundMessage
from bot.render import render_sms, render_telegram
from bot.storage.base import utcnow
from webhooks.delivery_error import DeliveryError
from webhooks.pacing import ChatPacer, PaceTooSlow
from webhooks.reply_outbox import Pending, ReplyStore

if TYPE_CHECKING:
    import telegram
    from twilio.rest import Client as TwilioClient

    from bot.services import Sender, Services
    from bot.settings import Settings

log = logging.getLogger("haki.outbound")
T = TypeVar("T")

#: Where Twilio posts delivery reports for what we send (webhooks/twilio_sms.py serves it).
TWILIO_STATUS_PATH = "/webhooks/twilio/status"
#: Twilio error codes that will never succeed on retry (https://www.twilio.com/docs/api/errors).
TWILIO_OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
TWILIO_PERMANENT = {21211, 21214, 21408, 21602, 21604, 21606, 21610, 21612, 21614, 21617,
                    30003, 30004, 30005, 30006}


def _quiet_retry_after_warning() -> None:
    # PTB 22 warns, inside RetryAfter's own constructor, that ``retry_after`` will become a
    # timedelta; we already read it as either (``_seconds``), so the warning is noise.
    import warnings

    from telegram.warnings import PTBDeprecationWarning

    warnings.filterwarnings("ignore", message=r".*retry_after.*", category=PTBDeprecationWarning)


def quiet_client_loggers() -> None:
    """httpx logs every request URL at INFO, and Telegram's URLs contain the bot token;
    twilio-python logs request headers and parameters (phone numbers) at INFO, and its
    request validator's warning quotes a header an unauthenticated client chose."""
    for name in ("httpx", "httpcore", "twilio.http_client"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("twilio.request_validator").setLevel(logging.ERROR)


class EventLoopThread:
    """A private asyncio loop in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self, name: str = "haki-telegram-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                # First use, or we are a forked child whose parent's loop thread is gone.
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                ready = threading.Event()
                loop = self._loop

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name=self._name, daemon=True)
                self._thread.start()
                ready.wait(5)
            return self._loop

    @property
    def started_here(self) -> bool:
        return self._loop is not None and self._pid == os.getpid()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise

    def stop(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or self._pid != os.getpid():
                return
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=5)
            loop.close()
            self._loop = self._thread = None


class TelegramSender:
    """Sends through python-telegram-bot's ``Bot`` at ``settings.telegram_api_url``.

    Paces sends per chat and globally (:mod:`webhooks.pacing`). A 429 holds the chat for
    ``retry_after``; a short one (≤ ``max_inline_wait``) is waited out here and the send
    retried once, a longer one is raised as ``DeliveryError(retry_after=...)`` so the
    caller's queue reschedules instead of holding a thread.
    """

    channel = Channel.TELEGRAM

    def __init__(self, settings: Settings, services: Services | None = None, *,
                 pacer: ChatPacer | None = None, max_inline_wait: float = 5.0,
                 timeout: float = 15.0) -> None:
        self._services = services
        self._token = settings.telegram_token
        self._base_url = settings.telegram_api_url.rstrip("/")
        self._pacer = pacer or ChatPacer()
        self._max_inline_wait = max_inline_wait
        self._timeout = timeout
        self._loop = EventLoopThread()
        self._bot: telegram.Bot | None = None
        self._bot_pid = 0
        quiet_client_loggers()
        _quiet_retry_after_warning()

    # --- the Sender protocol ----------------------------------------------------------
    def send(self, address: str, message: OutboundMessage) -> str | None:
        text, rows = render_telegram(message)
        try:
            result = self.call("sendMessage", chat_id=address, text=text, rows=rows)
        except DeliveryError as error:
            if error.blocked and self._services is not None:
                # Nothing reaches them until they write again (which clears the mark).
                mark_blocked(self._services, Channel.TELEGRAM, address)
            raise
        return str(result.message_id)

    # --- other Bot API calls the channel needs ------------------------------------------
    def call(self, method: str, *, chat_id: str | None = None, **params: Any) -> Any:
        """Call one Bot API method with pacing and retry_after handling."""
        attempts = 2
        for attempt in range(1, attempts + 1):
            if chat_id is not None and method == "sendMessage":
                try:
                    self._pacer.wait_turn(str(chat_id), self._max_inline_wait)
                except PaceTooSlow as slow:
                    raise DeliveryError("per-chat pace", retry_after=slow.wait) from None
            try:
                return self._loop.run(self._invoke(method, chat_id, params), self._timeout)
            except DeliveryError as error:
                if error.retry_after is None:
                    raise
                paced = chat_id is not None and method == "sendMessage"
                if paced:
                    # Later sends to this chat (from any thread) wait too.
                    self._pacer.hold(str(chat_id), error.retry_after)
                if attempt == attempts or error.retry_after > self._max_inline_wait:
                    raise
                log.info("telegram flood control, waiting",
                         extra={"method": method, "retry_after": error.retry_after})
                if not paced:
                    time.sleep(error.retry_after)  # paced sends wait in wait_turn instead
            except FutureTimeout:
                raise DeliveryError("telegram timeout") from None
        raise AssertionError("unreachable")

    def set_webhook(self, url: str, secret_token: str, allowed_updates: list[str],
                    max_connections: int = 40) -> bool:
        return bool(self.call("setWebhook", url=url, secret_token=secret_token,
                              allowed_updates=allowed_updates, max_connections=max_connections,
                              drop_pending_updates=False))

    def webhook_info(self) -> telegram.WebhookInfo:
        return self.call("getWebhookInfo")

    def close(self) -> None:
        if self._bot is not None and self._loop.started_here:
            bot = self._bot
            try:
                self._loop.run(bot.shutdown(), 5)
            except Exception:  # noqa: BLE001 - closing must not fail shutdown
                pass
        self._bot = None
        self._loop.stop()

    # --- on the loop --------------------------------------------------------------------
    async def _get_bot(self) -> telegram.Bot:
        import telegram
        from telegram.request import HTTPXRequest

        if self._bot is None or self._bot_pid != os.getpid():
            bot = telegram.Bot(
                self._token,
                base_url=f"{self._base_url}/bot",
                base_file_url=f"{self._base_url}/file/bot",
                request=HTTPXRequest(connection_pool_size=16, read_timeout=10,
                                     write_timeout=10, connect_timeout=5, pool_timeout=5),
            )
            await bot.initialize()  # getMe: checks the token once per process
            self._bot, self._bot_pid = bot, os.getpid()
        return self._bot

    async def _invoke(self, method: str, chat_id: str | None, params: dict[str, Any]) -> Any:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup
        from telegram import error as tg

        try:
            bot = await self._get_bot()
            if method == "sendMessage":
                assert chat_id is not None, "sendMessage needs a chat_id"  # send() always passes one
                rows = params.get("rows") or []
                markup = InlineKeyboardMarkup(
                    [[InlineKeyboardButton(label, callback_data=key) for label, key in row]
                     for row in rows]) if rows else None
                return await bot.send_message(chat_id=chat_id, text=params["text"],
                                              reply_markup=markup)
            if method == "answerCallbackQuery":
                return await bot.answer_callback_query(**params)
            if method == "editMessageReplyMarkup":
                # No reply_markup: Telegram removes the message's buttons.
                return await bot.edit_message_reply_markup(chat_id=chat_id,
                                                           message_id=params["message_id"])
            if method == "setWebhook":
                return await bot.set_webhook(**params)
            if method == "getWebhookInfo":
                return await bot.get_webhook_info()
            if method == "deleteWebhook":
                return await bot.delete_webhook()
            if method == "getMe":
                return await bot.get_me()
            raise ValueError(f"unsupported Bot API method {method}")
        except tg.RetryAfter as error:
            raise DeliveryError("telegram 429", retry_after=_seconds(error)) from None
        except tg.Forbidden:
            # Blocked by the person, or kicked from the chat: no retry will reach them.
            raise DeliveryError("telegram forbidden (blocked)", permanent=True,
                                blocked=True) from None
        except tg.InvalidToken:
            raise DeliveryError("telegram rejected the bot token", permanent=True) from None
        except tg.BadRequest as error:
            raise DeliveryError(f"telegram bad request: {self._scrub(error.message)}",
                                permanent=True) from None
        except tg.TelegramError as error:  # NetworkError, TimedOut, 5xx
            raise DeliveryError(f"telegram unavailable: {type(error).__name__}") from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text


def _seconds(error: Any) -> float:
    value = error._retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TwilioSmsSender:
    """Sends SMS through twilio-python's ``Client`` at ``settings.twilio_api_url``.

    Bodies are rendered with :func:`bot.render.render_sms` (GSM-7, ≤ 2 segments for an
    answer, ≤ 1,600 characters), one message resource per reply. Error 21610 means the
    person opted out at Twilio (texted STOP to any number of ours): we record that on their
    pseudonymous row, so we stop trying, without ever storing the number.
    """

    channel = Channel.SMS

    def __init__(self, settings: Settings, services: Services | None = None,
                 timeout: float = 15.0) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self._settings = settings
        self._services = services
        self._client: TwilioClient = Client(
            settings.twilio_account_sid, settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=timeout, pool_connections=True),
        )
        # Every API resource hangs off this domain; a stand-in URL replaces api.twilio.com.
        self._client.api.base_url = settings.twilio_api_url.rstrip("/")
        quiet_client_loggers()

    def send(self, address: str, message: OutboundMessage) -> str | None:
        body = render_sms(message)
        with self._failures(lambda error: self._explain(error, address)):
            # The status callback tells us later whether the handset got it: an urgent
            # case whose notice was undelivered is re-routed at once (bot/escalation/reports.py).
            created = self._client.messages.create(
                to=address, from_=self._settings.twilio_number, body=body,
                status_callback=self._settings.public_url.rstrip("/") + TWILIO_STATUS_PATH)
        return str(created.sid)

    def erase_log(self, address: str) -> int:
        """Delete every message to and from ``address`` in the account's message log (the
        person's texts, our replies and notices); returns how many went. Raises
        DeliveryError when some could not be deleted yet (still sending: error 20009) or
        Twilio is unreachable: the caller tries again later."""
        deleted = 0
        with self._failures():
            found = {message.sid for field in ("to", "from_")
                     for message in self._client.messages.list(**{field: address}, page_size=100)}
            for sid in sorted(found):
                deleted += self._delete(sid)
        return deleted

    def erase_message(self, sid: str) -> int:
        """Delete one message from the account's log; 1 if it went, 0 if it was gone."""
        deleted = 0
        with self._failures():
            deleted = self._delete(sid)
        return deleted

    @staticmethod
    @contextmanager
    def _failures(explain: Callable[[Any], DeliveryError] | None = None) -> Iterator[None]:
        """Every Twilio failure as a DeliveryError: an API error through ``explain`` (or
        plainly), and anything else as Twilio being unavailable or unreachable."""
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            yield
        except TwilioRestException as error:
            raise (explain(error) if explain is not None
                   else DeliveryError(f"twilio error {error.status}/{error.code}")) from None
        except TwilioException as error:
            raise DeliveryError(f"twilio unavailable: {type(error).__name__}") from None
        except OSError as error:  # connection refused, reset, timeout
            raise DeliveryError(f"twilio unreachable: {type(error).__name__}") from None

    def _delete(self, sid: str) -> int:
        from twilio.base.exceptions import TwilioRestException

        try:
            self._client.messages(sid).delete()
        except TwilioRestException as error:
            if int(error.status or 0) == 404:
                return 0  # already gone is what we wanted
            raise
        return 1

    def _explain(self, error: Any, address: str) -> DeliveryError:
        status, code = int(error.status or 0), int(error.code or 0)
        if code == TWILIO_OPTED_OUT:
            self._mark_opted_out(address)
            return DeliveryError("twilio 21610: recipient opted out", permanent=True,
                                 opted_out=True)
        if status == 429:
            return DeliveryError("twilio 429", retry_after=1.0)
        if code in TWILIO_PERMANENT or status in (400, 404):
            return DeliveryError(f"twilio error {code}", permanent=True)
        if status in (401, 403):
            return DeliveryError(f"twilio rejected our credentials ({code})", permanent=True)
        return DeliveryError(f"twilio error {status}/{code}")

    def _mark_opted_out(self, address: str) -> None:
        if self._services is not None:
            mark_sms_opted_out(self._services, address)

    def close(self) -> None:
        session = getattr(self._client.http_client, "session", None)
        if session is not None:
            session.close()


def _set_on_person(services: Services, channel: Channel, address: str, flag: str,
                   value: bool) -> tuple[str, bool]:
    """Set ``flag`` on the pseudonymous row of whoever has ``address``; returns the
    pseudonym and whether the row changed. The address is only hashed, never stored, and
    a person we never talked to has no row and gets none."""
    from bot.storage.models import Person

    who = pseudonym(services.settings.secret_key, channel.value, address)
    with services.db.session() as session:
        person = session.get(Person, who)
        if person is None or getattr(person, flag) == value:
            return who, False
        setattr(person, flag, value)
    return who, True


def mark_sms_opted_out(services: Services, address: str) -> None:
    """Twilio says this number opted out (error 21610): record it on their row."""
    who, _ = _set_on_person(services, Channel.SMS, address, "opted_out", True)
    log.info("sms recipient opted out at twilio", extra={"person": log_tag(who)})


def mark_blocked(services: Services, channel: Channel, address: str,
                 blocked: bool = True) -> None:
    """The provider says nothing reaches this person (Telegram: they blocked the bot), or,
    with ``blocked=False``, that it does again (they unblocked it).

    Unlike STOP this is not the person asking us for silence: the mark only stops
    escalation updates from being sent into the void, and the conversation clears it as
    soon as they write again."""
    who, changed = _set_on_person(services, channel, address, "blocked", blocked)
    if changed:
        log.info("person blocked the bot" if blocked else "person unblocked the bot",
                 extra={"person": log_tag(who), "channel": channel.value})


def telegram_configured(settings: Settings) -> bool:
    return bool(settings.telegram_token)


def twilio_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token
                and settings.twilio_number)


def register(services: Services) -> None:
    """Install the senders whose credentials are configured (build_services calls this)."""
    from webhooks import erasure

    settings = services.settings
    erasure.register_local(services)
    if telegram_configured(settings):
        telegram_sender = TelegramSender(settings, services)
        services.senders[Channel.TELEGRAM] = telegram_sender
        services.closers.append(telegram_sender.close)
        # Replies stored in the reply outbox (webhooks/reply_outbox.py) that the web
        # process could not send yet: whichever process sweeps sends them.
        store = ReplyStore(services, Channel.TELEGRAM)

        def send_stored_replies(now: datetime) -> None:
            deliver_due(store, telegram_sender, now)

        services.registry.periodic_jobs.append(send_stored_replies)
        services.registry.erasers.append(store.erase)
    if twilio_configured(settings):
        sms_sender = TwilioSmsSender(settings, services)
        services.senders[Channel.SMS] = sms_sender
        services.closers.append(sms_sender.close)
        erasure.register(services, sms_sender)


class BackgroundReplies:
    """Sends a webhook's extra replies after the response, in order, with retries.

    A Telegram webhook response can carry one Bot API call; when a turn has more replies,
    they go through the sender here, off the request thread, so the webhook still answers
    in milliseconds. With a ``store`` (webhooks/reply_outbox.py: encryption keys are
    configured) every reply is first a row in the reply outbox, deleted once Telegram has
    it: a reply that fails here a few times, or is lost with the process, is sent later by
    the sweep (``deliver_due``), so the safety text after an urgent message is never lost.
    """

    def __init__(self, sender: Sender, workers: int = 4, attempts: int = 3,
                 store: ReplyStore | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._sender = sender
        self._attempts = attempts
        self._store = store if store is not None and store.available else None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="haki-replies")
        self._pending: set[Any] = set()
        self._lock = threading.Lock()

    def submit(self, address: str, messages: list[OutboundMessage]) -> None:
        if self._store is not None:
            pending = self._store.add(address, messages)
            future = self._pool.submit(self._deliver_stored, pending)
        else:
            future = self._pool.submit(self._deliver, address, messages)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def remove_buttons(self, address: str, message_id: int) -> None:
        """Take the buttons off a message we sent (a responder's notice once a button of it
        was used), off the request thread. Best effort: a failure leaves stale buttons,
        which the core answers sensibly if pressed again."""
        call = getattr(self._sender, "call", None)
        if call is None:
            return

        def remove() -> None:
            try:
                call("editMessageReplyMarkup", chat_id=address, message_id=message_id)
            except DeliveryError as error:
                log.warning("buttons not removed", extra={"reason": error.reason})

        future = self._pool.submit(remove)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Any) -> None:
        with self._lock:
            self._pending.discard(future)

    def _send(self, address: str, message: OutboundMessage) -> DeliveryError | None:
        """Send with a few quick tries; the last error, or None when it went."""
        for attempt in range(1, self._attempts + 1):
            try:
                self._sender.send(address, message)
                return None
            except DeliveryError as error:
                if error.permanent or attempt == self._attempts:
                    return error
                time.sleep(error.retry_after if error.retry_after is not None
                           and error.retry_after <= 5 else 0.5 * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _deliver(self, address: str, messages: list[OutboundMessage]) -> None:
        for message in messages:
            error = self._send(address, message)
            if error is not None:
                log.warning("reply not delivered",
                            extra={"reason": error.reason, "permanent": error.permanent})
                return  # later replies make no sense without this one

    def _deliver_stored(self, pending: list[Pending]) -> None:
        assert self._store is not None
        deliver_in_order(self._store, pending, self._send)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for queued replies (tests, and a graceful shutdown)."""
        from concurrent.futures import wait

        with self._lock:
            pending = list(self._pending)
        wait(pending, timeout=timeout)

    def close(self) -> None:
        self.drain(5.0)
        self._pool.shutdown(wait=False, cancel_futures=True)


def deliver_due(store: ReplyStore, sender: Sender, now: datetime | None = None) -> int:
    """The periodic job: send stored replies that are due, one try each (the back-off
    between sweeps does the waiting); returns how many went."""
    if not store.available:
        return 0

    def once(address: str, message: OutboundMessage) -> DeliveryError | None:
        try:
            sender.send(address, message)
        except DeliveryError as error:
            return error
        return None

    now = now or utcnow()
    return sum(deliver_in_order(store, group, once, now=now) for group in store.claim_due(now))


def deliver_in_order(store: ReplyStore, pending: list[Pending],
                     send: Callable[[str, OutboundMessage], DeliveryError | None],
                     now: datetime | None = None) -> int:
    """Send one person's stored replies in order; stop at the first failure (the rest
    wait behind it). Returns how many went."""
    for index, item in enumerate(pending):
        error = send(item.address, item.message)
        if error is None:
            store.delivered(item.row_id)
            continue
        rest = [p.row_id for p in pending[index:]]
        store.failed(rest, error.reason, permanent=error.permanent, now=now)
        log.warning("reply not delivered" + ("; dropped" if error.permanent else "; will retry"),
                    extra={"reason": error.reason, "replies": len(rest)})
        return index
    return len(pending)
