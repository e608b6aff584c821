// The page's one way to the server: the caller's token on every request, the Placement
// microversion the views are written for, conditional requests for polling, error bodies read.

/** The Placement microversion every Placement read of the page uses (consumer types: 1.38; 1.39 forms). */
export const VERSION = "placement 1.39";

const TOKEN_KEY = "berth.token";

/** The token is kept for this tab only (sessionStorage), never in localStorage or a cookie. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Told when the server refuses the token (401): the page asks for another. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

let token: string | null = null;
export function useToken(t: string | null): void {
  token = t;
}

/** Paths are relative to /ui/: `api/fleet` is the dashboard's, `../capabilities` the service's. */
export async function get<T>(path: string, etag?: string): Promise<{ body: T; etag?: string } | "unchanged"> {
  const headers: Record<string, string> = { accept: "application/json", "openstack-api-version": VERSION };
  if (token !== null) headers["x-auth-token"] = token;
  if (etag) headers["if-none-match"] = etag;
  const res = await fetch(path, { headers, cache: "no-cache" });
  if (res.status === 304) return "unchanged";
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    let detail = text;
    let code: string | undefined;
    try {
      const e = JSON.parse(text).errors?.[0];
      if (e) {
        detail = e.detail || e.title;
        code = e.code;
      }
    } catch {
      /* not the error body */
    }
    throw new ApiError(res.status, detail || res.statusText, code);
  }
  return { body: JSON.parse(text) as T, etag: res.headers.get("etag") ?? undefined };
}

/** A plain read (no revalidation). */
export async function read<T>(path: string): Promise<T> {
  const r = await get<T>(path);
  if (r === "unchanged") throw new Error("unexpected 304");
  return r.body;
}

/** A query string from the given values, empty ones left out. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
