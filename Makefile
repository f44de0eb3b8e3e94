# 问政 Wenzheng — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAGE ?= dev
REGION ?= ap-southeast-1
PACKAGE_DIR ?= build/$(STAGE)

.PHONY: run test lint bench browser-deps openapi-deps site-deps site venv clean package deploy

venv: $(VENV)/.installed

## The requirements are installed by uv (pinned, itself from PyPI): 8 s on a fresh machine
## where pip took 53 s, most of it compiling every module of every package up front.
UV := $(VENV)/bin/uv
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) -r requirements-dev.txt
	@touch $@

## Start the whole platform locally (moto, tables, demo data, API + site on one origin). The
## data is kept in .data/local/ (DATA=<folder> for another) across runs; FRESH=1 starts clean,
## moving the saved data to <folder>/backups/; EMPTY=1 starts a fresh run without the demo.
## The pages get the current shell first (infra/site_shell.py); the stack serves the built site
## (build/site/, infra/site_build.py: what deploys), built when it starts and again when a page
## is asked for after frontend/ changed, so an edit shows on the next reload.
run: venv site-deps
	$(PY) -m infra.site_shell
	$(PY) -m infra.local_stack --port $(PORT) $(if $(EMPTY),--empty,) $(if $(FRESH),--fresh,) $(if $(DATA),--data "$(DATA)",)

## Debian's chromium and CJK fonts for the browser tests (never a downloaded browser),
## and axe-core (pinned in tests/browser/package-lock.json) for the accessibility test.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium and fonts-noto-cjk from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	@test -d tests/browser/node_modules/axe-core || npm ci --prefix tests/browser --no-audit --no-fund

## esbuild (pinned in infra/site/package-lock.json), which builds the site (infra/site_build.py:
## each page's modules and stylesheets as one JS and one CSS file); installed again whenever the
## lock changes. Without install scripts: esbuild's only checks its binary, which the platform's
## package (@esbuild/linux-x64) brings.
ESBUILD := infra/site/node_modules/.package-lock.json
site-deps: $(ESBUILD)
$(ESBUILD): infra/site/package-lock.json
	npm ci --prefix infra/site --no-audit --no-fund --ignore-scripts

## The deployed site, build/site/, from frontend/ (make package and make run do it too).
site: venv site-deps
	$(PY) -m infra.site_shell
	$(PY) -m infra.site_build

## Redocly CLI and Spectral CLI (pinned in tests/openapi/package-lock.json) for the lint of the
## served OpenAPI document; installed again whenever the lock changes. Without install scripts:
## the only one in the tree reports download statistics over the network.
OPENAPI_LINTERS := tests/openapi/node_modules/.package-lock.json
openapi-deps: $(OPENAPI_LINTERS)
$(OPENAPI_LINTERS): tests/openapi/package-lock.json
	npm ci --prefix tests/openapi --no-audit --no-fund --ignore-scripts

