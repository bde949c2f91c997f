#!/usr/bin/env bash
# rq-properties from the command line against a child rq-fake as a remote target:
# - a pattern that matches nothing exits 2 naming it; --help lists defaults, exit codes, files;
# - a default rq-fake (rate limits on) passes: the calls go through the retry policy, and with
#   injected 429s are retried, and with --retries 0 a rate limit fails the run showing status,
#   type and message (both set up so that the 429s do not depend on the cases the seed draws);
# - a failure's re-run line and replay script carry the target, the token only as $APIFY_TOKEN;
#   the replay reproduces against the buggy target and says NOT REPRODUCED against a correct one;
# - the lag-tolerant mode: a bad --lag exits 2 naming the part; against a child rq-fake --lag (a
#   real clock, so the end-of-case check polls) --consistency-lag passes and 0 fails; an embedded
#   lagged fake's failure carries --lag in its re-run line.
# usage: tool_test.sh RQ_PROPERTIES RQ_FAKE
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
props=$(abs "$1") fake=$(abs "$2")
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# start_fake NAME ARGS...: starts rq-fake on a free port; URL_<NAME> holds its base URL
start_fake() {
  local name=$1
  shift
  "$fake" --port 0 "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -qs 'listening on' "$work/$name.log" && break; sleep 0.05; done
  printf -v "URL_$name" '%s' "$(sed -n 's/.*listening on //p' "$work/$name.log" | head -1)"
}
# run CODE NAME ARGS...: runs rq-properties, output in $work/NAME.out, expects exit CODE
run() {
  local want=$1 name=$2 code
  shift 2
  "$props" --replay-dir "$work" "$@" >"$work/$name.out" 2>&1
  code=$?
  [ "$code" = "$want" ] || { fail "$name: exit $code, want $want"; tail -30 "$work/$name.out"; }
}
has() { grep -Eq -- "$2" "$work/$1.out" || { fail "$1: no /$2/ in its output"; tail -20 "$work/$1.out"; }; }

run 2 nosuch --only nosuch
has nosuch "--only 'nosuch' matches no property"
run 2 typo --only 'dedup,pagnation'
has typo "'pagnation' matches no property"
run 0 help --help
for w in "exit codes" "default: 8 with" "--replay-dir" "rq-properties-<id>-<seed>.replay.sh" "default: 150" \
  "--consistency-lag MS" "--lag SPEC" "no loss"; do has help "$w"; done
run 2 badlag --lag 'head=0-800ms;tail=5ms' --only dedup
has badlag "unknown part 'tail'"
APIFY_TOKEN=t run 2 lagremote --base-url http://127.0.0.1:9 --lag 'head=1s' --only dedup
has lagremote "--lag and --lag-seed need the embedded fake"
run 2 notoken --base-url http://127.0.0.1:9 --only dedup
has notoken "no token for http://127.0.0.1:9"
APIFY_TOKEN=t run 2 unreachable --base-url http://127.0.0.1:9 --only dedup --retries 0
has unreachable "GET http://127.0.0.1:9/v2/request-queues\?limit=1 failed"

# A default rq-fake: rate limits on, as shipped.
start_fake default
run 0 default --base-url "$URL_default" --token t --only 'dedup,counters,locks,order,pagination' --max-success 20 --max-size 40
has default "^OK \(0 failed"
has default "PASS counters \(must\) 20 cases, [0-9]+\.[0-9] s, seed [0-9]+, [0-9]+ requests"
# 429s retried: calls 2, 5 and 9 answer 429 (a fault, so the 429s do not depend on the cases
# the seed draws), and the run still passes.
start_fake low --fault '429@nth=2,5,9'
run 0 low --base-url "$URL_low" --token t --only counters --max-success 5 --max-size 30
has low "^OK"
grep -Eq 'requests \(3 retries: 3 x 429' "$work/low.out" || { fail "low: the three injected 429s were not retried once each"; cat "$work/low.out"; }
# Without retries a 429 of the emulated limits fails the run with its status, type and message:
# a per-user budget of 5 requests a minute makes it certain whatever the seed draws.
start_fake tiny --rate-limit global=5
run 1 noretry --base-url "$URL_tiny" --token t --only counters --max-success 5 --max-size 30 --retries 0
has noretry "failed: 429 rate-limit-exceeded: "
# A request budget stops starting cases.
run 0 budget --base-url "$URL_default" --token t --only dedup --max-success 100 --max-requests 200
has budget "request budget reached; 100 wanted"

# A failure against a remote target: re-run line and replay script carry it, not the token.
start_fake buggy --no-rate-limit --bug CursorSkipsItem
start_fake correct --no-rate-limit
secret=tok-$RANDOM-secret
run 1 remote --base-url "$URL_buggy" --token "$secret" --only pagination
has remote "re-run: RC_PARAMS=\"seed=[0-9]+ max_success=150 max_size=100\" rq-properties --only pagination --base-url '$URL_buggy' --token \"\\\$APIFY_TOKEN\""
script=$(ls "$work"/rq-properties-pagination-*.replay.sh 2>/dev/null | head -1)
[ -n "$script" ] || fail "remote: no replay script"
if grep -q "$secret" "$work/remote.out" "$script"; then fail "the token was printed"; fi
APIFY_TOKEN=$secret bash "$script" >"$work/replay-buggy.out" 2>&1
code=$?
[ $code = 1 ] || { fail "replay against the buggy target: exit $code"; tail -20 "$work/replay-buggy.out"; }
has replay-buggy "^REPRODUCED"
BASE_URL=$URL_correct APIFY_TOKEN=$secret bash "$script" >"$work/replay-correct.out" 2>&1
code=$?
[ $code = 0 ] || { fail "replay against a correct target: exit $code"; tail -20 "$work/replay-correct.out"; }
has replay-correct "^NOT REPRODUCED"
if grep -q "$secret" "$work/replay-buggy.out" "$work/replay-correct.out"; then fail "the replay printed the token"; fi
# The re-run line, pasted, fails again the same way against the same target.
rerun=$(sed -n 's/^re-run: //p' "$work/remote.out" | head -1)
(cd "$work" && PATH=$(dirname "$props"):$PATH APIFY_TOKEN=$secret eval "$rerun") >"$work/rerun.out" 2>&1
code=$?
[ $code = 1 ] || { fail "the re-run line exited $code"; tail -20 "$work/rerun.out"; }
has rerun "FAIL pagination"

# The lag-tolerant mode against a lagged rq-fake on a real clock: passes with the bound, fails
# without it (the lag is real).
lag='head=0-300ms;counters=0-200ms'
start_fake lagged --no-rate-limit --lag "$lag" --lag-seed 7
run 0 lagmode --base-url "$URL_lagged" --token t --only 'counters,locks,oracle' --max-success 8 --max-size 30 --consistency-lag 300
has lagmode "^OK \(0 failed"
has lagmode "lag-tolerant: head, head/lock and counters may trail by up to 300 ms"
run 1 lagexact --base-url "$URL_lagged" --token t --only 'counters,locks' --max-success 30 --max-size 30
has lagexact "FAIL (counters|locks)"
# Embedded: --lag sets the bound; with --consistency-lag 0 the failure's re-run line carries both.
run 0 lagembedded --lag "$lag" --only 'locks,oracle' --max-success 40
has lagembedded "with --lag 'head=0-300ms;counters=0-200ms'; lag-tolerant: .* up to 300 ms"
run 1 lagembedded0 --lag "$lag" --lag-seed 2 --consistency-lag 0 --only locks
has lagembedded0 "re-run: .* --only locks --lag '$lag' --lag-seed 2 --consistency-lag 0"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
