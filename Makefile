# Every target creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-health bench-dask bench-audit compat clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench demo
	$(BIN)/ruff format --check src tests bench demo

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# solvent drift vs Evidently's DataDriftPreset (installs Evidently into bench/.venv-evidently).
bench-health: $(STAMP)
	$(BIN)/python bench/health.py $(BENCH_ARGS)

# solvent repro on a local Dask cluster against the local executor (demo and an 8-stage fan-out).
bench-dask: $(STAMP)
	$(BIN)/python bench/dask.py $(BENCH_ARGS)

# What the audit hook and strace add to a pandas + scikit-learn stage's run time.
bench-audit: $(STAMP)
	$(BIN)/python bench/audit_hook.py $(BENCH_ARGS)

# Installs DVC into bench/.venv-dvc, then checks stage names, commands and edges against it.
compat: $(STAMP)
	test -x bench/.venv-dvc/bin/dvc || ($(PYTHON) -m venv bench/.venv-dvc && bench/.venv-dvc/bin/pip install --quiet dvc)
	$(BIN)/pytest -q tests/pipeline/compat

clean:
	rm -rf $(VENV) bench/.work demo-project .mypy_cache .ruff_cache .pytest_cache

# The fuzz and fault suites at a larger size than CI's: FAULT_TRIALS inputs (or kills) per kind.
FAULT_TRIALS ?= 200
.PHONY: faults
faults: $(STAMP)
	SOLVENT_FAULT_TRIALS=$(FAULT_TRIALS) $(BIN)/pytest -q tests/fuzz $(wildcard tests/faults)
