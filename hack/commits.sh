#!/usr/bin/env bash
# The commit convention as a check (make lint): every commit since the one this check starts
# from has a subject "scope: what changed" in at most 72 characters and a body that says why.
# Earlier history predates the check. A clone without that commit (a shallow one) checks HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
base=0f51a48
if git cat-file -e "$base^{commit}" 2>/dev/null; then
  commits=$(git rev-list "$base..HEAD")
else
  commits=$(git rev-parse HEAD)
fi
scope='[a-z0-9][a-z0-9/_.+-]*'
bad=0
for c in $commits; do
  subject=$(git log -1 --format=%s "$c")
  if ! [[ $subject =~ ^$scope(,\ $scope)*:\ [^\ ] ]] || [ "${#subject}" -gt 72 ]; then
    echo "commit ${c:0:7}: the subject must be 'scope: what changed' in at most 72 characters: $subject"
    bad=1
  fi
  if [ -z "$(git log -1 --format=%b "$c" | tr -d '[:space:]')" ]; then
    echo "commit ${c:0:7}: no body saying why: $subject"
    bad=1
  fi
done
exit "$bad"
