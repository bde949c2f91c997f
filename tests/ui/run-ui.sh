#!/usr/bin/env bash
# Runs the dashboard's browser tests (puppeteer-core from npm, Debian's chromium) against rq-fake.
#
#   run-ui.sh <path-to-rq-fake> <screenshot-dir>
#
# Each test file starts the rq-fake instances it needs (--port 0) and one headless chromium on a
# fresh profile. Screenshots go to <screenshot-dir>. Missing node_modules or chromium is an
# error, never a skip: scripts/install-deps installs both. UI_TIMEOUT_SECS bounds the run
# (default 240); the exit code is node's (124 on timeout).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 <path-to-rq-fake> <screenshot-dir>" >&2
  exit 2
fi
if [ ! -x "$1" ]; then
  echo "run-ui: rq-fake not found or not executable: $1" >&2
  exit 2
fi
if ! command -v node >/dev/null; then
  echo "run-ui: node is not installed (run scripts/install-deps)" >&2
  exit 2
fi
if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
  echo "run-ui: $here/node_modules/puppeteer-core is missing; install it with scripts/install-deps" \
       "(or: cd tests/ui && npm ci)" >&2
  exit 2
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "run-ui: $chromium is missing; install Debian's chromium with scripts/install-deps" >&2
  exit 2
fi
export RQ_FAKE=$1
export UI_SCREENSHOT_DIR=$2
export CHROMIUM=$chromium
mkdir -p "$UI_SCREENSHOT_DIR"
cd "$here"
start=$(date +%s)
set +e
timeout --kill-after=10 "${UI_TIMEOUT_SECS:-240}" \
  node --test --test-concurrency=1 --test-reporter=spec ${UI_TESTS:-*.test.mjs}
rc=$?
set -e
echo "run-ui: node exited with $rc after $(( $(date +%s) - start )) s; screenshots in $UI_SCREENSHOT_DIR"
exit "$rc"
