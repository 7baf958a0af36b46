# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export LANG := C.UTF-8
export LC_ALL := C.UTF-8

.PHONY: run test lint check bench dist dist-check clean system-libs lock test-floors

## Qt's system libraries (installed as root, otherwise one `sudo apt-get install` line).
system-libs:
	@sh scripts/qt-system-libs.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the application on the default local database.
run: system-libs $(STAMP)
	$(BIN)/jsdesk

## Run the full test suite (Qt offscreen) under coverage.py, and print line and branch
## coverage per package (QThread workers included). One run serves as CI's gate and its
## coverage figures; the exit status is the suite's.
test: system-libs $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m coverage run -m pytest; status=$$?; \
	$(BIN)/python -m coverage json -q -o coverage.json && \
	$(BIN)/python scripts/coverage_by_package.py coverage.json; exit $$status

## The 200-kill crash run (marker `soak`, left out of `make test`); .ci/run runs it.
.PHONY: test-soak
test-soak: system-libs $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m soak

## Lint, format check and strict typing of the package.
lint: $(STAMP)
	$(BIN)/ruff check jsdesk tests benchmarks
	$(BIN)/ruff format --check jsdesk tests benchmarks
	$(BIN)/mypy --strict jsdesk
	# The Windows-only code, which mypy skips on Linux, typed as on Windows.
	$(BIN)/mypy --strict --platform win32 jsdesk/storage/owner_only.py

check: lint test

## The same as `make test` (which runs the suite under coverage), kept for old habits.
.PHONY: coverage
coverage: test

## Mutation testing (mutmut) of rules, domain, submission and storage/audit.py; scores per package.
## MUTATION_ARGS="--package audit --sample 5" narrows it (see scripts/mutation.py).
.PHONY: mutation
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

## Fail when the SQLAlchemy models and the Alembic migrations differ (alembic check).
.PHONY: alembic-check
alembic-check: $(STAMP)
	$(BIN)/python -m jsdesk.storage.check_migrations

## Print the performance figures (see benchmarks/).
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/validate.py

## Build the one-folder bundle with PyInstaller (dist/jsdesk).
## On Linux it needs icupkg (icu-devtools) and binutils to cut down ICU's data, and patchelf
## to put psycopg's libpq on the bundle's one OpenSSL.
dist: $(STAMP)
	$(BIN)/python -m pip install --quiet pyinstaller
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build_installer.spec

## Build the bundle, run its self-test headless, check its licence notices and its size.
## The Linux bundle measures 189.4 MB (README, "Bundle size"): the gate stops growth. The
## Windows release workflow holds the Windows bundle to the 170 MB target.
BUNDLE_LIMIT_MB ?= 192
dist-check: dist
	QT_QPA_PLATFORM=offscreen dist/jsdesk/jsdesk --selftest
	$(BIN)/python -m jsdesk.notices --check-bundle dist/jsdesk
	$(BIN)/python installer/bundle_size.py dist/jsdesk --limit-mb $(BUNDLE_LIMIT_MB)

## Update the release build's lock file (hashes, every platform) after a dependency change.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--output-file requirements/release.txt pyproject.toml requirements/build.in

## Install the lowest versions pyproject.toml allows (requirements/floors.txt) into
## .venv-floors and run the test suite there: a floor that no longer works fails.
FLOORS := .venv-floors
$(FLOORS)/.installed: pyproject.toml requirements/floors.txt
	$(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet --upgrade pip
	$(FLOORS)/bin/python -m pip install --quiet -c requirements/floors.txt -e '.[dev]'
	touch $@

test-floors: system-libs $(FLOORS)/.installed
	QT_QPA_PLATFORM=offscreen $(FLOORS)/bin/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(FLOORS) build dist .pytest_cache .mypy_cache .ruff_cache
