// The reference's own answers (test/fixtures/reference-answers.json, recorded from Placement 8.0.0
// by scripts/record-reference-answers.ts), replayed: status and error body, byte for byte. Two
// kinds: bodies breaking several schema rules at once (which one is reported: jsonschema's
// best_match over the schema's key order) and numbers a JavaScript number would misstate when
// echoed (2^63, -2^63-1, ints of hundreds of digits, 1.0 against 1).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";

interface Case {
  name: string;
  method: string;
  path: string;
  version: string;
  raw?: string;
  answer?: { status: number; error: Record<string, unknown> };
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/reference-answers.json", import.meta.url), "utf8")) as { setup: Case[]; cases: Case[] };
// NOTE: Berth's reshaper policy wants the service role (enforce_new_defaults); the reference's noauth2 admin passes.
const roles = { "x-roles": "admin,service" };

describeEachDb("the reference's answers", (dialect) => {
  const api = useApi(dialect);
  const send = (c: Case) =>
    api().request(c.method, c.path, {
      version: c.version,
      raw: c.raw,
      headers: c.raw === undefined ? roles : { ...roles, "content-type": "application/json" },
    });

  for (const c of fixture.cases)
    it(c.name, async () => {
      for (const s of fixture.setup) await send(s);
      const res = await send(c);
      const { request_id: _, ...error } = ((res.body as { errors?: Record<string, unknown>[] } | undefined)?.errors?.[0] ?? {}) as Record<string, unknown>;
      expect({ status: res.status, error }).toEqual(c.answer);
    });
});
