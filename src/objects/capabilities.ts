// What a provider's state forbids, whoever asks: the refusals the writes would meet (a provider with
// children or allocations cannot be deleted; inventory in use cannot be deleted or left out of a
// replacement), for the capabilities documents (handlers/capabilities.ts).
import { sql } from "kysely";
import type { Tx } from "../db/tx.js";
import type { ProviderRow } from "./resource-provider.js";
import { usagesOfProvider } from "./usage.js";

export interface ProviderState {
  readonly facts: {
    generation: number;
    parent_provider_uuid: string | null;
    root_provider_uuid: string | null;
    children: number;
    consumers: number;
    /** Per resource class of its inventory: how much is allocated. */
    usages: Record<string, number>;
  };
  /**
   * What the state says of an operation: `refused`, why it fails whatever the request; `conditions`,
   * what a request must respect to succeed.
   */
  judge(method: string, path: string): { refused: string[]; conditions: string[] };
}

export async function providerState(trx: Tx, rp: ProviderRow): Promise<ProviderState> {
  const [children, consumers, usages, tree] = await Promise.all([
    trx
      .selectFrom("resource_providers")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("parent_provider_id", "=", rp.id)
      .executeTakeFirstOrThrow(),
    trx.selectFrom("allocations").select(sql<number>`count(distinct consumer_id)`.as("n")).where("resource_provider_id", "=", rp.id).executeTakeFirstOrThrow(),
    usagesOfProvider(trx, rp.id),
    trx
      .selectFrom("resource_providers as p")
      .leftJoin("resource_providers as parent", "parent.id", "p.parent_provider_id")
      .leftJoin("resource_providers as root", "root.id", "p.root_provider_id")
      .select(["parent.uuid as parent", "root.uuid as root"])
      .where("p.id", "=", rp.id)
      .executeTakeFirstOrThrow(),
  ]);
  const facts = {
    generation: rp.generation,
    parent_provider_uuid: tree.parent ?? null,
    root_provider_uuid: tree.root ?? null,
    children: Number(children.n),
    consumers: Number(consumers.n),
    usages: Object.fromEntries(usages),
  };
  const inUse = [...usages].filter(([, used]) => used > 0);
  const inUseText = inUse.map(([rc, used]) => `${rc} (${used} used)`).join(", ");
  return {
    facts,
    judge(method, path) {
      const refused: string[] = [];
      const conditions: string[] = [];
      if (method === "DELETE" && path === "/resource_providers/{uuid}") {
        if (facts.children) refused.push(`the provider has ${facts.children} child provider${facts.children === 1 ? "" : "s"}: delete them first (409)`);
        if (facts.consumers) refused.push(`the provider has allocations of ${facts.consumers} consumer${facts.consumers === 1 ? "" : "s"} (409)`);
      }
      if (method === "DELETE" && path === "/resource_providers/{uuid}/inventories" && inUse.length) refused.push(`inventory in use: ${inUseText} (409)`);
      if (method === "DELETE" && path === "/resource_providers/{uuid}/inventories/{resource_class}" && inUse.length)
        conditions.push(`not for a class in use: ${inUseText} (409)`);
      if (method === "PUT" && path === "/resource_providers/{uuid}/inventories" && inUse.length)
        conditions.push(`the new inventories must keep the classes in use: ${inUseText} (409)`);
      if (method === "PUT" && path === "/resource_providers/{uuid}" && facts.parent_provider_uuid)
        conditions.push("changing or removing the parent needs microversion 1.37 (400 before)");
      return { refused, conditions };
    },
  };
}
