#!/usr/bin/env bash
# Runs the differential tests with Berth on each database in turn (the reference stays as it is).
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
for db in ${DIFF_DBS:-sqlite postgres mysql}; do
  echo "== Berth on $db"
  DIFF_DB=$db npx vitest run --config vitest.diff.config.ts "$@" || rc=1
done
exit $rc
