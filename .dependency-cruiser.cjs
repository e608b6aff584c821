// The layer arrows of src/ (README "Layout", ../shared/STYLE.md), checked by `npm test`:
//   main -> app/routes/server -> handlers -> (schemas, policies, http) -> objects -> db
// with these arrows made part of the design:
//   - handlers open transactions themselves (db/tx.ts: the unit of work is the request's);
//   - app.ts is where dependencies are built, snapshots of objects/ included (the composition root);
//   - http/ writes candidate bodies from objects/ results (http/candidate-body.ts);
//   - python/ (reproductions of Python's formatting) is a leaf anyone may use.
// client/ (the SDK) imports nothing of the server; cli/ builds on the SDK.
// NOTE: it checks the compiled dist/ (what `tsc -p tsconfig.json` makes of src/, paths alike):
// dependency-cruiser reads TypeScript only through TypeScript below 7, and this project uses 7.
// Type-only imports vanish in the compiled code; they are allowed anywhere. That tests never import
// bench/ is checked by test/unit/layers.test.ts.
/** @type {import('dependency-cruiser').IConfiguration} */
const top = "^dist/(main|app|routes|server|cluster|listener[^/]*|metrics-[^/]*)[.]js$";
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: { path: "^dist/" }, to: { circular: true, dependencyTypesNot: ["type-only"] } },
    {
      name: "client-stands-alone",
      comment: "The SDK is published on its own: it imports nothing outside src/client.",
      severity: "error",
      from: { path: "^dist/client/" },
      to: { path: "^dist/", pathNot: "^dist/client/" },
    },
    {
      name: "cli-builds-on-the-sdk",
      severity: "error",
      from: { path: "^dist/cli/" },
      to: { path: "^dist/", pathNot: "^dist/(cli|client)/" },
    },
    {
      name: "nothing-imports-the-top",
      comment: "Only main.ts and the top files themselves import the app, the routes, the server or the listeners.",
      severity: "error",
      from: { path: "^dist/(handlers|http|schemas|policies|policy|objects|db|python|ops|client|cli)/" },
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
      to: { path: "^dist/(http|schemas|policies|policy|handlers|ops|cli|client)/" },
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
      to: { path: "^dist/(objects|db|ops|cli|client)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "[.]d[.]js$|[.]map$" },
  },
};
