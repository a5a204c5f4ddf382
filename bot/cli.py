"""The ``haki`` command.

Sub-commands live next to the code they drive (``nlu/cli.py``, ``bot/content/cli.py`` ...)
and are imported only when used, so ``haki ask`` starts fast and a broken optional feature
cannot stop ``haki chat`` from working.
"""

from __future__ import annotations

import importlib
import sys

import click

from bot.settings import SettingsError

#: name -> "module:attribute" of a click command or group. Add a line to add a feature.
SUBCOMMANDS: dict[str, str] = {
    "chat": "bot.console:chat",
    "ask": "bot.console:ask",
    "serve": "webhooks.cli:serve",
    "db": "bot.storage.cli:db",
    "keys": "bot.storage.cli:keys",
    "nlu": "nlu.cli:nlu",
    "content": "bot.content.cli:content",
    "telegram": "webhooks.cli:telegram",
    "responders": "bot.escalation.cli:responders",
    "cases": "bot.escalation.cli:cases",
    "worker": "bot.escalation.cli:worker",
    "peers": "bot.peers.cli:peers",
    "figures": "bot.figures.cli:figures",
    "console": "console.cli:console",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                return None  # the feature is not installed in this build
            raise
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
def cli() -> None:
    """Haki: legal information on dealing with police, by SMS and Telegram."""


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SettingsError as error:
        click.echo(f"haki: configuration error: {error}", err=True)
        sys.exit(2)
