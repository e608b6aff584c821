// The CLI against a real Keystone: password auth from clouds.yaml + secure.yaml, application
// credentials and token auth from OS_* variables, and the catalog's interface and region picking
// the endpoint of an in-process Berth that validates every token with that Keystone.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../../packages/cli/src/http.js";
import { startTestServer, type TestServer } from "@berth/testing";
import { startKeystone, USER_PASSWORD } from "../helpers/keystone.js";
import { runner, type RunOptions } from "./run.js";

const started = await startKeystone();
const ks = typeof started === "string" ? undefined : started;

// NOTE: nothing listens on port 9 (discard) here: the public endpoint of RegionOne goes nowhere.
const DEAD = "http://127.0.0.1:9";
let berthServer: TestServer | undefined;

beforeAll(async () => {
  if (!ks) return;
  berthServer = await startTestServer({ overrides: { api: { auth_strategy: "keystone" }, keystone_authtoken: ks.authtoken } });
  await ks.admin("POST", "/regions", { region: { id: "RegionTwo" } });
  const service = await ks.admin("POST", "/services", { service: { type: "placement", name: "placement" } });
  const endpoint = (iface: string, url: string, region: string) =>
    ks.admin("POST", "/endpoints", { endpoint: { service_id: service.service.id, interface: iface, url, region_id: region } });
  await endpoint("internal", berthServer.url, "RegionOne");
  await endpoint("public", DEAD, "RegionOne");
  await endpoint("public", berthServer.url, "RegionTwo");
});
afterAll(async () => {
  await berthServer?.close();
  await ks?.stop();
});

const tmp = () => mkdtempSync(join(tmpdir(), "berth-cli-ks-"));
const bare = (o: RunOptions = {}) => runner(() => o);

describe.skipIf(!ks)("the CLI with Keystone", () => {
  it("password auth from clouds.yaml with the password in secure.yaml; interface and region pick the endpoint", async () => {
    const cwd = tmp();
    const home = tmp();
    mkdirSync(join(home, ".config", "openstack"), { recursive: true });
    writeFileSync(
      join(home, ".config", "openstack", "clouds.yaml"),
      [
        "clouds:",
        "  devstack:",
        "    auth:",
        `      auth_url: ${ks!.url}`,
        "      username: nova",
        "      project_name: service",
        "      user_domain_name: Default",
        "      project_domain_name: Default",
        "    region_name: RegionOne",
        "    interface: internal",
        "",
      ].join("\n"),
    );
    writeFileSync(join(cwd, "secure.yaml"), `clouds:\n  devstack:\n    auth:\n      password: ${USER_PASSWORD}\n`);
    const berth = bare({ cwd, home, env: { OS_CLOUD: "devstack" } });
    const internal = await berth("resource", "class", "show", "VCPU", "-f", "value");
    expect(internal).toMatchObject({ code: 0, out: "VCPU\n", err: "" });

    const rp = await berth("resource", "provider", "create", `ks-${crypto.randomUUID().slice(0, 8)}`, "-f", "value", "-c", "uuid");
    expect(rp.code).toBe(0);
    expect((await berth("resource", "provider", "delete", rp.out.trim())).code).toBe(0);

    // The public endpoint of RegionOne does not answer; the message names it.
    const pub = await berth("--os-interface", "public", "resource", "class", "list");
    expect(pub.code).toBe(1);
    expect(pub.err).toBe(`berth: cannot reach the placement endpoint ${DEAD}: connection refused (GET ${DEAD}/, after 3 attempts)\n`);
    const two = await berth("--os-interface", "public", "--os-region-name", "RegionTwo", "resource", "class", "show", "VCPU", "-f", "value");
    expect(two).toMatchObject({ code: 0, out: "VCPU\n" });
    const nowhere = await berth("--os-region-name", "RegionThree", "resource", "class", "list");
    expect(nowhere.err).toBe("berth: no internal endpoint for service type 'placement' in region RegionThree in the Keystone catalog\n");

    const wrong = await berth("--os-password", "wrong", "resource", "class", "list");
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^berth: 401 Unauthorized: /);
  });

  it("application credentials and token auth from OS_* variables", async () => {
    const own = await ks!.token("nova", { project: "service" });
    const created = await nodeFetch()(`${ks!.url}/users/${ks!.users.nova}/application_credentials`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-auth-token": own },
      body: JSON.stringify({ application_credential: { name: `cli-${crypto.randomUUID().slice(0, 8)}` } }),
    });
    expect(created.status).toBe(201);
    const ac = ((await created.json()) as { application_credential: { id: string; secret: string } }).application_credential;
    const common = { OS_AUTH_URL: ks!.url, OS_INTERFACE: "internal", OS_REGION_NAME: "RegionOne" };
    const viaAc = await bare({
      env: { ...common, OS_AUTH_TYPE: "v3applicationcredential", OS_APPLICATION_CREDENTIAL_ID: ac.id, OS_APPLICATION_CREDENTIAL_SECRET: ac.secret },
    })("resource", "class", "show", "VCPU", "-f", "value");
    expect(viaAc).toMatchObject({ code: 0, out: "VCPU\n", err: "" });

    const viaToken = await bare({ env: { ...common, OS_TOKEN: own, OS_PROJECT_NAME: "service", OS_PROJECT_DOMAIN_NAME: "Default" } })(
      "resource",
      "class",
      "show",
      "VCPU",
      "-f",
      "value",
    );
    expect(viaToken).toMatchObject({ code: 0, out: "VCPU\n", err: "" });
    const badSecret = await bare({ env: { ...common, OS_APPLICATION_CREDENTIAL_ID: ac.id, OS_APPLICATION_CREDENTIAL_SECRET: "nope" } })("trait", "list");
    expect(badSecret.code).toBe(1);
    expect(badSecret.err).toMatch(/^berth: 401 Unauthorized/);
  });
});