## Install what the tests need, then run the whole suite.
## One worker per core and one more (pytest-xdist; TEST_WORKERS=0 runs in one process): a
## browser test's worker mostly waits on its stack and chromium, so a third worker on two cores
## fills the gaps (9 min 49 s against 10 min 44 s with two; giving the axe checks a worker and a
## stack of their own made it 10 min 58 s). Each test file stays on one worker; the browser
## tests share one stack, the infra tests one package (tests/conftest.py).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: venv browser-deps openapi-deps site-deps
	$(PY) -m pytest -q -n $(TEST_WORKERS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions infra app.py

## Request costs, each route family's cold path against import boto3 (tests/bench/
## test_cold_start.py), the sweep at 10k vs 100k cases, a ranking read at 30 vs 300 departments and
## 10k vs 100k cases, an auditor's department-month at 10k vs 100k archived cases, what a
## city pays (a 20 vs 60-case replay of the lifecycle, priced: tests/bench/test_city_cost.py), a
## 50-user mixed load for 60 s (locust, tests/bench/test_load.py) on the local stack, a
## bigger schemathesis run with its coverage phase (tests/stack/test_openapi_fuzz.py), and
## Lighthouse on the board, a case page and
## the form (Lighthouse pinned in tests/bench/lighthouse/package-lock.json, Debian's chromium).
bench: venv browser-deps site-deps
	@test -x tests/bench/lighthouse/node_modules/.bin/lighthouse || npm ci --prefix tests/bench/lighthouse --no-audit --no-fund
	BENCH_ROUNDS=200 BENCH_SWEEP_SIZES=10000,100000 BENCH_SWEEP_ROUNDS=2 BENCH_RANKING_DEPARTMENTS=30,300 BENCH_RANKING_CASES=10000,100000 BENCH_RANKING_ROUNDS=15 BENCH_AUDIT_CASES=10000,100000 BENCH_AUDIT_ROUNDS=10 BENCH_DASHBOARD_CASES=10000,100000 BENCH_DASHBOARD_ROUNDS=5 BENCH_SIMILAR_CASES=10000,100000 BENCH_SIMILAR_PROBES=200 BENCH_COLD_ROUNDS=15 BENCH_COST_SIZES=20,60 BENCH_COST_TICK_HOURS=1 LOAD_USERS=50 LOAD_SECONDS=60 LOAD_PUBLISHED=30 LOAD_REPLIED=60 $(PY) -m pytest -q -s tests/bench
	FUZZ_EXAMPLES=100 FUZZ_COVERAGE=1 $(PY) -m pytest -q tests/stack/test_openapi_fuzz.py
	$(PY) -m tests.bench.lighthouse_pages --runs 3

## Production (docs/OPERATIONS.md, "Deploying"): build/<stage>/sam.json (Chalice's SAM template
## merged with infra/template.py's resources) and deployment.zip (app.py, functions/, schemas/ and
## requirements.txt built for Lambda, without what Lambda's Python runtime provides, with the
## bytecode of every source), and providers-layer.zip (the domestic SMS SDKs, a layer only a
## stage with WZ_SMS_PROVIDER=aliyun|tencent attaches to its SMS senders); the pages of frontend/ get the current
## shell (infra/site_shell.py) and the site deploy uploads is built from them (build/site/,
## infra/site_build.py).
package: venv site-deps
	@mkdir -p $(PACKAGE_DIR)
	$(PY) -m infra.site_shell
	$(PY) -m infra.site_build
	rm -f $(PACKAGE_DIR)/merge.json $(PACKAGE_DIR)/sam.json $(PACKAGE_DIR)/deployment.zip $(PACKAGE_DIR)/providers-layer.zip
	$(PY) -m infra.package vendor
	WZ_STAGE=$(STAGE) $(PY) -m infra.template --stage $(STAGE) --region $(REGION) --out $(PACKAGE_DIR)/merge.json
	WZ_STAGE=$(STAGE) AWS_DEFAULT_REGION=$(REGION) $(VENV)/bin/chalice package --stage $(STAGE) --merge-template $(PACKAGE_DIR)/merge.json $(PACKAGE_DIR)/
	$(PY) -m infra.template --region $(REGION) --finish $(PACKAGE_DIR)/sam.json
	$(PY) -m infra.package prune $(PACKAGE_DIR)/deployment.zip
	$(PY) -m infra.package compile $(PACKAGE_DIR)/deployment.zip
	$(PY) -m infra.package layer $(PACKAGE_DIR)/providers-layer.zip

## make deploy STAGE=prod REGION=ap-southeast-1 DOMAIN=wenzheng.example.gov.cn SENDER=noreply@example.gov.cn
##   [CERTIFICATE_ARN=arn:aws:acm:us-east-1:…] [ALARM_EMAIL=ops@…] [SMS_SPEND_LIMIT=100] [DRY_RUN=1]
##   [MAP_TILES='https://tiles.example.gov.cn/{z}/{x}/{y}.png' MAP_TILES_ATTRIBUTION='审图号：…']
## China regions (REGION=cn-northwest-1 or cn-north-1; docs/OPERATIONS.md, "China regions"):
##   IAM_CERTIFICATE_ID=ASCA… SMS_PROVIDER=aliyun|tencent SMS_SECRET=<secret name>
##   SMS_TEMPLATES='{"received": "SMS_465210001", …}' [SMS_SIGNATURE=【临江问政】]
##   SMTP_HOST=smtp.example.gov.cn SMTP_USER=… SMTP_SECRET=<secret name> [SMTP_PORT=465 SMTP_TLS=implicit]
##   [IMAP_HOST=… IMAP_USER=… IMAP_SECRET=<secret name> IMAP_PORT=993 MAILBOX=szxx@example.gov.cn]
deploy: package
	$(PY) -m infra.deploy --stage $(STAGE) --region $(REGION) --package-dir $(PACKAGE_DIR) \
		--domain "$(DOMAIN)" --sender "$(SENDER)" \
		$(if $(CERTIFICATE_ARN),--certificate-arn "$(CERTIFICATE_ARN)",) \
		$(if $(IAM_CERTIFICATE_ID),--iam-certificate-id "$(IAM_CERTIFICATE_ID)",) \
		$(if $(SMS_PROVIDER),--sms-provider "$(SMS_PROVIDER)",) \
		$(if $(SMS_SECRET),--sms-secret "$(SMS_SECRET)",) \
		$(if $(SMS_TEMPLATES),--sms-templates '$(SMS_TEMPLATES)',) \
		$(if $(SMS_SIGNATURE),--sms-signature "$(SMS_SIGNATURE)",) \
		$(if $(SMTP_HOST),--smtp-host "$(SMTP_HOST)",) \
		$(if $(SMTP_PORT),--smtp-port "$(SMTP_PORT)",) \
		$(if $(SMTP_TLS),--smtp-tls "$(SMTP_TLS)",) \
		$(if $(SMTP_USER),--smtp-user "$(SMTP_USER)",) \
		$(if $(SMTP_SECRET),--smtp-secret "$(SMTP_SECRET)",) \
		$(if $(IMAP_HOST),--imap-host "$(IMAP_HOST)",) \
		$(if $(IMAP_PORT),--imap-port "$(IMAP_PORT)",) \
		$(if $(IMAP_USER),--imap-user "$(IMAP_USER)",) \
		$(if $(IMAP_SECRET),--imap-secret "$(IMAP_SECRET)",) \
		$(if $(MAILBOX),--mailbox "$(MAILBOX)",) \
		$(if $(ALARM_EMAIL),--alarm-email "$(ALARM_EMAIL)",) \
		$(if $(SMS_SPEND_LIMIT),--sms-spend-limit "$(SMS_SPEND_LIMIT)",) \
		$(if $(MAP_TILES),--map-tiles '$(MAP_TILES)',) \
		$(if $(MAP_TILES_ATTRIBUTION),--map-tiles-attribution "$(MAP_TILES_ATTRIBUTION)",) \
		$(if $(DRY_RUN),--dry-run,)

clean:
	rm -rf $(VENV) build vendor .chalice/deployments .pytest_cache .mypy_cache .ruff_cache
