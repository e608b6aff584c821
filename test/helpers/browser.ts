// Debian's Chromium driven by playwright-core (never a downloaded browser), and an app served on a
// loopback port for it. Without /usr/bin/chromium the browser suites skip with a note; under CI=true
// they are required (.ci/run installs the package).
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { Hono } from "hono";
import { chromium, type Browser } from "playwright-core";
import { createListener, DEFAULT_LIMITS } from "../../src/listener.js";
import { freePort } from "./serve.js";

export const CHROMIUM = "/usr/bin/chromium";

/** The flags the browser runs with: headless, no sandbox (root), nothing fetched from elsewhere. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser tests cannot run here, or undefined (throws under CI=true). */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.CI === "true") throw new Error(`Chromium is required under CI=true: ${why}`);
  console.warn(`NOTE: ${why}; the browser test suites are skipped`);
  return why;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Serves an in-process app on a free loopback port (as `berth serve` does); returns its base URL. */
export async function serveApp(app: Hono): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createListener(app, { ...DEFAULT_LIMITS, maxBodyBytes: 8 * 1024 * 1024 });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
