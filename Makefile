# The two commands that matter: `make run` and `make test`.
# Both install only what requirements/ locks, every file checked against its hash
# (docs/dependencies.md); `make lock` makes those files from pyproject.toml's ranges.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where `make lock` keeps its own tool (uv, itself locked in requirements/lock-tool.txt),
# apart from the project's environment so that the environment stays exactly the lock.
LOCK_TOOL := $(VENV)/lock-tool

# Hash-checked, wheels only: a source build would fetch its build tools unchecked.
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --only-binary :all:
# The project itself: its dependencies and its build backend (setuptools) come from the
# lock, so nothing is fetched here, and `hotline`/`tipsite` land in $(BIN).
PIP_PROJECT := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .

.PHONY: run test test-quick lint install lock lock-upgrade system-packages translations bench screenshots clean

# Each environment is made anew from its lock, so a package dropped from the lock
# is gone too. The test lock holds the site lock's exact versions, so it serves both.
$(VENV)/.site: requirements/site.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements/site.txt
	$(PIP_PROJECT)
	touch $@

$(VENV)/.test: requirements/test.txt pyproject.toml | system-packages
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements/test.txt
	$(PIP_PROJECT)
	touch $(VENV)/.site $@

install: $(VENV)/.test

## Serve the site on http://127.0.0.1:5000 (a development key pair is made if none exists).
run: $(VENV)/.site
	$(BIN)/tipsite dev

# Tests run in parallel (pytest-xdist): most of them wait on gunicorn, hotline or
# Chromium, so more workers than cores pays (README, "Tests"). loadgroup keeps the
# tests that share one server (pytest.mark.xdist_group) on one worker.
PYTEST_PARALLEL ?= -n 4 --dist loadgroup

## Install what the tests need (Debian packages too), then lint, type-check, check the
## import rules of the layout (pyproject [tool.importlinter]) and run every test.
test: system-packages $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

## While developing: every test but those that drive Chromium, start real servers or
## take long (markers in pyproject.toml). `make test` still runs them all.
test-quick: $(VENV)/.test
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not browser and not live and not slow"

## The Debian programs the tests run: installed here when root with apt-get, or a stop
## before anything is made, naming the one command to run.
system-packages:
	@PYTHON='$(PYTHON)' sh requirements/system-packages.sh

## Regenerate the locks from pyproject.toml, keeping every pin that still fits.
lock: $(LOCK_TOOL)/.installed
	@$(MAKE) --no-print-directory _lock UV_FLAGS=

## The same, moving every package to its newest release that fits the ranges
## (PACKAGE=name: that one alone, for a security fix).
lock-upgrade: $(LOCK_TOOL)/.installed
	@$(MAKE) --no-print-directory _lock \
		UV_FLAGS="$(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)"

$(LOCK_TOOL)/.installed: requirements/lock-tool.txt
	rm -rf $(LOCK_TOOL)
	$(PYTHON) -m venv $(LOCK_TOOL)
	$(LOCK_TOOL)/bin/python -m pip install --quiet --require-hashes --only-binary :all: -r requirements/lock-tool.txt
	touch $@

# One universal resolution (every platform, Python 3.11 and later; the site runs on
# Linux, the staff tool and its desk on Linux and macOS, office PCs use the desk in a
# browser): the test set first, then the site, the staff tool and the desk constrained
# to its versions, so a package has one version in all four. setuptools, the build backend
# of the project itself, is in each set (from [build-system] requires).
UV_COMPILE = $(LOCK_TOOL)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(UV_FLAGS)
BUILD_REQUIRES = $(LOCK_TOOL)/bin/python -c 'import tomllib; \
	print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

.PHONY: _lock
_lock:
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --extra test -o requirements/test.txt
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --extra site -c requirements/test.txt -o requirements/site.txt
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - -c requirements/test.txt -o requirements/hotline.txt
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --extra desk -c requirements/test.txt -o requirements/desk.txt
	$(UV_COMPILE) requirements/lock-tool.in -o requirements/lock-tool.txt
	@git diff --stat -- requirements/ 2>/dev/null || true

## Extract, update and compile the translation catalogs (the site's seven languages; the
## staff desk's Danish, its English being the msgids).
translations: $(VENV)/.site
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o tipsite/translations/messages.pot --no-location --sort-output --project=Tipsite --ignore-dirs '.* ._ desk' .
	$(BIN)/pybabel update -i tipsite/translations/messages.pot -d tipsite/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d tipsite/translations --statistics
	cd tipsite/desk && ../../$(BIN)/pybabel extract -F babel.cfg -o translations/messages.pot --no-location --sort-output --project='Tipsite desk' .
	$(BIN)/pybabel update -i tipsite/desk/translations/messages.pot -d tipsite/desk/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d tipsite/desk/translations --statistics

## Benchmarks (not part of `make test`): submission load, memory, page weight, export,
## the staff desk over many tips, cleaning a photo.
bench: $(VENV)/.test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/desk_cost.py
	$(BIN)/python bench/photo_cost.py

## Screenshots of the front page and the form with errors, phone and desktop, da and en;
## and of the staff desk (docs/desk.md).
screenshots: $(VENV)/.test
	$(BIN)/python docs/screenshots/make_screenshots.py
	$(BIN)/python docs/screenshots/desk_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
