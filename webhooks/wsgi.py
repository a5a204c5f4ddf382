"""The WSGI entry point for gunicorn: ``gunicorn 'webhooks.wsgi:app'``.

Each gunicorn worker imports this module after the fork (we do not use --preload), so
every worker builds its own services: database pool, NLU model, Telegram event loop.
"""

from webhooks import create_app

app = create_app()

import atexit  # noqa: E402

# Close pools, stop the Telegram loop and drain queued replies when the worker exits.
atexit.register(app.haki.services.close)
