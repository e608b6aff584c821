#!/usr/bin/env node
// The berth command: the client commands (resource provider ..., trait ..., allocation candidate ...).
// NOTE: the Berth server package ("berth") depends on this one and has a `berth` bin too, these
// commands plus serve, db and status. Where npm installs both into one node_modules either may own
// .bin/berth (first linked wins), so this one hands over to the server's when it is installed.
import { createRequire } from "node:module";

function serverBin() {
  try {
    const require = createRequire(import.meta.url);
    const file = require.resolve("berth/package.json");
    const pkg = require(file);
    if (pkg.name !== "berth" || typeof pkg.bin?.berth !== "string") return undefined;
    const bin = new URL(pkg.bin.berth, `file://${file}`).href;
    return bin === import.meta.url ? undefined : bin;
  } catch {
    return undefined;
  }
}

const server = serverBin();
if (server) await import(server);
else {
  const { runCli } = await import("../dist/index.js");
  process.exit(await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }));
}
