// What the conformance server saw: one exchange per request, in arrival order, with what it
// answered (or that the connection was dropped) and which fault, if any, it injected.
import type { FaultKind } from "./faults.js";

export interface Exchange {
  /** Arrival order, from 1. */
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  /** The route template, when the path has one. */
  readonly route: string | undefined;
  /** The placement entry of OpenStack-API-Version as sent (undefined: none). */
  readonly versionHeader: string | undefined;
  /** A legacy X-OpenStack-Placement-API-Version header, which Placement ignores. */
  readonly legacyVersionHeader: string | undefined;
  /** The version the request was served at ("latest" resolved); undefined when it was refused. */
  version: string | undefined;
  readonly requestId: string | undefined;
  readonly userAgent: string | undefined;
  /** The parsed JSON body (undefined: none or not JSON). */
  readonly body: unknown;
  /** 0 when the connection was dropped. */
  status: number;
  /** The answer's error code (from 1.23), or placement.concurrent_update for a conflict below it. */
  errorCode?: string;
  /** The parsed JSON answer. */
  answer?: unknown;
  /** The order in which answers left (to know what a client could have read before a later request). */
  answeredAt: number;
  /** How many answers had left when it arrived: exchanges with answeredAt up to this could have been read first. */
  readonly arrivedAfter: number;
  fault?: FaultKind;
}

export const displayPath = (e: Pick<Exchange, "path" | "query">): string =>
  e.query.length ? `${e.path}?${new URLSearchParams(e.query.map(([k, v]) => [k, v])).toString()}` : e.path;

/** The exchanges of one run. */
export class Recorder {
  readonly exchanges: Exchange[] = [];
  private seq = 0;
  private answers = 0;

  get answerCount(): number {
    return this.answers;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  add(e: Exchange): void {
    this.exchanges.push(e);
  }

  answered(e: Exchange): void {
    e.answeredAt = ++this.answers;
  }
}
