# Cooperation Agreement Tracker — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TRACKER := $(BIN)/tracker
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL used by the second run of the suite (created by .ci/run when missing).
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/tracker_test

.PHONY: run test test-sqlite test-postgres install install-dev translations extract-messages lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations node_modules/.installed

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs='.* node_modules' -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

# The job-queue worker (notification e-mails) runs in the background on the embedded SQLite
# queue under instance/ and stops with the server.
run: install
	$(TRACKER) db upgrade
	$(TRACKER) demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(TRACKER) worker --workers 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(TRACKER) run --host $(HOST) --port $(PORT)

test: install-dev
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== test suite on SQLite"
	TEST_DATABASE_URL= $(BIN)/pytest -q

test-postgres:
	@echo "== test suite on PostgreSQL ($(TEST_PG_URL))"
	TEST_DATABASE_URL=$(TEST_PG_URL) $(BIN)/pytest -q

lint: install-dev
	$(BIN)/ruff check tracker tests

clean:
	rm -rf $(VENV) instance .pytest_cache
