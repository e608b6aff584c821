// What this process knows of the providers it claims on, as of its own last checked write (MySQL
// only: the claim script path, claim-statement.ts). A batch of new consumers whose providers,
// classes and identities are all known here is judged on it without the read: the script's checks
// under the providers' locks decide whether the claims accepted on it still fit.
//
// Why this is exact: an entry is what a read returned, or what a script read under its locks just
// before it committed. Nothing is accepted on an entry alone: the script writes only if every
// provider's generation is unchanged (then nothing was added and no inventory changed since) or,
// for new consumers, if every inventory is the one judged on and its usage under the lock leaves
// room for what the batch adds. The usage may be lower than remembered (DELETE /allocations does
// not bump), so a batch with any refusal on remembered data is read afresh and judged again: a
// refusal is only ever given on a read. Classes, projects, users and consumer types are kept by
// name -> id as a read found them; the script checks the identities still exist and that the new
// consumers have no allocation rows, and a consumer that exists after all fails its INSERT (the
// batch then goes the transactional way).
import type { Inv } from "./capacity.js";
import type { ConsumerWrite } from "./allocation.js";
import type { ClaimPlan } from "./claim-plan.js";
import type { CapacityRow } from "./claim-judge.js";
import { emptyLookup, type Lookup } from "./consumer.js";

/** Entries kept at most per kind; the oldest go first. */
const LIMIT = 10_000;

interface Known {
  id: number;
  uuid: string;
  generation: number;
  /** class id -> inventory with the usage against it. */
  inv: Map<number, Inv>;
}

export class ClaimMemo {
  readonly #providers = new Map<string, Known>();
  readonly #ids = {
    classes: new Map<string, number>(),
    projects: new Map<string, number>(),
    users: new Map<string, number>(),
    types: new Map<string, number>(),
  };

  /**
   * A plan and capacity for the claims from memory, or undefined unless every write gives a new
   * consumer (consumer_generation null) allocations on known providers and inventories, with
   * known classes, project, user and type.
   */
  plan(writes: readonly ConsumerWrite[]): { plan: ClaimPlan; inv: Map<string, CapacityRow> } | undefined {
    const lookup = emptyLookup();
    const inv = new Map<string, CapacityRow>();
    const known = <V>(from: Map<string, V>, to: Map<string, V>, name: string): boolean => {
      const v = from.get(name.toLowerCase());
      if (v !== undefined) to.set(name, v);
      return v !== undefined;
    };
    for (const w of writes) {
      if (!w.checkGeneration || w.generation !== null || w.allocations.size === 0) return undefined;
      if (!known(this.#ids.projects, lookup.projects, w.project) || !known(this.#ids.users, lookup.users, w.user)) return undefined;
      if (w.consumerType !== undefined && !known(this.#ids.types, lookup.types, w.consumerType)) return undefined;
      for (const [rp, res] of w.allocations) {
        const p = this.#providers.get(rp.toLowerCase());
        if (!p) return undefined;
        lookup.providers.set(rp, { id: p.id, uuid: p.uuid, generation: p.generation });
        for (const rc of res.keys()) {
          if (!known(this.#ids.classes, lookup.classes, rc)) return undefined;
          const i = p.inv.get(lookup.classes.get(rc)!);
          if (!i) return undefined;
          inv.set(`${p.id}:${lookup.classes.get(rc)!}`, { ...i });
        }
      }
    }
    lookup.allocationsRead = new Set(writes.map((w) => w.uuid.toLowerCase()));
    return { plan: { writes: [...writes], lookup, providers: new Map(lookup.providers), removed: [], locked: new Set() }, inv };
  }

  /** A read's providers, inventories and identities (read in one statement: exact as of it). */
  learn(lookup: Lookup, inv: ReadonlyMap<string, CapacityRow>): void {
    for (const k of ["classes", "projects", "users", "types"] as const) for (const [name, id] of lookup[k]) put(this.#ids[k], name.toLowerCase(), id);
    const byId = new Map<number, Known>();
    for (const p of lookup.providers.values()) {
      const entry: Known = { id: p.id, uuid: p.uuid, generation: p.generation, inv: new Map() };
      byId.set(p.id, entry);
      put(this.#providers, p.uuid.toLowerCase(), entry);
    }
    for (const [key, i] of inv) {
      const [pid, rc] = key.split(":").map(Number);
      byId.get(pid!)?.inv.set(rc!, { ...i });
    }
  }

  /** Drops what is known of these providers (a failed write: their state is unknown). */
  forget(uuids: Iterable<string>): void {
    for (const u of uuids) this.#providers.delete(u.toLowerCase());
  }
}

function put<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > LIMIT) m.delete(m.keys().next().value!);
}
