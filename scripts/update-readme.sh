#!/usr/bin/env bash
# update-readme.sh: regenerate README's rule table from the rule registry.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(mktemp)
go run ./cmd/gofixconc rules --markdown >"$table"
awk -v t="$table" '
  /<!-- rules:start -->/ { print; while ((getline l < t) > 0) print l; skip = 1; next }
  /<!-- rules:end -->/   { skip = 0 }
  !skip { print }
' README.md >README.md.new
mv README.md.new README.md
rm -f "$table"
