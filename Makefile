# The two set-up commands: `make demo` and `make test`. Both create the venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install demo test typecheck bench clean system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/grader demo --out demo-out

typecheck: install
	$(PY) -m mypy

# bubblewrap and chromium: installed when missing (as root with apt), else a clear stop.
system-deps:
	scripts/system-deps.sh

test: system-deps install typecheck
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/bench_grading.py

clean:
	rm -rf $(VENV) demo-out
