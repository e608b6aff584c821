// THE route table: path -> method -> handler, with the microversion each appeared in.
// 404 and 405 (with Allow) are derived from it in app.ts.
import type { Handler } from "./http/context.js";
import { Version } from "./http/microversion.js";
import * as root from "./handlers/root.js";
import * as resourceProvider from "./handlers/resource-provider.js";
import * as inventory from "./handlers/inventory.js";
import * as usage from "./handlers/usage.js";
import * as aggregate from "./handlers/aggregate.js";
import * as allocation from "./handlers/allocation.js";
import * as allocationCandidate from "./handlers/allocation-candidate.js";
import * as trait from "./handlers/trait.js";
import * as resourceClass from "./handlers/resource-class.js";
import * as reshaper from "./handlers/reshaper.js";
import * as healthcheck from "./handlers/healthcheck.js";
import * as capabilities from "./handlers/capabilities.js";
import * as ui from "./handlers/ui.js";
import * as fleet from "./handlers/fleet.js";
import { at } from "@berth/client/common";

export interface MethodEntry {
  handler: Handler;
  /** Below this version the method answers 405 without Allow, as the reference does. */
  since?: Version;
  /** The handler serves JSON only and answers 406 to an Accept without it (the reference's GETs of data). */
  json?: boolean;
}
export interface Route {
  path: string;
  /** Below this version the whole path answers 404. */
  since?: Version;
  methods: Partial<Record<string, MethodEntry>>;
  /** Served without a token (the dashboard's page and bundles, which hold no data). */
  public?: boolean;
}

const v = (minor: number) => new Version(1, minor);
const m = (handler: Handler, since?: Version): MethodEntry => ({ handler, since });
/** A GET that checks Accept (not GET / nor GET /traits/{name}, which the reference leaves unchecked). */
const json = (handler: Handler): MethodEntry => ({ handler, json: true });

export const ROUTES: readonly Route[] = [
  { path: "/", methods: { GET: m(root.home) } },
  { path: "/resource_providers", methods: { GET: json(resourceProvider.list), POST: m(resourceProvider.create) } },
  {
    path: "/resource_providers/{uuid}",
    methods: { GET: json(resourceProvider.show), DELETE: m(resourceProvider.remove), PUT: m(resourceProvider.update) },
  },
  { path: "/resource_classes", since: v(2), methods: { GET: json(resourceClass.list), POST: m(resourceClass.create) } },
  {
    path: "/resource_classes/{name}",
    since: v(2),
    methods: { GET: json(resourceClass.show), PUT: m(resourceClass.update), DELETE: m(resourceClass.remove) },
  },
  {
    path: "/resource_providers/{uuid}/inventories",
    methods: {
      GET: json(inventory.list),
      POST: m(inventory.create),
      PUT: m(inventory.replaceAll),
      DELETE: m(inventory.removeAll, v(5)),
    },
  },
  {
    path: "/resource_providers/{uuid}/inventories/{resource_class}",
    methods: { GET: json(inventory.show), PUT: m(inventory.update), DELETE: m(inventory.remove) },
  },
  { path: "/resource_providers/{uuid}/usages", methods: { GET: json(usage.forProvider) } },
  { path: "/usages", since: v(9), methods: { GET: json(usage.forProject) } },
  // NOTE: no route-level since: the reference checks the media type of a PUT before the version
  // (a text/plain PUT at 1.0 is a 415), so the handlers answer the 404 below 1.1 themselves.
  { path: "/resource_providers/{uuid}/aggregates", methods: { GET: json(aggregate.show), PUT: m(aggregate.replace) } },
  { path: "/resource_providers/{uuid}/allocations", methods: { GET: json(allocation.forProvider) } },
  { path: "/allocations", since: v(13), methods: { POST: m(allocation.postMany) } },
  {
    path: "/allocations/{consumer_uuid}",
    methods: { GET: json(allocation.show), PUT: m(allocation.replace), DELETE: m(allocation.remove) },
  },
  { path: "/allocation_candidates", since: v(10), methods: { GET: json(allocationCandidate.list) } },
  // Berth's own (docs/explain.md): why the same query fits or not.
  { path: "/allocation_candidates/explain", since: v(10), methods: { GET: json(allocationCandidate.explain) } },
  { path: "/traits", since: v(6), methods: { GET: json(trait.list) } },
  { path: "/traits/{name}", since: v(6), methods: { GET: m(trait.show), PUT: m(trait.create), DELETE: m(trait.remove) } },
  {
    path: "/resource_providers/{uuid}/traits",
    since: v(6),
    methods: { GET: json(trait.forProvider), PUT: m(trait.replaceForProvider), DELETE: m(trait.removeForProvider) },
  },
  { path: "/reshaper", since: v(30), methods: { POST: m(reshaper.reshape) } },
  // Berth's own (not the reference's): for load balancers; served without auth (app.ts).
  { path: "/healthcheck", methods: { GET: m(healthcheck.check), HEAD: m(healthcheck.check) } },
  // Berth's own (docs/capabilities.md): what the caller may do, at three levels.
  { path: "/capabilities", methods: { GET: m(capabilities.service) } },
  { path: "/capabilities/{type}", methods: { GET: m(capabilities.forType) } },
  { path: "/capabilities/{type}/{id}", methods: { GET: m(capabilities.forInstance) } },
  // Berth's own: the dashboard (docs/dashboard.md). Its page needs no token; its reads do.
  { path: "/ui", public: true, methods: { GET: m(ui.redirect) } },
  { path: "/ui/", public: true, methods: { GET: m(ui.page) } },
  { path: "/ui/config.json", public: true, methods: { GET: m(ui.config) } },
  { path: "/ui/{file}", public: true, methods: { GET: m(ui.asset) } },
  { path: "/ui/api/fleet", methods: { GET: json(fleet.summary) } },
  { path: "/ui/api/filters", methods: { GET: json(fleet.filters) } },
  { path: "/ui/api/trees", methods: { GET: json(fleet.trees) } },
  { path: "/ui/api/trees/{uuid}", methods: { GET: json(fleet.tree) } },
  { path: "/ui/api/consumers", methods: { GET: json(fleet.consumers) } },
  { path: "/ui/api/names", methods: { GET: json(fleet.names) } },
];

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

const COMPILED: Compiled[] = ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, n: string) => {
    names.push(n);
    return "([^/]+)";
  });
  return { route, re: new RegExp(`^${pattern}$`), names };
});

/** The route for a path and its decoded parameters, or undefined. */
export function matchRoute(path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const c of COMPILED) {
    const hit = c.re.exec(path);
    if (!hit) continue;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = safeDecode(at(hit, i + 1))));
    return { route: c.route, params };
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
