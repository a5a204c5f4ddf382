# Peer educators (owner: peers). Included by the main Makefile, which defines VENV, BIN and
# the $(BIN)/.installed target.
#
#   make peers-test                 the peers tests (SQLite and PostgreSQL)
#   make poster CODE=K7M2Q9XP LANG_CODE=zu [DISCREET=1] [POSTER_OUT=var/posters]
#                                   A4 PDF + PNG poster for one referral code

POSTER_OUT ?= var/posters
LANG_CODE ?=

.PHONY: peers-test poster

peers-test: $(BIN)/.installed
	$(BIN)/python -m pytest -q tests/bot/peers tests/webhooks/test_peers_api.py

poster: $(BIN)/.installed
	@test -n "$(CODE)" || { echo "usage: make poster CODE=<referral code> [LANG_CODE=zu] [DISCREET=1]"; exit 2; }
	$(BIN)/haki peers poster $(CODE) --out $(POSTER_OUT) $(if $(LANG_CODE),--lang $(LANG_CODE)) $(if $(DISCREET),--discreet)
