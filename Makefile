# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test lint format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

.env: | $(VENV)/.installed
	$(PY) scripts/make_env.py > .env
	@echo "wrote .env with fresh development secrets"

## make run: the portal at http://127.0.0.1:8000 with demo data. Embedded (SQLite, in-process
## tasks and sandbox) unless DATABASE_URL and REDIS_URL are set.
run: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py run_portal

## make test: the whole suite on real PostgreSQL and Redis (throwaway ones if none configured).
test: $(VENV)/.installed .env
	$(PY) scripts/with_services.py $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed .env
	PG_DURABLE=1 $(PY) scripts/with_services.py $(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
