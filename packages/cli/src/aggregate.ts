// berth resource provider aggregate list|set
import type { Command } from "commander";
import { retryOnConflict } from "@berth/client";
import { collect, int, leaf, type CliIo } from "./command.js";
import { printList } from "./output.js";

export function register(rp: Command, io: CliIo): void {
  const agg = rp.command("aggregate").description("aggregates of a resource provider");

  leaf("list", agg, "list <uuid>", "list a provider's aggregates", io, async ({ client, out }, [uuid]) => {
    const r = await client.aggregates.get(uuid!);
    printList(
      out,
      ["uuid"],
      r.aggregates.map((uuid) => ({ uuid })),
    );
  });

  leaf<{ aggregate?: string[]; generation?: string; amend?: boolean }>(
    "list",
    agg,
    "set <uuid>",
    "replace (or with --amend, add to) a provider's aggregates",
    io,
    async ({ client, out }, [uuid], o) => {
      const given = o.aggregate ?? [];
      const generation = int(o.generation, "--generation");
      const r =
        generation !== undefined
          ? await client.aggregates.set(uuid!, given, generation)
          : await retryOnConflict(async () => {
              const cur = await client.aggregates.get(uuid!);
              const next = o.amend ? [...new Set([...cur.aggregates, ...given])] : given;
              return client.aggregates.set(uuid!, next, cur.resource_provider_generation);
            });
      printList(
        out,
        ["uuid"],
        r.aggregates.map((uuid) => ({ uuid })),
      );
    },
    (c) =>
      c
        .option("--aggregate <uuid>", "aggregate (repeat); none clears them", collect)
        .option("--generation <n>", "provider generation to check (read from the server when omitted)")
        .option("--amend", "add to the current aggregates"),
  );
}
