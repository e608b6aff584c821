// The rules a client is judged by (docs/conformance.md is their spec). Each reads the recorded
// exchanges and gives a verdict, pass, fail or not exercised, with the requests that decided it.
import { MAX_VERSION } from "../http/microversion.js";
import { matchRoute } from "../routes.js";
import { compare, floorOf, justifiedVersion, operationOf, usesOf } from "./needs.js";
import { displayPath, type Exchange } from "./recorder.js";
import { isGuardedWrite } from "./layer.js";

export type Verdict = "pass" | "fail" | "not_exercised";

export interface Evidence {
  seq: number;
  request: string;
  version?: string;
  status: number;
  why: string;
}

export interface RuleResult {
  id: string;
  title: string;
  verdict: Verdict;
  /** How many requests (or events) the rule judged. */
  checked: number;
  summary: string;
  /** The offending requests when it failed; otherwise a few that show how it was exercised. */
  evidence: Evidence[];
}

export interface Run {
  exchanges: readonly Exchange[];
  /** The maximum the server announced. */
  maxVersion: string;
  /** Whether a lagging node (old-node fault) answered some requests. */
  oldNode: boolean;
}

/** Attempts of one write or one request that a bounded client stays within. */
export const MAX_ATTEMPTS = 10;
/** A request refused with 406 this many times in a row at versions above the maximum is a loop. */
export const LOOP_406 = 3;
/** Evidence kept per rule. */
const KEEP = 25;

const RID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const line = (e: Exchange) => `${e.method} ${displayPath(e)}`;
const ev = (e: Exchange, why: string): Evidence => ({
  seq: e.seq,
  request: line(e),
  ...(e.versionHeader !== undefined ? { version: e.versionHeader } : {}),
  status: e.status,
  why,
});
const opKey = (e: Exchange) => `${e.method} ${e.path}`;
const isApi = (e: Exchange) => operationOf(e.method, e.route) !== undefined;
const versionRefusal = (e: Exchange) => e.status === 406 && typeof firstError(e)?.max_version === "string";
const firstError = (e: Exchange) => (e.answer as { errors?: Record<string, unknown>[] } | undefined)?.errors?.[0];

/** The version a request was sent at: its header ("latest" as the maximum), or 1.0 without one. */
function sentVersion(e: Exchange, run: Run): string | undefined {
  if (e.versionHeader === undefined) return "1.0";
  if (e.versionHeader === "latest") return e.version ?? run.maxVersion;
  const m = /^\s*1\.(\d+)\s*$/.exec(e.versionHeader);
  return m ? `1.${Number(m[1])}` : undefined;
}

function result(
  id: string,
  title: string,
  checked: number,
  offenders: Evidence[],
  examples: Evidence[],
  summaries: { pass: string; fail: string; none: string },
): RuleResult {
  const verdict: Verdict = offenders.length ? "fail" : checked ? "pass" : "not_exercised";
  return {
    id,
    title,
    verdict,
    checked,
    summary: verdict === "fail" ? summaries.fail : verdict === "pass" ? summaries.pass : summaries.none,
    evidence: (offenders.length ? offenders : examples).slice(0, KEEP),
  };
}

function microversionSent(run: Run): RuleResult {
  const judged = run.exchanges.filter(isApi);
  const bad = judged
    .filter((e) => e.versionHeader === undefined)
    .map((e) =>
      ev(
        e,
        e.legacyVersionHeader !== undefined
          ? `only the legacy X-OpenStack-Placement-API-Version: ${e.legacyVersionHeader}, which Placement ignores: served at 1.0`
          : "no OpenStack-API-Version header: served at 1.0",
      ),
    );
  return result("microversion.sent", "Sends a microversion on every request", judged.length, bad, [], {
    pass: `all ${judged.length} API requests carried OpenStack-API-Version: placement X`,
    fail: `${bad.length} of ${judged.length} API requests carried no microversion`,
    none: "no API request was made",
  });
}

