# NLU: embedded model, Rasa venv/model/server, evaluation.  Included by the Makefile.
#   make nlu          build the embedded model into var/nlu/ (skipped when data unchanged)
#   make rasa         create .venv-rasa (python3.10 + rasa==3.6.21) and train var/rasa/
#   make rasa-serve   serve the Rasa model on 127.0.0.1:5005 (HAKI_NLU_BACKEND=rasa)
#   make nlu-eval     cross-validate both backends, score the held-out, street and real sets,
#                     write docs/nlu-report.md
#   make nlu-eval-quick  the test sets only, printed (embedded, no cross-validation)

VENV ?= .venv
RASA_VENV ?= .venv-rasa
RASA_VERSION ?= 3.6.21
RASA_PORT ?= 5005
# python3.10 from PATH, else from pyenv (Rasa 3.6 supports 3.8-3.10 only).
ifeq ($(origin PYTHON310),undefined)
# A pyenv shim can exist yet fail ("command exists in these Python versions"), so each
# candidate must actually run as 3.10.
PYTHON310 := $(shell for p in $$(command -v python3.10 2>/dev/null) $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 /root/.pyenv/versions/3.10*/bin/python3.10; do \
  "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { echo "$$p"; break; }; done)
endif
NLU_EVAL_ARGS ?=

export RASA_TELEMETRY_ENABLED := false

.PHONY: nlu rasa rasa-venv rasa-serve nlu-eval nlu-eval-embedded

nlu: install
	$(VENV)/bin/haki nlu build

# Idempotent: an existing venv with the right Rasa version is kept as it is.
rasa-venv:
	@if $(RASA_VENV)/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('rasa') != '$(RASA_VERSION)')" 2>/dev/null \
	   && [ -x $(RASA_VENV)/bin/rasa ]; then \
	  echo "$(RASA_VENV): rasa $(RASA_VERSION) already installed"; \
	else \
	  if [ -z "$(PYTHON310)" ]; then \
	    echo "python3.10 not found: install it (e.g. 'pyenv install 3.10') or set PYTHON310=/path/to/python3.10" >&2; exit 1; \
	  fi; \
	  echo "creating $(RASA_VENV) with $(PYTHON310) (takes several minutes)"; \
	  rm -rf $(RASA_VENV) && $(PYTHON310) -m venv $(RASA_VENV) \
	  && $(RASA_VENV)/bin/pip install --quiet --upgrade "pip<25" wheel \
	  && $(RASA_VENV)/bin/pip install --quiet "rasa==$(RASA_VERSION)" \
	  && $(RASA_VENV)/bin/rasa telemetry disable >/dev/null 2>&1 || true; \
	  [ -x $(RASA_VENV)/bin/rasa ] || { echo "rasa install failed" >&2; exit 1; }; \
	fi

rasa: rasa-venv install
	$(VENV)/bin/haki nlu train-rasa

rasa-serve: rasa
	$(VENV)/bin/haki nlu serve-rasa --port $(RASA_PORT)

nlu-eval: nlu
	@if [ -x $(RASA_VENV)/bin/rasa ]; then backends=embedded,rasa; else \
	  echo "note: $(RASA_VENV) missing, evaluating the embedded backend only (make rasa adds DIET)"; backends=embedded; fi; \
	$(VENV)/bin/haki nlu eval --backends $$backends $(NLU_EVAL_ARGS)

nlu-eval-embedded: nlu
	$(VENV)/bin/haki nlu eval --backends embedded $(NLU_EVAL_ARGS)

# The street and real test sets only, printed (no cross-validation, no report): for
# iterating on data without starving the shared CPU. `make nlu-eval` is the record.
.PHONY: nlu-eval-quick
nlu-eval-quick: nlu
	$(VENV)/bin/python -m nlu.quick_eval embedded
