"""``{name}`` and ``{name.field}`` placeholders in content texts.

We do not use ``str.format``: a stray brace in a translation must never crash a reply, and
only lowercase identifiers count as placeholders, so "{" in ordinary text is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_]*))?\}")


def placeholders(text: str) -> list[str]:
    """Placeholders as written (``sweat``, ``sweat.phone``), sorted, with duplicates kept
    so that a translation which drops one of two ``{sweat}`` is still caught."""
    return sorted(match.group(0)[1:-1] for match in PLACEHOLDER.finditer(text))


def fill(text: str, resolve: Callable[[str, str | None], str | None]) -> str:
    """Replace each placeholder with ``resolve(name, field)``; unknown ones stay visible
    (the check reports them, and a visible ``{x}`` is better than a silently broken fact)."""

    def replace(match: re.Match[str]) -> str:
        value = resolve(match.group(1), match.group(2))
        return match.group(0) if value is None else value

    return PLACEHOLDER.sub(replace, text)
