# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install translations bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Serve the site on http://127.0.0.1:5000 (a development key pair is made if none exists).
run: $(STAMP)
	$(BIN)/tipsite dev

## Install what the tests need, then lint, type-check and run every test.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

## Extract, update and compile the translation catalogs.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o tipsite/translations/messages.pot --no-location --sort-output --project=Tipsite .
	$(BIN)/pybabel update -i tipsite/translations/messages.pot -d tipsite/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d tipsite/translations --statistics

## Benchmarks (not part of `make test`): submission load, memory, page weight, export.
bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_export.py

## Screenshots of the front page and the form with errors, phone and desktop, da and en.
screenshots: $(STAMP)
	$(BIN)/python docs/screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
