// The benchmark workloads as provider specs: the reference's CI "flat" and "nested" sets, flat
// deployments at scale, and wide symmetric device trees.
import type { ProviderSpec } from "../test/helpers/seed-candidates.js";

const AGGS = ["agg0", "agg1", "agg2", "agg3", "agg4"];
const TRAITS = ["HW_CPU_X86_AVX2", "HW_CPU_X86_SSE42", "CUSTOM_RAID", "CUSTOM_FAST_NIC"];

/** A deterministic generator, so both services see the same data run after run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function pick<T>(r: () => number, xs: readonly T[], n: number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

/** Root compute nodes with VCPU 32, MEMORY_MB 8192, DISK_GB 8192, in 1-3 aggregates, with 1-3 traits. */
export function flat(n: number, seed = 1): ProviderSpec[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    name: `cn${i}`,
    inv: { VCPU: 32, MEMORY_MB: 8192, DISK_GB: 8192 },
    aggs: pick(r, AGGS, 1 + Math.floor(r() * 3)),
    traits: pick(r, TRAITS, 1 + Math.floor(r() * 3)),
  }));
}

/** Trees of a compute node (disk), two NUMA nodes (CPU, memory) and two network devices under each. */
export function nested(n: number): ProviderSpec[] {
  const out: ProviderSpec[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ name: `cn${i}`, inv: { DISK_GB: 1000 }, traits: ["HW_CPU_X86_AVX2"] });
    for (let j = 0; j < 2; j++) {
      out.push({ name: `cn${i}n${j}`, parent: `cn${i}`, inv: { VCPU: 16, MEMORY_MB: 16384 }, traits: ["HW_NUMA_ROOT"] });
      for (let k = 0; k < 2; k++) {
        out.push({ name: `cn${i}n${j}d${k}`, parent: `cn${i}n${j}`, inv: { SRIOV_NET_VF: 8 }, traits: [k ? "CUSTOM_PHYSNET_B" : "CUSTOM_PHYSNET_A"] });
      }
    }
  }
  return out;
}

/** One host with `n` identical one-unit devices. */
export function wide(n: number): ProviderSpec[] {
  return [
    { name: "host", inv: { VCPU: 64, MEMORY_MB: 65536 } },
    ...Array.from({ length: n }, (_, i) => ({ name: `dev${i}`, parent: "host", inv: { VGPU: 1 } })),
  ];
}

export const eightOneUnitGroups = Array.from({ length: 8 }, (_, i) => `resources${i + 1}=VGPU:1`).join("&") + "&group_policy=isolate";
