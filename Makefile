# Sinergi — `make run` serves the demo, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev lint format translations messages serve-deps clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Python's venv module is missing: sudo apt-get install python3-venv"; exit 1; fi; }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install -q -c requirements.lock -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install -q -c requirements-dev.lock -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

translations: install
	$(BIN)/sinergi compiletranslations

run: install translations
	$(BIN)/sinergi migrate --noinput
	$(BIN)/sinergi demo --url http://$(HOST):$(PORT)
	$(BIN)/sinergi serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-dev translations lint
	@scripts/ensure-test-deps
	$(BIN)/pytest

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the Indonesian catalogue after changing strings (needs GNU gettext).
messages: install
	cd sinergi && ../$(BIN)/sinergi makemessages -l id --no-obsolete --no-location

clean:
	rm -rf $(VENV) staticfiles
