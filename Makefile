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
SUBMISSIONS ?=
GRADE_ARGS ?=
SITE_DIR ?= _site

.PHONY: setup browser sandbox lab test test-fast test-other-cpu lint notebooks sync bench student grade present site colab-env clean help

help:
	@echo "Start here:"
	@echo "  make lab         set up (first time only) and open the course in JupyterLab"
	@echo "  make test        set up (first time only) and run every test: library, notebooks (also"
	@echo "                   with torch's plain CPU kernels), browsers, the Colab-like environment"
	@echo "Working on the course:"
	@echo "  make test-fast   the library's tests and doctests only (no notebooks, browsers, Colab env)"
	@echo "  make setup       only set up .venv/ (runs again when pyproject.toml changes)"
	@echo "  make notebooks   re-execute every notebook in place (refresh committed outputs)"
	@echo "  make sync        rewrite each notebook's title, Colab link and set-up cell from pyproject.toml,"
	@echo "                   and its exercise statements and starters from course_lib/exercises"
	@echo "  make lint        ruff"
	@echo "  make bench       run the speed and accuracy benchmarks (on an idle machine)"
	@echo "  make colab-env   build .venv-colab/, the Colab-like test environment (make test does it)"
	@echo "  make clean       remove both environments and everything the tests and tools wrote"
	@echo "For teachers:"
	@echo "  make present     classroom mode: the interactive demos without code (Voila)"
	@echo "  make student     student copies of the notebooks, solutions removed, in student/"
	@echo "  make site        the course website, built offline from the committed notebooks, in _site/"
	@echo "  make grade SUBMISSIONS=folder   grade the students' notebooks in a sandbox, write folder/gradebook.csv"
	@echo "  make sandbox     install bubblewrap, the grader's sandbox (as root with apt-get)"
	@echo "Variables: PORT=8866 (present), LAB_ARGS=... (extra jupyter lab options), VOILA_ARGS=...,"
	@echo "  PYTEST_ARGS=... (extra pytest options), TORCH_SPEC / TORCH_INDEX (which PyTorch to install)"

setup: $(VENV)/.installed

# Each step says what it does; pip shows its progress bars for the big downloads (PyTorch).
$(VENV)/.installed: pyproject.toml
	@echo "==> [1/4] creating the virtual environment $(VENV)/ (first time only)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@if $(BIN)/python -c "import torch" 2>/dev/null; then \
		echo "==> [3/4] PyTorch is already installed in $(VENV)/: kept"; \
	else \
		echo "==> [3/4] installing PyTorch ($(TORCH_SPEC), CPU build; the largest download)"; \
		$(BIN)/python -m pip install --progress-bar on "$(TORCH_SPEC)" \
			$(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) || exit 1; \
	fi
	@echo "==> [4/4] installing the course library course_lib with the notebook and test tools"
	@$(BIN)/python -m pip install --progress-bar on -e ".[test]"
	@touch $@
	@echo "==> set-up done: $(VENV)/ is ready"

# Debian's Chromium for the real-browser tests, installed when we can (root with apt-get);
# elsewhere the browser tests say what is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "==> installing Debian's Chromium for the browser tests (apt-get, first time only)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: Chromium is not installed; the browser tests need /usr/bin/chromium"; fi; }

# Debian's bubblewrap, the grader's sandbox (a private view of the files, no network, its own
# processes), installed when we can (root with apt-get), as for Chromium. `make grade` uses it
# when it is there and says in its summary what is missing when it is not.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "==> installing Debian's bubblewrap for the grader's sandbox (apt-get, first time only)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	else echo "note: bubblewrap is not installed; make grade falls back to unshare (see its summary)"; fi; }

# Jupyter refuses to start as root (containers, CI images) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT) $(LAB_ARGS)

test: setup browser sandbox colab-env
	@echo "==> pytest: library tests and doctests, every notebook (strict nbval), browsers, Colab-like env"
	$(BIN)/python -m pytest -n 2 --dist loadscope $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-other-cpu

# The notebooks once more with torch's plain (non-vectorised) CPU kernels: the closest stand-in
# here for a student's computer with another CPU. What nbval compares must not depend on it.
test-other-cpu: setup
	@echo "==> the notebooks again with ATEN_CPU_CAPABILITY=default (torch's plain CPU kernels)"
	ATEN_CPU_CAPABILITY=default $(BIN)/python -m pytest -n 2 --dist loadscope notebooks

# The inner loop: the library's tests and doctests, no notebooks, browsers or second environment.
test-fast: setup
	$(BIN)/python -m pytest -n 2 -o addopts="-ra --doctest-modules" -m "not slow and not browser and not colab" \
		tests course_lib $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

notebooks: setup
	$(BIN)/python tools/run_notebooks.py

sync: setup
	$(BIN)/python tools/notebook_header.py
	$(BIN)/python tools/sync_exercises.py

bench: setup
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

student: setup
	$(BIN)/python tools/student_copy.py --out student

# The gradebook: every notebook in SUBMISSIONS run in a sandbox of its own (bubblewrap when it is
# installed: make sandbox), each answer judged outside it -> SUBMISSIONS/gradebook.csv and
# gradebook.txt (the summary, with what the sandbox did). GRADE_ARGS: --cell-timeout S,
# --notebook-timeout S, --jobs N, --chart FILE.png, --seed N, --sandbox auto|bubblewrap|unshare|none.
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [GRADE_ARGS=...]"; exit 2; }
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" $(GRADE_ARGS)

present: setup
	$(BIN)/voila classroom/presenter.ipynb --port=$(PORT) --Voila.ip=127.0.0.1 --theme=light --Voila.config_file_paths=classroom $(VOILA_ARGS)

# The course website (Sphinx + myst-nb + sphinx-book-theme), from the committed outputs, offline.
site: setup
	$(BIN)/python -m sphinx -b html -q -E -d $(SITE_DIR)/.doctrees site $(SITE_DIR)

colab-env:
	@$(MAKE) --no-print-directory -f tools/colab_env.mk PYTHON=$(PYTHON)

clean:
	rm -rf $(VENV) .venv-colab student artifacts _site .pytest_cache .ruff_cache .hypothesis
