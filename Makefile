# Cadenza developer entry points. Everything runs from the project venv (.venv), which `make venv`
# creates with uv (`uv venv --seed`, so .venv/bin/pip exists) and fills with exactly the versions
# pinned in requirements-dev.lock; it is refreshed only when the lock or a pyproject.toml is newer
# than .venv/.installed.
#
#   make lock    re-resolve requirements-dev.in (the core with its server and test extras, and every
#                distribution under plugins/ and collections/, editable) into requirements-dev.lock;
#                run it after changing a dependency in any pyproject.toml (existing pins are kept
#                where they still fit; `make lock LOCK_ARGS=--upgrade` moves everything forward)
#   make dist    a wheel and an sdist of every distribution (the core, plugins/*, collections/*) in
#                dist/, built with uv build
#   make demo    run examples/etl.py:etl and show the recorded run; serve a scheduled
#                deployment (examples/scheduled.py) for a few seconds, list it and its runs
#   make test    ruff and mypy, then the whole test suite (core, plugins/*/tests,
#                collections/*/tests), except the long randomised `soak` tests: first what
#                test-fast runs, on FAST_WORKERS processes, then the `slow`, `integration` and
#                `docs` tests one at a time (they start servers and processes, and time them);
#                it fails if either part does, after both have run
#   make test-fast  the developer loop, under a minute on two cores: lint and typecheck, then
#                every test not marked `slow`, `integration`, `docs` or `soak`, on FAST_WORKERS
#                processes (pytest-xdist; default auto). `integration` tests start a server,
#                PostgreSQL, an emulator, a Dask cluster or processes of their own (markers:
#                pyproject.toml; conftest.py marks them by the fixtures they use); quick checks
#                that run one short command in a subprocess (import weight, a CLI call, a wheel
#                build) stay in the loop. Select a suite with PYTEST_ARGS,
#                e.g. make test-fast PYTEST_ARGS=tests/plugins, or run one kind alone:
#                .venv/bin/pytest -m docs | -m integration | -m slow
#   make soak    the `soak` tests (tests/faults/test_soak.py; CADENZA_SOAK_SEEDS=n seeds)
#   make bench   the performance suite (benchmarks/run.py); BENCH_ARGS="--quick" to shorten
#   make docs    the documentation site (mkdocs build --strict) into build/site
#   make lint    ruff check, and import-linter's layers contract (docs/architecture.md)
#   make typecheck  mypy --strict on the core's public modules and the collections ([tool.mypy])
#   make clean   caches and build output (distclean also removes .venv)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_ARGS ?=
LOCK_ARGS ?=
FAST_WORKERS ?= auto
PYTEST_ARGS ?=
FAST_MARKERS := not (slow or integration or docs or soak)
# Distributions of their own, installed editable beside the core (each with its test extra).
DISTS := plugins/cadenza-dask plugins/cadenza-otel plugins/cadenza-ray collections/cadenza-aws collections/cadenza-gcp collections/cadenza-sql \
	collections/cadenza-notify collections/cadenza-http collections/cadenza-azure collections/cadenza-shell collections/cadenza-dbt

# Prefer a uv on PATH; otherwise bootstrap one with pip into build/uv. `pip install --target`
# needs no root and is not refused by Debian's externally-managed Python (PEP 668).
UV_BOOT := build/uv
UV := $(or $(shell command -v uv 2>/dev/null),$(UV_BOOT)/bin/uv)

.PHONY: venv lock dist demo test test-fast soak bench lint typecheck docs clean distclean

venv: $(STAMP)

$(UV_BOOT)/bin/uv:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(UV_BOOT) uv

$(STAMP): requirements-dev.lock pyproject.toml $(addsuffix /pyproject.toml,$(DISTS)) | $(UV)
	test -x $(BIN)/python || $(UV) venv --seed $(VENV) -p $(PYTHON)
	$(UV) pip sync --compile-bytecode -p $(BIN)/python requirements-dev.lock
	$(UV) pip check -p $(BIN)/python || { echo "make: requirements-dev.lock does not satisfy a" \
		"pyproject.toml (a dependency added or changed?): run make lock" >&2; exit 1; }
	$(BIN)/python -m compileall -q core $(addsuffix /src,$(DISTS))   # imports read .pyc even where writing them is off
	touch $@

# The lock is universal (any OS, Python >= 3.10), so one file serves every developer and CI.
lock: | $(UV)
	$(UV) pip compile --universal --python-version 3.10 -q $(LOCK_ARGS) requirements-dev.in \
		-o requirements-dev.lock

dist: | $(UV)
	rm -rf dist
	for d in . $(DISTS); do $(UV) build -q --out-dir dist "$$d"; done
	ls dist

demo: venv
	$(BIN)/cadenza run examples/etl.py:etl --param n=5
	$(BIN)/cadenza runs show latest
	$(BIN)/python examples/scheduled.py --for 7
	$(BIN)/cadenza deployments ls
	$(BIN)/cadenza runs ls --deployment report/every-2s --limit 5
	@echo "See these runs in the dashboard: $(BIN)/cadenza server start, then open http://127.0.0.1:4200/"

lint: venv
	$(BIN)/ruff check core tests benchmarks examples plugins collections
	$(BIN)/lint-imports --no-cache   # the layers of docs/architecture.md (pyproject.toml)

typecheck: venv
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q -n $(FAST_WORKERS) -m "$(FAST_MARKERS)" && fast=0 || fast=$$?; \
	$(BIN)/pytest -q -m "not ($(FAST_MARKERS)) and not soak" && rest=0 || rest=$$?; \
	test $$fast -eq 0 && test $$rest -eq 0

test-fast: lint typecheck
	$(BIN)/pytest -q -n $(FAST_WORKERS) -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

soak: venv
	$(BIN)/pytest -q -m soak

docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

bench: venv
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf build dist .pytest_cache .ruff_cache .bench
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d \
		-prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
