# Two entry points for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ifeq (, $(shell command -v $(PYTHON) 2>/dev/null))
PYTHON := python3
endif

CONFIG := $(if $(wildcard leadkeeper.yaml),leadkeeper.yaml,leadkeeper.example.yaml)

.PHONY: run test lint lint-imports bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	LEADKEEPER_CONFIG=$${LEADKEEPER_CONFIG:-$(CONFIG)} $(BIN)/leadkeeper run

# Test processes: one per core by default; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

lint-imports: $(STAMP)
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.capture
	$(BIN)/python -m bench.outbound

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
