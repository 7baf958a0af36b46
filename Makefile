# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export LANG := C.UTF-8
export LC_ALL := C.UTF-8

.PHONY: run test lint check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the application on the default local database.
run: $(STAMP)
	$(BIN)/jsdesk

## Run the full test suite (Qt offscreen).
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

## Lint, format check and strict typing of the package.
lint: $(STAMP)
	$(BIN)/ruff check jsdesk tests benchmarks
	$(BIN)/ruff format --check jsdesk tests benchmarks
	$(BIN)/mypy --strict jsdesk

check: lint test

## Fail when the SQLAlchemy models and the Alembic migrations differ (alembic check).
.PHONY: alembic-check
alembic-check: $(STAMP)
	$(BIN)/python -m jsdesk.storage.check_migrations

## Print the performance figures (see benchmarks/).
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/validate.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
