// `berth serve --workers N`: every claim on a provider is written by one worker, its owner.
//
// Claims that arrive together on one provider share a write (claim-queue.ts): one lock hold and
// one commit for the batch. With N workers a provider's claims arrive spread over N processes, each
// batching only its own share, and the provider's row lock (held through each commit's log flush)
// is taken N times as often for the same claims: measured on one hot provider, 10 clients, two
// workers wrote about half of what one did (2.5 claims per write against 5). So a worker hands a
// claim whose provider another worker owns to that worker, over a Unix socket of the owner's, and
// answers what the owner answered; the owner's queue batches all of the provider's claims again.
//
// The owner of a claim is the worker its smallest provider uuid hashes to. Routing is an
// optimisation only: every worker writes with the same checks on the same database, so a claim the
// owner cannot take (not yet listening, restarting) is written where it arrived. A claim sent to
// an owner that then goes away is answered 503 (it may or may not have been written, as for any
// request whose connection breaks).
import { mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import type { ConsumerWrite } from "./objects/allocation.js";
import {
  AllocationProviderNotFound,
  CapacityExceeded,
  ConstraintsViolated,
  ConsumerConcurrentUpdate,
  ConsumerGenerationConflict,
  InvalidInventory,
  ProviderConcurrentUpdate,
} from "./objects/allocation.js";
import { ConcurrentUpdate, DomainError, NotFound } from "./objects/errors.js";
import { ResourceClassNotFound } from "./objects/resource-class.js";
import { RetriesExhausted } from "./db/tx.js";
import type { Claims } from "./objects/claim-queue.js";

/** This worker's place among the workers, as the primary gives it (cluster.ts). */
export interface ClaimRoute {
  /** 0 .. workers - 1; a replacement takes the index of the worker it replaces. */
  readonly self: number;
  readonly workers: number;
  /** Where the workers' sockets are (claims-<index>.sock). */
  readonly dir: string;
}

export const ROUTE_ENV = { self: "BERTH_WORKER_INDEX", workers: "BERTH_WORKERS", dir: "BERTH_CLAIM_SOCKETS" } as const;

/** The route the primary put in this worker's environment, if any. */
export function routeFromEnv(env: NodeJS.ProcessEnv = process.env): ClaimRoute | undefined {
  const self = Number(env[ROUTE_ENV.self]);
  const workers = Number(env[ROUTE_ENV.workers]);
  const dir = env[ROUTE_ENV.dir];
  if (!dir || !Number.isInteger(self) || !Number.isInteger(workers) || workers < 2 || self < 0 || self >= workers) return undefined;
  return { self, workers, dir };
}

export const socketPath = (dir: string, index: number): string => join(dir, `claims-${index}.sock`);

/** The worker that writes a claim's provider (FNV-1a of its smallest provider uuid); undefined for a claim on none. */
export function ownerOf(writes: readonly ConsumerWrite[], workers: number): number | undefined {
  let key: string | undefined;
  for (const w of writes) for (const p of w.allocations.keys()) if (key === undefined || p.toLowerCase() < key) key = p.toLowerCase();
  if (key === undefined) return undefined;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % workers;
}

// ---- the wire: one JSON message per line ----

type WireWrite = Omit<ConsumerWrite, "allocations"> & { allocations: [string, [string, number][]][] };
interface WireError {
  name: string;
  message: string;
  props: Record<string, unknown>;
}
type Ask = { id: number; writes: WireWrite[] };
type Answer = { id: number; error?: WireError };

const toWire = (w: ConsumerWrite): WireWrite => ({ ...w, allocations: [...w.allocations].map(([p, r]) => [p, [...r]]) });
const fromWire = (w: WireWrite): ConsumerWrite => ({ ...w, allocations: new Map(w.allocations.map(([p, r]) => [p, new Map(r)])) });

/** The errors a claim ends in, rebuilt by name on the worker that asked (their classes decide the answer). */
const CLASSES: Record<string, { prototype: object }> = Object.fromEntries(
  [
    ProviderConcurrentUpdate,
    ConsumerConcurrentUpdate,
    ConsumerGenerationConflict,
    AllocationProviderNotFound,
    CapacityExceeded,
    ConstraintsViolated,
    InvalidInventory,
    ResourceClassNotFound,
    ConcurrentUpdate,
    NotFound,
    DomainError,
    RetriesExhausted,
  ].map((c) => [c.name, c]),
);

function errorToWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) props[k] = v instanceof Error ? errorToWire(v) : v;
  return { name: err.constructor.name, message: err.message, props };
}

function errorFromWire(w: WireError): Error {
  const cls = CLASSES[w.name];
  const e = Object.create(cls ? cls.prototype : Error.prototype) as Error & Record<string, unknown>;
  for (const [k, v] of Object.entries(w.props)) e[k] = isWireError(v) ? errorFromWire(v) : v;
  Object.defineProperty(e, "message", { value: w.message, writable: true, configurable: true });
  // NOTE: no stack of its own: the owner logged the error where it happened.
  Object.defineProperty(e, "stack", { value: `${w.name}: ${w.message} (from the claim's owner worker)`, writable: true, configurable: true });
  return e;
}

const isWireError = (v: unknown): v is WireError =>
  typeof v === "object" && v !== null && typeof (v as WireError).name === "string" && typeof (v as WireError).message === "string" && "props" in v;

