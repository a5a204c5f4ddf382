"""The WSGI entry point for gunicorn: ``gunicorn 'webhooks.wsgi:app'``.

Each gunicorn worker imports this module after the fork (we do not use --preload), so
every worker builds its own services: database pool, NLU model, Telegram event loop.
"""

from typing import cast

from webhooks import create_app
from webhooks.app import Haki

# create_app is typed Flask so that importing `webhooks` does not import Flask; it builds a Haki.
app = cast(Haki, create_app())

import atexit  # noqa: E402

# Close pools, stop the Telegram loop and drain queued replies when the worker exits.
atexit.register(app.haki.services.close)
