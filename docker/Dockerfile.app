# syntax=docker/dockerfile:1.7
# Haki web app, Celery worker and beat: one image, three roles (docker/entrypoint.sh).
# Build from the repository root:  docker build -f docker/Dockerfile.app -t haki-app .
# Nothing secret is baked in: settings come from the environment at run time
# (docker/haki.env, see docker/haki.env.example); .env files are excluded from the context.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv with the dependencies, the project, the compiled assets -----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first, from pyproject.toml alone: this layer survives code changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

COPY README.md ./
COPY bot/ bot/
COPY nlu/ nlu/
COPY webhooks/ webhooks/
COPY content/ content/
COPY locales/ locales/
COPY docker/gunicorn.conf.py docker/entrypoint.sh docker/healthcheck.py docker/
# The project itself, editable: PROJECT_ROOT stays /app, where content/ and locales/ are.
RUN pip install --no-cache-dir --no-deps -e . \
    && pybabel compile --domain haki --directory locales --statistics \
    && HAKI_VAR_DIR=/app/var haki nlu build \
    && python -m compileall -q bot nlu webhooks

# --- runtime: the same paths, no compilers, no pip cache, not root ----------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="haki-app" \
      org.opencontainers.image.description="Haki webhooks (gunicorn), Celery worker and beat" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HAKI_ENVIRONMENT=production \
    HAKI_VAR_DIR=/app/var \
    HAKI_BIND=0.0.0.0:8000 \
    HAKI_LOG_JSON=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/haki-metrics
RUN groupadd --system --gid 10001 haki \
    && useradd --system --uid 10001 --gid haki --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin haki
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
# var/ holds the embedded NLU model; the app may rebuild it there if its data changed.
RUN chmod 0755 /app/docker/entrypoint.sh \
    && chown -R haki:haki /app/var \
    && mkdir -p /tmp/haki-metrics \
    && chown haki:haki /tmp/haki-metrics
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "web"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
