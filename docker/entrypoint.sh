#!/bin/sh
# Haki container entry point: one image, one role per container.
#   web      gunicorn serving the webhooks (docker/gunicorn.conf.py)
#   worker   Celery worker: escalation notifications and retries
#   beat     Celery beat: the escalation sweep (one beat per deployment, never more)
#   migrate  apply database migrations, then exit (compose runs it before the others)
#   <other>  run that command (e.g. `haki responders add ...`, `haki db upgrade`)
# `exec` replaces this shell with the server, so SIGTERM from `docker stop` reaches it
# directly (tini, via compose's `init: true`, forwards it) and shutdown is graceful.
set -eu

role="${1:-web}"
# Only gunicorn's workers share metrics through files; other roles keep theirs in memory.
if [ "$role" = web ] && [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
else
    unset PROMETHEUS_MULTIPROC_DIR
fi
case "$role" in
    web)
        shift || true
        exec gunicorn --config /app/docker/gunicorn.conf.py "$@" webhooks.wsgi:app
        ;;
    worker)
        shift
        exec python -m bot.logging_setup celery --quiet --app bot.escalation.tasks worker \
            --hostname "celery@%h" \
            --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel "${HAKI_LOG_LEVEL:-INFO}" \
            --without-gossip --without-mingle "$@"
        ;;
    beat)
        shift
        exec python -m bot.logging_setup celery --quiet --app bot.escalation.tasks beat \
            --schedule "${HAKI_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" \
            --loglevel "${HAKI_LOG_LEVEL:-INFO}" "$@"
        ;;
    migrate)
        exec haki db upgrade
        ;;
    *)
        exec "$@"
        ;;
esac
