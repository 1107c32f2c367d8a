# One Makefile for people and CI. Every target creates .venv first when it is missing or when the pins changed.
SHELL := /bin/bash
PYTHON3 ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs `alembic` (and kernels) from PATH: the venv's bin must come first.
export PATH := $(BIN):$(PATH)
PINS_HASH := $(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)
STAMP := $(VENV)/.pins-$(PINS_HASH)
PYTEST_ARGS ?=
LABS ?=

.PHONY: venv test grade release examples lint bench mutants site clean

venv: $(STAMP)

$(STAMP):
	@if [ -d $(VENV) ]; then echo "The pinned requirements changed: rebuilding $(VENV)"; rm -rf $(VENV); fi
	$(PYTHON3) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

grade: venv
	$(BIN)/autograd-labs grade-example

release: venv
	$(BIN)/autograd-labs sync-checks
	$(BIN)/autograd-labs release $(LABS)

examples: venv
	$(BIN)/autograd-labs write-examples

# The course website (lessons with outputs, labs' student versions) into build/site/; see the README to publish it.
site: venv
	$(BIN)/autograd-labs site

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python bench/notebook_times.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/similarity.py

# Grade every catalogued wrong answer and correct alternative (tests/*_answers/); fails if a test misjudges one.
mutants: venv
	$(BIN)/python bench/mutants.py $(LABS)

clean:
	rm -rf build .pytest_cache .ruff_cache
