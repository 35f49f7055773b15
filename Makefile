# facial_affect_addon — see README.md. `make demo` sets everything up and runs the demo;
# `make test` runs every test (unit, real Blender 5.2 and real Blender 5.0).
SHELL := /bin/bash
.DEFAULT_GOAL := demo

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY313 ?= $(shell command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys;print(sys.executable)' 2>/dev/null || ls -d $(PYENV_ROOT)/versions/3.13*/bin/python3.13 2>/dev/null | tail -n1)
PY311 ?= $(shell command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import sys;print(sys.executable)' 2>/dev/null || ls -d $(PYENV_ROOT)/versions/3.11*/bin/python3.11 2>/dev/null | tail -n1)
UV ?= $(shell command -v uv 2>/dev/null)
VENV := .venv
VENV50 := .venv50
PY := $(VENV)/bin/python
PY50 := $(VENV50)/bin/python
REQS := $(wildcard requirements/*.txt)
export PYTHONUNBUFFERED := 1

.PHONY: setup demo test test-unit test-blender test-blender50 bench extension lint format clean

setup: $(VENV)/.stamp $(VENV50)/.stamp models/demo_head.blend

uv:
	@if [ -z "$(UV)" ]; then python3 -m pip install -q uv; fi

$(VENV)/.stamp: $(REQS)
	@test -n "$(PY313)" || { echo "Python 3.13 not found: install it or set PY313=/path/to/python3.13"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY313) $(VENV)
	uv pip install -q -p $(VENV) -r requirements/base.txt -r requirements/dev.txt \
		$(foreach f,text speech,$(if $(wildcard requirements/$(f).txt),-r requirements/$(f).txt))
	$(if $(wildcard requirements/nodeps.txt),uv pip install -q -p $(VENV) --no-deps -r requirements/nodeps.txt)
	touch $@

$(VENV50)/.stamp: requirements/b50.txt requirements/dev.txt requirements/text.txt requirements/nodeps.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found: install it or set PY311=/path/to/python3.11"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY311) $(VENV50)
	uv pip install -q -p $(VENV50) -r requirements/b50.txt -r requirements/dev.txt -r requirements/text.txt
	uv pip install -q -p $(VENV50) --no-deps -r requirements/nodeps.txt
	touch $@

models/demo_head.blend: tools/make_demo_head.py $(wildcard tools/_*.py) $(VENV)/.stamp
	$(PY) tools/make_demo_head.py --out $@

demo: setup
	@mkdir -p out
	$(PY) -m facial_affect_addon.cli demo --out out

extension: setup
	$(PY) tools/build_extension.py --out dist

test: setup extension
	$(PY) -m pytest -q tests/unit
	$(PY) -m pytest -q tests/blender
	$(PY50) -m pytest -q tests/blender

test-unit: $(VENV)/.stamp
	$(PY) -m pytest -q tests/unit

bench: setup
	@mkdir -p out
	$(PY) bench/run.py --out out/bench.json

lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.stamp
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf build dist out .pytest_cache
