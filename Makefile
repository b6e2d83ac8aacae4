# Platecut: the two commands are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve serve-dr7 test lint lock bench clean

# Exact versions from the lock files (requirements/*.lock, made by `make lock`)
$(BIN)/.installed-app: pyproject.toml requirements/app.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/app.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed-app requirements/test.lock
	bash .ci/install-system-deps
	$(BIN)/pip install --quiet -r requirements/test.lock
	touch $@

## Pin every dependency of pyproject.toml (app, and app + test) to exact versions, with uv
lock: $(BIN)/.installed-app
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --quiet -o requirements/app.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --extra test --quiet -o requirements/test.lock

## Install, generate the demo archive if absent, catalog it, serve on http://127.0.0.1:8000
serve: $(BIN)/.installed-app
	$(BIN)/platecut demo-archive --if-absent
	$(BIN)/platecut ingest
	exec $(BIN)/gunicorn -c conf/gunicorn.conf.py 'service.app:create_app()'

## The DASCH-DR7-shaped demo (plates table + bucket) on a moto server of its own
serve-dr7: $(BIN)/.installed-test
	BIN=$(BIN) bash conf/serve-dr7.sh

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
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) var .pytest_cache
