# SkillMatch: two commands for a newcomer — `make demo` and `make test`.
PY := .venv/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: deps demo test check lint types unit bench clean

deps:
	@bash devtools/install-deps.sh

## The main job: local wikis, realistic signups, one bot run, then the web tool on 127.0.0.1.
demo: deps
	$(PY) -m devtools.demo

## The whole suite: lint, types, unit, wiki, MariaDB, browser and validator tests.
test: deps lint types
	$(PY) -m pytest -q -p no:cacheprovider

check: test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

types:
	.venv/bin/mypy bot webtool devtools

bench: deps
	$(PY) -m bench.bench_parse
	$(PY) -m bench.bench_pathological
	$(PY) -m bench.bench_declines
	$(PY) -m bench.bench_run
	$(PY) -m bench.bench_matching
	$(PY) -m bench.bench_webtool

clean:
	rm -rf var build .pytest_cache .mypy_cache .ruff_cache
