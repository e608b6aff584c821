#!/usr/bin/env node
// Builds the dashboard (ui/) into dist/ui/: one JS and one CSS bundle under content-hashed names
// (cached for ever by the server) and index.html naming them. Everything the page needs is in
// these files: nothing is fetched from elsewhere at run time.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "ui");

export async function buildUi() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [join(root, "ui", "src", "main.ts")],
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    sourcemap: false,
    outdir: out,
    entryNames: "app-[hash]",
    metafile: true,
    logLevel: "warning",
    legalComments: "linked",
  });
  const names = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = names.find((n) => n.endsWith(".js"));
  const css = names.find((n) => n.endsWith(".css"));
  if (!js || !css) throw new Error(`the dashboard build made ${names.join(", ")}`);
  const html = readFileSync(join(root, "ui", "index.html"), "utf8")
    .replace("%JS%", js)
    .replace("%CSS%", css);
  writeFileSync(join(out, "index.html"), html);
  return { js, css };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { js, css } = await buildUi();
  console.log(`dist/ui: ${js}, ${css}`);
}
