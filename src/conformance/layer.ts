// The conformance layer: in front of the app, it records every exchange, lowers the maximum
// microversion when asked (406 above it, the lower maximum in GET / and in the 406 body, as
// Placement answers an unsupported version) and injects the faults of the plan. Without faults
// and without a lower maximum, every answer is the app's, unchanged.
import type { IncomingMessage } from "node:http";
import { conflict, errorBody, errorResponse, ErrorCodes, type HttpError, serviceUnavailable } from "../http/errors.js";
import { effectiveAccept } from "../http/accept.js";
import { MAX_VERSION, parseVersionHeader, placementEntry, unacceptableVersion } from "../http/microversion.js";
import { newRequestId, REQUEST_ID_HEADER } from "../http/request-id.js";
import { matchRoute } from "../routes.js";
import { FaultPlan, type FaultSpec } from "./faults.js";
import { Recorder, type Exchange } from "./recorder.js";
import { compare } from "./needs.js";

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>;

export interface LayerOptions {
  app: { fetch: Fetch };
  faults: FaultSpec;
  /** The maximum microversion to announce and accept (default the app's, 1.39). */
  maxVersion?: string;
  /** Answers GET /_conformance/... (the report); the layer records nothing of those. */
  control?: (req: Request, url: URL) => Response | Promise<Response> | undefined;
}

const VERSION_HEADER = "openstack-api-version";
const LEGACY_HEADER = "x-openstack-placement-api-version";

/** Writes that carry a generation (a provider's or a consumer's) and so may lose a race. */
const GUARDED: ReadonlySet<string> = new Set([
  "PUT /resource_providers/{uuid}/inventories",
  "POST /resource_providers/{uuid}/inventories",
  "DELETE /resource_providers/{uuid}/inventories",
  "PUT /resource_providers/{uuid}/inventories/{resource_class}",
  "DELETE /resource_providers/{uuid}/inventories/{resource_class}",
  "PUT /resource_providers/{uuid}/traits",
  "DELETE /resource_providers/{uuid}/traits",
  "PUT /resource_providers/{uuid}/aggregates",
  "PUT /allocations/{consumer_uuid}",
  "POST /allocations",
  "POST /reshaper",
]);

export const isGuardedWrite = (method: string, route: string | undefined): boolean => route !== undefined && GUARDED.has(`${method} ${route}`);

export interface Layer {
  fetch: Fetch;
  recorder: Recorder;
  maxVersion: string;
  faults: FaultSpec;
}

export function createLayer(opts: LayerOptions): Layer {
  const recorder = new Recorder();
  const plan = new FaultPlan(opts.faults);
  const max = opts.maxVersion ?? MAX_VERSION;
  const lowered = compare(max, MAX_VERSION) < 0;

  const fetch: Fetch = async (req, env) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/_conformance/") && opts.control) {
      const answer = await opts.control(req, url);
      if (answer) return answer;
    }
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.clone().text();
    const hit = matchRoute(url.pathname);
    const versionHeader = placementEntry(req.headers.get(VERSION_HEADER));
    const ex: Exchange = {
      seq: recorder.nextSeq(),
      method: req.method,
      path: url.pathname,
      query: [...url.searchParams.entries()],
      route: hit?.route.path,
      versionHeader,
      legacyVersionHeader: req.headers.get(LEGACY_HEADER) ?? undefined,
      version: undefined,
      requestId: req.headers.get(REQUEST_ID_HEADER) ?? undefined,
      userAgent: req.headers.get("user-agent") ?? undefined,
      body: parseJson(text),
      status: 0,
      answeredAt: 0,
      arrivedAfter: recorder.answerCount,
    };
    recorder.add(ex);
    const facts = { accept: effectiveAccept(req.headers.get("accept")), method: req.method };
    const injected = (err: HttpError, version: string | undefined, kind: Exchange["fault"]) => {
      ex.fault = kind;
      const requestId = newRequestId();
      const withCode = version !== undefined && compare(version, "1.23") >= 0;
      const res = errorResponse(err, facts, () => errorBody(err, requestId, withCode, facts));
      res.headers.set(REQUEST_ID_HEADER, requestId);
      if (version !== undefined) {
        res.headers.set(VERSION_HEADER, `placement ${version}`);
        res.headers.set("vary", VERSION_HEADER);
      }
      return finish(ex, res, recorder);
    };

    const front = plan.front(req.method, url.pathname);
    if (front === "drop") {
      ex.fault = "drop";
      recorder.answered(ex);
      // NOTE: the connection goes before any answer, as a balancer or a crashed worker drops it.
      (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.destroy();
      return new Response(null, { status: 502 });
    }
    if (front === "unavailable") {
      const res = await injected(
        serviceUnavailable("The service is being restarted (a fault the conformance server injects). Please try again."),
        undefined,
        "unavailable",
      );
      res.headers.set("retry-after", "0");
      return res;
    }

    // The server's version check, with the (lower) maximum.
    let version: string | undefined;
    try {
      const v = parseVersionHeader(req.headers.get(VERSION_HEADER)).toString();
      version = versionHeader === "latest" ? max : v;
    } catch {
      version = undefined; // the app answers a malformed or unsupported version itself
    }
    if (version !== undefined && compare(version, max) > 0) {
      ex.errorCode = undefined;
      return injected(unacceptableVersion(versionHeader ?? version, max), undefined, undefined);
    }
    const old = opts.faults.oldNode;
    if (version !== undefined && versionHeader !== "latest" && old && compare(version, old.max) > 0 && plan.oldNode()) {
      return injected(unacceptableVersion(versionHeader ?? version, old.max), undefined, "old-node");
    }
    ex.version = version;
    if (isGuardedWrite(req.method, ex.route) && version !== undefined && plan.conflict()) {
      return injected(conflict("Another thread concurrently updated the data. Please retry your update", ErrorCodes.CONCURRENT_UPDATE), version, "conflict");
    }

    let forwarded = req;
    if (lowered && versionHeader === "latest") {
      // NOTE: `latest` means the lowered maximum here; the app would take it as its own.
      const headers = new Headers(req.headers);
      headers.set(VERSION_HEADER, `placement ${max}`);
      forwarded = new Request(req.url, { method: req.method, headers, body: text === "" ? undefined : text });
    }
    let res = await opts.app.fetch(forwarded, env);
    if (lowered && url.pathname === "/" && req.method === "GET" && res.status === 200) {
      const body = (await res.text()).replace(`"max_version": "${MAX_VERSION}"`, `"max_version": "${max}"`);
      const headers = new Headers(res.headers);
      headers.set("content-length", String(Buffer.byteLength(body)));
      res = new Response(body, { status: res.status, headers });
    }
    return finish(ex, res, recorder);
  };

  return { fetch, recorder, maxVersion: max, faults: opts.faults };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Records the answer (status, JSON body, error code) and hands it on. */
async function finish(ex: Exchange, res: Response, recorder: Recorder): Promise<Response> {
  ex.status = res.status;
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json") && res.body !== null) {
    ex.answer = parseJson(await res.clone().text());
    const first = (ex.answer as { errors?: { code?: string; detail?: string }[] } | undefined)?.errors?.[0];
    if (first?.code) ex.errorCode = first.code;
    else if (res.status === 409 && first?.detail && /generation|concurrent/i.test(first.detail)) ex.errorCode = ErrorCodes.CONCURRENT_UPDATE;
  }
  recorder.answered(ex);
  return res;
}
