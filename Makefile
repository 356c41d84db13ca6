# Two commands: `make run` (set up and open the app on the bundled example) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLE := resources/examples/tabular/tabular.vnn
# With Xvfb installed, the real-window test (tests/xvfb) runs too; other Qt tests stay offscreen.
XVFB := $(shell command -v xvfb-run >/dev/null 2>&1 && echo 'xvfb-run -a -s "-screen 0 1600x1000x24"')

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml setup.py visualnn/services/datasets/_fast_numbers.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,packaging]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/visualnn $(EXAMPLE)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(XVFB) $(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile --durations=25

lint: $(STAMP)
	$(BIN)/ruff check visualnn tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy visualnn

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info visualnn/services/datasets/*.so
