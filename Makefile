# The two commands a newcomer needs: `make run` and `make test`.
# Both start with `make setup`, which builds .venv once and re-installs only
# when pyproject.toml changes (the stamp file records the last install).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := capture,load,dev

.PHONY: setup run test lint typecheck fmt unit bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

run: setup
	$(BIN)/mailharness run

lint: setup
	$(BIN)/ruff check harness tests benchmarks
	$(BIN)/ruff format --check harness tests benchmarks

typecheck: setup
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff format harness tests benchmarks
	$(BIN)/ruff check --fix harness tests benchmarks

unit: setup
	$(BIN)/pytest -q -m "not realserver"

test: lint typecheck
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
