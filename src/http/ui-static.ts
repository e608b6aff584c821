// The dashboard's built files (dist/ui/, made by `npm run build` from ui/), served from memory
// with their content types: index.html revalidated on every load (ETag), the bundles under
// content-hashed names cached for a year.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the build puts the dashboard; the same from src/http (tests) and dist/http. */
export const UI_DIR = fileURLToPath(new URL("../../dist/ui/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".map": "application/json",
};

export interface UiFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
  cacheControl: string;
}

/** esbuild's [name]-[hash] names: safe to cache for ever. */
const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

let files: Map<string, UiFile> | undefined;

/** The built files by name (read once; undefined while the dashboard is not built). */
export function uiFiles(dir = UI_DIR): Map<string, UiFile> | undefined {
  if (files) return files;
  if (!existsSync(join(dir, "index.html"))) return undefined;
  const out = new Map<string, UiFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = new Uint8Array(readFileSync(join(dir, name)));
    out.set(name, {
      body,
      type,
      etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
      cacheControl: HASHED.test(name) ? "public, max-age=31536000, immutable" : "no-cache",
    });
  }
  files = out;
  return out;
}

/** The file as a response (304 when the client has it already). */
export function fileResponse(f: UiFile, ifNoneMatch: string | null): Response {
  const headers = {
    etag: f.etag,
    "cache-control": f.cacheControl,
    "x-content-type-options": "nosniff",
    // NOTE: the page loads nothing from elsewhere: scripts and styles are its own, data its origin's.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  };
  if (ifNoneMatch?.split(",").some((t) => t.trim() === f.etag)) return new Response(null, { status: 304, headers });
  return new Response(f.body, { status: 200, headers: { ...headers, "content-type": f.type, "content-length": String(f.body.byteLength) } });
}
