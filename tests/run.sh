#!/usr/bin/env bash
# The README's test command: installs what the test suite needs, then runs all of it.
#
#   bash tests/run.sh                 # SQLite (a temporary file per test worker)
#   QAPORTAL_TEST_DATABASE_URL=postgresql+psycopg://user:pw@127.0.0.1:5432/postgres \
#     bash tests/run.sh               # PostgreSQL (a fresh database per test worker)
#   bash tests/run.sh -k migrations   # extra arguments go to pytest
#
# Environment: PYTHON (interpreter that creates .venv, default python3), VENV (default .venv),
# QAPORTAL_TEST_WORKERS (pytest-xdist workers, default 2; 0 runs in one process).
# .ci/run calls this same script.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
WORKERS=${QAPORTAL_TEST_WORKERS:-2}

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
echo "==> installing qaportal with its test extras into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"

# The browser tests drive Debian's Chromium; a test tool's own browser download is never used.
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing Debian's chromium"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "==> chromium is not installed (apt-get install chromium); browser tests will skip" \
             "(or fail when CI is set)"
    fi
fi

args=()
if [ "$WORKERS" != "0" ]; then
    args+=(-n "$WORKERS")
fi

if [ -n "${QAPORTAL_TEST_DATABASE_URL:-}" ]; then
    echo "==> running the test suite on PostgreSQL"
else
    echo "==> running the test suite on SQLite"
fi

set +e
"$VENV/bin/python" -m pytest "${args[@]}" "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
    echo "pytest collected no tests: that counts as a failure" >&2
fi
exit "$status"
