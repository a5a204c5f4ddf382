# Escalation (owner: escalation). Included by the main Makefile (VENV, BIN, $(BIN)/.installed).
#
#   make escalation-test      the escalation tests (SQLite + PostgreSQL, no Redis needed)
#   make escalation-reliability  kill -9 the Celery worker, stop Redis, provider 500s,
#                             five ACKs at once (own redis-server + Celery subprocesses)
#   make bench-escalation     YES -> responder p99 (in-process and Celery), re-route timing;
#                             writes the Escalation section of docs/benchmarks.md
#   make worker               in-process delivery worker + sweeper (no Redis)
#   make worker-celery        Celery worker with the sweep schedule (HAKI_REDIS_URL)

.PHONY: escalation-test escalation-reliability bench-escalation worker worker-celery

escalation-test: $(BIN)/.installed
	$(BIN)/python -m pytest tests/bot/escalation -m "not redis" -q

escalation-reliability: $(BIN)/.installed
	$(BIN)/python -m pytest tests/bot/escalation/test_escalation_reliability.py -q

bench-escalation: $(BIN)/.installed
	$(BIN)/python bench/escalation.py --celery --write

worker: $(BIN)/.installed
	$(BIN)/haki worker run

worker-celery: $(BIN)/.installed
	$(BIN)/haki worker celery