function noFeatureAbove(run: Run): RuleResult {
  const judged = run.exchanges.filter((e) => isApi(e) && sentVersion(e, run) !== undefined);
  const bad: Evidence[] = [];
  for (const e of judged) {
    const sent = sentVersion(e, run)!;
    const above = usesOf(e).filter((u) => compare(u.since, sent) > 0);
    if (above.length) bad.push(ev(e, `sent at ${sent} but uses ${above.map((u) => `${u.what} (${u.since})`).join(", ")}`));
  }
  return result("microversion.no-feature-above", "Never uses a feature above the microversion it sends", judged.length, bad, [], {
    pass: `none of ${judged.length} requests used a parameter, field or operation above its microversion`,
    fail: `${bad.length} of ${judged.length} requests used something their microversion does not have`,
    none: "no API request with a microversion was made",
  });
}

function lowestVersion(run: Run): RuleResult {
  const judged = run.exchanges.filter((e) => isApi(e) && e.versionHeader !== undefined && e.version !== undefined);
  const bad: Evidence[] = [];
  const examples: Evidence[] = [];
  for (const e of judged) {
    const sent = e.version!;
    const uses = usesOf(e);
    const floor = floorOf(uses);
    if (compare(floor, sent) > 0) continue; // the rule above judges that
    const j = justifiedVersion(e, sent);
    if (compare(sent, j.version) > 0) {
      const needs = uses.filter((u) => u.since === floor).map((u) => u.what);
      const last = j.by.length ? `; its answer changes last at ${j.version} (${j.by.map((u) => u.what).join(", ")})` : "";
      bad.push(
        ev(
          e,
          `sent at ${sent}${e.versionHeader === "latest" ? " (latest)" : ""}; needs ${floor} (${needs.join(", ") || "nothing above 1.0"})${last}; nothing it sends or gets back differs between ${j.version} and ${sent}`,
        ),
      );
    } else if (compare(sent, floor) > 0 && examples.length < 5) {
      examples.push(ev(e, `sent at ${sent}, above its floor ${floor}, for ${j.by.map((u) => u.what).join(", ")}`));
    }
  }
  return result("microversion.lowest", "Picks the lowest version each call needs, or a higher one its answer uses", judged.length, bad, examples, {
    pass: `each of ${judged.length} requests was sent at its floor or at a version whose answer differs from the floor's`,
    fail: `${bad.length} of ${judged.length} requests were sent above any version that changes what they send or get`,
    none: "no API request with a microversion was served",
  });
}

function handles406(run: Run): RuleResult {
  const lowered = compare(run.maxVersion, MAX_VERSION) < 0 || run.oldNode;
  const refusals = run.exchanges.filter(versionRefusal);
  const bad: Evidence[] = [];
  const examples: Evidence[] = [];
  const byOp = new Map<string, Exchange[]>();
  for (const e of run.exchanges) {
    if (!byOp.has(`${e.method} ${e.route ?? e.path}`)) byOp.set(`${e.method} ${e.route ?? e.path}`, []);
    byOp.get(`${e.method} ${e.route ?? e.path}`)!.push(e);
  }
  for (const list of byOp.values()) {
    let streak: Exchange[] = [];
    for (const e of list) {
      if (versionRefusal(e)) streak.push(e);
      else streak = [];
      if (streak.length === LOOP_406)
        bad.push(
          ev(
            e,
            `${LOOP_406} refusals in a row of ${e.method} ${e.route ?? e.path} (versions ${streak.map((x) => x.versionHeader).join(", ")}, maximum ${String(firstError(e)?.max_version)}): a loop`,
          ),
        );
    }
  }
  for (const r of refusals) {
    const next = (byOp.get(`${r.method} ${r.route ?? r.path}`) ?? []).find((x) => x.seq > r.seq);
    const max = String(firstError(r)?.max_version);
    const why = !next
      ? `refused (maximum ${max}); not sent again: the client stopped or moved on`
      : next.versionHeader !== undefined && sentVersion(next, run) !== undefined && compare(sentVersion(next, run)!, max) <= 0
        ? `refused (maximum ${max}); retried at ${next.versionHeader} (#${next.seq}, ${next.status})`
        : `refused (maximum ${max}); next ${next.method} at ${next.versionHeader ?? "none"} (#${next.seq}, ${next.status})`;
    if (examples.length < 8) examples.push(ev(r, why));
  }
  const checked = refusals.length || (lowered ? run.exchanges.filter(isApi).length : 0);
  return result("microversion.handles-406", "Handles 406 and a lower server maximum", checked, bad, examples, {
    pass: refusals.length
      ? `${refusals.length} version refusals (406), each followed by a version the server accepts or by no retry; no loop`
      : `the server's maximum was ${run.maxVersion}${run.oldNode ? " (and a lagging node's lower)" : ""}; no request was refused for its version`,
    fail: `the client looped on a version the server refuses (${bad.length} time${bad.length > 1 ? "s" : ""})`,
    none: "the server kept its maximum and refused no version (run with --max-version 1.N or an old-node fault)",
  });
}

