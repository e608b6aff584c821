// Writes test/fixtures/reference-answers.json: the reference's answers (status and error) to the
// requests listed there, which test/api/reference-answers.test.ts replays against Berth. Start the
// reference on a fresh database (noauth2) first, then: REF_URL=http://localhost:PORT npx vite-node scripts/record-reference-answers.ts
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("../test/fixtures/reference-answers.json", import.meta.url);
const REF_URL = process.env.REF_URL ?? "http://localhost:8000";

interface Case {
  name: string;
  method: string;
  path: string;
  version: string;
  raw?: string;
  answer?: { status: number; error: unknown };
}

const fixture = JSON.parse(readFileSync(FILE, "utf8")) as { setup: Case[]; cases: Case[] };
const send = async (c: Case) => {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": `placement ${c.version}` };
  if (c.raw !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(REF_URL + c.path, { method: c.method, headers, body: c.raw });
  const body = (await res.json().catch(() => undefined)) as { errors?: Record<string, unknown>[] } | undefined;
  const { request_id: _, ...error } = body?.errors?.[0] ?? {};
  return { status: res.status, error };
};
for (const c of fixture.setup) if ((await send(c)).status >= 300) throw new Error(`setup failed: ${c.name}`);
for (const c of fixture.cases) c.answer = await send(c);
writeFileSync(FILE, JSON.stringify(fixture, null, 2) + "\n");
console.log(`${fixture.cases.length} answers recorded from ${REF_URL}`);
