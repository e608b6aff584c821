// Where the SDK integration tests run: an in-process Berth (default), or the server at
// $BERTH_SDK_TARGET (e.g. the reference at http://localhost:8000, see test/client/run-against-reference.sh).
import { afterAll, beforeAll } from "vitest";
import { PlacementClient, type ClientOptions } from "@berth/client";
import { startTestServer, type TestServer } from "@berth/testing";

export interface Target {
  url: string;
  token: string;
  client(opts?: Partial<ClientOptions>): PlacementClient;
}

export const externalTarget = process.env.BERTH_SDK_TARGET;

export async function openTarget(): Promise<Target & { close(): Promise<void> }> {
  let server: TestServer | undefined;
  let url: string;
  let token = "admin";
  if (externalTarget) url = externalTarget;
  else {
    server = await startTestServer();
    url = server.url;
    token = server.token;
  }
  return {
    url,
    token,
    client: (opts = {}) => new PlacementClient({ endpoint: url, token, ...opts }),
    close: async () => server?.close(),
  };
}

/** Opens the target for the enclosing describe block. */
export function useTarget(): () => Target {
  let t: (Target & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    t = await openTarget();
  });
  afterAll(async () => t?.close());
  return () => t!;
}
