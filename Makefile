# BackCare: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDRESS ?= 127.0.0.1:8000

.PHONY: install upgrade floors run test test-fast lint format bench clean

# Every package from requirements.lock, each checked against its hashes,
# then the project itself (the build backend is in the lock too).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Newest versions that pyproject.toml allows, written to requirements.lock
# (options in pyproject.toml's [tool.pip-tools]), then installed.
upgrade: $(STAMP)
	$(BIN)/pip-compile --quiet --upgrade pyproject.toml
	$(MAKE) install

# The floors of pyproject.toml are true: every direct dependency at the
# lowest version it allows, in a venv of its own, passes the fast tests.
FLOORS_VENV ?= .venv-floors

floors:
	rm -rf $(FLOORS_VENV)
	$(PYTHON) -m venv $(FLOORS_VENV)
	$(PYTHON) -m tests.floors > $(FLOORS_VENV)/floors.txt
	$(FLOORS_VENV)/bin/python -m pip install --quiet --only-binary :all: -r $(FLOORS_VENV)/floors.txt
	$(FLOORS_VENV)/bin/ruff check .
	$(FLOORS_VENV)/bin/ruff format --check .
	$(FLOORS_VENV)/bin/python manage.py check
	$(FLOORS_VENV)/bin/python -m pytest -p no:cacheprovider -m "not browser and not servers" $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogue
	@echo "BackCare is at http://$(ADDRESS)/ (Ctrl+C stops it)"
	$(BIN)/python manage.py runserver $(ADDRESS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the tests that drive Chromium or start real servers.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not servers" $(PYTEST_ARGS)

# Each page's requests/s as a ratio to a bare Django view, and signed-in
# render times at 1 and 10,000 sessions, against DESIGN.md §7's budgets.
# `make bench BENCH_ARGS=--strict` exits non-zero when a budget is missed
# (without it, the table is printed and make succeeds, as CI runs it).
BENCH_SECONDS ?= 10
BENCH_ARGS ?=

bench: $(STAMP)
	$(BIN)/python -m tests.bench --seconds $(BENCH_SECONDS) $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(FLOORS_VENV) staticfiles test-results .pytest_cache
