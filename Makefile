# Meter2Cash — the two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install check unit bench lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Build the demo bureau in ./var (or $$M2C_DATA_DIR), print its summary, then serve the web
## console, portal and API on it (http://127.0.0.1:8000/ with a login for each role; Ctrl+C stops).
demo: install
	$(BIN)/m2c demo --serve

## Lint, type-check, check the architecture, then run the whole suite on SQLite and PostgreSQL.
test: install check
	scripts/with-postgres $(BIN)/python -m pytest -n 2 tests

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest tests/unit

bench: install
	for script in bench/*_bench.py; do $(BIN)/python $$script || exit 1; done

## Re-pin every dependency after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^meter2cash' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
