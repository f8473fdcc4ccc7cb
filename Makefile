# BackCare: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDRESS ?= 127.0.0.1:8000

.PHONY: install run test test-fast lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

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

BENCH_SECONDS ?= 10

bench: $(STAMP)
	$(BIN)/python -m tests.bench --seconds $(BENCH_SECONDS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles test-results .pytest_cache
