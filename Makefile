# prefect-olake: `make run` starts the stack, `make test` runs lint and every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PREFECT_PORT ?= 4200
DATA_DIR ?= .olake

.DEFAULT_GOAL := help
.PHONY: help install run test lint format typecheck chromium bench-install bench-full-load bench-orchestration bench-load bench-api-cost clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv if missing and install the project with its dev tools

run: $(STAMP) ## Start the whole stack: API :8000, Prefect server, worker, SQLite metadata
	$(BIN)/prefect-olake up --host $(HOST) --port $(PORT) --prefect-port $(PREFECT_PORT) --data-dir $(DATA_DIR)

lint: $(STAMP) ## Ruff lint and format check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

chromium: ## Install Debian's chromium for the browser test, when missing (needs root and apt)
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
		echo "chromium is missing and cannot be installed here; the browser test will say so" >&2

test: $(STAMP) lint chromium ## Lint, then every test (SQLite and Postgres metadata, real Postgres/MariaDB/Prefect)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench-install: $(STAMP) ## Install the benchmark extras (dlt, connectorx)
	$(BIN)/python -m pip install -q -e ".[dev,bench]"

bench-full-load: bench-install ## Full-load benchmark: our connector vs psql COPY, ADBC and dlt (5M rows)
	$(BIN)/python bench/full_load.py

bench-orchestration: $(STAMP) ## Orchestration latency benchmark on the embedded default
	$(BIN)/python bench/orchestration.py

bench-load: $(STAMP) ## Load benchmark: 50 clients for 60 s, 1,000 jobs, 4 syncs running
	$(BIN)/python bench/load.py

bench-api-cost: $(STAMP) ## API CPU per request with nothing else running (bench/api_cost.py)
	$(BIN)/python bench/api_cost.py --workers 2

clean: ## Remove the virtualenv, caches and the local data dir
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache $(DATA_DIR)
