#!/usr/bin/env bash
# Run the gates and then the test suite on both cores:
#   1. ruff check src tests   (lint rules in pyproject.toml, [tool.ruff])
#   2. mypy                   (type check of src/amip, [tool.mypy])
#   3. pytest                 (fast and slow tests: hand-computed cases, import validation, property
#                              tests against a brute-force oracle, DuckDB/Spark parity, browser tests)
# Any failing gate fails the run. Arguments go to pytest, e.g. the fast run:
#   scripts/test.sh -m "not slow and not spark and not browser"
# `scripts/test.sh --no-gates ARGS` skips 1 and 2 (for a quick local re-run of some tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
# Bytecode caches on: some environments switch them off (PYTHONDONTWRITEBYTECODE=1, as on this
# machine), and then every worker, command-line subprocess, server and synthesis process the tests
# start compiles amip's modules again (about 0,5 CPU s a start; collecting the tests 7,8 -> 3,7 CPU s
# per worker). Written to the git-ignored __pycache__ folders, as Python does by default.
unset PYTHONDONTWRITEBYTECODE
.venv/bin/python -m compileall -q -j 0 src tests >/dev/null

gates=1
if [[ "${1:-}" == "--no-gates" ]]; then
    gates=0
    shift
fi

gate() {
    local name=$1
    shift
    echo "== gate: $name"
    if "$@"; then
        echo "== gate: $name: passed"
    else
        echo "== gate: $name: FAILED (fix the findings above)" >&2
        exit 1
    fi
}

if [[ $gates == 1 ]]; then
    gate "ruff check src tests" .venv/bin/ruff check src tests
    gate "ruff format --check src tests" .venv/bin/ruff format --check src tests
    gate "mypy src/amip" .venv/bin/mypy
fi
echo "== gate: pytest"
# Four workers on two cores: the tests wait for servers, browsers, subprocesses and the Spark
# cluster, and the extra workers use that time (docs/benchmarks.md, "The whole suite in session 6":
# 1 469 tests, 10:55 with -n 4 and 11:17 with -n 5 on 1425fd8, 15:05 with -n 3 on the commit
# before; later commits 8:45 to 12:20 with -n 4, as the machine's speed varied). worksteal: a
# worker that runs out of tests takes pending ones from another's end; tests/conftest.py deals the
# heaviest modules to the starts of the workers' first queues (`_spread_heavy`), so they start at
# once and are never stolen.
exec .venv/bin/python -m pytest -n 4 --dist worksteal -p no:cacheprovider -W ignore::DeprecationWarning "$@"
