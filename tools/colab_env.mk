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
	@echo "==> Colab-like environment: creating $(COLAB_VENV)/ with Google Colab's package versions (first time only)"
	@test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	@$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	@echo "==> Colab-like environment: installing requirements/colab.txt (PyTorch included)"
	@$(COLAB_VENV)/bin/python -m pip install --progress-bar on -r requirements/colab.txt
	@echo "==> Colab-like environment: installing course_lib without its dependencies"
	@$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@$(COLAB_VENV)/bin/python -m pip check
	@touch $@
	@echo "==> Colab-like environment ready"
