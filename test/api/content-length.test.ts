// A malformed Content-Length on a raw socket, against a real `berth serve` on each database: the
// reference's WSGI server (gunicorn) refuses a value Python's int() does not read, a negative one, a
// second Content-Length and Content-Length with chunked coding before Placement sees them, with a
// page of its own; Node's parser refuses the same, and src/listener.ts answers with that page. What
// Python's int() reads and Node's parser does not ("+3", "1_0", " 3\xa0", "-0") reaches the
// reference's Placement, and Berth parses such a request again with plain digits
// (src/listener-relay.ts). Compared with the reference under gunicorn, on the same kind of
// database, where it is installed; Berth's answers are pinned either way.
import { afterAll, beforeAll, expect, it } from "vitest";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, describeEachDb } from "../helpers/databases.js";
import { reference, startBerth, startReference, type Served } from "../helpers/reference.js";
import { pythonContentLength, rewrittenHead } from "../../src/listener-relay.js";

interface Sent {
  method?: string;
  path?: string;
  version?: string;
  contentLength: string;
  contentType?: string;
  body?: string;
}

interface Got {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One raw request (head in latin-1); what came back until the server closed, headers lower-cased, Date, Server and request ids dropped. */
function exchange(base: string, s: Sent): Promise<Got> {
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
        if (!["date", "server", "x-openstack-request-id", "connection", "content-length", "location"].includes(name)) headers[name] = f.slice(i + 1).trim();
      }
      const text = raw.slice(at + 4);
      let body: unknown = text;
      if (headers["content-type"] === "application/json") body = JSON.parse(text, (k, v) => (k === "request_id" ? "req" : v));
      resolve({ status: Number(line!.split(" ")[1]), headers, body });
    });
    const head =
      `${s.method ?? "GET"} ${s.path ?? "/resource_providers"} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: admin\r\nAccept: application/json\r\n` +
      (s.version ? `OpenStack-API-Version: placement ${s.version}\r\n` : "") +
      `Content-Length: ${s.contentLength}\r\n${s.contentType ? `Content-Type: ${s.contentType}\r\n` : ""}Connection: close\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(s.body ?? "", "utf8")]));
  });
}

const PAGE =
  "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n" +
  "    Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;\n  </body>\n</html>\n";

// What gunicorn 20.1 refuses (Python's int() fails, or the value is negative, or framing is doubled).
const REFUSED = [
  "abc",
  "1x",
  "-1",
  "",
  "0x10",
  "1.5",
  "5, 5",
  "\u00b3",
  "1__0",
  "_1",
  "+-3",
  "\x1c3",
  "5\r\nContent-Length: 5",
  "5\r\nTransfer-Encoding: chunked",
];

const BAD = "The server could not comply with the request since it is either malformed or otherwise incorrect.\n\n ";
const error = (status: number, title: string, detail: string) => ({ errors: [{ status, title, detail, request_id: "req" }] });
const V10 = { "content-type": "application/json", "openstack-api-version": "placement 1.0" };

// Values Python's int() reads and Node's parser does not: each answered as the same request with
// plain digits, as the reference's Placement answers it.
const PYTHON_READS: [string, Sent, Got][] = [
  ...["+3", "1_0", "\x0b3", " 3\xa0", "3\x85"].map((v): [string, Sent, Got] => [
    `${JSON.stringify(v)} without Content-Type`,
    { contentLength: v, body: "abc" },
    { status: 400, headers: V10, body: error(400, "Bad Request", `${BAD}content-type header required when content-length > 0  `) },
  ]),
  ['"-0" without Content-Type', { contentLength: "-0" }, { status: 200, headers: { ...V10, vary: "openstack-api-version" }, body: { resource_providers: [] } }],
  [
    '"+3" with a body that is not JSON',
    { method: "POST", contentLength: "+3", contentType: "application/json", body: "abc" },
    {
      status: 400,
      headers: { ...V10, vary: "openstack-api-version" },
      body: error(400, "Bad Request", `${BAD}Malformed JSON: Expecting value: line 1 column 1 (char 0)  `),
    },
  ],
  [
    '"+2_0" with a class to create',
    { method: "POST", path: "/resource_classes", version: "1.39", contentLength: "+2_0", contentType: "application/json", body: '{"name": "CUSTOM_A"}' },
    { status: 201, headers: { "openstack-api-version": "placement 1.39", vary: "openstack-api-version" }, body: "" },
  ],
];

describeEachDb("a malformed Content-Length on a real berth serve", (dialect) => {
  let dir = "";
  let berth: Served | undefined;
  let ref: Served | undefined;
  const drops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-clen-"));
    const url = async (file: string) => {
      if (dialect === "sqlite") return `sqlite:///${join(dir, file)}`;
      const db = await createDatabase(dialect);
      drops.push(db.drop);
      return db.url;
    };
    const wantRef = reference.api && reference.gunicorn;
    [berth, ref] = await Promise.all([
      url("berth.sqlite").then((u) => startBerth(u, dir, {}, true)),
      wantRef ? url("ref.sqlite").then((u) => startReference(u, dir, 1)) : undefined,
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([berth?.stop(), ref?.stop()]);
    for (const drop of drops) await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(REFUSED)("answers %j with the WSGI server's 400 page", async (value) => {
    const ours = await exchange(berth!.base, { contentLength: value });
    expect(ours).toEqual({ status: 400, headers: { "content-type": "text/html" }, body: PAGE });
    if (ref) expect(ours).toEqual(await exchange(ref.base, { contentLength: value }));
  });

  it.each(PYTHON_READS)("answers %s as the reference's Placement does", async (_name, sent, want) => {
    const ours = await exchange(berth!.base, sent);
    expect(ours).toEqual(want);
    if (ref) expect(ours).toEqual(await exchange(ref.base, sent));
  });

  // Listed in docs/compatibility.md: a declared body above [api] max_request_body_size is refused
  // unread (the reference reads on: 400 without Content-Type, and with one a 200 for a GET and a 500
  // when the client stops sending).
  it("answers a 20-digit Content-Length with Berth's 413, as any length above the limit", async () => {
    for (const contentType of [undefined, "application/json"]) {
      const ours = await exchange(berth!.base, { contentLength: "99999999999999999999", contentType });
      expect(ours.status).toBe(413);
      expect(ours.body).toEqual(
        error(
          413,
          "Request Entity Too Large",
          "The body of your request was too large for this server.\n\n The request body is larger than 8388608 bytes ([api] max_request_body_size).  ",
        ),
      );
    }
  });

  it("still serves a well-formed request", async () => {
    expect((await exchange(berth!.base, { contentLength: "0" })).status).toBe(200);
  });
});

