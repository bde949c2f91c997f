#!/usr/bin/env bash
# The README's examples work when pasted: every code block after `<!-- readme-test: run -->` is
# run with bash from the repository root (port 8080 becomes a free port, so the test can run
# next to others), and must exit 0; every line of a block after
# `<!-- readme-test: same-as FILE -->` must be a line of FILE (the excerpt is real code that a
# ctest builds). Blocks without a marker are not run.
# usage: readme_test.sh REPO_ROOT BUILD_TREE
set -uo pipefail
repo=$(cd "$1" && pwd) build_tree=$(cd "$2" && pwd)
readme=$repo/README.md
work=$(mktemp -d /tmp/rqcheck-readme.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0 blocks=0
# Splits the README into $work/block-N.{kind,arg,txt}.
awk -v dir="$work" '
  /^<!-- readme-test: / { kind = $3; arg = $4; sub(/-->$/, "", arg); pending = 1; next }
  /^```/ {
    if (inblock) { inblock = 0; close(file); next }
    if (pending) { n++; file = dir "/block-" n ".txt"; print kind > (dir "/block-" n ".kind");
                   print arg > (dir "/block-" n ".arg"); inblock = 1; pending = 0; printf "" > file; next }
  }
  inblock { print > file }
' "$readme"
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
  echo 0
}
for kindf in "$work"/block-*.kind; do
  n=${kindf%.kind}
  kind=$(cat "$kindf") arg=$(tr -d ' ' <"$n.arg")
  blocks=$((blocks + 1))
  case $kind in
    run)
      port=$(free_port)
      sed "s/8080/$port/g" "$n.txt" >"$n.sh"
      # In a session of its own: whatever it leaves running is stopped by its group id.
      printf 'echo $$ >"%s"\nexec bash -e "%s"\n' "$n.pgid" "$n.sh" >"$n.run"
      (cd "$repo" && setsid bash "$n.run" >"$n.out" 2>&1 </dev/null)
      code=$?
      pg=$(cat "$n.pgid" 2>/dev/null)
      [ -n "$pg" ] && kill -TERM -- "-$pg" 2>/dev/null
      if [ $code != 0 ]; then
        echo "FAIL: README block $(basename "$n") exited $code:"; sed 's/^/  | /' "$n.txt"
        tail -20 "$n.out" | sed 's/^/  > /'
        fails=$((fails + 1))
      else
        echo "ok: $(head -1 "$n.txt" | cut -c1-70) ... ($(wc -l <"$n.txt") lines)"
      fi
      ;;
    same-as)
      missing=0
      while IFS= read -r line; do
        t=$(sed 's/^[[:space:]]*//' <<<"$line")
        [ -z "$t" ] && continue
        if ! sed 's/^[[:space:]]*//' "$repo/$arg" | grep -Fxq -- "$t"; then
          echo "FAIL: README line not in $arg: $t"; missing=1
        fi
      done <"$n.txt"
      [ $missing = 0 ] && echo "ok: the excerpt of $arg" || fails=$((fails + 1))
      ;;
    *) echo "FAIL: unknown readme-test marker '$kind'"; fails=$((fails + 1)) ;;
  esac
done
[ $blocks -gt 0 ] || { echo "FAIL: no marked block in the README"; exit 1; }
[ $fails = 0 ] || { echo "$fails README blocks failed"; exit 1; }
