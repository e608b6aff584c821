// The HTTP server around the app (not listening yet: main.ts and cluster.ts call listen()). It bounds
// what a client may send and how slowly, and answers what Node's parser refuses before the app sees
// it (a URL or headers too large, a client too slow, a malformed request) with the API's error body.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { createAdaptorServer } from "@hono/node-server";
import type { Logger } from "pino";
import { errorBody, HttpError, REASONS } from "./http/errors.js";
import { newRequestId, REQUEST_ID_HEADER } from "./http/request-id.js";
import { dumps } from "./python/json.js";
import { keepRawPath } from "./http/raw-path.js";
import { replay, rewrittenHead } from "./listener-relay.js";

export interface Limits {
  /** The request line and headers together, in bytes (Node's maxHeaderSize); 414 or 431 beyond. */
  readonly maxHeaderBytes: number;
  /** Time for a client to send the request line and headers (408 after it). */
  readonly headersTimeoutMs: number;
  /** Time for a client to send the whole request, body included (408 after it). */
  readonly requestTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  readonly timeoutCheckMs: number;
  /** The largest body (the app refuses more with 413; here, only to skip `100 Continue`). */
  readonly maxBodyBytes: number;
}

// NOTE: real Placement URLs and headers stay within a few KiB (Apache, in front of most reference
// deployments, refuses request lines above 8 KiB); a token is a few hundred bytes.
export const DEFAULT_LIMITS: Omit<Limits, "maxBodyBytes"> = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  timeoutCheckMs: 2_000,
});

type Fetch = (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => Response | Promise<Response>;

export function createListener(app: { fetch: Fetch }, limits: Limits, logger?: Logger): Server {
  const server = createAdaptorServer({
    fetch: app.fetch as never,
    // NOTE: the host of a request without Host (HTTP/1.0, or a bare client), which gunicorn serves.
    hostname: "localhost",
    serverOptions: {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckMs,
      // NOTE: an HTTP/1.1 request without Host is answered (gunicorn serves it; Node would say 400).
      requireHostHeader: false,
    },
  }) as Server;
  // NOTE: a client that ends its side after sending a request (shutdown(SHUT_WR), `nc -q`) still gets
  // the answer, as from the reference's gunicorn; Node would otherwise drop an answer not yet written.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // NOTE: before Hono's listener, which would resolve the path's dot segments (see raw-path.ts).
  server.prependListener("request", keepRawPath);
  // NOTE: a Host the URL parser refuses (a port above 65535, spaces) would make the adapter answer an
  // empty 400; gunicorn passes it on and the reference answers the request. Nothing here reads the
  // host (links and Location are paths), so such a request is served as if it had none.
  server.prependListener("request", (req: IncomingMessage) => {
    const host = req.headers.host;
    if (host !== undefined && !URL.canParse(`http://${host}/`)) req.headers.host = "localhost";
  });
  // NOTE: a client that asks before sending a body (Expect: 100-continue, as curl does above 1 MiB)
  // hears 413 instead of "go on" when the body it declares is too large; the app answers that.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers["content-length"] ?? 0) > limits.maxBodyBytes) res.setHeader("connection", "close");
    else res.writeContinue();
    server.emit("request", req, res);
  });
  const answered = new WeakSet<Duplex>();
  server.on("clientError", (err: NodeJS.ErrnoException & { rawPacket?: Buffer; reason?: string; bytesParsed?: number }, socket: Duplex) => {
    // NOTE: the parser stays failed and reports again for each later packet: answer once, read the
    // rest (so the peer gets the answer, not a reset) and close shortly.
    if (answered.has(socket)) return;
    answered.add(socket);
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === "ECONNRESET" || err.code === "EPIPE" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    // NOTE: what follows a whole request still being answered is not HTTP: that answer goes out and
    // the connection closes, as with the reference's gunicorn (its sync worker reads one request per
    // connection and never looks at the bytes after it).
    if (inFlight?.req?.complete) {
      inFlight.shouldKeepAlive = false;
      inFlight.once("finish", () => socket.end());
      inFlight.once("close", () => setTimeout(() => socket.destroy(), 1000).unref());
      return;
    }
    // NOTE: a Content-Length Python's int() reads ("+3", "1_0") reaches the reference's Placement
    // through gunicorn: the request is parsed again with plain digits and answered as such (not while
    // an earlier request's answer on the connection is still to be written: the two would interleave).
    if (err.code === "HPE_INVALID_CONTENT_LENGTH" && err.rawPacket && !inFlight) {
      const head = rewrittenHead(err.rawPacket, err.bytesParsed ?? 0);
      if (head && replay(server, socket, head)) {
        logger?.debug({ reason: err.code }, "Content-Length read as Python reads it; request parsed again");
        return;
      }
    }
    const [status, detail] = refusal(err);
    const requestId = newRequestId();
    logger?.info({ requestId, status, reason: err.code }, `refused before the app: ${status} (${err.code})`);
    const [type, body] = badContentLength(err)
      ? ["text/html", CONTENT_LENGTH_PAGE]
      : ["application/json", dumps(errorBody(new HttpError(status, detail), requestId, false))];
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  return server;
}

// NOTE: the reference's WSGI server (gunicorn) refuses a Content-Length that Python's int() does not
// read or that is negative, or comes twice, or comes with chunked transfer coding, before Placement
// sees the request, with this page of its own (whatever the Accept); Node's parser refuses those too.
const CONTENT_LENGTH_PAGE =
  "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n" +
  "    Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;\n  </body>\n</html>\n";

function badContentLength(err: NodeJS.ErrnoException & { reason?: string }): boolean {
  return (
    err.code === "HPE_INVALID_CONTENT_LENGTH" ||
    err.code === "HPE_UNEXPECTED_CONTENT_LENGTH" ||
    (err.code === "HPE_INVALID_TRANSFER_ENCODING" && /content-length/i.test(err.reason ?? ""))
  );
}

/** The status and detail for what Node's parser refused. */
function refusal(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): [number, string] {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return inRequestLine(err.rawPacket) ? [414, "The request line is too long."] : [431, "The request's header fields are too large."];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "The request was not received in time."];
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "The chunk extensions are too large."];
    default:
      return [400, "The request could not be parsed as HTTP."];
  }
}

/**
 * Whether the head overflowed while still in its request line, judged from the packet that did it
 * (Node says only "header overflow"): a packet that starts the request and ends no line, or a later
 * one that ends no line and has no space (a request target has none; header lines mostly do).
 */
function inRequestLine(packet: Buffer | undefined): boolean {
  if (!packet) return false;
  const text = packet.toString("latin1");
  if (text.includes("\n")) return false;
  return /^[A-Z]+ /.test(text) || !text.includes(" ");
}
