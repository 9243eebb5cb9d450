# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
DATA   ?= data
PORT   ?= 8501
UV_VERSION := 0.13.8
# The demo company's taxonomy and brand guidelines: the engine assumes none, the demo passes its own.
# ... and its workspace words and description for the judges.
DEMO   := REVIEWER_DATA_DIR=$(DATA) REVIEWER_TAXONOMY=corpus/objections.yaml REVIEWER_GUIDELINES=corpus/guidelines \
	REVIEWER_VOCABULARY=corpus/vocabulary.yaml \
	REVIEWER_COMPANY="Corvane, a Berlin maker of finance software (invoices, cards, month-end close), writing to finance teams"

.PHONY: setup run demo ingest test lint fmt bench browser postgres clean constraints

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> [1/3] torch (this machine's CPU build; an unpinned torch pulls GBs of CUDA)"
	$(BIN)/pip install --progress-bar on torch==2.13.0
	@echo "==> [2/3] uv, a faster installer, for everything else"
	$(BIN)/pip install --progress-bar on uv==$(UV_VERSION)
	@echo "==> [3/3] the project and its pinned dependencies (uv, in parallel; torch stays as installed)"
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --python $(BIN)/python -e ".[dev]" -c constraints.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Pin what pyproject.toml leaves open (transitive dependencies) at what is installed now.
constraints: setup
	{ sed -n '1,4p' constraints.txt; VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip freeze --python $(BIN)/python --exclude-editable \
		| grep -v -e '^pip==' -e '^uv==' -e '^torch==' -e '^setuptools=='; } > constraints.txt.new && mv constraints.txt.new constraints.txt

ingest: setup
	$(DEMO) $(BIN)/reviewer ingest corpus/notes

demo: ingest
	$(DEMO) $(BIN)/reviewer review corpus/drafts/landing_page.md --fail-on never

run: ingest
	@echo "==> the review screen: http://localhost:$(PORT)  (Ctrl+C stops it)"
	$(DEMO) $(BIN)/streamlit run ui/app.py --server.port $(PORT) \
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
	$(BIN)/python benchmarks/batch_workers.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
