# Two commands: `make run` and `make test`. Everything else is set-up they call.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
export VENV
# rustup's cargo, for shells that do not have it on PATH.
export PATH := $(PATH):$(HOME)/.cargo/bin

.PHONY: setup setup-test run test lint bench clean

setup:
	@bash scripts/setup.sh run

setup-test:
	@bash scripts/setup.sh test

run: setup
	@bash scripts/run.sh

lint: setup
	@$(VENV)/bin/ruff check .

test: setup-test lint
	@if [ -d rust-dsp ] && command -v cargo >/dev/null; then cd rust-dsp && cargo test --release --quiet; fi
	@$(PYTHON) -m pytest $(PYTEST_ARGS)

bench: setup
	@$(PYTHON) -c "import librosa" 2>/dev/null || $(PYTHON) -m pip install -q -e '.[dev,bench]'
	@$(PYTHON) bench/scan.py
	@$(PYTHON) bench/fingerprint.py
	@$(PYTHON) bench/mastering.py
	@$(PYTHON) bench/latency.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
