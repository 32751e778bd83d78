#!/usr/bin/env bash
# Run the whole test suite (fast and slow tests: hand-computed cases, import validation,
# property tests against a brute-force oracle, DuckDB/Spark parity) on both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider -W ignore::DeprecationWarning "$@"
