// berth resource provider list|show|create|set|delete|tree
import type { Command } from "commander";
import { has, type PlacementClient, type ResourceProvider } from "@berth/client";
import { collect, keyInt, leaf, type CliIo } from "./command.js";
import { printList, printOne, printRaw } from "./output.js";
import { drawTree, treeData } from "./tree.js";

const TREE = ["root_provider_uuid", "parent_provider_uuid"];

/** osc-placement's columns: the tree's from 1.14, which an empty list can only tell from the version. */
async function columns(client: PlacementClient, ps: ResourceProvider[]): Promise<string[]> {
  const tree = ps.length ? ps.some((p) => "root_provider_uuid" in p) : has(await client.versionFor({ prefer: ["providerTree"] }), "providerTree");
  return ["uuid", "name", "generation", ...(tree ? TREE : [])];
}

/** A provider's fields in osc-placement's order, then any others (but its links). */
const view = (p: ResourceProvider) => {
  const { links: _links, ...rest } = p as ResourceProvider & Record<string, unknown>;
  const first = ["uuid", "name", "generation", ...TREE].filter((k) => k in rest);
  return { ...Object.fromEntries(first.map((k) => [k, rest[k]])), ...rest };
};

export function register(rp: Command, io: CliIo): void {
  leaf<{
    uuid?: string;
    name?: string;
    resource?: string[];
    inTree?: string;
    required?: string[];
    forbidden?: string[];
    memberOf?: string[];
    aggregateUuid?: string[];
  }>(
    "list",
    rp,
    "list",
    "list resource providers",
    io,
    async ({ client, out }, _a, o) => {
      const ps = await client.providers.list({
        uuid: o.uuid,
        name: o.name,
        resources: o.resource ? Object.fromEntries(o.resource.map((r) => keyInt(r, "--resource"))) : undefined,
        inTree: o.inTree,
        required: [...(o.required ?? []), ...(o.forbidden ?? []).map((t) => `!${t}`)],
        memberOf: [...(o.memberOf ?? []), ...(o.aggregateUuid ?? [])].map((m) => m.split(",")),
      });
      printList(out, await columns(client, ps), ps);
    },
    (c) =>
      c
        .option("--uuid <uuid>", "only this provider")
        .option("--name <name>", "only providers with this name")
        .option("--resource <class=amount>", "with capacity for this amount (repeat)", collect)
        .option("--in-tree <uuid>", "only providers in this provider's tree")
        .option("--required <trait>", "with this trait (repeat; comma-separated alternatives need 1.39)", collect)
        .option("--forbidden <trait>", "without this trait (repeat)", collect)
        .option("--member-of <aggregates>", "in one of these comma-separated aggregates (repeat to AND)", collect)
        .option("--aggregate-uuid <aggregate>", "same as --member-of", collect),
  );

  leaf<{ allocations?: boolean }>(
    "one",
    rp,
    "show <uuid>",
    "show a resource provider",
    io,
    async ({ client, out }, [uuid], o) => {
      const p = await client.providers.get(uuid!);
      const row: Record<string, unknown> = view(p);
      if (o.allocations) row.allocations = (await client.allocations.forProvider(uuid!)).allocations;
      printOne(out, row);
    },
    (c) => c.option("--allocations", "include the provider's allocations"),
  );

  leaf<{ uuid?: string; parentProvider?: string }>(
    "one",
    rp,
    "create <name>",
    "create a resource provider",
    io,
    async ({ client, out }, [name], o) => {
      printOne(out, view(await client.providers.create({ name: name!, uuid: o.uuid, parent_provider_uuid: o.parentProvider })));
    },
    (c) => c.option("--uuid <uuid>", "uuid of the new provider").option("--parent-provider <uuid>", "its parent (1.14)"),
  );

  leaf<{ name: string; parentProvider?: string }>(
    "one",
    rp,
    "set <uuid>",
    "update a resource provider's name and parent",
    io,
    async ({ client, out }, [uuid], o) => {
      const parent = o.parentProvider === undefined ? undefined : o.parentProvider === "" ? null : o.parentProvider;
      printOne(out, view(await client.providers.update(uuid!, { name: o.name, parent_provider_uuid: parent })));
    },
    (c) => c.requiredOption("--name <name>", "new name").option("--parent-provider <uuid>", 'new parent (1.14; changing it needs 1.37; "" un-parents)'),
  );

  leaf("none", rp, "delete <uuid>", "delete a resource provider", io, async ({ client }, [uuid]) => {
    await client.providers.delete(uuid!);
  });

  leaf("raw", rp, "tree <uuid>", "draw the provider tree containing a provider, with capacity and usage", io, async ({ client, out }, [uuid]) => {
    const root = await client.providers.tree(uuid!);
    printRaw(out, treeData(root), drawTree(root));
  });
}
