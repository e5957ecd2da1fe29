# Everything CI and a newcomer need. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PY313 ?= $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || ls /root/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | head -1)
LAYER := .build/layer

.PHONY: run test test-fast test-313 lint template openapi bench faults package clean

# uv (from PyPI, pinned) installs the pinned set in seconds; pip would take over a minute.
UV_VERSION := 0.13.9

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install -q --python $(PY) -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/echelonx dev

test: $(STAMP)
	$(VENV)/bin/ruff check shared functions tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not isolated" --durations=12
	$(PY) -m pytest -q -m isolated

# The quick part, also run on the Lambda runtime's Python (3.13) by .ci/run.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not isolated"
	$(PY) -m pytest -q -m "isolated and not slow"

test-313:
	@if [ -z "$(PY313)" ]; then echo "No Python 3.13 found: skipping the 3.13 run"; exit 0; fi; \
	$(PY313) -m venv .venv313 && .venv313/bin/python -m pip install -q uv==$(UV_VERSION) && \
	.venv313/bin/uv pip install -q --python .venv313/bin/python -c constraints.txt -e '.[dev]' && \
	.venv313/bin/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow and not isolated" -p no:cacheprovider && \
	.venv313/bin/python -m pytest -q -m "isolated and not slow" -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check shared functions tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/echelonx template --check

template: $(STAMP)
	$(VENV)/bin/echelonx template

openapi: $(STAMP)
	$(VENV)/bin/echelonx openapi -o openapi.json

bench: $(STAMP)
	$(VENV)/bin/echelonx bench

# The send pipeline under faults, 10,000 messages (README: "The fault run"); the suite runs 1,000.
faults: $(STAMP)
	$(PY) -m shared.local.fault_run --messages 10000

# The dependency layer for the template's runtime and architecture (python3.13, arm64; Amazon Linux 2023
# has glibc 2.34, so manylinux_2_28 wheels run there), plus the
# shared package without shared/local (the CLI and local runtime never ship).
package: $(STAMP)
	rm -rf $(LAYER) && mkdir -p $(LAYER)/python
	$(PY) -m pip install -q --target $(LAYER)/python --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
	  --implementation cp --python-version 3.13 --only-binary=:all: -c constraints.txt -r layers/requirements.txt
	cp -r shared $(LAYER)/python/shared && rm -rf $(LAYER)/python/shared/local
	find $(LAYER) -name '__pycache__' -prune -exec rm -rf {} +
	$(VENV)/bin/echelonx layer $(LAYER)/python
	@# Lambda cannot write bytecode to /opt: ship it, compiled by 3.13 and checked by hash, not mtime
	@# (zipping changes mtimes), or every cold start recompiles every module it imports.
	@if [ -n "$(PY313)" ]; then $(PY313) -m compileall -q -j 0 --invalidation-mode unchecked-hash $(LAYER)/python; \
	else echo "No Python 3.13 found: the layer ships without bytecode (slower cold starts)"; fi
	$(VENV)/bin/echelonx layer --measure $(LAYER)/python
	@echo "layer built in $(LAYER); now: sam build && sam deploy --guided"

clean:
	rm -rf $(VENV) .venv313 .build .echelonx
