"""The console at /console/: where liaison officers, paralegals and coordinators see and
act on cases (docs/console.md).

Server-rendered pages and plain HTML forms (no JavaScript needed, nothing from a CDN).
Every case action goes through the escalation service (bot/escalation/service.py), the
same one the SMS and Telegram commands use. Off unless HAKI_CONSOLE=1.
"""

from console.views import blueprint, init_console

__all__ = ["blueprint", "init_console"]
