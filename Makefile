# Two commands for a fresh machine: `make quickstart` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: quickstart test lint bench clean

$(BIN)/ocop-cycle: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@

# The main job on the embedded SQLite default: migrate ocop.db and walk one product to a certificate.
quickstart: $(BIN)/ocop-cycle
	$(BIN)/python examples/quickstart.py

# The whole suite. PostgreSQL tests run when OCOP_TEST_DATABASE_URL is set (CI sets it).
test: $(BIN)/ocop-cycle
	$(BIN)/pytest

lint: $(BIN)/ocop-cycle
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/ocop-cycle
	$(BIN)/python bench/transitions.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
