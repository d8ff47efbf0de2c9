#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each. A written crasher or any other failure fails the
# run. Go 1.26's fuzz coordinator can report a bare "context deadline exceeded" as the
# -fuzztime window closes on a loaded machine, with no input at fault (golang/go#75804, fixed
# in Go 1.27): such a run is retried once, and fails if it happens again.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GO:=go}" "${GOTAGS:=goolm}" "${FUZZTIME:=10s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

is_deadline_race() {
  grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written" "$log"
}

for pkg in $($GO list -tags "$GOTAGS" ./...); do
  dir=$($GO list -tags "$GOTAGS" -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    for attempt in 1 2; do
      echo "fuzz $pkg $target ($FUZZTIME)"
      if $GO test -tags "$GOTAGS" -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg" > "$log" 2>&1; then
        break
      fi
      if [ "$attempt" = 1 ] && is_deadline_race; then
        echo "fuzz: $target hit the Go 1.26 fuzztime shutdown race (no failing input); running it again"
        continue
      fi
      cat "$log"
      exit 1
    done
  done
done
