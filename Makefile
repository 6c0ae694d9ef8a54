# HSB training tracker: thin, readable targets. `make run` to try it, `make test` to check it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# One test process per core (pytest-xdist); `make test PYTEST_ARGS=` runs them in one process.
PYTEST_ARGS ?= -n auto
# Production settings for `make check-deploy`, with a throwaway key made at run time.
DEPLOY_ENV = DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=example.org \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')"

.DEFAULT_GOAL := help
.PHONY: help run test lint format lock bench check-deploy install assets clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: install assets ## install, build, migrate, seed demo data once, then start web + worker + beat
	PORT=$(PORT) scripts/run.sh

test: install assets ## the whole test suite (the browser tests need the built GOV.UK styles)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: ## regenerate requirements.txt and requirements-dev.txt from the .in files
	PYTHON=$(PYTHON) scripts/lock.sh

bench: install ## run every benchmark in benchmarks/ (files starting with _ are helpers)
	@set -e; for script in benchmarks/[!_]*.py; do \
		[ -e "$$script" ] || { echo "No benchmarks yet."; break; }; \
		echo "== $$script"; $(BIN)/python "$$script"; \
	done

check-deploy: install ## Django's deployment checks with production settings; any warning fails
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

install: $(VENV)/.installed ## create the virtual environment and install the lock files

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

assets: node_modules/.installed ## build the GOV.UK Frontend assets into static/govuk/
	npm run build

node_modules/.installed: package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "Node.js and npm are needed to build the front-end assets."; exit 1; }
	if [ -f package-lock.json ]; then npm ci; else npm install; fi
	touch $@

clean: ## remove the virtual environment, node_modules, built assets and local data (var/)
	rm -rf $(VENV) node_modules static/govuk staticfiles var
