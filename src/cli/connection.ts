// The openstack CLI's connection flags and OS_* variables -> a PlacementClient.
import type { Command } from "commander";
import { KeystonePasswordAuth, PlacementClient } from "../client/index.js";
import type { Format } from "./output.js";

export interface CommonOptions {
  format?: string;
  osEndpoint?: string;
  osToken?: string;
  osAuthUrl?: string;
  osUsername?: string;
  osPassword?: string;
  osProjectName?: string;
  osProjectId?: string;
  osUserDomainName?: string;
  osProjectDomainName?: string;
  osInterface?: string;
  osRegionName?: string;
  osPlacementApiVersion?: string;
}

/** Adds the output and connection options to a leaf command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option("-f, --format <format>", "output format: table, json or yaml (default: table on a terminal, json otherwise)")
    .option("--os-endpoint <url>", "placement endpoint, used with --os-token (env OS_ENDPOINT)")
    .option("--os-token <token>", "token to send (env OS_TOKEN)")
    .option("--os-auth-url <url>", "Keystone URL for password auth (env OS_AUTH_URL)")
    .option("--os-username <name>", "(env OS_USERNAME)")
    .option("--os-password <password>", "(env OS_PASSWORD)")
    .option("--os-project-name <name>", "(env OS_PROJECT_NAME)")
    .option("--os-project-id <id>", "(env OS_PROJECT_ID)")
    .option("--os-user-domain-name <name>", "(env OS_USER_DOMAIN_NAME, default Default)")
    .option("--os-project-domain-name <name>", "(env OS_PROJECT_DOMAIN_NAME, default Default)")
    .option("--os-interface <interface>", "catalog interface: public, internal or admin (env OS_INTERFACE)")
    .option("--os-region-name <region>", "(env OS_REGION_NAME)")
    .option("--os-placement-api-version <version>", "send this microversion instead of negotiating (env OS_PLACEMENT_API_VERSION)");
}

export class UsageError extends Error {}

export function formatOf(o: CommonOptions, isTTY: boolean): Format {
  const f = o.format ?? (isTTY ? "table" : "json");
  if (f !== "table" && f !== "json" && f !== "yaml") throw new UsageError(`unknown format ${JSON.stringify(f)}: use table, json or yaml`);
  return f;
}

/** Flags win over OS_* variables; --os-endpoint + --os-token skips Keystone, as in the openstack CLI. */
export function clientFrom(o: CommonOptions, env: NodeJS.ProcessEnv): PlacementClient {
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name] || undefined);
  const endpoint = pick(o.osEndpoint, "OS_ENDPOINT");
  const token = pick(o.osToken, "OS_TOKEN");
  const version = pick(o.osPlacementApiVersion, "OS_PLACEMENT_API_VERSION");
  const authUrl = pick(o.osAuthUrl, "OS_AUTH_URL");
  if (endpoint && token) return new PlacementClient({ endpoint, token, version });
  if (authUrl) {
    const username = pick(o.osUsername, "OS_USERNAME");
    const password = pick(o.osPassword, "OS_PASSWORD");
    if (!username || !password) throw new UsageError("password auth needs --os-username and --os-password (or OS_USERNAME, OS_PASSWORD)");
    const iface = pick(o.osInterface, "OS_INTERFACE");
    if (iface && !["public", "internal", "admin"].includes(iface)) throw new UsageError(`unknown interface ${iface}`);
    const auth = new KeystonePasswordAuth({
      authUrl,
      username,
      password,
      projectName: pick(o.osProjectName, "OS_PROJECT_NAME"),
      projectId: pick(o.osProjectId, "OS_PROJECT_ID"),
      userDomainName: pick(o.osUserDomainName, "OS_USER_DOMAIN_NAME"),
      projectDomainName: pick(o.osProjectDomainName, "OS_PROJECT_DOMAIN_NAME"),
      interface: iface as "public" | "internal" | "admin" | undefined,
      regionName: pick(o.osRegionName, "OS_REGION_NAME"),
    });
    return new PlacementClient({ endpoint, auth, version });
  }
  if (endpoint) throw new UsageError("--os-endpoint needs --os-token (or OS_TOKEN)");
  throw new UsageError("no connection: give --os-endpoint and --os-token, or --os-auth-url with credentials (or their OS_* variables)");
}
