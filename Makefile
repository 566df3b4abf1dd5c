# One place for set-up, the main job and the tests. See README.md.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: venv install demo test lint format clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(VENV)/bin/python

# torch first: the CPU wheel 2.13.0 (see ../shared/ENVIRONMENT.md), then the project with every extra.
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[all,dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/medcoder demo

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

format: install
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean:
	rm -rf $(VENV) build *.egg-info