// --- generations -------------------------------------------------------------------------------

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The generations an answer shows: `rp:<uuid>` and `consumer:<uuid>` keys. */
function shown(e: Exchange): [string, number | null][] {
  if (e.status < 200 || e.status >= 300) return [];
  const out: [string, number | null][] = [];
  const a = e.answer;
  const params = matchRoute(e.path)?.params ?? {};
  const provider = (p: unknown) => {
    if (isObject(p) && typeof p.uuid === "string" && typeof p.generation === "number") out.push([`rp:${p.uuid}`, p.generation]);
  };
  if (isObject(a)) {
    provider(a);
    if (Array.isArray(a.resource_providers)) a.resource_providers.forEach(provider);
    if (params.uuid && e.route?.startsWith("/resource_providers/{uuid}/") && typeof a.resource_provider_generation === "number")
      out.push([`rp:${params.uuid}`, a.resource_provider_generation]);
    if (e.route === "/allocations/{consumer_uuid}" && e.method === "GET" && params.consumer_uuid) {
      const g = a.consumer_generation;
      out.push([`consumer:${params.consumer_uuid}`, typeof g === "number" ? g : null]);
      if (isObject(a.allocations))
        for (const [rp, v] of Object.entries(a.allocations)) if (isObject(v) && typeof v.generation === "number") out.push([`rp:${rp}`, v.generation]);
    }
  }
  return out;
}

/** The generations a write sends, and whether it overwrites without one. */
function sent(e: Exchange): { keys: [string, unknown][]; blind?: string } {
  const params = matchRoute(e.path)?.params ?? {};
  const b = e.body;
  const keys: [string, unknown][] = [];
  const route = e.route ?? "";
  if (route.startsWith("/resource_providers/{uuid}/") && params.uuid) {
    if (isObject(b) && "resource_provider_generation" in b) keys.push([`rp:${params.uuid}`, b.resource_provider_generation]);
    else if (route.endsWith("/aggregates") && e.method === "PUT") return { keys, blind: "aggregates replaced without a generation (the list form below 1.19)" };
  }
  const consumer = (c: string, v: unknown) => {
    if (isObject(v) && "consumer_generation" in v) keys.push([`consumer:${c}`, v.consumer_generation]);
  };
  if (route === "/allocations/{consumer_uuid}" && e.method === "PUT" && params.consumer_uuid) consumer(params.consumer_uuid, b);
  if (route === "/allocations" && isObject(b)) for (const [c, v] of Object.entries(b)) consumer(c, v);
  if (route === "/reshaper" && isObject(b)) {
    if (isObject(b.inventories)) for (const [rp, v] of Object.entries(b.inventories)) if (isObject(v)) keys.push([`rp:${rp}`, v.resource_provider_generation]);
    if (isObject(b.allocations)) for (const [c, v] of Object.entries(b.allocations)) consumer(c, v);
  }
  return { keys };
}

