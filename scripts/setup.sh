#!/usr/bin/env bash
# Set up amip on a fresh machine: a virtual environment in .venv with the package installed.
#   scripts/setup.sh          runtime (amip, DuckDB engine)
#   scripts/setup.sh --dev    plus everything the tests need (pytest, hypothesis, PySpark + a Java runtime,
#                             Playwright + Debian's Chromium for the browser tests, axe-core from npm
#                             for the accessibility tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY' || { echo "amip needs Python 3.11 or newer (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

extras=""
if [[ "${1:-}" == "--dev" ]]; then
    extras="[dev]"
    # PySpark needs a Java runtime (17 or newer); install Debian's if none is there.
    if ! command -v java >/dev/null 2>&1; then
        echo "Installing a Java runtime for PySpark (apt-get) ..."
        SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    fi
    # The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright, in its
    # headless shell (tests/browser_kit.py); Playwright's own browser download is not used.
    if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromium-headless-shell ]]; then
        echo "Installing Chromium and its headless shell for the browser tests (apt-get) ..."
        SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell >/dev/null
    fi
    # The accessibility tests (tests/test_browser_a11y.py) inject axe-core, pinned in
    # tests/js/package-lock.json and installed from npm into tests/js/node_modules.
    if ! command -v npm >/dev/null 2>&1; then
        echo "Installing Node.js and npm for the accessibility tests (apt-get) ..."
        SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    axe_pinned=$(node -p "require('./tests/js/package-lock.json').packages['node_modules/axe-core'].version")
    axe_installed=$(node -p "try { require('./tests/js/node_modules/axe-core/package.json').version } catch (e) { '' }")
    if [[ "$axe_installed" != "$axe_pinned" || ! -f tests/js/node_modules/axe-core/axe.min.js ]]; then
        echo "Installing axe-core for the accessibility tests (npm ci) ..."
        npm ci --prefix tests/js --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null
    fi
    # The report tests read generated PDFs with poppler's pdftotext and render pages with pdftoppm.
    if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
        echo "Installing poppler-utils for the report tests (apt-get) ..."
        SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# The versions come from constraints.txt (pinned, so a new release elsewhere cannot break a fresh
# install); refresh them with scripts/lock.sh.
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras}"
echo "amip is installed in .venv (run: .venv/bin/amip --help)"
