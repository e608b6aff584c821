// A request whose Content-Length Node's parser refuses but the reference's WSGI server (gunicorn)
// reads with Python's int() ("+3", "1_0", " 3\xa0", twenty digits): its head with that one value
// written as plain digits, and the socket handed back to the HTTP server to parse it again, so it is
// answered as the same request with a plain Content-Length is (the reference's Placement answers
// those itself, e.g. 400 "content-type header required when content-length > 0").
import { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { at as element } from "@berth/client/common";

// NOTE: what gunicorn 20.1 passes on, found by sending it values one by one: surrounding spaces, tabs,
// \v, \f, \x85 and \xa0 (not \x1c-\x1f), one sign, ASCII digits with single underscores between them;
// a negative value other than 0 is refused. Above this Berth's 413 applies anyway (app.ts), and Node
// reads at most 2^64 - 1.
const PYTHON_INT = /^[ \t\x0b\x0c\x85\xa0]*([+-]?)(\d(?:_?\d)*)[ \t\x0b\x0c\x85\xa0]*$/;
const MAX_LENGTH = BigInt(Number.MAX_SAFE_INTEGER);

/** The length Python's int() reads from a Content-Length value (latin-1), when gunicorn passes it on. */
export function pythonContentLength(value: string): bigint | undefined {
  const m = PYTHON_INT.exec(value);
  if (!m) return undefined;
  const n = BigInt(element(m, 2).replace(/_/g, ""));
  if (m[1] === "-" && n !== 0n) return undefined;
  return n;
}

/**
 * The packet from the start of the refused request's head, with the Content-Length line the parser
 * failed in (`at`, an offset into `packet`) rewritten as plain digits; undefined when the packet does
 * not hold the request line and that whole header line, or the value is not one Python reads.
 */
export function rewrittenHead(packet: Buffer, at: number): Buffer | undefined {
  const text = packet.toString("latin1");
  // NOTE: `at` may be the CR ending the value (an overflow is found there), so search before it.
  const start = text.lastIndexOf("\r\n\r\n", at - 1);
  const head = start < 0 ? 0 : start + 4;
  if (!/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(text.slice(head))) return undefined;
  const lineStart = text.lastIndexOf("\r\n", at - 1) + 2;
  const lineEnd = text.indexOf("\r\n", at);
  if (lineStart <= head || lineEnd < 0) return undefined;
  const line = /^(content-length[ \t]*:)(.*)$/i.exec(text.slice(lineStart, lineEnd));
  if (!line) return undefined;
  const n = pythonContentLength(element(line, 2));
  if (n === undefined) return undefined;
  const digits = (n > MAX_LENGTH ? MAX_LENGTH : n).toString();
  return Buffer.from(`${text.slice(head, lineStart)}${line[1]} ${digits}${text.slice(lineEnd)}`, "latin1");
}

/**
 * The socket as a new connection for the HTTP server: `first` is read first, then whatever the client
 * sends next; writes, timeouts and closing go to the socket.
 */
export class Relay extends Duplex {
  constructor(
    private readonly socket: Socket,
    first: Buffer,
  ) {
    super();
    this.push(first);
    socket.on("data", (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("close", () => this.destroy());
    socket.on("timeout", () => this.emit("timeout"));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  setTimeout(ms: number, onTimeout?: () => void): this {
    this.socket.setTimeout(ms);
    if (onTimeout) this.once("timeout", onTimeout);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.socket.write(chunk, encoding, done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

/**
 * Takes the socket back from the parser that refused it (as Node does for an upgrade) and hands it to
 * `server` as a new connection reading `head` first; false (nothing done) when it cannot.
 */
export function replay(server: { emit(event: "connection", socket: Duplex): boolean }, socket: Duplex, head: Buffer): boolean {
  // NOTE: Node internals: the parser that failed still owns the socket's reads (`parser.unconsume`
  // gives them back, as for an upgrade) and its listeners would feed it; its 'close' listener stays.
  const parser = (socket as Duplex & { parser?: { unconsume?: () => void } }).parser;
  if (socket instanceof Relay || typeof parser?.unconsume !== "function") return false;
  parser.unconsume();
  for (const event of ["data", "end", "timeout"]) socket.removeAllListeners(event);
  server.emit("connection", new Relay(socket as Socket, head));
  return true;
}
