// Claims in tests, by name: a World gives providers P0.. and consumers C0.. fresh uuids on a shared
// database, turns named write specs into ConsumerWrites, names the uuids back in errors, and reads
// the end state (allocations, consumer and provider generations) by name.
import type { Store } from "../../src/db/open.js";
import type { ConsumerWrite } from "../../src/objects/allocation.js";
import { seedProvider, type SeedInventory } from "./seed.js";
import { uuid } from "./api.js";
import { at } from "@berth/client/common";

export const PROVIDERS = ["P0", "P1", "P2"];
export const CONSUMERS = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"];

export interface WriteSpec {
  consumer: string;
  /** provider name (or "PX", unknown) -> class (or CUSTOM_NOPE, unknown) -> amount; empty removes. */
  allocations: [string, [string, number][]][];
  /** unchecked (before 1.28), null (a new consumer), the stored one, one more than it, or this number. */
  generation: "unchecked" | "null" | "actual" | "wrong" | number;
}

/** One copy of the world: its own provider and consumer uuids. */
export class World {
  readonly names = new Map<string, string>();
  readonly uuids = new Map<string, string>();
  constructor(readonly store: Store) {
    for (const n of [...PROVIDERS, "PX", ...CONSUMERS]) {
      const u = uuid();
      this.names.set(u, n);
      this.uuids.set(n, u);
    }
  }
  async seed(providers: { VCPU: SeedInventory; MEMORY_MB: SeedInventory | null }[]) {
    for (const [i, p] of providers.entries())
      await seedProvider(this.store, this.uuids.get(at(PROVIDERS, i))!, p.MEMORY_MB ? { VCPU: p.VCPU, MEMORY_MB: p.MEMORY_MB } : { VCPU: p.VCPU });
  }
  async writes(specs: WriteSpec[]): Promise<ConsumerWrite[]> {
    const out: ConsumerWrite[] = [];
    for (const s of specs) {
      const u = this.uuids.get(s.consumer)!;
      const row = await this.store.db.selectFrom("consumers").select("generation").where("uuid", "=", u).executeTakeFirst();
      const actual = row ? Number(row.generation) : null;
      out.push({
        uuid: u,
        project: "proj",
        user: "user",
        checkGeneration: s.generation !== "unchecked",
        generation: typeof s.generation === "number" ? s.generation : s.generation === "null" ? null : s.generation === "actual" ? actual : (actual ?? 0) + 1,
        allocations: new Map(s.allocations.map(([p, res]) => [this.uuids.get(p)!, new Map(res)])),
      });
    }
    return out;
  }
  outcome(e: unknown): string {
    if (e === undefined) return "ok";
    let msg = `${(e as Error).constructor.name}: ${(e as Error).message}`;
    for (const [u, n] of this.names) msg = msg.split(u).join(n);
    return msg;
  }
  /** Allocations, consumers and provider generations, by name. */
  async state() {
    const db = this.store.db;
    const mine = (u: string) => this.names.get(u.toLowerCase());
    const allocations = (
      await db
        .selectFrom("allocations as a")
        .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
        .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
        .select(["a.consumer_id", "rp.uuid", "rc.name", "a.used"])
        .execute()
    )
      .filter((r) => mine(r.consumer_id))
      .map((r) => `${mine(r.consumer_id)} ${mine(r.uuid)} ${r.name} ${Number(r.used)}`)
      .sort();
    const consumers = (await db.selectFrom("consumers").select(["uuid", "generation"]).execute())
      .filter((r) => mine(r.uuid))
      .map((r) => `${mine(r.uuid)}@${Number(r.generation)}`)
      .sort();
    const providers = (await db.selectFrom("resource_providers").select(["uuid", "generation"]).execute())
      .filter((r) => mine(r.uuid))
      .map((r) => `${mine(r.uuid)}@${Number(r.generation)}`)
      .sort();
    return { allocations, consumers, providers };
  }
}
