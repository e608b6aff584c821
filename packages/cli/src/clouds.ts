// clouds.yaml and secure.yaml, found and merged as the openstack CLI (openstacksdk) does: the
// first file of the search path, OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE first; secure.yaml's
// cloud merged over clouds.yaml's of the same name.
import { join } from "node:path";
import { parse } from "yaml";
import { CliError } from "./errors.js";

/** One cloud's entry, as written in clouds.yaml (only the keys Berth reads are typed). */
export interface Cloud {
  auth_type?: string;
  auth?: Record<string, unknown>;
  region_name?: string;
  interface?: string;
  /** The older name of `interface`. */
  endpoint_type?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  verify?: boolean;
  api_timeout?: number | string;
  placement_api_version?: string | number;
  placement_endpoint_override?: string;
  [key: string]: unknown;
}

/** What finding files needs: the environment, the home and working directories, and the disk. */
export interface Files {
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  exists(path: string): boolean;
  read(path: string): string;
}

const SUFFIXES = [".yaml", ".yml", ".json"];

/** The files looked at for `base` ("clouds" or "secure"), in order. */
export function searchPath(base: "clouds" | "secure", f: Pick<Files, "env" | "home" | "cwd">): string[] {
  const explicit = f.env[base === "clouds" ? "OS_CLIENT_CONFIG_FILE" : "OS_CLIENT_SECURE_FILE"];
  const dirs = [f.cwd, join(f.home, ".config", "openstack"), "/etc/openstack"];
  return [...(explicit ? [explicit] : []), ...dirs.flatMap((d) => SUFFIXES.map((s) => join(d, base + s)))];
}

function firstFile(base: "clouds" | "secure", f: Files): { path: string; clouds: Record<string, Cloud> } | undefined {
  const path = searchPath(base, f).find((p) => f.exists(p));
  if (!path) return undefined;
  let doc: unknown;
  try {
    doc = parse(f.read(path));
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const clouds = (doc as { clouds?: unknown } | null)?.clouds;
  if (clouds !== undefined && (typeof clouds !== "object" || clouds === null)) throw new CliError(`${path}: "clouds" must be a mapping`);
  return { path, clouds: (clouds ?? {}) as Record<string, Cloud> };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** b over a, mappings merged key by key. */
function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The named cloud, secure.yaml merged in; a name found in neither file is an error. */
export function loadCloud(name: string, f: Files): Cloud {
  const clouds = firstFile("clouds", f);
  const secure = firstFile("secure", f);
  const a = clouds?.clouds[name];
  const b = secure?.clouds[name];
  if (a === undefined && b === undefined) {
    const where = [clouds?.path, secure?.path].filter(Boolean).join(" and ");
    throw new CliError(
      `cloud ${name} was not found${
        where
          ? ` in ${where}`
          : ` (no clouds.yaml in ${searchPath("clouds", f)
              .filter((p) => p.endsWith(".yaml"))
              .join(", ")})`
      }`,
    );
  }
  return deepMerge(isObject(a) ? a : {}, isObject(b) ? b : {}) as Cloud;
}
