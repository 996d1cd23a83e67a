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

.PHONY: run test test-fast test-lowest test-postgres test-s3 test-s3-smoke test-scaled lint typecheck schema bench bench-quick contract compat wheel-check fuzz clean lock

# What CI installs: every package pinned (`make lock` regenerates it from pyproject.toml).
LOCK := requirements/test.lock
# The same with each runtime dependency at its declared lower bound (requirements/lowest.txt).
LOWEST_LOCK := requirements/lowest.lock
LOWEST_VENV ?= .venv-lowest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test]'
	touch $@ $(VENV)/.installed-runtime

# Regenerate both locks after changing a dependency in pyproject.toml: uv resolves from
# PyPI for the Python CI runs (3.11), keeping the pins already there (only new packages,
# or ones whose range moved, get new pins). `make lock UPGRADE=1` takes the newest releases.
UPGRADE ?=
LOCK_FLAGS := --quiet $(if $(UPGRADE),--upgrade) --extra test --python-version 3.11
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml -o $(LOCK)
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml -c requirements/lowest.txt -o $(LOWEST_LOCK)

run: $(VENV)/.installed-runtime
	$(BIN)/wandb-emulator serve --port $(PORT) --fixture-port $(FIXTURE_PORT) --data-dir $(DATA_DIR)

test: $(VENV)/.installed-test
	$(BIN)/ruff check server tests bench .ci
	$(BIN)/ruff format --check server tests bench .ci
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(WORKERS) -q

# The declared lower bounds, tested: the fast tier and the SDK smoke suite in a venv of
# $(LOWEST_LOCK). On releases outside FAST_PATH_TESTED the server serves with stock
# Strawberry, and the fast path's own tests skip.
$(LOWEST_VENV)/.installed: pyproject.toml $(LOWEST_LOCK)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/pip install --quiet --upgrade pip
	$(LOWEST_VENV)/bin/pip install --quiet -c $(LOWEST_LOCK) -e '.[test]'
	touch $@

# The tests of what the other runtime dependencies serve: OTLP exports (opentelemetry-proto,
# protobuf), /metrics (prometheus-client), the panel's snapshot upload (python-multipart).
LOWEST_DEPENDENCY_TESTS := tests/test_telemetry.py tests/test_metrics_and_logs.py \
	tests/test_snapshot_panel.py

test-lowest: $(LOWEST_VENV)/.installed
	$(LOWEST_VENV)/bin/python -m pytest -n $(WORKERS) -q -p no:cacheprovider -m fast
	$(LOWEST_VENV)/bin/python -m pytest -n $(WORKERS) -q -p no:cacheprovider \
		tests/test_registry.py tests/test_linking.py $(LOWEST_DEPENDENCY_TESTS)

# The SDK tier (every test not marked fast) with the servers' state in PostgreSQL: each
# test process starts a throwaway cluster of the machine's PostgreSQL (apt-get install
# postgresql) and gives every server a database of its own.
test-postgres: $(VENV)/.installed-test
	WANDB_EMULATOR_TEST_DATABASE=postgresql $(BIN)/python -m pytest -n $(WORKERS) -q -m "not fast"

# The SDK tier with every server the tests start keeping its blobs in a bucket of a moto
# server (one per test process); the fast tier starts no server, so it is left out.
test-s3: $(VENV)/.installed-test
	WANDB_EMULATOR_TEST_BLOB_STORE=s3 $(BIN)/python -m pytest -n $(WORKERS) -q -m "not fast"

# CI's share of test-s3 (the whole of it takes too long for CI): the blob-store tests and
# the SDK smoke files (registry, linking, artifact fidelity) under the same switch.
S3_SMOKE_TESTS := tests/test_s3.py tests/test_storage.py tests/test_registry.py \
	tests/test_linking.py tests/test_artifact_fidelity.py

test-s3-smoke: $(VENV)/.installed-test
	WANDB_EMULATOR_TEST_BLOB_STORE=s3 $(BIN)/python -m pytest -n $(WORKERS) -q $(S3_SMOKE_TESTS)
# The scaled configuration: every test process's session emulator is `serve --workers 2`
# on PostgreSQL (and on the S3 blob store, once the suite has that switch), for the tests
# of workers and several processes, and the SDK tests of the Registry, runs, sweeps and
# access that reach the server over HTTP alone (the others read the journal, fault rules
# or delivery log of an emulator in the test process, which a child process does not
# offer; they run in `make test` and `make test-postgres`). About 6 minutes on 2 cores.
SCALED_TESTS := tests/test_workers.py tests/test_server_processes.py tests/test_registry.py \
	tests/test_linking.py tests/test_registry_contents.py tests/test_registry_members.py \
	tests/test_registry_search.py tests/test_artifact_editing.py tests/test_runs.py \
	tests/test_run_order.py tests/test_run_branches.py tests/test_sweeps.py \
	tests/test_access.py tests/test_accounts.py tests/test_permissions.py \
	tests/test_not_emulated.py tests/test_hardening.py tests/test_server_info.py
SCALED_BLOB_STORE := $(if $(shell grep -l WANDB_EMULATOR_TEST_BLOB_STORE tests/conftest.py),s3)

test-scaled: $(VENV)/.installed-test
	WANDB_EMULATOR_TEST_DATABASE=postgresql WANDB_EMULATOR_TEST_WORKERS=2 \
		$(if $(SCALED_BLOB_STORE),WANDB_EMULATOR_TEST_BLOB_STORE=$(SCALED_BLOB_STORE)) \
		$(BIN)/python -m pytest -n $(WORKERS) -q -m "not fast" $(SCALED_TESTS)

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

# Every one runs; a benchmark that misses its target (or fails) is named at the end.
bench: $(VENV)/.installed-test
	@failed=""; \
	for b in $(BENCHES) reset registry_search automations ui scaleout; do \
		echo "== $$b"; $(BIN)/python bench/$$b.py || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench: missed or failed:$$failed"; exit 1; fi

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
	rm -rf $(VENV) $(LOWEST_VENV) $(DATA_DIR)

# The type checker over the package (configured in pyproject.toml).
typecheck: $(VENV)/.installed-test
	$(BIN)/mypy
