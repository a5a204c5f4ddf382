"""Legal content as data: answers, safety texts and system texts per jurisdiction and language.

``ContentLibrary.load(content_dir, locales_dir, languages)`` is the one entry point for the
core; ``haki content check|preview`` (``bot/content/cli.py``) are the editors' tools.
"""

from bot.content.library import ContentLibrary, Topic
from bot.content.problems import ContentError, Problem

__all__ = ["ContentLibrary", "ContentError", "Problem", "Topic"]
