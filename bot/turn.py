"""Everything one handler needs to answer one message: the person, the services, helpers.

Handlers receive a :class:`Turn` and return a list of :class:`OutboundMessage`. They never
commit: the conversation commits once, after all handlers ran, and only then runs the
``after_commit`` callbacks (queueing a notification must not happen for a rolled-back turn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.messages import Channel, InboundMessage, OutboundMessage, ReplyOption
from bot.render import visible_option_count
from bot.storage.models import Person

if TYPE_CHECKING:
    from bot.content import ContentLibrary, Topic
    from bot.services import Services
    from nlu import Parse


@dataclass
class Turn:
    inbound: InboundMessage
    person: Person
    session: Session
    services: Services
    #: The text normalised for matching (NFKC, no zero-width characters, trimmed).
    clean_text: str
    parse: Parse | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Extra facts for `haki ask` and metrics (never message text).
    notes: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    #: Set while a menu is built in English because one of its labels is not translated.
    language_override: str | None = None

    # --- language and content --------------------------------------------------------
    @property
    def language(self) -> str:
        if self.language_override:
            return self.language_override
        return self.person.language or self.services.settings.default_language

    @property
    def jurisdiction(self) -> str:
        return self.person.jurisdiction

    @property
    def content(self) -> ContentLibrary:
        return self.services.content

    def text(self, key: str, **params: str) -> str:
        return self.content.text(key, self.language, self.jurisdiction, **params)

    def topic(self, intent: str) -> Topic | None:
        return self.content.topic(self.jurisdiction, intent, self.language)

    # --- menus and steps -------------------------------------------------------------
    def offer(self, text: str, options: list[ReplyOption], intent: str | None = None,
              ignore_opt_out: bool = False) -> OutboundMessage:
        """A message with options; remembers their keys so a typed number picks one.

        On SMS only the options the message can show are kept (bot/render.py), so a
        number that was not on the person's screen never picks a hidden option."""
        if self.inbound.channel is Channel.SMS:
            options = options[:visible_option_count(text, [option.label for option in options])]
        self.person.menu = [option.key for option in options]
        return OutboundMessage(text=text, options=tuple(options), intent=intent,
                               ignore_opt_out=ignore_opt_out)

    def set_step(self, step: str, **data: Any) -> None:
        self.person.pending_step = step
        self.person.pending_data = dict(data)

    def clear_step(self) -> None:
        self.person.pending_step = None
        self.person.pending_data = {}

    def option(self, key: str, text_key: str, **params: str) -> ReplyOption:
        return ReplyOption(key=key, label=self.text(text_key, **params))

    def defer(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the turn's transaction commits (never in dry runs)."""
        if not self.dry_run:
            self.after_commit.append(callback)
