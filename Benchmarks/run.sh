#!/usr/bin/env bash
# make bench: runs Benchmarks/bench.py with the reference Python (numpy, nibabel, nilearn).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${COHORTEX_PYTHON:-.venv/bin/python}" Benchmarks/bench.py "$@"
