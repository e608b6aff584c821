// berth resource provider trait list|set|delete
import type { Command } from "commander";
import { retryOnConflict } from "@berth/client";
import { collect, leaf, type CliIo } from "./command.js";
import { printList } from "./output.js";

export function register(rp: Command, io: CliIo): void {
  const tr = rp.command("trait").description("traits of a resource provider");

  leaf("list", tr, "list <uuid>", "list a provider's traits", io, async ({ client, out }, [uuid]) => {
    printList(
      out,
      ["name"],
      (await client.providerTraits.get(uuid!)).traits.map((name) => ({ name })),
    );
  });

  leaf<{ trait?: string[] }>(
    "list",
    tr,
    "set <uuid>",
    "replace a provider's traits",
    io,
    async ({ client, out }, [uuid], o) => {
      const r = await retryOnConflict(async () => {
        const cur = await client.providerTraits.get(uuid!);
        return client.providerTraits.set(uuid!, cur.resource_provider_generation, o.trait ?? []);
      });
      printList(
        out,
        ["name"],
        r.traits.map((name) => ({ name })),
      );
    },
    (c) => c.option("--trait <name>", "trait (repeat); none clears them", collect),
  );

  leaf("none", tr, "delete <uuid>", "remove all of a provider's traits", io, async ({ client }, [uuid]) => {
    // NOTE: no generation to re-read: a conflict means another writer came first; clear again.
    await retryOnConflict(() => client.providerTraits.clear(uuid!));
  });
}
