#!/usr/bin/env bash
# Configures and builds examples/consumer against the rqcheck build tree (find_package through
# the exported rqcheckConfig.cmake), starts rq-fake on a free port and runs the consumer on it.
# usage: consumer_test.sh CMAKE CONSUMER_SRC RQCHECK_BUILD_DIR RQ_FAKE
set -euo pipefail
cmake_bin=$1 src=$2 build_tree=$3 fake=$4
work=$(mktemp -d)
out="$work/fake.out"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$cmake_bin" -S "$src" -B "$work/build" -Drqcheck_DIR="$build_tree" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
"$cmake_bin" --build "$work/build" -j1 >/dev/null
"$fake" --port 0 >"$out" &
pid=$!
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
url=$(head -1 "$out" | grep -o 'http://[^ ]*' | head -1)
[ -n "$url" ] || { echo "rq-fake did not print its URL"; cat "$out"; exit 1; }
"$work/build/rqcheck_consumer" --base-url "$url" --token consumer-token
