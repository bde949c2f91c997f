#!/usr/bin/env bash
# Runs the interop tests (official apify-client, @crawlee/core, @crawlee/cheerio and the Apify SDK
# from npm) against rq-fake.
#
#   run-interop.sh <path-to-rq-fake> [extra rq-fake args...]
#
# Starts `<rq-fake> --port 0 [args]`, waits for its first stdout line
# `rq-fake listening on http://HOST:PORT`, exports RQ_FAKE_URL=http://HOST:PORT and runs
# `node --test --test-concurrency=1` on the test files in this directory, with a total time limit.
# INTEROP_TESTS (space-separated file names) picks the test files; the default is every *.test.mjs.
# INTEROP_TIMEOUT_SECS bounds the node run (default 240). The fake is always stopped on exit.
# The exit code is node's (124 on timeout). Missing node_modules is an error, never a skip:
# scripts/install-deps installs them from package-lock.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 <path-to-rq-fake> [extra rq-fake args...]" >&2
  exit 2
fi
fake=$1
shift
if [ ! -x "$fake" ]; then
  echo "run-interop: rq-fake not found or not executable: $fake" >&2
  exit 2
fi
if ! command -v node >/dev/null; then
  echo "run-interop: node is not installed (run scripts/install-deps)" >&2
  exit 2
fi
for pkg in apify-client @crawlee/core @crawlee/cheerio apify; do
  if [ ! -f "$here/node_modules/$pkg/package.json" ]; then
    echo "run-interop: $here/node_modules/$pkg is missing; install it with scripts/install-deps" \
         "(or: cd tests/interop && npm ci)" >&2
    exit 2
  fi
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/rq-interop.XXXXXX")
fake_pid=
rc=2
cleanup() {
  if [ -n "$fake_pid" ] && kill -0 "$fake_pid" 2>/dev/null; then
    kill "$fake_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$fake_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$workdir/fake.stderr" ]; then
    echo "---- rq-fake stderr (last 40 lines) ----" >&2
    tail -n 40 "$workdir/fake.stderr" >&2
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkfifo "$workdir/fake.stdout"
"$fake" --port 0 "$@" >"$workdir/fake.stdout" 2>"$workdir/fake.stderr" &
fake_pid=$!
# Keep the fifo open for reading for the fake's whole life, so it never gets SIGPIPE.
exec 3<"$workdir/fake.stdout"

line=
if ! IFS= read -r -t 15 line <&3; then
  echo "run-interop: rq-fake printed no 'listening' line within 15 s" >&2
  exit 2
fi
if [[ ! "$line" =~ ^rq-fake\ listening\ on\ (http://[^[:space:]]+:[0-9]+)/?[[:space:]]*$ ]]; then
  echo "run-interop: unexpected first line from rq-fake: '$line'" >&2
  exit 2
fi
export RQ_FAKE_URL=${BASH_REMATCH[1]}
# Tests that start fakes of their own (crawl-resume.test.mjs) use the same binary.
export RQ_FAKE_BIN=$fake
# Drain the rest of the fake's stdout in the background (it may log there).
cat <&3 >"$workdir/fake.stdout.log" &
exec 3<&-

cd "$here"
if [ -n "${INTEROP_TESTS:-}" ]; then
  read -r -a tests <<<"$INTEROP_TESTS"
else
  tests=(*.test.mjs)
fi
echo "run-interop: rq-fake (pid $fake_pid) at $RQ_FAKE_URL; running ${tests[*]}"
start=$(date +%s)
set +e
timeout --kill-after=10 "${INTEROP_TIMEOUT_SECS:-240}" \
  node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}"
rc=$?
set -e
echo "run-interop: node exited with $rc after $(( $(date +%s) - start )) s"
if ! kill -0 "$fake_pid" 2>/dev/null; then
  echo "run-interop: rq-fake exited during the run" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