it("reads a Content-Length as Python's int() and gunicorn do", () => {
  const read = (v: string) => pythonContentLength(v)?.toString();
  expect(["+3", "1_0", "-0", "00", " \t3\x0b\x0c\x85\xa0", "99999999999999999999"].map(read)).toEqual(["3", "10", "0", "0", "3", "99999999999999999999"]);
  for (const v of REFUSED.slice(0, 12)) expect(read(v), JSON.stringify(v)).toBeUndefined();
  // Only the line the parser failed in is rewritten, from the start of its request on.
  const packet = Buffer.from("GET / HTTP/1.1\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: +3\r\nA: b\r\n\r\nabc", "latin1");
  expect(rewrittenHead(packet, packet.indexOf("+"))?.toString("latin1")).toBe("POST /x HTTP/1.1\r\nContent-Length: 3\r\nA: b\r\n\r\nabc");
  const long = Buffer.from("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "latin1");
  expect(rewrittenHead(long, long.indexOf("\r\n\r\n"))?.toString("latin1")).toBe("GET / HTTP/1.1\r\nContent-Length: 9007199254740991\r\n\r\n");
  expect(rewrittenHead(Buffer.from("Content-Length: +3\r\n\r\n"), 16)).toBeUndefined();
  expect(rewrittenHead(Buffer.from("GET / HTTP/1.1\r\nContent-Length: +3"), 32)).toBeUndefined();
});
