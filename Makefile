# fastopt: two commands on a fresh machine -- `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m fastopt demo

test: $(STAMP)
	$(PY) -m pytest -q --benchmark-disable

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]" || echo "jax not installable here: benchmarks run without it"
	$(PY) -m pytest benchmarks -q --benchmark-only --benchmark-columns=min,median,rounds \
		--benchmark-sort=name --benchmark-json=benchmarks/results.json
	$(PY) benchmarks/report.py benchmarks/results.json > docs/benchmarks-latest.md
	printf '\n### Cold start (compile per new objective)\n\n' >> docs/benchmarks-latest.md
	$(PY) benchmarks/cold_start.py >> docs/benchmarks-latest.md
	@echo "wrote docs/benchmarks-latest.md"

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site
	@echo "wrote site/index.html"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build dist site .pytest_cache .benchmarks
