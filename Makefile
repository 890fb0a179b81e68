# The two commands a newcomer needs: `make test` and `make demo`. Everything else is their setup.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two workers: a VM under software emulation leaves part of the machine idle (tests/conftest.py).
TEST_WORKERS ?= 2

.PHONY: test demo setup host-tools venv

test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

demo: setup
	$(BIN)/python scripts/demo.py

setup: host-tools venv

# Installs mkosi, qemu, OVMF and the other system tools (only what is missing; needs root).
host-tools:
	scripts/setup-host

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@
