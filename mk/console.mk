# The console for responders and coordinators (console/, docs/console.md).
#
#   make console-test     HTTP, CLI and browser tests of the console (Chromium from apt)
#   make bench-console    inbox p99 with 10,000 cases, SQLite and PostgreSQL; writes the
#                         Console section of docs/benchmarks.md

.PHONY: console-test bench-console

console-test: $(BIN)/.installed chromium
	$(BIN)/python -m pytest tests/console -q

bench-console: $(BIN)/.installed
	$(BIN)/python bench/console.py --postgres --write
