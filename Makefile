# Cohortex — the two commands a new user types: `make demo` and `make test`.
# Both install missing Debian packages and create the Python reference environment themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# libnifti's headers live in /usr/include/nifti and Debian ships no .pc file: ours is committed.
export PKG_CONFIG_PATH := $(CURDIR)/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

VENV      := $(CURDIR)/.venv
PYTHON    := $(VENV)/bin/python
BIN       := $(CURDIR)/.build/release/cohortex
JOBS      ?= $(shell nproc)

.PHONY: help deps venv build test demo bench clean

help:
	@echo "make demo   run cohortex on the bundled sample data"
	@echo "make test   build (release) and run every test, with the nibabel/nilearn/statsmodels references"
	@echo "make bench  run the benchmarks beside their peers and write BENCHMARKS.md"

deps:
	@scripts/ensure-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/Reference/requirements.txt
	@scripts/ensure-deps.sh --python
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/Reference/requirements.txt
	touch $@

build: deps
	swift build -c release -j $(JOBS) --product cohortex

# One build for the binary and the tests (release, as the end-to-end tests run the shipped binary).
test: deps venv
	swift build -c release -j $(JOBS) --build-tests
	COHORTEX_PYTHON=$(PYTHON) COHORTEX_BIN=$(BIN) swift test -c release -j $(JOBS) --skip-build

demo: build
	scripts/demo.sh $(BIN)

bench: deps venv build
	COHORTEX_PYTHON=$(PYTHON) Benchmarks/run.sh $(BIN)

clean:
	rm -rf .build $(VENV)
