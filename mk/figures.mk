# Oversight figures (owner: figures). Included by the main Makefile (VENV, BIN, $(BIN)/.installed).
#
#   make figures-test     the figures tests (disclosure property tests, report, export, API)
#   make bench-figures    the monthly report for 100,000 cases (SQLite + PostgreSQL);
#                         writes the "Oversight figures" section of docs/benchmarks.md

.PHONY: figures-test bench-figures

figures-test: $(BIN)/.installed
	$(BIN)/python -m pytest tests/bot/figures -q

bench-figures: $(BIN)/.installed
	$(BIN)/python bench/figures.py --cases 100000 --postgres --write
