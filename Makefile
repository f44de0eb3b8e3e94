# 问政 Wenzheng — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAGE ?= dev

.PHONY: run test lint bench browser-deps venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

## Start the whole platform locally (moto, tables, demo data, API + site on one origin).
run: venv
	$(PY) -m infra.local_stack --port $(PORT) $(if $(EMPTY),--empty,)

## Debian's chromium and CJK fonts for the browser tests (never a downloaded browser),
## and axe-core (pinned in tests/browser/package-lock.json) for the accessibility test.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium and fonts-noto-cjk from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	@test -d tests/browser/node_modules/axe-core || npm ci --prefix tests/browser --no-audit --no-fund

## Install what the tests need, then run the whole suite.
test: venv browser-deps
	$(PY) -m pytest -q

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions infra app.py

## Request costs, the sweep at 10k vs 100k cases, a ranking read at 30 vs 300 departments and
## 10k vs 100k cases, an auditor's department-month at 10k vs 100k archived cases, and
## Lighthouse on the board, a case page and
## the form (Lighthouse pinned in tests/bench/lighthouse/package-lock.json, Debian's chromium).
bench: venv browser-deps
	@test -x tests/bench/lighthouse/node_modules/.bin/lighthouse || npm ci --prefix tests/bench/lighthouse --no-audit --no-fund
	BENCH_ROUNDS=200 BENCH_SWEEP_SIZES=10000,100000 BENCH_SWEEP_ROUNDS=2 BENCH_RANKING_DEPARTMENTS=30,300 BENCH_RANKING_CASES=10000,100000 BENCH_RANKING_ROUNDS=15 BENCH_AUDIT_CASES=10000,100000 BENCH_AUDIT_ROUNDS=10 BENCH_COLD_ROUNDS=15 $(PY) -m pytest -q -s tests/bench
	$(PY) -m tests.bench.lighthouse_pages --runs 3

clean:
	rm -rf $(VENV) build vendor .pytest_cache .mypy_cache .ruff_cache
