#!/usr/bin/env bash
# The README's test command: installs what the test suite needs, then runs all of it.
#
#   bash tests/run.sh                 # SQLite (a temporary file per test worker)
#   QAPORTAL_TEST_DATABASE_URL=postgresql+psycopg://user:pw@127.0.0.1:5432/postgres \
#     bash tests/run.sh               # PostgreSQL (a fresh database per test worker)
#   bash tests/run.sh -k migrations   # extra arguments go to pytest
#
# Environment: PYTHON (interpreter that creates .venv, default python3), VENV (default .venv),
# QAPORTAL_TEST_WORKERS (pytest-xdist workers, default 2; 0 runs in one process),
# QAPORTAL_TEST_REINSTALL=1 (install even when pyproject.toml did not change).
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
# A second run needs no package index: the installation is skipped while pyproject.toml and
# the interpreter are those of the last successful install (QAPORTAL_TEST_REINSTALL=1 forces it).
STAMP="$VENV/.qaportal-installed"
wanted=$("$VENV/bin/python" - <<'EOF'
import hashlib, pathlib, sys
digest = hashlib.sha256(pathlib.Path("pyproject.toml").read_bytes())
digest.update(sys.version.encode())
print(digest.hexdigest())
EOF
)
if [ "${QAPORTAL_TEST_REINSTALL:-0}" = "0" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] \
    && "$VENV/bin/python" -c 'import qaportal, pytest, xdist, playwright' 2>/dev/null; then
    echo "==> $VENV is up to date with pyproject.toml; not installing"
else
    echo "==> installing qaportal with its test extras into $VENV"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
    echo "$wanted" > "$STAMP"
fi

# The browser tests drive Debian's Chromium (a test tool's own browser download is never
# used); the report tests render PDF pages to PNG with poppler-utils' pdftoppm.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing Debian's ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "==> not installed: ${missing[*]} (apt-get install ${missing[*]});" \
             "the tests needing them will skip (or fail when CI is set)"
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
