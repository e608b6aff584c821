// berth resource provider allocation show|set|unset|delete (allocations of a consumer)
import type { Command } from "commander";
import { retryOnConflict, type ConsumerAllocations } from "@berth/client";
import { collect, leaf, type CliIo } from "./command.js";
import { UsageError } from "./errors.js";
import { printList, type Out } from "./output.js";

// osc-placement's columns; consumer_type when the reply has it (1.38).
const BASE = ["resource_provider", "generation", "resources", "project_id", "user_id"];
const columns = (a: ConsumerAllocations) => [...BASE, ...(a.consumer_type !== undefined ? ["consumer_type"] : [])];

const rows = (a: ConsumerAllocations) =>
  Object.entries(a.allocations).map(([rp, v]) => ({
    resource_provider: rp,
    generation: v.generation,
    resources: v.resources,
    project_id: a.project_id,
    user_id: a.user_id,
    consumer_type: a.consumer_type,
  }));

/** Prints a consumer's allocations. */
const print = (out: Out, a: ConsumerAllocations) => printList(out, columns(a), rows(a));

/** --allocation rp=<uuid>,VCPU=2,MEMORY_MB=512 (repeat) -> allocations by provider. */
export function parseAllocations(specs: readonly string[]): Record<string, { resources: Record<string, number> }> {
  const out: Record<string, { resources: Record<string, number> }> = {};
  for (const s of specs) {
    let rp: string | undefined;
    const resources: Record<string, number> = {};
    for (const part of s.split(",")) {
      const [k, v] = part.split("=");
      if (!k || v === undefined) throw new UsageError(`--allocation must be rp=UUID,CLASS=AMOUNT,..., got ${JSON.stringify(s)}`);
      if (k === "rp") rp = v;
      else if (/^\d+$/.test(v)) resources[k] = Number(v);
      else throw new UsageError(`${k} must be an integer amount, got ${JSON.stringify(v)}`);
    }
    if (!rp) throw new UsageError(`--allocation needs rp=UUID: ${JSON.stringify(s)}`);
    out[rp] = { resources: { ...out[rp]?.resources, ...resources } };
  }
  return out;
}

export function register(rp: Command, io: CliIo): void {
  const alloc = rp.command("allocation").description("allocations of a consumer");

  leaf("list", alloc, "show <consumer>", "show a consumer's allocations", io, async ({ client, out }, [consumer]) => {
    print(out, await client.allocations.get(consumer!));
  });

  leaf<{ allocation?: string[]; projectId: string; userId: string; consumerType?: string }>(
    "list",
    alloc,
    "set <consumer>",
    "replace a consumer's allocations",
    io,
    async ({ client, out }, [consumer], o) => {
      const allocations = parseAllocations(o.allocation ?? []);
      await retryOnConflict(async () => {
        const cur = await client.allocations.get(consumer!);
        await client.allocations.set(consumer!, {
          allocations,
          project_id: o.projectId,
          user_id: o.userId,
          consumer_generation: cur.consumer_generation ?? null,
          ...(o.consumerType ? { consumer_type: o.consumerType } : {}),
        });
      });
      print(out, await client.allocations.get(consumer!));
    },
    (c) =>
      c
        .option("--allocation <spec>", "rp=UUID,CLASS=AMOUNT,... (repeat)", collect)
        .requiredOption("--project-id <id>", "owning project")
        .requiredOption("--user-id <id>", "owning user")
        .option("--consumer-type <type>", "consumer type (1.38)"),
  );

  leaf<{ provider?: string[]; resourceClass?: string[] }>(
    "list",
    alloc,
    "unset <consumer>",
    "remove a consumer's allocations against providers (or only some classes)",
    io,
    async ({ client, out }, [consumer], o) => {
      const providers = o.provider ?? [];
      const classes = o.resourceClass ?? [];
      if (!providers.length && !classes.length) throw new UsageError("give --provider and/or --resource-class");
      await retryOnConflict(async () => {
        const cur = await client.allocations.get(consumer!);
        const next: Record<string, { resources: Record<string, number> }> = {};
        for (const [rp, { resources }] of Object.entries(cur.allocations)) {
          const hit = !providers.length || providers.includes(rp);
          const kept = Object.fromEntries(Object.entries(resources).filter(([rc]) => !(hit && (!classes.length || classes.includes(rc)))));
          if (Object.keys(kept).length) next[rp] = { resources: kept };
        }
        if (!cur.project_id || !cur.user_id) return;
        await client.allocations.set(consumer!, {
          allocations: next,
          project_id: cur.project_id,
          user_id: cur.user_id,
          consumer_generation: cur.consumer_generation ?? null,
          // Consumers written before 1.38 read back as "unknown", which cannot be written back.
          ...(cur.consumer_type && /^[A-Z0-9_]+$/.test(cur.consumer_type) ? { consumer_type: cur.consumer_type } : {}),
        });
      });
      print(out, await client.allocations.get(consumer!));
    },
    (c) =>
      c
        .option("--provider <uuid>", "provider whose allocations to remove (repeat)", collect)
        .option("--resource-class <class>", "only these classes (repeat)", collect),
  );

  leaf("none", alloc, "delete <consumer>", "delete all of a consumer's allocations", io, async ({ client }, [consumer]) => {
    await client.allocations.delete(consumer!);
  });
}
