#!/usr/bin/env bash
# Builds the Debian package of this build tree with CPack, unpacks it into a scratch root with
# dpkg -x (no root, no chroot, nothing installed on the machine), and runs the three tools from
# there: rq-fake --help, rq-conformance against that rq-fake, and a short rq-properties run.
# usage: package_test.sh CPACK BUILD_TREE
set -euo pipefail
cpack_bin=$1 build_tree=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/rqcheck-package.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

(cd "$build_tree" && "$cpack_bin" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(find "$work/out" -name 'rqcheck_*.deb' | head -1)
[ -n "$deb" ] || { echo "no .deb"; cat "$work/cpack.log"; exit 1; }
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb --field "$deb" Package Version Depends | sed 's/^/  /'
dpkg-deb --field "$deb" Depends | grep -q "libcpp-httplib" || { echo "Depends lacks cpp-httplib"; exit 1; }
root=$work/root
dpkg -x "$deb" "$root"
for f in usr/bin/rq-fake usr/bin/rq-conformance usr/bin/rq-properties \
         usr/lib/cmake/rqcheck/rqcheckConfig.cmake usr/include/rqcheck/fake_server/server.h \
         usr/share/rqcheck/schemas/requestQueue_get.response.200.schema.json; do
  [ -e "$root/$f" ] || { echo "not in the package: $f"; exit 1; }
done
bin=$root/usr/bin
# Read the whole help first: grep -q stops at the match, and a writer still writing gets SIGPIPE
# (under pipefail, a failure of a help text that was fine).
help=$("$bin/rq-fake" --help) || { echo "rq-fake --help failed"; exit 1; }
grep -q -- "--bug" <<<"$help" || { echo "rq-fake --help lacks --bug"; exit 1; }
"$bin/rq-fake" --port 0 >"$work/fake.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/fake.out" && break; sleep 0.05; done
url=$(sed -n 's/.*listening on //p' "$work/fake.out" | head -1)
[ -n "$url" ] || { echo "rq-fake did not start"; cat "$work/fake.out"; exit 1; }
APIFY_TOKEN=package-test "$bin/rq-conformance" --no-color --quiet --base-url "$url" | tail -3
"$bin/rq-properties" --max-success 10 --max-size 20 --replay-dir "$work" | tail -2
APIFY_TOKEN=package-test "$bin/rq-properties" --base-url "$url" --only dedup --max-success 5 \
  --max-size 20 --replay-dir "$work" | tail -1
