// The layer arrows of src/ (README "Layout", ../shared/STYLE.md), checked by `npm test`:
//   main -> app/routes/server -> handlers -> (schemas, policies, http) -> objects -> db
// with these arrows made part of the design:
//   - handlers open transactions themselves (db/tx.ts: the unit of work is the request's);
//   - app.ts is where dependencies are built, snapshots of objects/ included (the composition root);
//   - http/ writes candidate bodies from objects/ results (http/candidate-body.ts);
//   - python/ (reproductions of Python's formatting) is a leaf anyone may use;
//   - client/common/ is the SDK's leaf of pure helpers both sides need (element access that throws
//     an internal error, the capacity rule): it imports nothing, and the server may import it and
//     nothing else of the SDK. It lives in the SDK because the SDK is published on its own with no
//     dependency; the server depending on the SDK's leaf costs it nothing it does not have.
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
      name: "common-is-a-leaf",
      comment: "client/common imports nothing at all (both the SDK and the server use it).",
      severity: "error",
      from: { path: "^dist/client/common/" },
      to: { path: "^dist/", pathNot: "^dist/client/common/" },
    },
    {
      name: "server-uses-only-the-sdks-common-leaf",
      comment: "The server does not import the SDK, apart from its leaf of pure helpers.",
      severity: "error",
      from: { path: "^dist/", pathNot: "^dist/(client|cli)/" },
      to: { path: "^dist/client/", pathNot: "^dist/client/common/" },
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
      to: { path: "^dist/(http|schemas|policies|policy|handlers|ops|cli|client)/", pathNot: "^dist/client/common/" },
    },
    {
      name: "db-is-the-bottom",
      severity: "error",
      from: { path: "^dist/db/" },
      to: { path: "^dist/", pathNot: "^dist/(db|python|client/common)/|^dist/config[.]js$" },
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
      to: { path: "^dist/", pathNot: "^dist/(python|client/common)/" },
    },
    {
      name: "policies-below-http",
      severity: "error",
      from: { path: "^dist/(policies|policy|schemas)/" },
      to: { path: "^dist/(objects|db|ops|cli|client)/", pathNot: "^dist/client/common/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "[.]d[.]js$|[.]map$" },
  },
};
