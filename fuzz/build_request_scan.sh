#!/usr/bin/env bash
# Builds the request-body scanner's fuzzer (request_scan_fuzz: libFuzzer + ASan + UBSan, clang 14)
# and its seed corpus into build-fuzz/request_scan/, then prints the command that runs it.
# Needs clang-14 and libclang-rt-14-dev (Debian); FUZZ_JOBS (2) bounds the compile jobs.
#   fuzz/build_request_scan.sh && nice -n 10 build-fuzz/request_scan/request_scan_fuzz -max_total_time=600 \
#     -dict=fuzz/request_scan.dict build-fuzz/request_scan/corpus build-fuzz/request_scan/seeds
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build-fuzz/request_scan"
cxx=${CXX_FUZZ:-clang++-14}
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz/build_request_scan.sh: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
mkdir -p "$out/obj" "$out/seeds" "$out/corpus"
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -I"$root/core/include" -I"$root/core/src"
       -I"$root/core/tests")
launcher=()
command -v ccache >/dev/null && launcher=(ccache)
objs=()
pids=()
for src in "$root"/core/src/*.cc; do
  obj="$out/obj/$(basename "${src%.cc}").o"
  objs+=("$obj")
  "${launcher[@]}" "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "${FUZZ_JOBS:-2}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
"$cxx" "${flags[@]}" -fsanitize=fuzzer "$root/fuzz/request_scan_fuzz.cc" "${objs[@]}" -lcrypto \
  -o "$out/request_scan_fuzz"
"$cxx" -std=c++17 -O1 -I"$root/core/tests" "$root/fuzz/request_scan_seeds.cc" \
  -o "$out/request_scan_seeds"
"$out/request_scan_seeds" "$out/seeds"
# The fixtures of the operations with a request body: each file, and its payload.
for op in requestQueue_requests_post requestQueue_request_put requestQueue_requests_batch_post \
          requestQueue_requests_batch_delete; do
  for f in "$root/fixtures/$op"/*.json; do
    cp "$f" "$out/seeds/fixture-$op-$(basename "$f")"
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["payload"]))' "$f" \
      >"$out/seeds/payload-$op-$(basename "$f")"
  done
done
echo "built $out/request_scan_fuzz; run it with:"
echo "  nice -n 10 $out/request_scan_fuzz -max_total_time=600 -dict=$root/fuzz/request_scan.dict $out/corpus $out/seeds"
