# Contributor tasks. `make dev` once, then `make lint test` before a pull request.
# Everything runs through the project virtualenv (.venv); CI runs `make ci` (= bash .ci/run).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SOURCES = seccli tests bench
BENCHES = $(filter-out bench/_%,$(wildcard bench/*.py))

.PHONY: help dev lint format typecheck test test-fast bench ci

help:
	@echo "make dev        virtualenv in $(VENV) with seccli editable and its dev tools"
	@echo "make lint       ruff check, ruff format --check, mypy (strict on seccli/)"
	@echo "make format     ruff format and ruff check --fix over $(SOURCES)"
	@echo "make test       the whole test suite (the README's test command)"
	@echo "make test-fast  the suite without tests marked slow"
	@echo "make bench      every bench/*.py script at its default size (minutes)"
	@echo "make ci         what CI runs on a clean clone (.ci/run)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

dev: $(BIN)/python
	$(BIN)/pip install -e '.[dev]'

lint:
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy

typecheck:
	$(BIN)/mypy

format:
	$(BIN)/ruff format $(SOURCES)
	$(BIN)/ruff check --fix $(SOURCES)

test:
	$(BIN)/python -m pytest

test-fast:
	$(BIN)/python -m pytest -m "not slow"

bench:
	@set -e; for script in $(BENCHES); do echo "== $$script"; $(BIN)/python $$script; done

ci:
	bash .ci/run
