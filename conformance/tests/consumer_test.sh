#!/usr/bin/env bash
# Installs rqcheck into a scratch prefix, moves the prefix elsewhere (it must be relocatable),
# checks that no installed text file names the source or build tree, then configures and builds
# examples/consumer against the moved prefix with the source and build trees out of reach (a
# private mount namespace hides them under empty tmpfs mounts), and runs it: the conformance
# consumer against the installed rq-fake, and the program that embeds the fake.
# usage: consumer_test.sh CMAKE SOURCE_TREE BUILD_TREE
set -euo pipefail
cmake_bin=$1 src=$(cd "$2" && pwd) build_tree=$(cd "$3" && pwd)
work=$(mktemp -d /tmp/rqcheck-consumer.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$cmake_bin" --install "$build_tree" --prefix "$work/staged" >/dev/null
mkdir -p "$work/moved"
cp -a "$work/staged/." "$work/moved/usr"
rm -rf "$work/staged"
prefix=$work/moved/usr
for f in bin/rq-fake bin/rq-conformance bin/rq-properties include/rqcheck/fake_server/server.h \
         lib/cmake/rqcheck/rqcheckConfig.cmake lib/librqcheck_fake_server.a \
         share/rqcheck/schemas/requestQueue_get.response.200.schema.json; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
if leaks=$(grep -rIl -e "$src" -e "$build_tree" -e "$work/staged" "$prefix"); then
  echo "installed files that name the build machine's trees:"; echo "$leaks"; exit 1
fi
if grep -rqE "find_dependency\(Valijson|valijson::|RQCHECK_DEPS_DIR" "$prefix/lib/cmake/rqcheck"; then
  echo "the package config needs valijson, which no installed header includes"; exit 1
fi
cp -r "$src/examples/consumer" "$work/consumer-src"

cat >"$work/inside.sh" <<INSIDE
set -euo pipefail
for d in "$src" "$build_tree"; do
  if ls "\$d" >/dev/null 2>&1 && [ -n "\$(ls -A "\$d")" ]; then echo "\$d is still visible"; exit 1; fi
done
"$cmake_bin" -S "$work/consumer-src" -B "$work/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
"$cmake_bin" --build "$work/consumer-build" -j2 >/dev/null
grep -q "$prefix/lib/cmake/rqcheck" "$work/consumer-build/CMakeCache.txt"
"$prefix/bin/rq-fake" --port 0 >"$work/fake.out" 2>&1 &
pid=\$!
trap 'kill \$pid 2>/dev/null' EXIT
for _ in \$(seq 100); do grep -qs 'listening on' "$work/fake.out" && break; sleep 0.05; done
url=\$(sed -n 's/.*listening on //p' "$work/fake.out" | head -1)
[ -n "\$url" ] || { echo "rq-fake did not print its URL"; cat "$work/fake.out"; exit 1; }
"$work/consumer-build/rqcheck_consumer" --base-url "\$url" --token consumer-token | tail -3
"$work/consumer-build/rqcheck_embed_fake"
INSIDE

if unshare -m true 2>/dev/null; then
  # The trees are hidden for the consumer's configure, build and run.
  # The build tree first: it may lie inside the source tree.
  unshare -m bash -c "mount -t tmpfs none '$build_tree' && mount -t tmpfs none '$src' && bash '$work/inside.sh'"
else
  echo "NOTE: unshare -m is not permitted here; the trees stay visible, only the path scan above"
  echo "      proves that the prefix does not use them"
  bash "$work/inside.sh"
fi
