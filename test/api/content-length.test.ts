// A malformed Content-Length on a raw socket, against a real `berth serve`: the reference's WSGI
// server (gunicorn) refuses a value that is not a non-negative integer, a second Content-Length and
// Content-Length with chunked coding before Placement sees them, with a page of its own; Node's
// parser refuses the same, and src/listener.ts answers with that page. Pinned here; compared with
// the reference under gunicorn where it is installed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reference, startBerth, startReference, type Served } from "../helpers/reference.js";

/** One raw request; what came back until the server closed, headers lower-cased, Date and request id dropped. */
function exchange(base: string, contentLength: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let raw = "";
    socket.on("data", (d) => (raw += d.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const at = raw.indexOf("\r\n\r\n");
      const [line, ...fields] = raw.slice(0, at).split("\r\n");
      const headers: Record<string, string> = {};
      for (const f of fields) {
        const i = f.indexOf(":");
        const name = f.slice(0, i).toLowerCase();
        if (!["date", "server", "x-openstack-request-id", "connection"].includes(name)) headers[name] = f.slice(i + 1).trim();
      }
      resolve({ status: Number(line!.split(" ")[1]), headers, body: raw.slice(at + 4) });
    });
    socket.write(
      `GET /resource_providers HTTP/1.1\r\nHost: x\r\nX-Auth-Token: admin\r\nAccept: application/json\r\nContent-Length: ${contentLength}\r\nConnection: close\r\n\r\n`,
    );
  });
}

const PAGE =
  "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n" +
  "    Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;\n  </body>\n</html>\n";

// What gunicorn 20.1 refuses (Python's int() fails, or the value is negative, or framing is doubled).
const REFUSED = ["abc", "1x", "-1", "", "0x10", "1.5", "5, 5", "\u00b3", "5\r\nContent-Length: 5", "5\r\nTransfer-Encoding: chunked"];
// NOTE: Python's int() takes these ("+3", "1_0", and any size), so gunicorn hands them to Placement,
// which answers its own 400 (content-type required when content-length > 0); Node's parser refuses
// them first and Berth answers the page above. Both 400; the body differs.
const PYTHON_ONLY = ["+3", "1_0", "99999999999999999999"];

describe("a malformed Content-Length on a real berth serve", () => {
  let dir = "";
  let berth: Served | undefined;
  let ref: Served | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-clen-"));
    const wantRef = reference.api && reference.gunicorn;
    [berth, ref] = await Promise.all([
      startBerth(`sqlite:///${join(dir, "berth.sqlite")}`, dir, {}, true),
      wantRef ? startReference(`sqlite:///${join(dir, "ref.sqlite")}`, dir, 1) : undefined,
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([berth?.stop(), ref?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(REFUSED)("answers %j with the WSGI server's 400 page", async (value) => {
    const ours = await exchange(berth!.base, value);
    expect(ours).toEqual({ status: 400, headers: { "content-type": "text/html", "content-length": String(PAGE.length) }, body: PAGE });
    if (ref) expect(ours).toEqual(await exchange(ref.base, value));
  });

  it.each(PYTHON_ONLY)("answers %j with a 400 (the reference's comes from Placement)", async (value) => {
    expect((await exchange(berth!.base, value)).status).toBe(400);
    if (ref) expect((await exchange(ref.base, value)).status).toBe(400);
  });

  it("still serves a well-formed request", async () => {
    expect((await exchange(berth!.base, "0")).status).toBe(200);
  });
});
