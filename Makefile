# Two commands after cloning: `make run` (set up and serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
FIXTURE_PORT ?= 9015
DATA_DIR ?= data
WORKERS ?= 2

# `make` alone sets up and serves, like `make run`.
.DEFAULT_GOAL := run

.PHONY: run test test-s3 test-fast lint typecheck schema bench bench-quick contract compat wheel-check fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-runtime

run: $(VENV)/.installed-runtime
	$(BIN)/wandb-emulator serve --port $(PORT) --fixture-port $(FIXTURE_PORT) --data-dir $(DATA_DIR)

test: $(VENV)/.installed-test
	$(BIN)/ruff check server tests bench .ci
	$(BIN)/ruff format --check server tests bench .ci
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(WORKERS) -q

# The same suite with every server it starts keeping its blobs in a moto bucket.
test-s3: $(VENV)/.installed-test
	WANDB_EMULATOR_TEST_BLOB_STORE=s3 $(BIN)/python -m pytest -n $(WORKERS) -q

# The fast tier alone: rules, filters and GraphQL/HTTP edge cases, no server process or SDK.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m fast

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix server tests bench .ci
	$(BIN)/ruff format server tests bench .ci

schema: $(VENV)/.installed-runtime
	$(BIN)/wandb-emulator export-schema > schema.graphql

# Ratios to the framework floor (bench/floor_app.py) and across scales; needs `wrk`.
BENCHES := startup ops scale workflow snapshot

bench: $(VENV)/.installed-test
	@for b in $(BENCHES); do echo "== $$b"; $(BIN)/python bench/$$b.py || exit 1; done
	$(BIN)/python bench/reset.py
	$(BIN)/python bench/registry_search.py
	$(BIN)/python bench/automations.py
	$(BIN)/python bench/ui.py

# The short CI mode: the same benchmarks, smaller and shorter; prints figures, asserts none.
bench-quick: $(VENV)/.installed-test
	@for b in $(BENCHES); do echo "== $$b"; $(BIN)/python bench/$$b.py --quick || exit 1; done

# The full fuzz and crash suite (opt-in): FUZZ_EXAMPLES schema-generated documents
# (default 4000) and a long kill -9 run; prints requests, status counts and RSS.
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 0 -s -q --run-fuzz -m fuzz tests/test_fuzz.py tests/test_crash.py

# The GraphQL documents of wandb 0.31.0, 0.28.2 and 0.22.3 against the schema.
contract: $(VENV)/.installed-test
	BIN=$(BIN) bash .ci/contract

# A Registry round trip with wandb 0.28.2 and 0.22.3, each in its own virtualenv.
compat: $(VENV)/.installed-test
	$(BIN)/python tests/compat/run.py

# Build the wheel, install it outside the checkout, serve, and use the SDK against it.
wheel-check: $(VENV)/.installed-test
	$(BIN)/python .ci/wheel_check.py

clean:
	rm -rf $(VENV) $(DATA_DIR)

# The type checker over the package (configured in pyproject.toml).
typecheck: $(VENV)/.installed-test
	$(BIN)/mypy
