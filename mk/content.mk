# Content and translations (owner: content). Included by the main Makefile, which defines
# VENV, BIN (= $(VENV)/bin) and the $(BIN)/.installed target.
#
#   make locales        extract texts from content/ and the code -> locales/haki.pot,
#                       merge into each language's .po (changed English = fuzzy, with the
#                       old English kept as a #| previous-text block), compile the .mo
#                       files the service loads (fuzzy entries left out). A file whose texts
#                       did not change is not rewritten.
#   make compile-locales  only the .mo files (untracked): what `make run` needs
#   make content-check  schema, sources, translations, SMS segments (CI runs this)

LOCALES_DIR ?= locales
# Every language in content/common/languages.yml (evaluated only when a target uses it).
CONTENT_LANGUAGES ?= $(shell $(VENV)/bin/python -m nlu.language_table)

.PHONY: locales compile-locales content-check

locales: $(BIN)/.installed
	@mkdir -p var
	$(VENV)/bin/pybabel extract -F $(LOCALES_DIR)/babel.cfg -o var/haki.pot.new \
		--project=Haki --version=1 --copyright-holder="Haki contributors" \
		--msgid-bugs-address="content@haki.invalid" --add-comments=TRANSLATORS: \
		--sort-by-file --width=76 .
	$(VENV)/bin/python -m bot.content.catalog_tool update --template var/haki.pot.new \
		--pot $(LOCALES_DIR)/haki.pot --locales $(LOCALES_DIR) --languages $(CONTENT_LANGUAGES)
	$(MAKE) --no-print-directory compile-locales

compile-locales: $(BIN)/.installed
	$(VENV)/bin/pybabel compile -d $(LOCALES_DIR) -D haki --statistics

content-check: $(BIN)/.installed
	$(VENV)/bin/haki content check
