# Haki: the two commands a newcomer needs are `make run` and `make test`.
# Feature targets live in mk/*.mk (nlu.mk, content.mk, stack.mk ...).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
# A throw-away PostgreSQL server for `make test`; tests create and drop their own database.
HAKI_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export HAKI_TEST_POSTGRES_URL

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast check typecheck env clean rasa-if-possible

help:
	@echo "make run    - install, build catalogs and NLU model, migrate, serve on $(HOST):$(PORT)"
	@echo "make test   - install test tools and run the whole suite (SQLite, PostgreSQL, Rasa)"
	@echo "make check  - content check + the fast tests"
	@echo "make typecheck - install the dev tools (mypy, ruff) and run mypy on bot, webhooks, nlu"
	@echo "other: make locales | nlu | rasa | rasa-serve | nlu-eval | stack | stack-test"
	@echo "       make bench-webhooks | bench-inprocess | bench-escalation | bench-load  (results: docs/benchmarks.md)"

# Re-install when the dependency list changes.
$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python >= 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# A development .env with fresh random secrets, written once and never committed.
.env:
	@echo "writing .env with new random secrets (development only)"
	@{ echo "HAKI_SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"; \
	   echo "HAKI_ENCRYPTION_KEYS=$$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"; \
	   echo "HAKI_SANDBOX=1"; \
	   echo "HAKI_TELEGRAM_SECRET=$$(python3 -c 'import secrets; print(secrets.token_hex(24))')"; \
	   echo "HAKI_TWILIO_AUTH_TOKEN=$$(python3 -c 'import secrets; print(secrets.token_hex(16))')"; \
	   echo "HAKI_PUBLIC_URL=http://$(HOST):$(PORT)"; } > .env

env: .env

run: install .env locales nlu
	$(BIN)/haki db upgrade
	@echo ""
	@echo "Haki is starting on http://$(HOST):$(PORT)"
	@echo "  talk to it here:        $(BIN)/haki chat          (or: --channel sms)"
	@echo "  sandbox chat page:      http://$(HOST):$(PORT)/"
	@echo "  Twilio SMS webhook:     http://$(HOST):$(PORT)/webhooks/twilio/sms"
	@echo "  Telegram webhook:       http://$(HOST):$(PORT)/webhooks/telegram"
	@echo ""
	$(BIN)/haki serve --host $(HOST) --port $(PORT)

# The whole suite: content check, every test on SQLite and PostgreSQL (Rasa tests when
# python3.10 exists), then the end-to-end smoke test of the native production stack.
test: install locales nlu
	$(BIN)/haki content check
	$(MAKE) --no-print-directory rasa-if-possible
	@# pytest exits 5 when it collected nothing: for us that is a failure, said plainly.
	@$(BIN)/python -m pytest -m "not stack"; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; exit 1; fi; exit $$rc
	$(MAKE) --no-print-directory stack-test

# Rasa needs Python 3.10; where it is missing, the rasa-marked tests skip and say why.
rasa-if-possible:
	@if [ -n "$(PYTHON310)" ]; then $(MAKE) --no-print-directory rasa; \
	  else echo "python3.10 not found: Rasa tests will be skipped (pyenv install 3.10)"; fi

test-fast: install
	$(BIN)/python -m pytest -m "not rasa and not stack"

check: install
	$(BIN)/haki content check
	$(BIN)/python -m pytest -m "not rasa and not stack" -q

# The dev extra (mypy, ruff), re-installed when the dependency list changes.
$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

typecheck: $(BIN)/.installed-dev
	$(BIN)/python -m mypy bot webhooks nlu

clean:
	rm -rf $(VENV) var/nlu var/rasa .pytest_cache

-include mk/*.mk
