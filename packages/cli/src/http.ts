// The CLI's fetch: node:http(s), so that --os-cacert, --insecure and client certificates apply
// (Node's global fetch takes no TLS options). One connection per request, as the openstack CLI's
// short runs need no pool.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface TlsOptions {
  /** PEM text of the CA bundle to trust instead of the system's. */
  ca?: string;
  /** Do not verify the server's certificate (--insecure, verify: false). */
  insecure?: boolean;
  /** PEM text of a client certificate and its key. */
  cert?: string;
  key?: string;
}

// Statuses whose Response may not have a body.
const NO_BODY = new Set([101, 204, 205, 304]);

/** A fetch for the SDK (ClientOptions.fetch, Keystone auth) that honours the TLS options. */
export function nodeFetch(tls: TlsOptions = {}): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init.body === "string" ? init.body : undefined;
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const secure = url.protocol === "https:";
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        {
          method: init.method ?? "GET",
          headers,
          agent: false,
          ...(secure ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
              else if (v !== undefined) h.set(k, v);
            }
            const status = res.statusCode ?? 500;
            resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: h }));
          });
        },
      );
      const abort = () => req.destroy(signal!.reason as Error);
      signal?.addEventListener("abort", abort, { once: true });
      req.on("error", (e) => {
        signal?.removeEventListener("abort", abort);
        reject(e);
      });
      req.on("close", () => signal?.removeEventListener("abort", abort));
      req.end(body);
    });
  }) as typeof fetch;
}