function generationsFromRead(run: Run): RuleResult {
  const bad: Evidence[] = [];
  const examples: Evidence[] = [];
  let checked = 0;
  const written = new Set<string>(); // consumers whose allocations were written before
  for (const e of run.exchanges) {
    if (!isGuardedWrite(e.method, e.route)) continue;
    const s = sent(e);
    const params = matchRoute(e.path)?.params ?? {};
    if (e.route === "/allocations/{consumer_uuid}" && e.method === "PUT" && params.consumer_uuid) {
      const c = params.consumer_uuid;
      if (!s.keys.length && written.has(c)) {
        checked++;
        bad.push(ev(e, `allocations of consumer ${c} replaced without consumer_generation (below 1.28) after they were written: a blind overwrite`));
      }
      if (e.status >= 200 && e.status < 300) written.add(c);
    }
    if (s.blind) {
      checked++;
      bad.push(ev(e, s.blind));
      continue;
    }
    for (const [key, value] of s.keys) {
      if (key.startsWith("consumer:") && value === null) continue; // a new consumer: nothing to read
      checked++;
      const seen = new Set<number | null>();
      for (const x of run.exchanges) if (x.answeredAt > 0 && x.answeredAt <= e.arrivedAfter) for (const [k, g] of shown(x)) if (k === key) seen.add(g);
      if (typeof value !== "number" || !seen.has(value)) {
        const shownList = [...seen].filter((g) => g !== null).join(", ");
        bad.push(
          ev(
            e,
            `sent generation ${JSON.stringify(value)} for ${key.replace(":", " ")}, which no earlier answer showed${shownList ? ` (shown: ${shownList})` : ""}: a constant or a guess, not a read`,
          ),
        );
      } else if (examples.length < 5) examples.push(ev(e, `generation ${value} for ${key.replace(":", " ")} as an earlier answer showed it`));
    }
  }
  return result("generations.from-read", "Uses generations taken from a read: no blind overwrites", checked, bad, examples, {
    pass: `each of ${checked} generations sent was one the server had shown`,
    fail: `${bad.length} writes sent a generation no answer had shown, or overwrote without one`,
    none: "the client wrote nothing that a generation guards",
  });
}

function subjects(e: Exchange): Set<string> {
  return new Set(sent(e).keys.map(([k]) => k));
}

function conflictRetries(run: Run): RuleResult {
  const conflicts = run.exchanges.filter((e) => e.status === 409 && e.errorCode === "placement.concurrent_update" && isGuardedWrite(e.method, e.route));
  const bad: Evidence[] = [];
  const examples: Evidence[] = [];
  const streaks = new Map<string, number>();
  for (const e of run.exchanges) {
    if (!isGuardedWrite(e.method, e.route)) continue;
    const k = opKey(e);
    const n = e.status === 409 && e.errorCode === "placement.concurrent_update" ? (streaks.get(k) ?? 0) + 1 : 0;
    streaks.set(k, n);
    if (n === MAX_ATTEMPTS + 1) bad.push(ev(e, `more than ${MAX_ATTEMPTS} attempts in a row at ${k}, each a conflict: retries without a bound`));
  }
  for (const c of conflicts) {
    const retry = run.exchanges.find((x) => x.seq > c.seq && opKey(x) === opKey(c));
    if (!retry) {
      if (examples.length < 8) examples.push(ev(c, "conflict; not retried: the client reported it"));
      continue;
    }
    const want = subjects(c);
    const reread = run.exchanges.find(
      (x) => x.arrivedAfter >= c.answeredAt && x.answeredAt > 0 && x.answeredAt <= retry.arrivedAfter && shown(x).some(([k]) => want.has(k)),
    );
    if (!reread && want.size) bad.push(ev(retry, `retried #${c.seq} (409 concurrent_update) without reading ${[...want].join(", ")} again`));
    else if (examples.length < 8) examples.push(ev(c, `conflict; re-read (#${reread?.seq}) then retried (#${retry.seq}, ${retry.status})`));
  }
  return result("generations.retry", "Retries conflicts correctly (re-read first) and boundedly", conflicts.length, bad, examples, {
    pass: `${conflicts.length} conflicts (409 placement.concurrent_update): each re-read before a retry, within ${MAX_ATTEMPTS} attempts, or reported`,
    fail: `${bad.length} retries without a re-read, or without a bound`,
    none: "no write met a conflict (run with --faults conflict/N)",
  });
}

