# Alliance: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
UV_SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON=$(PYTHON) UV_PYTHON_DOWNLOADS=never \
	$(UV) sync --locked
TEST_WORKERS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install install-dev lock lock-upgrade lock-check demo serve test lint system-deps node-deps messages clean

# Installing: uv (pinned with hashes in requirements/uv.txt, kept in .tools/) installs
# exactly what uv.lock says into .venv: the runtime group for `make demo`, the dev group
# as well for `make test`. Nothing outside the lock is installed; `make lock` refreshes it.
$(UV): requirements/uv.txt
	@echo "==> Installing uv (requirements/uv.txt, hashes checked) into $(TOOLS)"
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --require-hashes --no-deps -r requirements/uv.txt
	@touch $(UV)

lock-check: $(UV)
	@$(UV) lock --check --quiet 2>/dev/null || { \
	  echo "uv.lock does not match pyproject.toml: run 'make lock' and commit uv.lock." >&2; exit 1; }

# The runtime group; if the dev group is already there (`make test` ran), keep it.
$(RUNTIME): pyproject.toml uv.lock $(UV)
	@$(MAKE) --no-print-directory lock-check
	@if [ -f $(DEV) ]; then \
	  echo "==> Installing the locked runtime and dev packages into $(VENV)"; $(UV_SYNC); \
	else \
	  echo "==> Installing the locked runtime packages into $(VENV)"; $(UV_SYNC) --no-dev; \
	fi
	@touch $(RUNTIME)

$(DEV): pyproject.toml uv.lock $(UV)
	@$(MAKE) --no-print-directory lock-check
	@echo "==> Installing the locked runtime and dev packages into $(VENV)"
	@$(UV_SYNC)
	@touch $(DEV) $(RUNTIME)

install: $(RUNTIME)

install-dev: $(DEV)

# Change the lock on purpose, then review `git diff uv.lock`, run `make test` and commit it.
# `make lock`: bring uv.lock in line with pyproject.toml, keeping every other version;
# `make lock-upgrade`: move every package to the newest version pyproject.toml allows.
lock: $(UV)
	@$(UV) lock
	@echo "==> uv.lock matches pyproject.toml: review 'git diff uv.lock', run 'make test', commit it."

lock-upgrade: $(UV)
	@$(UV) lock --upgrade
	@echo "==> uv.lock upgraded: review 'git diff uv.lock', run 'make test', commit it."

# System packages the tests need: Debian's Chromium (never a test tool's own
# browser download), gettext for the translations, and Node.js for the FHIR validator.
system-deps:
	@need=""; \
	command -v node >/dev/null || need="$$need nodejs npm"; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	command -v chromedriver >/dev/null || need="$$need chromium-driver"; \
	command -v msgfmt >/dev/null || need="$$need gettext"; \
	if [ -n "$$need" ]; then \
	  echo "==> Installing system packages:$$need"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need; \
	fi

# The FHIR validator the tests run (tests/fhir_validate: Medplum's validator and HL7's
# R4 JSON schema), exactly as package-lock.json says, integrity hashes checked.
NODE_DEPS := tests/fhir_validate/node_modules/.package-lock.json
$(NODE_DEPS): tests/fhir_validate/package.json tests/fhir_validate/package-lock.json
	@echo "==> Installing the locked FHIR validator (npm ci) into tests/fhir_validate"
	@npm ci --prefix tests/fhir_validate --no-audit --no-fund --ignore-scripts --silent
	@touch $(NODE_DEPS)

node-deps: system-deps $(NODE_DEPS)

# After changing user-facing text: refresh the catalogue, translate, then compile.
messages: $(DEV)
	@cd src/alliance && ALLIANCE_TESTING=true ../../$(BIN)/alliance makemessages -l es \
	  --no-location --no-obsolete --ignore 'instruments/*'
	@cd src/alliance && ALLIANCE_TESTING=true ../../$(BIN)/alliance compilemessages -l es

demo: install
	@echo "==> Loading the demo practice and serving it"
	ALLIANCE_DEBUG=true $(BIN)/alliance demo

serve: install
	ALLIANCE_DEBUG=true $(BIN)/alliance migrate
	ALLIANCE_DEBUG=true $(BIN)/alliance runserver 127.0.0.1:8000

STRUCTURE_TESTS = tests/test_access_in_one_place.py tests/test_services_take_no_request.py \
	tests/web/test_view_size.py tests/web/test_templatetags_decide_nothing.py tests/test_readme_map.py

lint: install-dev
	@echo "==> ruff"
	@$(BIN)/ruff check src tests benchmarks
	@$(BIN)/ruff format --check src tests benchmarks
	@echo "==> mypy"
	@ALLIANCE_TESTING=true $(BIN)/mypy
	@echo "==> import-linter (the layers in pyproject.toml)"
	@$(BIN)/lint-imports --no-cache
	@echo "==> structure: access in one place, short views, services without the request, tags without queries"
	@ALLIANCE_TESTING=true $(BIN)/pytest -q -p no:cacheprovider $(STRUCTURE_TESTS)

# Two passes: the tests without a browser on both cores (pytest-xdist; a test file stays
# on one worker, so a module's demo practice is loaded once), then the browser tests.
test: lock-check install-dev system-deps node-deps lint
	@echo "==> pytest: tests without a browser, on $(TEST_WORKERS) workers"
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser"
	@echo "==> pytest: browser tests (headless Chromium)"
	@$(BIN)/pytest -m browser

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .mypy_cache .ruff_cache tests/fhir_validate/node_modules
