# Regia — `make demo` runs the demo platform, `make test` runs every test. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint lock clean messages

install: $(STAMP)
	@BIN=$(BIN) bash scripts/messages.sh compile

$(STAMP): pyproject.toml requirements.lock package.json scripts/install-assets.sh scripts/export-jsonld-contexts.mjs
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,spark]'
	bash scripts/install-assets.sh
	touch $(STAMP)

demo: install
	$(BIN)/regia demo --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check src tests
	@bash scripts/system-deps.sh
	@if [ -z "$$REGIA_TEST_POSTGRES_URL" ]; then \
	  url=$$(bash scripts/postgres.sh 2>/dev/null) || url=""; \
	  if [ -z "$$url" ]; then echo "note: no PostgreSQL server, its tests will be skipped" >&2; fi; \
	  REGIA_TEST_POSTGRES_URL=$$url $(BIN)/pytest; \
	else $(BIN)/pytest; fi

# Extract the message keys the code uses and update every package's gettext catalogues (then fill the texts).
messages: install
	BIN=$(BIN) bash scripts/messages.sh update

lint: install
	$(BIN)/ruff check src tests bench

# Re-pin the dependencies after changing pyproject.toml (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) node_modules src/regia/web/static/vendor
