# Build the Colab-like test environment in .venv-colab:
#     make colab-env            (the main Makefile runs: $(MAKE) -f tools/colab_env.mk PYTHON=...)
# It holds Colab's versions of the key packages (requirements/colab.txt) and course_lib installed
# editable without its dependencies, so nothing newer than Colab's versions can sneak in.
# tests/test_colab_env.py runs the notebooks and the widget tests inside it.

PYTHON ?= python3
COLAB_VENV ?= .venv-colab

.PHONY: colab-env
colab-env: $(COLAB_VENV)/.installed

$(COLAB_VENV)/.installed: requirements/colab.txt pyproject.toml
	test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r requirements/colab.txt
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(COLAB_VENV)/bin/python -m pip check
	touch $@
