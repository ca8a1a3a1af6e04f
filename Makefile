# Alliance: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo serve test test-unit test-browser lint system-deps messages clean

$(STAMP): pyproject.toml
	@echo "==> Creating the virtual environment in $(VENV) and installing Alliance with its dev extras"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --progress-bar on -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# System packages the tests need: Debian's Chromium (never a test tool's own
# browser download) and gettext for the translations.
system-deps:
	@need=""; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	command -v chromedriver >/dev/null || need="$$need chromium-driver"; \
	command -v msgfmt >/dev/null || need="$$need gettext"; \
	if [ -n "$$need" ]; then \
	  echo "==> Installing system packages:$$need"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need; \
	fi

# After changing user-facing text: refresh the catalogue, translate, then compile.
messages: $(STAMP)
	@cd src/alliance && ALLIANCE_TESTING=true ../../$(BIN)/alliance makemessages -l es \
	  --no-location --no-obsolete --ignore 'instruments/*'
	@cd src/alliance && ALLIANCE_TESTING=true ../../$(BIN)/alliance compilemessages -l es

demo: install
	@echo "==> Loading the demo practice and serving it"
	ALLIANCE_DEBUG=true $(BIN)/alliance demo

serve: install
	ALLIANCE_DEBUG=true $(BIN)/alliance migrate
	ALLIANCE_DEBUG=true $(BIN)/alliance runserver 127.0.0.1:8000

lint: install
	@echo "==> ruff"
	@$(BIN)/ruff check src tests benchmarks
	@$(BIN)/ruff format --check src tests benchmarks
	@echo "==> mypy"
	@ALLIANCE_TESTING=true $(BIN)/mypy

# Two passes: the tests without a browser on both cores (pytest-xdist; a test file stays
# on one worker, so a module's demo practice is loaded once), then the browser tests.
test: install system-deps lint
	@echo "==> pytest: tests without a browser, on $(TEST_WORKERS) workers"
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser"
	@echo "==> pytest: browser tests (headless Chromium)"
	@$(BIN)/pytest -m browser

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
