"""Peer educators: referral codes, links, posters, SHARE, and reach figures that expose no one.

``register(services)`` plugs the feature into the conversation:
- a start hook for Telegram ``/start <code>``;
- the ``join`` command (``JOIN <code>`` by SMS, also JOYINA / AANSLUIT);
- a text hook for a live code sent alone;
- the ``share`` command and a "Tell a friend" main-menu item;
- a turn observer that counts activity of attributed people, and the DELETE eraser;
- a text hook answering STATS from a registered educator's number or chat.
Operators use ``haki peers ...`` (``bot/peers/cli.py``); dashboards use
``webhooks/peers_api.py``. See docs/peer-educators.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlu.language_table import load_table

if TYPE_CHECKING:
    from bot.services import Services

#: The SMS keyword in every language, plus each language's own words from
#: content/common/languages.yml. Content maps JOIN to plain START; ours also reads a code.
JOIN_WORDS = ("JOIN", *load_table().join_words)


def register(services: Services) -> None:
    from bot.peers import educator_stats, reach, referral, share

    registry = services.registry
    registry.start_hooks.append(referral.start_hook)
    registry.command("join", takes_argument=True, allowed_when_opted_out=True)(referral.cmd_join)
    for word in JOIN_WORDS:
        registry.extra_command_words[word] = "join"
    registry.text_hooks.append(referral.code_alone)
    registry.text_hooks.append(educator_stats.stats_hook)
    registry.command("share")(share.cmd_share)
    if not _content_has_share_word(services):
        registry.extra_command_words.setdefault("SHARE", "share")
    registry.menu_extras.append(share.menu_item)
    registry.turn_observers.append(reach.observe_turn)
    reach.watch_escalation_cases()
    registry.erasers.append(reach.erase)


def _content_has_share_word(services: Services) -> bool:
    return any("share" in services.content.command_words(code).values()
               for code in services.settings.language_codes)
