# Two commands set up everything on a fresh machine (python3, pip and make):
#   make run   - virtual environment, install, demo data (if the landing folder is empty), monthly run
#   make test  - virtual environment, install, lint and the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
SCALE ?= 1
SEED ?= 0
MONTH ?=

# Nothing waits on the network: no usage statistics from dbt or Dagster.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1

.PHONY: install browser demo run test lint ui validate-defs dbt-docs bench clean

# uv (from PyPI, installed by pip into the environment) resolves the same versions as pip
# and installs them in about 20 s instead of about 2 minutes: most of `make run` on a
# fresh machine was the install.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.9,<1'
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/sop demo --scale $(SCALE) --seed $(SEED)

run: install
	@landing=$${SOP_LANDING_DIR:-$${SOP_DATA_DIR:-data}/landing}; \
	if [ ! -f "$$landing/supply/orders.csv" ] && [ ! -f "$$landing/supply/orders.parquet" ]; then \
		$(VENV)/bin/sop demo --scale $(SCALE) --seed $(SEED); fi
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/sop run $(if $(MONTH),--month $(MONTH))

# The meeting-pack test opens the pack in a headless browser: Debian's chromium.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install browser lint
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SOP_WAREHOUSE_PATH=$(CURDIR)/.lint.duckdb $(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests
	rm -f $(CURDIR)/.lint.duckdb

ui: install
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/dagster dev

validate-defs: install
	$(VENV)/bin/dagster definitions validate

# dbt's documentation site (models, columns, tests, lineage), built offline from the
# warehouse of the last run and served on http://localhost:8080.
dbt-docs: install
	cd dbt_project && SOP_WAREHOUSE_PATH=$(CURDIR)/$${SOP_DATA_DIR:-data}/warehouse.duckdb \
		../$(VENV)/bin/dbt docs generate --profiles-dir . && \
		SOP_WAREHOUSE_PATH=$(CURDIR)/$${SOP_DATA_DIR:-data}/warehouse.duckdb \
		../$(VENV)/bin/dbt docs serve --profiles-dir . --port 8080 --no-browser

# Benchmarks, and the tests marked slow (kept out of `make test`).
bench: install
	$(VENV)/bin/pytest -q -m slow
	$(PY) -m bench.run_scale

clean:
	rm -rf data .dagster_home/storage .dagster_home/history .dagster_home/logs dbt_project/target dbt_project/logs
