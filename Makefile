# Two commands: `make demo` and `make test`. Everything an install needs is
# here and in pyproject.toml, so a fresh clone with Python >= 3.11 and make works.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip
PIP_FLAGS ?= --disable-pip-version-check --quiet

.PHONY: demo test fuzz install install-dev lint benchmarks realworld examples clean chromium

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aiart-release needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) --upgrade "pip>=24"

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) -e .
	touch $@

PLUGIN_SOURCES := $(shell find examples/plugins -type f -not -path '*/build/*' -not -path '*.egg-info*' -not -name '*.pyc' 2>/dev/null)

$(DEVSTAMP): pyproject.toml $(PLUGIN_SOURCES) | $(BIN)/python
	# torch first, pinned: `pip install torch==2.13.0` is a CPU build in
	# seconds on machines like ours, and the [model] range (torch>=2.6) is
	# then met; an unpinned install of the extra would pull a CUDA build of
	# several GB.
	$(PIP) install $(PIP_FLAGS) "torch==2.13.0"
	$(PIP) install $(PIP_FLAGS) -e ".[dev,model]"
	# Third-party plugin packages: installed with pip, found through their
	# entry points like any plugin a user installs.
	for plugin in examples/plugins/*/; do \
		[ -f "$$plugin/pyproject.toml" ] || continue; \
		$(PIP) install $(PIP_FLAGS) "./$$plugin" || exit 1; \
	done
	touch $(STAMP) $@

install: $(STAMP)

install-dev: $(DEVSTAMP)

## make demo: set up, then assess the example bundles.
demo: $(STAMP)
	@echo "--- own work: drawn by its own script, licensed, documented ---"
	$(BIN)/aiart-release assess examples/own-work
	@echo
	@echo "--- no licence and an unfilled card: exit code 1, the release is held back ---"
	@$(BIN)/aiart-release assess examples/unlicensed-unfilled; echo "exit code: $$?"
	@echo
	@echo "--- a session sheet with personal and health data: exit code 1 ---"
	@$(BIN)/aiart-release assess examples/portrait-sessions; echo "exit code: $$?"
	@echo
	@echo "--- geotagged portraits and prompts naming a real person, declared open: exit code 1 ---"
	@$(BIN)/aiart-release assess examples/geotagged-portraits; echo "exit code: $$?"
	@echo
	@echo "--- a pickled checkpoint that would run a command, and a sample that copies a training image ---"
	@$(BIN)/aiart-release assess examples/pickled-checkpoint; echo "exit code: $$?"
	@echo
	@echo "--- a fine-tune with its training declared, on a non-commercial source, sold: exit code 1 ---"
	@$(BIN)/aiart-release assess examples/fine-tune-declared; echo "exit code: $$?"

CHROMIUM_INSTALL ?= yes

# Chromium for the HTML report's browser tests (tests/test_html_report.py):
# installed when missing and the machine allows it (root with apt-get, as in
# CI; CHROMIUM_INSTALL=no to never install); elsewhere those tests are
# skipped and say why.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		:; \
	elif [ "$(CHROMIUM_INSTALL)" = yes ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the HTML report's browser tests"; \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && \
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; }; } || \
		echo "could not install chromium: the browser tests will be skipped"; \
	else \
		echo "chromium is missing and not installed here: the browser tests will be skipped"; \
	fi

## make test: set up with dev extras, then run the whole suite.
test: $(DEVSTAMP) chromium
	$(BIN)/python -m pytest

## make fuzz: the property tests of every reader with many more random
## examples (FUZZ_EXAMPLES=N for more; docs/security.md says how to run
## them under atheris).
fuzz: $(DEVSTAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz.py tests/test_media_fuzz.py -p no:cacheprovider

## make realworld ROOT=DIR: the real-world evaluation on public repositories
## fetched into DIR as owner+name (never committed; see benchmarks/realworld/).
realworld: $(DEVSTAMP)
	@test -n "$(ROOT)" || { echo "usage: make realworld ROOT=folder-with-the-repositories"; exit 2; }
	$(BIN)/python benchmarks/realworld.py $(ROOT) --check

lint: $(DEVSTAMP)
	$(BIN)/ruff check aiart_release plugins tests benchmarks examples

benchmarks: $(DEVSTAMP)
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/pii_accuracy.py --per-category
	$(BIN)/python benchmarks/pii_speed.py

## Regenerate the example bundles' images (deterministic).
examples: $(STAMP)
	$(BIN)/python examples/make_examples.py

clean:
	rm -rf $(VENV) build dist *.egg-info
