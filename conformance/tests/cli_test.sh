#!/usr/bin/env bash
# rq-conformance's command line: a selection that matches nothing exits 2 and names the pattern
# (a typo must not turn CI green); --bug is the flag for named bugs (--fake-bug warns); a remote
# target without a token exits 2 saying how to pass one.
# usage: cli_test.sh RQ_CONFORMANCE
set -uo pipefail
tool=$1
fails=0
# expect CODE REGEX COMMAND...: COMMAND exits CODE and its output matches REGEX
expect() {
  local want=$1 regex=$2 out code
  shift 2
  out=$("$@" 2>&1)
  code=$?
  if [ "$code" != "$want" ] || ! grep -Eq -- "$regex" <<<"$out"; then
    echo "FAIL: $* exited $code (want $want), output did not match /$regex/:"
    echo "$out" | head -20
    fails=$((fails + 1))
  else
    echo "ok: $* -> $code"
  fi
}
expect 2 "--only 'rq\.nothing\.\*' matches no check" "$tool" --only 'rq.nothing.*'
expect 2 "--only 'batch_add' matches no check" "$tool" --only batch_add
expect 2 "--only 'rq\.lsit\.\*' matches no check" "$tool" --only 'rq.batch_add.max_25,rq.lsit.*'
expect 2 "--skip 'rq\.nosuch' matches no check" "$tool" --skip rq.nosuch
expect 2 "matches no check" "$tool" --only rq.head.queue_order --level must
expect 2 "Unknown bug \"NoSuchBug\"|NoSuchBug" "$tool" --bug NoSuchBug --only rq.list.limit
expect 1 "FAIL +rq\.list\.cursor_walk_complete" "$tool" --no-color --bug CursorSkipsItem --only rq.list.cursor_walk_complete
expect 1 "--fake-bug is deprecated; use --bug" "$tool" --no-color --fake-bug CursorSkipsItem --only rq.list.cursor_walk_complete
expect 0 "RESULT: conformant \(exit 0\)" "$tool" --no-color --only rq.list.cursor_walk_complete
expect 2 "no token for http://127\.0\.0\.1:9: pass --token or set APIFY_TOKEN" env -u APIFY_TOKEN "$tool" --base-url http://127.0.0.1:9
expect 2 "--bug and --fake-no-rate-limits need the embedded fake" "$tool" --base-url http://127.0.0.1:9 --token t --bug CursorSkipsItem
expect 0 "exit codes" "$tool" --help
[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
