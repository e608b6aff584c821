// The layer arrows of src/ (README "Layout", ../shared/STYLE.md), checked by `npm test`:
//   main -> app/routes/server -> handlers -> (schemas, policies, http) -> objects -> db
// with these arrows made part of the design:
//   - handlers open transactions themselves (db/tx.ts: the unit of work is the request's);
//   - app.ts is where dependencies are built, snapshots of objects/ included (the composition root);
//   - http/ writes candidate bodies from objects/ results (http/candidate-body.ts);
//   - python/ (reproductions of Python's formatting) is a leaf anyone may use.
// The packages (README "Layout"): packages/client (the SDK) imports nothing of Berth and no npm
// package; packages/cli -> client (and commander, yaml); packages/testing -> server, client; the
// server (src/, compiled to dist/) never imports a package of packages/, except that main.ts, the
// process's entry, runs the CLI's commands beside its own (serve, db, status), and that anything
// may import the SDK's leaf of pure helpers, `@berth/client/common` (element access that throws an
// internal error, the capacity rule), which imports nothing at all. It lives in the SDK because
// the SDK is published on its own with no dependency: a module both sides share can live nowhere
// else without the SDK depending on it.
// NOTE: it checks the compiled dist/ and packages/*/dist (what `npm run build` makes, paths alike):
// dependency-cruiser reads TypeScript only through TypeScript below 7, and this project uses 7.
// Type-only imports vanish in the compiled code; they are allowed anywhere. That tests never import
// bench/ is checked by test/unit/layers.test.ts.
/** @type {import('dependency-cruiser').IConfiguration} */
const top = "^dist/(main|app|routes|server|cluster|listener[^/]*|metrics-[^/]*)[.]js$";
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: { path: "^(dist|packages/[a-z]+/dist)/" }, to: { circular: true, dependencyTypesNot: ["type-only"] } },
    {
      name: "client-stands-alone",
      comment: "The SDK is published on its own with no dependencies: it imports nothing outside its package, not even node: modules (fetch only).",
      severity: "error",
      from: { path: "^packages/client/dist/" },
      to: { pathNot: "^packages/client/dist/" },
    },
    {
      name: "common-is-a-leaf",
      comment: "@berth/client/common imports nothing at all: the SDK, the CLI and the server all use it.",
      severity: "error",
      from: { path: "^packages/client/dist/common/" },
      to: { pathNot: "^packages/client/dist/common/" },
    },
    {
      name: "cli-builds-on-the-sdk",
      comment: "The CLI: the SDK, commander, yaml and node: modules; no server code, no database driver.",
      severity: "error",
      from: { path: "^packages/cli/dist/" },
      to: { pathNot: "^(packages/(cli|client)/dist/|node_modules/(commander|yaml)/)", dependencyTypesNot: ["core"] },
    },
    {
      name: "testing-is-server-and-client",
      severity: "error",
      from: { path: "^packages/testing/dist/" },
      to: { pathNot: "^(packages/(testing|client)/dist/|dist/(server|config)[.]js$)", dependencyTypesNot: ["core"] },
    },
    {
      name: "server-imports-no-package",
      comment:
        "The server never imports the SDK (but its import-free leaf, @berth/client/common), the CLI or the test server; only main.ts runs the CLI's commands.",
      severity: "error",
      from: { path: "^dist/", pathNot: "^dist/main[.]js$" },
      to: { path: "^packages/", pathNot: "^packages/client/dist/common/" },
    },
    {
      name: "main-runs-only-the-cli",
      severity: "error",
      from: { path: "^dist/main[.]js$" },
      to: { path: "^packages/", pathNot: "^packages/cli/dist/index[.]js$" },
    },
    {
      name: "nothing-imports-the-top",
      comment: "Only main.ts and the top files themselves import the app, the routes, the server or the listeners.",
      severity: "error",
      from: { path: "^dist/(handlers|http|schemas|policies|policy|objects|db|python|ops)/" },
      to: { path: top },
    },
    {
      name: "conformance-on-top",
      comment: "The conformance kit stands in front of the app: only main.ts starts it; nothing of the server or the SDK imports it.",
      severity: "error",
      from: { path: "^dist/", pathNot: "^dist/(main|conformance/.*)[.]js$" },
      to: { path: "^dist/conformance/" },
    },
    {
      name: "handlers-not-from-below",
      severity: "error",
      from: { path: "^dist/(http|schemas|policies|policy|objects|db|python|ops)/" },
      to: { path: "^dist/handlers/" },
    },
    {
      name: "objects-know-no-http",
      comment: "Domain logic and persistence: no HTTP, schemas or policies.",
      severity: "error",
      from: { path: "^dist/objects/" },
      to: { path: "^dist/(http|schemas|policies|policy|handlers|ops)/" },
    },
    {
      name: "db-is-the-bottom",
      severity: "error",
      from: { path: "^dist/db/" },
      to: { path: "^dist/", pathNot: "^dist/(db|python)/|^dist/config[.]js$" },
    },
    {
      name: "handlers-use-db-only-for-transactions",
      severity: "error",
      from: { path: "^dist/handlers/" },
      to: { path: "^dist/db/", pathNot: "^dist/db/(tx|open|schema|capabilities)[.]js$" },
    },
    {
      name: "python-is-a-leaf",
      severity: "error",
      from: { path: "^dist/python/" },
      to: { path: "^dist/", pathNot: "^dist/python/" },
    },
    {
      name: "policies-below-http",
      severity: "error",
      from: { path: "^dist/(policies|policy|schemas)/" },
      to: { path: "^dist/(objects|db|ops)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "[.]d[.]js$|[.]map$" },
    // NOTE: as Node resolves the packages at run time (their exports' "default", i.e. dist/), not as
    // TypeScript does ("types") or the tests do ("@berth/source").
    enhancedResolveOptions: { conditionNames: ["import", "node", "default"], exportsFields: ["exports"] },
  },
};
