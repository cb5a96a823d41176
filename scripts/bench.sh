#!/usr/bin/env bash
# bench.sh: gofixconc diff over the Go standard library next to a program that
# only loads the same packages. Prints wall time and peak RSS of each, and the
# findings per rule. Usage: scripts/bench.sh [dir-under-GOROOT/src] (default: all of std)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gofixconc-bench}
mkdir -p "$out"
go build -o "$out/gofixconc" ./cmd/gofixconc
go build -o "$out/loadonly" ./scripts/loadonly
src="$(go env GOROOT)/src"
pat=${1:-./...}

measure() { # name cmd...
  local name=$1; shift
  /usr/bin/time -v "$@" >"$out/$name.out" 2>"$out/$name.err" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$out/$name.err" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$out/$name.err" | awk '{print $NF}')
  printf '%-10s wall %s  peak RSS %d MiB\n' "$name" "$wall" $((rss / 1024))
}
cd "$src"
# Warm the build cache first (export data of every dependency), so that the
# first measured program does not pay for compiling what the others reuse.
"$out/loadonly" "$pat" >/dev/null 2>&1 || true
measure loadonly "$out/loadonly" "$pat"
measure diff "$out/gofixconc" diff "$pat"
measure check "$out/gofixconc" check "$pat"
echo "findings per rule (check):"
sed -E 's/^[^ ]+ ([a-z0-9-]+): .*/\1/' "$out/check.out" | sort | uniq -c
echo "files in the diff: $(grep -c '^diff --git' "$out/diff.out" || true)"
echo "problems (stderr lines of diff): $(grep -vcE '^\s|^(Command|User|System|Percent|Elapsed|Average|Maximum|Major|Minor|Voluntary|Involuntary|Swaps|File|Socket|Signals|Page|Exit)' "$out/diff.err" || true)"
echo "outputs in $out"
