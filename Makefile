# Two commands: `make run` and `make test`. Everything else is set-up they call.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
export VENV

.PHONY: setup setup-test run serve test bench clean

setup:
	@bash scripts/setup.sh run

setup-test:
	@bash scripts/setup.sh test

run: setup
	@$(VENV)/bin/auralis-server serve --demo-if-empty

test: setup-test
	@if [ -d rust-dsp ] && command -v cargo >/dev/null; then cd rust-dsp && cargo test --quiet; fi
	@$(PYTHON) -m pytest $(PYTEST_ARGS)

bench: setup
	@$(PYTHON) bench/scan.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
