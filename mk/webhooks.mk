# Webhooks (Telegram, Twilio SMS, sandbox). Included by the Makefile.
#   make serve              haki serve on $(HOST):$(PORT) (gunicorn; no install/model steps)
#   make telegram-webhook   register HAKI_PUBLIC_URL/webhooks/telegram with Telegram
#   make test-webhooks      the webhook tests (SQLite, PostgreSQL, Redis, stand-in APIs)
#   make bench-webhooks     bench/webhooks.py: Haki (SQLite, PostgreSQL) vs Rasa's REST channel
#   make bench-inprocess    bench/inprocess.py: CPU per SMS webhook with no server or socket

BENCH_WEBHOOKS_ARGS ?= --write-docs

.PHONY: serve telegram-webhook test-webhooks bench-webhooks bench-inprocess

serve: $(BIN)/.installed .env
	$(BIN)/haki serve --host $(HOST) --port $(PORT)

telegram-webhook: $(BIN)/.installed
	$(BIN)/haki telegram set-webhook

test-webhooks: $(BIN)/.installed
	$(BIN)/python -m pytest tests/webhooks tests/standins -q

# The Rasa column needs var/rasa/haki-nlu.tar.gz (`make rasa`); without it the script says so.
bench-webhooks: $(BIN)/.installed nlu
	$(BIN)/python bench/webhooks.py $(BENCH_WEBHOOKS_ARGS)

bench-inprocess: $(BIN)/.installed nlu
	$(BIN)/python bench/inprocess.py
