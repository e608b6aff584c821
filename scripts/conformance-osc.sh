#!/usr/bin/env bash
# Runs the `openstack` CLI with osc-placement through Berth's conformance server, as an operator
# would use it (docs/conformance-osc-placement.md publishes the report). Without
# BERTH_CONFORMANCE_URL it starts the server around itself:
#   scripts/conformance-osc.sh [REPORT.json]     (default docs/conformance-osc-placement.json)
# Faults and maximum: CONFORMANCE_FAULTS (default below), CONFORMANCE_MAX_VERSION (default 1.37).
# Needs Debian's python3-openstackclient and python3-osc-placement, and a built Berth (npm run build).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BERTH_CONFORMANCE_URL:-}" ]; then
  report="${1:-docs/conformance-osc-placement.json}"
  exec node bin/berth.js conformance run --port 0 \
    --faults "${CONFORMANCE_FAULTS:-conflict/3,unavailable/9,drop/29,seed=19}" \
    --max-version "${CONFORMANCE_MAX_VERSION:-1.37}" \
    --report "$report" -- "$0"
fi

# The operator's session. Each command is one `openstack` process; a failed command is reported
# and the session goes on, as a script with `|| true` would.
osc() { openstack --os-auth-type admin_token --os-token admin --os-endpoint "$BERTH_CONFORMANCE_URL" "$@"; }
step() {
  local out
  if out=$(osc "$@" 2>&1); then
    printf 'ok      openstack %s\n' "$*" >&2
    printf '%s' "$out" | grep -v '^ *$' | tail -1
  else
    printf 'failed  openstack %s\n        %s\n' "$*" "$(printf '%s' "$out" | tail -1)" >&2
  fi
}
V=--os-placement-api-version
agg=7d7e8c9a-1b2c-4d3e-8f90-a1b2c3d4e5f6
consumer=3f1e2d3c-4b5a-4697-8877-665544332211
# NOTE: fixed uuids, so that the report is the same from run to run.
rp=5a1b2c3d-0000-4000-8000-00000000c001
nic=5a1b2c3d-0000-4000-8000-00000000c002

step resource provider create compute-1 --uuid "$rp" $V 1.20 >/dev/null
step resource provider create compute-1-nic --uuid "$nic" --parent-provider "$rp" $V 1.20 >/dev/null
step resource class create CUSTOM_FPGA $V 1.2 >/dev/null
step trait create CUSTOM_GOLD $V 1.6 >/dev/null
step resource provider inventory set "$rp" --resource VCPU=16 --resource VCPU:allocation_ratio=4 --resource MEMORY_MB=32768 >/dev/null
step resource provider inventory set "$rp" --amend --resource DISK_GB=500 >/dev/null
step resource provider inventory class set "$nic" CUSTOM_FPGA --total 2 >/dev/null
step resource provider trait set "$rp" --trait CUSTOM_GOLD --trait HW_CPU_X86_AVX2 $V 1.6 >/dev/null
gen=$(step resource provider show "$rp" $V 1.19 -f value -c generation)
step resource provider aggregate set "$rp" --aggregate "$agg" --generation "$gen" $V 1.19 >/dev/null
step resource provider list --required CUSTOM_GOLD $V 1.18 >/dev/null
step resource provider list --in-tree "$rp" $V 1.14 >/dev/null
step allocation candidate list --resource VCPU=2 --required CUSTOM_GOLD --limit 5 $V 1.17 >/dev/null
step allocation candidate list --resource VCPU=2 --required CUSTOM_GOLD --limit 5 $V 1.39 >/dev/null
step resource provider allocation set "$consumer" --allocation "rp=$rp,VCPU=2,MEMORY_MB=2048" --project-id demo --user-id demo $V 1.28 >/dev/null
step resource provider allocation show "$consumer" $V 1.28 >/dev/null
step resource provider usage show "$rp" >/dev/null
step resource usage show demo $V 1.9 >/dev/null
step resource provider allocation unset "$consumer" --resource-class MEMORY_MB $V 1.28 >/dev/null
step resource provider allocation delete "$consumer" >/dev/null
step resource provider inventory delete "$rp" --resource-class DISK_GB >/dev/null
step resource provider trait delete "$rp" $V 1.6 >/dev/null
step resource provider delete "$nic" >/dev/null
step resource provider delete "$rp" >/dev/null
exit 0
