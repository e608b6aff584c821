#!/usr/bin/env bash
# Runs the differential tests (test/diff) once per database Berth is on, each against a fresh private
# reference (test/diff/global-setup.ts) unless REF_URL names one. DIFF_DBS picks the databases
# (default: those of BERTH_TEST_DBS, else all three; one that is not reachable is skipped with a
# note, as in the other suites, and required under CI=true). The last step of `npm test`.
set -uo pipefail
cd "$(dirname "$0")/.."
dbs=${DIFF_DBS:-${BERTH_TEST_DBS:-sqlite,postgres,mysql}}
rc=0
for db in ${dbs//,/ }; do
  echo "== differential tests, Berth on $db"
  start=$SECONDS
  DIFF_DB=$db npx vitest run --config vitest.diff.config.ts "$@" || rc=1
  echo "== differential tests, Berth on $db: $((SECONDS - start)) s"
done
exit $rc
