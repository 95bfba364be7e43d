# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-unit proto docs lint format clean bench profile faults conformance

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Regenerate ocpp_cable/contract/pb from proto/rpc.proto.
proto: $(STAMP)
	$(BIN)/python -m devtools.protogen

# Development defaults: stations register on first connection (production: off).
# For a first try: unknown stations are registered, and stations on this machine download
# firmware and upload diagnostics from the API's server.
run: proto
	OCPP_CABLE_AUTO_REGISTER=$${OCPP_CABLE_AUTO_REGISTER:-true} \
	OCPP_CABLE_FILES_URL=$${OCPP_CABLE_FILES_URL:-http://127.0.0.1:$${OCPP_CABLE_API_PORT:-9080}} \
	$(BIN)/ocpp-cable up

# Tests run on every core (pytest-xdist); PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= auto
test: proto
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The fast part alone: protocol cores and pure functions, no sockets, servers or databases.
test-unit: proto
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not integration" $(PYTEST_ARGS)

# ocpp-cable and the reference system beside Python and Node peers; writes bench/results.md (~15 min).
bench: proto
	$(BIN)/python -m bench.run

# Where a stored MeterValues spends its CPU in `ocpp-cable up`, by layer, sampled by py-spy
# (~30 s); PROFILE_ARGS="--database postgresql --raw out.raw" for more.
profile: proto
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

# The fault campaign in full (kills under load, fuzzing); writes faults/results.md (~5 min).
faults: proto
	$(BIN)/python -m faults.run

# The OCA conformance suite alone (tests/conformance); writes docs/conformance.md's table
# from its results (~3 min on 2 cores).
conformance: proto
	$(BIN)/python -m devtools.conformance

# Regenerate the settings page's tables (docs/settings.md, docs/anycable-go-pro.md) from
# ocpp_cable/foundation/settings.py, then build the docs site into site/, warnings as errors.
docs: $(STAMP)
	$(BIN)/python -m devtools.docs
	$(BIN)/python -m mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
