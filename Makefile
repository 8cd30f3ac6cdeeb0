# Two commands matter: `make demo` and `make test`. Each creates .venv when missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
EXTRAS := dev,fhir,research,server,scale
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo demo-server test test-fast lint typecheck bench clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS),bench]'
	touch $(BENCH_STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@for f in examples/encounters/*.json; do \
		echo "=== $$f"; \
		$(BIN)/trafficscreen screen $$f || exit $$?; \
		echo; \
	done

# The triage form and CDS Hooks service on this machine only (127.0.0.1), with the shipped defaults.
# It prints the form's URL; stop it with Ctrl-C. Another port: make demo-server DEMO_PORT=9000
DEMO_PORT ?= 8080
demo-server: $(STAMP)
	$(BIN)/trafficscreen serve --host 127.0.0.1 --port $(DEMO_PORT)

test: $(STAMP)
	bash scripts/test-setup.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/trafficscreen validate indicators --quiet
	$(BIN)/python -m pytest

# The inner loop: lint, types, content and the tests that need no browser, Spark, PostgreSQL or Node.js
# validator (those run in `make test`). Not a substitute for `make test` before committing.
SLOW_MARKERS := not browser and not spark and not postgres and not fhir_validator and not cql
test-fast: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/trafficscreen validate indicators --quiet
	$(BIN)/python -m pytest -x -m "$(SLOW_MARKERS)"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