function requestId(run: Run): RuleResult {
  const bad = run.exchanges
    .filter((e) => e.requestId === undefined || !RID.test(e.requestId))
    .map((e) => ev(e, e.requestId === undefined ? "no X-OpenStack-Request-ID" : `X-OpenStack-Request-ID ${JSON.stringify(e.requestId)} is not req-<uuid>`));
  return result("request-id", "Sends a request id (X-OpenStack-Request-ID: req-<uuid>)", run.exchanges.length, bad, [], {
    pass: `all ${run.exchanges.length} requests carried a global request id`,
    fail: `${bad.length} of ${run.exchanges.length} requests carried no well-formed request id`,
    none: "no request was made",
  });
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);

function survives503(run: Run): RuleResult {
  const failed = run.exchanges.filter((e) => e.status === 503 || e.fault === "drop");
  const bad: Evidence[] = [];
  const examples: Evidence[] = [];
  const streaks = new Map<string, number>();
  for (const e of run.exchanges) {
    const k = `${opKey(e)}?${displayPath(e)}`;
    const n = e.status === 503 || e.fault === "drop" ? (streaks.get(k) ?? 0) + 1 : 0;
    streaks.set(k, n);
    if (n === MAX_ATTEMPTS + 1) bad.push(ev(e, `more than ${MAX_ATTEMPTS} attempts in a row, each unanswered: retries without a bound`));
  }
  for (const f of failed) {
    const what = f.fault === "drop" ? "connection dropped" : "503";
    const again = run.exchanges.find((x) => x.seq > f.seq && x.method === f.method && displayPath(x) === displayPath(f));
    if (again && f.fault === "drop" && !IDEMPOTENT.has(f.method))
      bad.push(ev(again, `${f.method} re-sent after its connection dropped (#${f.seq}): it may have been applied; only idempotent calls are retried blindly`));
    else if (examples.length < 8)
      examples.push(ev(f, again ? `${what}; retried (#${again.seq}, ${again.status})` : `${what}; not retried: the client reported it`));
  }
  return result("survives-503", "Survives 503 and dropped connections: retries idempotent calls or fails cleanly", failed.length, bad, examples, {
    pass: `${failed.length} requests answered 503 or dropped: idempotent ones retried within ${MAX_ATTEMPTS} attempts or reported, none re-sent unsafely`,
    fail: `${bad.length} unsafe or unbounded retries after a 503 or a dropped connection`,
    none: "no request met a 503 or a dropped connection (run with --faults unavailable/N or drop/N)",
  });
}

/** The rules, in the report's order; ids are stable. */
export const RULES: readonly { id: string; judge: (run: Run) => RuleResult }[] = [
  { id: "microversion.sent", judge: microversionSent },
  { id: "microversion.no-feature-above", judge: noFeatureAbove },
  { id: "microversion.lowest", judge: lowestVersion },
  { id: "microversion.handles-406", judge: handles406 },
  { id: "generations.from-read", judge: generationsFromRead },
  { id: "generations.retry", judge: conflictRetries },
  { id: "request-id", judge: requestId },
  { id: "survives-503", judge: survives503 },
];
