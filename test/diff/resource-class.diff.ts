// The reference and Berth answer the resource class endpoints the same way at every version the
// issue names (1.0, 1.14, 1.20, 1.37, latest) and where resource classes change (1.2: the
// endpoints appear, 1.7: PUT creates instead of renaming, 1.15: last-modified, 1.23: error codes).
import { describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { ask, reachable, type Answer, type Step, useBerthUnderTest } from "./harness.js";

const up = await reachable();
const u = () => crypto.randomUUID();
const tag = () => u().replace(/-/g, "").slice(0, 12).toUpperCase();
const VERSIONS = ["1.0", "1.1", "1.2", "1.6", "1.7", "1.14", "1.15", "1.20", "1.23", "1.37", "latest"];

type ClassList = { resource_classes: { name: string }[] };

/**
 * GET /resource_classes on both. NOTE: the reference's database is shared, so its list holds other
 * people's custom classes: only standard classes and `mine` are kept. Both list by id, and ids of
 * custom classes are allocated differently, so the list is compared sorted by name.
 */
async function sameList(app: Hono, version: string, mine: string[]): Promise<void> {
  const { ref, ours } = await ask({ path: "/resource_classes", version }, app);
  const keep = (a: Answer) => {
    const b = a.body as ClassList | null;
    if (b && Array.isArray(b.resource_classes))
      b.resource_classes = b.resource_classes
        .filter((c) => !c.name.startsWith("CUSTOM_") || mine.includes(c.name))
        .sort((x, y) => x.name.localeCompare(y.name));
    return a;
  };
  expect({ step: `GET /resource_classes @${version}`, ...keep(ours) }).toEqual({ step: `GET /resource_classes @${version}`, ...keep(ref) });
}

/**
 * Like harness.same. NOTE: accepted difference: for a PUT or POST without a body the reference's
 * test server invents "Content-Type: text/plain", so its 415 names text/plain where Berth (and the
 * reference behind a real WSGI server) says None; our detail is aligned before comparing.
 */
async function same(app: Hono, ...steps: Step[]): Promise<void> {
  for (const step of steps) {
    const { ref, ours } = await ask(step, app);
    if (step.body === undefined && step.raw === undefined && ours.status === 415) {
      for (const e of (ours.body as { errors: { detail: string }[] }).errors) e.detail = e.detail.replace(/media type None/g, "media type text/plain");
    }
    const label = `${step.method ?? "GET"} ${step.path} @${step.version}`;
    expect({ label, ...ours }).toEqual({ label, ...ref });
  }
}

describe.skipIf(!up)("resource classes against the reference", () => {
  const berth = useBerthUnderTest();

  it.each(VERSIONS)("the catalog at %s", async (version) => {
    const t = tag();
    const [a, b, c] = [`CUSTOM_RCA_${t}`, `CUSTOM_RCB_${t}`, `CUSTOM_RCC_${t}`];
    const rp = u();
    const s = (x: Omit<Step, "version">): Step => ({ ...x, version });
    await same(berth.app, { method: "POST", path: "/resource_providers", body: { name: `rc-${rp}`, uuid: rp }, version: "1.20" });
    await same(
      berth.app,
      s({ path: "/resource_classes/VCPU" }),
      s({ path: "/resource_classes/vcpu" }),
      s({ path: "/resource_classes/CUSTOM_NOPE_RC_ZZ" }),
      s({ method: "POST", path: "/resource_classes", body: { name: a } }),
      s({ method: "POST", path: "/resource_classes", body: { name: a } }),
      s({ method: "POST", path: "/resource_classes", body: { name: "VCPU" } }),
      s({ method: "POST", path: "/resource_classes", body: { name: "CUSTOM_lower" } }),
      s({ method: "POST", path: "/resource_classes", body: { name: "NOT_CUSTOM" } }),
      s({ method: "POST", path: "/resource_classes", body: { name: `CUSTOM_${"X".repeat(249)}` } }),
      s({ method: "POST", path: "/resource_classes", body: { name: a, extra: 1 } }),
      s({ method: "POST", path: "/resource_classes", body: {} }),
      s({ method: "POST", path: "/resource_classes", body: { name: 5, extra: 1 } }),
      s({ method: "POST", path: "/resource_classes", body: { extra: 1 } }),
      s({ method: "POST", path: "/resource_classes", body: { name: `custom_${"x".repeat(300)}` } }),
      s({ method: "POST", path: "/resource_classes", raw: "{}", headers: { "content-type": "text/plain" } }),
      s({ path: `/resource_classes/${a}` }),
      // 1.2-1.6 rename; from 1.7 a PUT creates (201) or finds (204) the class in the path.
      s({ method: "PUT", path: `/resource_classes/${a}`, body: { name: b } }),
      s({ method: "PUT", path: `/resource_classes/${b}` }),
      s({ method: "PUT", path: `/resource_classes/${b}` }),
      s({ method: "PUT", path: `/resource_classes/${c}` }),
      s({ method: "PUT", path: `/resource_classes/${c}`, body: { name: a } }),
      s({ method: "PUT", path: "/resource_classes/VCPU", body: { name: b } }),
      s({ method: "PUT", path: "/resource_classes/VCPU" }),
      s({ method: "PUT", path: "/resource_classes/CUSTOM_NOPE_RC_ZZ", body: { name: b } }),
      s({ method: "PUT", path: "/resource_classes/custom_lower" }),
      s({ method: "PUT", path: "/resource_classes/NOT_CUSTOM" }),
      s({ path: `/resource_classes/${a}` }),
      s({ path: `/resource_classes/${b}` }),
      s({ path: `/resource_classes/${c}` }),
      // A class in use by an inventory cannot go.
      s({ method: "POST", path: `/resource_providers/${rp}/inventories`, body: { resource_class: b, total: 8 } }),
      s({ method: "DELETE", path: `/resource_classes/${b}` }),
      s({ method: "DELETE", path: "/resource_classes/VCPU" }),
      s({ method: "DELETE", path: "/resource_classes/CUSTOM_NOPE_RC_ZZ" }),
      s({ method: "DELETE", path: `/resource_providers/${rp}/inventories/${b}` }),
      s({ path: `/resource_classes/${a}`, token: "bob" }),
      s({ method: "POST", path: "/resource_classes", body: { name: c }, token: "bob" }),
      s({ method: "PUT", path: `/resource_classes/${c}`, token: "bob" }),
      s({ method: "DELETE", path: `/resource_classes/${b}`, token: "bob" }),
      s({ method: "PATCH", path: "/resource_classes" }),
      s({ method: "PATCH", path: `/resource_classes/${a}` }),
    );
    await sameList(berth.app, version, [a, b, c]);
    await same(
      berth.app,
      s({ method: "DELETE", path: `/resource_classes/${b}` }),
      s({ method: "DELETE", path: `/resource_classes/${a}` }),
      s({ method: "DELETE", path: `/resource_classes/${c}` }),
      s({ path: `/resource_classes/${b}` }),
    );
    await sameList(berth.app, version, [a, b, c]);
    // Leave nothing behind in the shared database when the version could not delete.
    for (const n of [a, b, c]) await same(berth.app, { method: "DELETE", path: `/resource_classes/${n}`, version: "1.2" });
  });
});
