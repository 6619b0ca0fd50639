# The course's two front-door commands:
#   make lab    set up (if needed) and open the course in JupyterLab
#   make test   set up (if needed) and run every test
# Everything lives in a virtual environment in .venv; nothing is installed system-wide.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch. On this course's reference machine `torch==2.13.0` is a local CPU wheel.
# Elsewhere, set it to what suits you, e.g.
#   make setup TORCH_SPEC=torch TORCH_INDEX=https://download.pytorch.org/whl/cpu
# An environment that already has torch keeps it.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
PYTEST_ARGS ?=
LAB_ARGS ?=
PORT ?= 8866
VOILA_ARGS ?=

.PHONY: setup browser lab test lint notebooks sync bench student present colab-env clean help

help:
	@echo "make lab        set up and open the course in JupyterLab"
	@echo "make test       set up and run every test (unit, notebooks, browser, Colab-like)"
	@echo "make notebooks  re-execute every notebook in place (refresh committed outputs)"
	@echo "make present    classroom mode: the interactive demos without code (Voila)"
	@echo "make student    student copies of the notebooks, solutions removed, in student/"
	@echo "make bench      run the speed and accuracy benchmarks"
	@echo "make lint       ruff"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium for the real-browser tests, installed when we can (root with apt-get);
# elsewhere the browser tests say what is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: Chromium is not installed; the browser tests need /usr/bin/chromium"; fi; }

# Jupyter refuses to start as root (containers, CI images) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT) $(LAB_ARGS)

test: setup browser colab-env
	$(BIN)/python -m pytest -n 2 --dist loadscope $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

notebooks: setup
	$(BIN)/python tools/run_notebooks.py

sync: setup
	$(BIN)/python tools/notebook_header.py

bench: setup
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

student: setup
	$(BIN)/python tools/student_copy.py --out student

present: setup
	$(BIN)/voila classroom/presenter.ipynb --port=$(PORT) --Voila.ip=127.0.0.1 --theme=light $(VOILA_ARGS)

colab-env:
	$(MAKE) -f tools/colab_env.mk PYTHON=$(PYTHON)

clean:
	rm -rf $(VENV) .venv-colab student artifacts .pytest_cache .ruff_cache .hypothesis
