# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DATA   ?= data
PORT   ?= 8501

.PHONY: setup run demo ingest test lint fmt bench browser postgres clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: this machine carries its CPU build; an unpinned torch pulls CUDA (GBs).
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

ingest: setup
	REVIEWER_DATA_DIR=$(DATA) $(BIN)/reviewer ingest corpus/notes

demo: ingest
	REVIEWER_DATA_DIR=$(DATA) $(BIN)/reviewer review corpus/drafts/landing_page.md --fail-on never

run: ingest
	REVIEWER_DATA_DIR=$(DATA) $(BIN)/streamlit run ui/app.py --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The screen tests drive a real headless Chromium; Debian packages it with its driver.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
		>/dev/null 2>&1 || echo "note: could not install chromium; browser tests will be skipped"; }

# The Postgres tests start a real server from Debian's binaries (initdb, pg_ctl) in a temporary folder.
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
		>/dev/null 2>&1 || echo "note: could not install postgresql; Postgres tests will be skipped"; }

test: setup browser postgres
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check reviewer ui tests benchmarks
	$(BIN)/ruff format --check reviewer ui tests benchmarks
	$(BIN)/mypy reviewer

fmt: setup
	$(BIN)/ruff format reviewer ui tests benchmarks
	$(BIN)/ruff check --fix reviewer ui tests benchmarks

bench: setup
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/objections.py
	$(BIN)/python benchmarks/lint.py
	$(BIN)/python benchmarks/review.py
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
