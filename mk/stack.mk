# The production topology without Docker (owner: stack). Included by the Makefile.
#   make stack          start nginx in front of gunicorn (3 workers), Celery worker + beat,
#                       Rasa (.venv-rasa),
#                       on the machine's PostgreSQL (db haki_stack) and Redis (db 5);
#                       pid files and logs in var/stack/
#   make stack-status   what is running
#   make stack-stop     stop everything `make stack` started
#   make stack-test     start a fresh stack next to stand-in Telegram/Twilio APIs, drive it
#                       end to end (tests/stack/), stop it again; bounded to 4 minutes
#   make bench-load     the load test (bench/load.py): 10,000 messages, 1 and 2 workers
# Docker: docker/compose.yml (docs/deploy.md).

STACK := $(BIN)/python scripts/stack/stack.py
STACK_TEST_STATE := var/stack-test
STACK_TEST_SECONDS ?= 240

.PHONY: stack stack-stop stack-status stack-test stack-rasa-model stack-nginx bench-load

# The stack's reverse proxy: Debian's nginx, installed when missing (CI runs as root on a
# fresh machine). RUNLEVEL=1 keeps the package from starting a system nginx on port 80.
stack-nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  echo "stack: installing nginx (apt-get)"; \
	  apt-get update -q && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -q --no-install-recommends nginx; }

# With .venv-rasa present, make sure its model is trained from the current data (a no-op
# when it is); without it the stack says loudly that it runs the embedded NLU instead.
stack-rasa-model: $(BIN)/.installed
	@if [ -x .venv-rasa/bin/rasa ]; then $(BIN)/haki nlu train-rasa; \
	  else echo "stack: .venv-rasa missing (make rasa): the stack will use the EMBEDDED NLU"; fi

stack: $(BIN)/.installed stack-rasa-model stack-nginx
	$(STACK) start

stack-stop:
	$(STACK) stop

stack-status:
	@$(STACK) status

# The test stops what it started itself; the second stop is the backstop for a run that
# was killed by the time limit.
stack-test: $(BIN)/.installed stack-rasa-model stack-nginx
	@timeout --signal=TERM --kill-after=20 $(STACK_TEST_SECONDS) \
	  $(BIN)/python -m pytest -m stack tests/stack -q -p no:cacheprovider; rc=$$?; \
	  $(STACK) stop --state-dir $(STACK_TEST_STATE) >/dev/null 2>&1; \
	  if [ $$rc -eq 124 ]; then echo "stack-test: over $(STACK_TEST_SECONDS)s, stopped"; fi; \
	  if [ $$rc -eq 5 ]; then echo "stack-test: no stack tests collected"; rc=1; fi; \
	  exit $$rc

bench-load: $(BIN)/.installed stack-rasa-model stack-nginx
	$(BIN)/python bench/load.py