/** Reads newline-separated JSON messages off a socket. */
function onLines(socket: Socket, fn: (msg: unknown) => void): void {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line) {
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          // NOTE: only Berth's own workers write here (the socket's directory is the primary's,
          // mode 0700); a line that is not JSON ends the connection, never the process.
          socket.destroy();
          return;
        }
        fn(msg);
      }
      nl = buffered.indexOf("\n");
    }
  });
}

/**
 * Writes a line; the lines written in one turn of the event loop leave in one write. NOTE: a
 * socket write is a system call, which on the 2-core VM costs as much as a claim's JSON work.
 */
function sendLine(socket: Socket, line: string): void {
  if (!socket.writableCorked) {
    socket.cork();
    setImmediate(() => socket.uncork());
  }
  socket.write(`${line}\n`);
}

/** A sent claim whose owner went away before answering: answered 503 (app.ts: the connection was lost). */
export class ClaimOwnerLost extends Error {
  readonly code = "ECONNRESET";
  constructor(owner: number) {
    super(`the worker that writes this provider's claims (worker ${owner}) went away before it answered`);
  }
}

interface Pending {
  resolve(): void;
  reject(e: unknown): void;
}

/** A connection to one owner. */
class Peer {
  #socket?: Socket;
  #connected = false;
  /** Claims waiting for the connection; written locally if it fails. */
  #waiting: { ask: Ask; local(): void; pending: Pending }[] = [];
  #sent = new Map<number, Pending>();

  constructor(
    private readonly path: string,
    private readonly index: number,
  ) {}

  send(ask: Ask, pending: Pending, local: () => void): void {
    if (this.#connected && this.#socket) {
      this.#sent.set(ask.id, pending);
      sendLine(this.#socket, JSON.stringify(ask));
      return;
    }
    this.#waiting.push({ ask, local, pending });
    if (!this.#socket) this.#connect();
  }

  #connect(): void {
    const socket = createConnection(this.path);
    this.#socket = socket;
    socket.on("connect", () => {
      this.#connected = true;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const w of waiting) this.send(w.ask, w.pending, w.local);
    });
    onLines(socket, (msg) => {
      const a = msg as Answer;
      const p = this.#sent.get(a.id);
      if (!p) return;
      this.#sent.delete(a.id);
      if (a.error) p.reject(errorFromWire(a.error));
      else p.resolve();
    });
    const down = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#connected = false;
      // Never sent: written here instead. Sent: their outcome is unknown.
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const w of waiting) w.local();
      const sent = [...this.#sent.values()];
      this.#sent.clear();
      for (const p of sent) p.reject(new ClaimOwnerLost(this.index));
    };
    socket.on("error", down);
    socket.on("close", down);
  }

  close(): void {
    this.#socket?.destroy();
  }
}

/** Claims through their owner worker (see the top of this file). */
export class ClaimRouter implements Claims {
  #server?: Server;
  #accepted = new Set<Socket>();
  #peers = new Map<number, Peer>();
  #next = 0;

  constructor(
    private readonly local: Claims,
    private readonly route: ClaimRoute,
    private readonly logger?: Logger,
  ) {}

  claim(writes: ConsumerWrite[]): Promise<void> {
    const owner = ownerOf(writes, this.route.workers);
    if (owner === undefined || owner === this.route.self || !this.#server) return this.local.claim(writes);
    return new Promise<void>((resolve, reject) => {
      const ask: Ask = { id: ++this.#next, writes: writes.map(toWire) };
      this.#peer(owner).send(ask, { resolve, reject }, () => this.local.claim(writes).then(resolve, reject));
    });
  }

  #peer(index: number): Peer {
    let p = this.#peers.get(index);
    if (!p) this.#peers.set(index, (p = new Peer(socketPath(this.route.dir, index), index)));
    return p;
  }

  /** Listens for the other workers' claims on this worker's socket. */
  listen(): Promise<void> {
    mkdirSync(this.route.dir, { recursive: true });
    const path = socketPath(this.route.dir, this.route.self);
    // NOTE: a socket file left by the worker this one replaces.
    rmSync(path, { force: true });
    const server = createServer((socket) => {
      this.#accepted.add(socket);
      socket.on("close", () => this.#accepted.delete(socket));
      socket.on("error", () => socket.destroy());
      onLines(socket, (msg) => {
        const ask = msg as Ask;
        this.local.claim(ask.writes.map(fromWire)).then(
          () => socket.writable && sendLine(socket, JSON.stringify({ id: ask.id } satisfies Answer)),
          (e: unknown) => socket.writable && sendLine(socket, JSON.stringify({ id: ask.id, error: errorToWire(e) } satisfies Answer)),
        );
      });
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        server.on("error", (err) => this.logger?.error({ err }, "the claim routing socket failed"));
        // NOTE: the HTTP server keeps a worker alive; this socket alone must not (tests, shutdown).
        server.unref();
        this.#server = server;
        resolve();
      });
    });
  }

  /** Stops routing: this worker's socket and every connection closed (as when the process ends). */
  close(): void {
    this.#server?.close();
    this.#server = undefined;
    for (const s of this.#accepted) s.destroy();
    this.#accepted.clear();
    for (const p of this.#peers.values()) p.close();
    this.#peers.clear();
  }
}
