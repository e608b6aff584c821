// The SDK's flows that the conformance tests run against the conformance server: what a
// scheduler, an inventory agent and an operator script do with the SDK, its recommended way
// (read-modify-write helpers that re-read on conflicts).
import { candidateRequest, Scheduler, type PlacementClient } from "@berth/client";
import type { Report } from "../../src/conformance/report.js";
import { at, first } from "@berth/client/common";

const uuid = () => crypto.randomUUID();
const name = (p: string) => `${p}-${uuid().slice(0, 8)}`;

/** Every feature of the SDK a compute agent and a scheduler use, from 1.0 to 1.39. */
export async function fullFlow(c: PlacementClient): Promise<void> {
  const agg = uuid();
  const trait = `CUSTOM_${uuid().slice(0, 8).toUpperCase()}`;
  await c.traits.create(trait);
  await c.resourceClasses.ensure("CUSTOM_FPGA");
  const hosts = [];
  for (let i = 0; i < 2; i++) {
    const host = await c.providers.create({ name: name("host") });
    const nic = await c.providers.create({ name: name("nic"), parent_provider_uuid: host.uuid });
    await c.inventories.amend(host.uuid, () => ({ VCPU: { total: 16, allocation_ratio: 2 }, MEMORY_MB: { total: 8192, reserved: 512 } }));
    await c.inventories.amend(nic.uuid, () => ({ CUSTOM_FPGA: { total: 2 } }));
    await c.providerTraits.add(host.uuid, ["HW_CPU_X86_AVX2", trait]);
    await c.aggregates.add(host.uuid, [agg]);
    hosts.push(host.uuid);
  }
  await c.providers.list({ inTree: hosts[0] });
  await c.providers.list({ required: [trait, "!HW_CPU_X86_SSE"], memberOf: [agg] });
  await c.providers.list({ resources: { VCPU: 2 } });
  await c.traits.list({ name: `in:${trait}`, associated: true });
  await c.allocationCandidates.list(candidateRequest().resources({ VCPU: 2 }).required(trait).limit(5));
  await c.providers.tree(first(hosts));

  const scheduler = new Scheduler(c);
  const picks = await scheduler.selectDestinations(candidateRequest().resources({ VCPU: 2, MEMORY_MB: 1024 }), {
    count: 2,
    alternates: 1,
    project_id: "demo",
    user_id: "demo",
  });
  await c.allocations.get(first(picks).consumer);
  const migration = uuid();
  await scheduler.migration.start(first(picks).consumer, migration, first(picks).chosen.allocationRequest);
  await scheduler.migration.confirm(migration);
  await c.usages.forProvider(first(hosts));
  await c.usages.forProject({ project_id: "demo" });
  await c.allocations.forProvider(first(hosts));

  for (const p of picks) await c.allocations.delete(p.consumer);
  await c.inventories.amend(at(hosts, 1), (cur) => ({ ...cur, VCPU: { ...cur.VCPU!, reserved: 1 } }));
  await c.providerTraits.remove(at(hosts, 1), [trait]);
}

/** What a client needs below 1.20: providers, inventories, traits, aggregates (1.19), candidates. */
export async function oldCloudFlow(c: PlacementClient): Promise<void> {
  const host = await c.providers.create({ name: name("old") });
  await c.inventories.amend(host.uuid, () => ({ VCPU: { total: 8 }, DISK_GB: { total: 100 } }));
  await c.providerTraits.add(host.uuid, ["HW_CPU_X86_AVX2"]);
  await c.aggregates.add(host.uuid, [uuid()]);
  await c.providers.list({ resources: { VCPU: 1 } });
  await c.allocationCandidates.list(candidateRequest().resources({ VCPU: 1 }).limit(3));
  await c.usages.forProvider(host.uuid);
  await c.inventories.amend(host.uuid, (cur) => ({ VCPU: cur.VCPU! }));
  await c.providers.get(host.uuid);
}

/** rule id -> verdict. */
export const verdicts = (r: Report): Record<string, string> => Object.fromEntries(r.rules.map((x) => [x.id, x.verdict]));

/** The evidence of failed rules, for a readable assertion message. */
export const failures = (r: Report): string =>
  r.rules
    .filter((x) => x.verdict === "fail")
    .map((x) => `${x.id}: ${x.evidence.map((e) => `#${e.seq} ${e.request} ${e.version ?? ""} -> ${e.status}: ${e.why}`).join("; ")}`)
    .join("\n");
