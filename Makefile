# Platecut: the two commands are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench clean

$(BIN)/.installed-app: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed-app
	$(BIN)/pip install --quiet -e '.[test]'
	bash .ci/install-system-deps
	touch $@

## Install, generate the demo archive if absent, catalog it, serve on http://127.0.0.1:8000
serve: $(BIN)/.installed-app
	$(BIN)/platecut demo-archive --if-absent
	$(BIN)/platecut ingest
	exec $(BIN)/gunicorn -c conf/gunicorn.conf.py 'service.app:create_app()'

## Install the test dependencies (Python and Debian) and run every test
test: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(BIN)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

$(BIN)/.installed-bench: $(BIN)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	command -v strace >/dev/null || (apt-get update -qq && apt-get install -y -qq strace)
	touch $@

## Benchmarks: print figures (see README); they assert nothing about speed
bench: $(BIN)/.installed-bench
	$(BIN)/python -m bench.demo_archive
	$(BIN)/python -m bench.rangeread
	$(BIN)/python -m bench.cutout
	$(BIN)/python -m bench.stack
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) var .pytest_cache
