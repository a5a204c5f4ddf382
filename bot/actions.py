"""The registry that connects words, buttons and steps to the code that answers them.

The core registers its own handlers here (``bot/core_handlers.py``); features such as
escalation and peer referrals register theirs in their own ``register(registry)`` function,
so adding a feature never means editing the conversation loop.

Option keys are ``"<action>:<argument>"`` strings, e.g. ``intent:rights_arrest``,
``lang:zu``, ``cmd:menu``. They travel as Telegram callback data (≤ 64 bytes) and are
stored in the person's state so a typed number on SMS picks the same option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.messages import DeliveryReport, OutboundMessage, ReplyOption
from bot.turn import Turn

Replies = list[OutboundMessage]
ActionHandler = Callable[[Turn, str], Replies]
#: A pending step gets the option the person picked (or None for typed text). Returning
#: None means "this was not an answer to my question": the step is dropped and the
#: message is handled as a fresh one (people change their mind mid-flow).
StepHandler = Callable[[Turn, "str | None"], "Replies | None"]
#: A command may decline (return None), and the message is then read as ordinary text.
CommandHandler = Callable[[Turn, str], "Replies | None"]
IntentHandler = Callable[[Turn], Replies]
#: Called for START messages (Telegram /start, SMS JOIN) with the payload; may return
#: replies that replace the default welcome, or None.
StartHook = Callable[[Turn, "str | None"], "Replies | None"]
#: Extra messages after the safety text of an urgent parse (the escalation offer).
UrgentHook = Callable[[Turn, str], Replies]
#: Deletes everything a feature holds about a pseudonym (DELETE really deletes).
Eraser = Callable[[Turn], None]
#: Options a feature appends to the main menu (peers' "Tell a friend").
MenuExtra = Callable[[Turn], "list[ReplyOption]"]
#: Looks at a typed message before the NLU (a referral code sent alone); None = not mine.
TextHook = Callable[[Turn], "Replies | None"]
#: Sees every handled turn before it commits (reach counts); must not send replies.
TurnObserver = Callable[[Turn], None]
#: Hears what a provider reports about a message sent earlier (escalation notices);
#: called outside any turn, so it opens its own transaction.
DeliveryListener = Callable[[DeliveryReport], None]
#: Runs on every periodic sweep (bot/escalation/sweeps.py), with the sweep's clock; opens
#: its own transactions and must be safe to run twice at once.
PeriodicJob = Callable[[datetime], None]


@dataclass(frozen=True)
class Command:
    handler: CommandHandler
    #: Commands like ``ACK K7-3QF`` or ``LANG zu`` take words after the command word;
    #: others only match a message that is the command word alone, so "help they are
    #: beating me" is read as a message, not the HELP command.
    takes_argument: bool = False
    #: Commands that still work after STOP (START, DELETE).
    allowed_when_opted_out: bool = False


@dataclass
class Registry:
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    steps: dict[str, StepHandler] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    intents: dict[str, IntentHandler] = field(default_factory=dict)
    start_hooks: list[StartHook] = field(default_factory=list)
    urgent_hooks: list[UrgentHook] = field(default_factory=list)
    erasers: list[Eraser] = field(default_factory=list)
    #: Extra command words (uppercase) -> command name, beyond content's translated words;
    #: for operational words that are the same in every language (ACK, DONE, JOIN).
    extra_command_words: dict[str, str] = field(default_factory=dict)
    menu_extras: list[MenuExtra] = field(default_factory=list)
    text_hooks: list[TextHook] = field(default_factory=list)
    turn_observers: list[TurnObserver] = field(default_factory=list)
    delivery_listeners: list[DeliveryListener] = field(default_factory=list)
    periodic_jobs: list[PeriodicJob] = field(default_factory=list)

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        def register(handler: ActionHandler) -> ActionHandler:
            self.actions[name] = handler
            return handler

        return register

    def step(self, name: str) -> Callable[[StepHandler], StepHandler]:
        def register(handler: StepHandler) -> StepHandler:
            self.steps[name] = handler
            return handler

        return register

    def command(self, name: str, *, takes_argument: bool = False,
                allowed_when_opted_out: bool = False) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            self.commands[name] = Command(handler, takes_argument, allowed_when_opted_out)
            return handler

        return register

    def intent(self, name: str) -> Callable[[IntentHandler], IntentHandler]:
        def register(handler: IntentHandler) -> IntentHandler:
            self.intents[name] = handler
            return handler

        return register
