// GET /allocation_candidates/explain as one function: the list's own search (so a bad query fails
// as the list fails, and the count is the list's), then the explanation (explain.ts) over every tree
// of the same snapshot, or of the database read with the search's loaders when there is none, and
// the names of the few providers the explanation names.
import type { Tx } from "../../db/tx.js";
import type { CandidateRequest } from "./request.js";
import { searchFrom, wholeWorld, type SearchOptions } from "./search.js";
import { explain, namedIds, render, summary, type ExplainOptions } from "./explain.js";

export interface Explained {
  /** Candidates the list returns for this query (after limit), and whether its search was cut short. */
  candidates: number;
  truncated: boolean;
  /** Where the world was read: the candidate snapshot, or the database. */
  source: "snapshot" | "database";
  summary: string;
  explanation: ReturnType<typeof render>;
}

export async function explainCandidates(db: Tx, req: CandidateRequest, opts: SearchOptions & ExplainOptions): Promise<Explained> {
  const snap = await opts.snapshots?.get();
  const found = await searchFrom(snap, db, req, opts);
  // NOTE: without a snapshot the list and the explanation are two reads: a write between them can
  // make them disagree (the snapshot's are one consistent copy).
  const world = await wholeWorld(snap, db, req, opts);
  const e = explain(world, req, opts);
  const ids = namedIds(e);
  const rows = ids.length ? await db.selectFrom("resource_providers").select(["id", "name"]).where("id", "in", ids).execute() : [];
  const names = new Map(rows.flatMap((r) => (r.name === null ? [] : [[r.id, r.name] as [number, string]])));
  const explanation = render(e, world, names);
  return {
    candidates: found.candidates.length,
    truncated: found.truncated,
    source: snap ? "snapshot" : "database",
    summary: summary(explanation, found.candidates.length),
    explanation,
  };
}
