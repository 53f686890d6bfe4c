# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo quickstart test lint docs bench bench-deps clean

$(BIN)/ocop-cycle: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,docs]'
	touch $@

# The main job on the embedded SQLite default: the Lạng Giang 2024 plan, 2024 → 2027, then its report.
demo: $(BIN)/ocop-cycle
	$(BIN)/ocop-cycle --db sqlite:///ocop-demo.db demo --reset

# The library example of the README: one product walked to a certificate in ocop.db.
quickstart: $(BIN)/ocop-cycle
	$(BIN)/python examples/quickstart.py

# The whole suite, a worker per core (pytest-xdist; each worker has its own PostgreSQL database).
# PostgreSQL tests run when OCOP_TEST_DATABASE_URL is set (CI sets it).
test: $(BIN)/ocop-cycle
	$(BIN)/pytest -n auto

lint: $(BIN)/ocop-cycle
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The API reference from the docstrings (mkdocs.yml, docs/api/), warnings as errors, into site/.
docs: $(BIN)/ocop-cycle
	$(BIN)/mkdocs build --strict --quiet

# Persisted transitions: raw driver, engine and, when the bench extra is installed
# (`make bench-deps`), the eventsourcing library on the same database; skipped with a message
# otherwise. PostgreSQL joins when OCOP_BENCH_PG_URL or OCOP_TEST_DATABASE_URL is set.
bench: $(BIN)/ocop-cycle
	$(BIN)/python bench/transitions.py

bench-deps: $(BIN)/ocop-cycle
	$(BIN)/pip install --quiet -e '.[bench]'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
