// The openstack CLI's global options, OS_* variables and clouds.yaml -> a PlacementClient.
// Precedence, as there: a flag, then its OS_* variable, then the cloud's entry in clouds.yaml.
// Missing or unusable settings fail the command (exit 1), as the openstack CLI's do; they are not usage errors.
import { Option, type Command } from "commander";
import {
  KeystoneApplicationCredentialAuth,
  KeystonePasswordAuth,
  KeystoneTokenAuth,
  PlacementClient,
  staticToken,
  type Auth,
  type KeystoneCommonOptions,
} from "@berth/client";
import { loadCloud, type Cloud, type Files } from "./clouds.js";
import { CliError } from "./errors.js";
import { nodeFetch, type TlsOptions } from "./http.js";
import { first } from "@berth/client/common";

/** The global options (commander's camelCase names): `--os-auth-url` is `osAuthUrl`. */
export type GlobalOptions = Partial<Record<string, string | boolean>>;

/** Global option, the OS_* variable it falls back to, and the clouds.yaml `auth` key after that. */
interface Spec {
  flag: string;
  help: string;
  /** The key under the cloud's `auth:` (or top-level, with `top`). */
  auth?: string;
  top?: string;
}

const SPECS: Spec[] = [
  { flag: "--os-cloud <name>", help: "cloud in clouds.yaml to use (env OS_CLOUD)" },
  { flag: "--os-auth-type <type>", help: "password, v3applicationcredential, token, admin_token or none (env OS_AUTH_TYPE)", top: "auth_type" },
  { flag: "--os-auth-url <url>", help: "Keystone URL (env OS_AUTH_URL)", auth: "auth_url" },
  { flag: "--os-username <name>", help: "(env OS_USERNAME)", auth: "username" },
  { flag: "--os-user-id <id>", help: "(env OS_USER_ID)", auth: "user_id" },
  { flag: "--os-password <password>", help: "(env OS_PASSWORD)", auth: "password" },
  { flag: "--os-user-domain-name <name>", help: "(env OS_USER_DOMAIN_NAME; default Default)", auth: "user_domain_name" },
  { flag: "--os-user-domain-id <id>", help: "(env OS_USER_DOMAIN_ID)", auth: "user_domain_id" },
  { flag: "--os-project-name <name>", help: "(env OS_PROJECT_NAME)", auth: "project_name" },
  { flag: "--os-project-id <id>", help: "(env OS_PROJECT_ID)", auth: "project_id" },
  { flag: "--os-project-domain-name <name>", help: "(env OS_PROJECT_DOMAIN_NAME; default Default)", auth: "project_domain_name" },
  { flag: "--os-project-domain-id <id>", help: "(env OS_PROJECT_DOMAIN_ID)", auth: "project_domain_id" },
  { flag: "--os-application-credential-id <id>", help: "(env OS_APPLICATION_CREDENTIAL_ID)", auth: "application_credential_id" },
  { flag: "--os-application-credential-name <name>", help: "(env OS_APPLICATION_CREDENTIAL_NAME)", auth: "application_credential_name" },
  { flag: "--os-application-credential-secret <secret>", help: "(env OS_APPLICATION_CREDENTIAL_SECRET)", auth: "application_credential_secret" },
  { flag: "--os-token <token>", help: "token: sent as is with --os-endpoint, or exchanged with Keystone (env OS_TOKEN)", auth: "token" },
  { flag: "--os-endpoint <url>", help: "placement endpoint, instead of the catalog's (env OS_ENDPOINT)", auth: "endpoint" },
  { flag: "--os-interface <interface>", help: "catalog interface: public (default), internal or admin (env OS_INTERFACE)", top: "interface" },
  { flag: "--os-region-name <region>", help: "catalog region (env OS_REGION_NAME)", top: "region_name" },
  { flag: "--os-cacert <file>", help: "CA bundle to verify the servers' TLS certificates with (env OS_CACERT)", top: "cacert" },
  { flag: "--os-cert <file>", help: "client certificate, PEM (env OS_CERT)", top: "cert" },
  { flag: "--os-key <file>", help: "client certificate's key, PEM (env OS_KEY)", top: "key" },
  {
    flag: "--os-placement-api-version <version>",
    help: "send this microversion instead of negotiating (env OS_PLACEMENT_API_VERSION)",
    top: "placement_api_version",
  },
];

/** `--os-auth-url <url>` -> ["osAuthUrl", "OS_AUTH_URL"] */
function names(flag: string): [string, string] {
  const long = first(flag.split(" ")).slice(2);
  const camel = long.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return [camel, long.replace(/-/g, "_").toUpperCase()];
}

/** Adds the global options to the program (they go before or after the command). */
export function addGlobalOptions(program: Command): Command {
  for (const s of SPECS) program.option(s.flag, s.help);
  program.addOption(new Option("--insecure", "do not verify the servers' TLS certificates (clouds.yaml verify: false)").conflicts("verify"));
  program.addOption(new Option("--verify", "verify TLS certificates (the default; overrides verify: false)"));
  return program;
}

/** Where one setting comes from: flag, then variable, then clouds.yaml. */
function settings(o: GlobalOptions, env: NodeJS.ProcessEnv, cloud: Cloud) {
  const auth = (cloud.auth ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : String(v));
  const get = (flag: string): string | undefined => {
    const spec = SPECS.find((s) => s.flag.startsWith(`${flag} `))!;
    const [camel, variable] = names(spec.flag);
    return str(o[camel]) ?? str(env[variable]) ?? (spec.auth ? str(auth[spec.auth]) : spec.top ? str(cloud[spec.top]) : undefined);
  };
  return get;
}

const AUTH_TYPES = [
  "password",
  "v3password",
  "v3applicationcredential",
  "applicationcredential",
  "token",
  "v3token",
  "admin_token",
  "token_endpoint",
  "none",
  "noauth",
];

/** Everything needed to build the client; resolved without touching the network. */
export interface Connection {
  authType: string;
  endpoint?: string;
  auth?: Auth;
  version?: string;
  timeoutMs?: number;
  tls: TlsOptions;
}

/** Resolves the global options, OS_* variables and the cloud (--os-cloud / OS_CLOUD) to a connection. */
export function resolveConnection(o: GlobalOptions, files: Files): Connection {
  const { env } = files;
  const cloudName = (o.osCloud as string | undefined) || env.OS_CLOUD || undefined;
  const cloud = cloudName ? loadCloud(cloudName, files) : {};
  const get = settings(o, env, cloud);

  const readPem = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return files.read(path);
    } catch (e) {
      throw new CliError(`cannot read the ${what} ${path}: ${(e as Error).message}`);
    }
  };
  const insecureEnv = /^(1|true|yes)$/i.test(env.OS_INSECURE ?? "");
  const insecure = o.verify ? false : Boolean(o.insecure) || insecureEnv || cloud.verify === false;
  const tls: TlsOptions = {
    ca: readPem("CA bundle", get("--os-cacert")),
    cert: readPem("client certificate", get("--os-cert")),
    key: readPem("client key", get("--os-key")),
    insecure,
  };
  const fetch = nodeFetch(tls);
  const timeout = cloud.api_timeout !== undefined ? Number(cloud.api_timeout) : undefined;
  if (timeout !== undefined && !(timeout > 0)) throw new CliError(`api_timeout must be a number of seconds, got ${JSON.stringify(cloud.api_timeout)}`);
  const version = get("--os-placement-api-version");

  const authUrl = get("--os-auth-url");
  const token = get("--os-token");
  const endpoint = get("--os-endpoint") ?? (cloud.placement_endpoint_override as string | undefined);
  const password = get("--os-password");
  const acSecret = get("--os-application-credential-secret");
  let authType = get("--os-auth-type");
  if (!authType) {
    if (endpoint && token && !authUrl) authType = "admin_token";
    else if (authUrl && acSecret) authType = "v3applicationcredential";
    else if (authUrl && token && !password) authType = "token";
    else if (authUrl) authType = "password";
    else if (endpoint) throw new CliError("--os-endpoint needs --os-token (or OS_TOKEN), or --os-auth-type none");
    else
      throw new CliError(
        "no connection: give --os-cloud (or OS_CLOUD), --os-endpoint with --os-token, or --os-auth-url with credentials (or their OS_* variables)",
      );
  }
  if (!AUTH_TYPES.includes(authType))
    throw new CliError(`auth type ${authType} is not supported: use ${["password", "v3applicationcredential", "token", "admin_token", "none"].join(", ")}`);

  const base = { authType, version, tls, ...(timeout ? { timeoutMs: timeout * 1000 } : {}) };
  if (["admin_token", "token_endpoint", "none", "noauth"].includes(authType)) {
    if (!endpoint) throw new CliError(`auth type ${authType} needs --os-endpoint (or OS_ENDPOINT, or auth: endpoint in clouds.yaml)`);
    const none = authType === "none" || authType === "noauth";
    if (!none && !token) throw new CliError(`auth type ${authType} needs --os-token (or OS_TOKEN)`);
    return { ...base, endpoint, auth: token ? staticToken(token) : undefined };
  }

  if (!authUrl) throw new CliError(`auth type ${authType} needs --os-auth-url (or OS_AUTH_URL, or auth: auth_url in clouds.yaml)`);
  const rawIface = get("--os-interface") ?? (cloud.endpoint_type as string | undefined);
  const iface = rawIface?.replace(/URL$/, "");
  if (iface && !["public", "internal", "admin"].includes(iface)) throw new CliError(`unknown interface ${rawIface}: use public, internal or admin`);
  const common: KeystoneCommonOptions = { authUrl, interface: iface as KeystoneCommonOptions["interface"], regionName: get("--os-region-name"), fetch };
  const userOpts = {
    username: get("--os-username"),
    userId: get("--os-user-id"),
    userDomainName: get("--os-user-domain-name"),
    userDomainId: get("--os-user-domain-id"),
  };
  const scope = {
    projectName: get("--os-project-name"),
    projectId: get("--os-project-id"),
    projectDomainName: get("--os-project-domain-name"),
    projectDomainId: get("--os-project-domain-id"),
  };
  let auth: Auth;
  if (authType === "password" || authType === "v3password") {
    if ((!userOpts.username && !userOpts.userId) || !password)
      throw new CliError("password auth needs --os-username (or --os-user-id) and --os-password (or OS_USERNAME, OS_PASSWORD, or clouds.yaml)");
    auth = new KeystonePasswordAuth({ ...common, ...userOpts, ...scope, password });
  } else if (authType === "token" || authType === "v3token") {
    if (!token) throw new CliError("token auth needs --os-token (or OS_TOKEN)");
    auth = new KeystoneTokenAuth({ ...common, ...scope, token });
  } else {
    const id = get("--os-application-credential-id");
    const name = get("--os-application-credential-name");
    if (!acSecret || (!id && !name))
      throw new CliError("application credential auth needs --os-application-credential-secret and --os-application-credential-id (or a name and the user)");
    if (!id && !userOpts.username && !userOpts.userId) throw new CliError("an application credential given by name needs --os-username or --os-user-id");
    auth = new KeystoneApplicationCredentialAuth({
      ...common,
      ...userOpts,
      applicationCredentialId: id,
      applicationCredentialName: name,
      applicationCredentialSecret: acSecret,
    });
  }
  return { ...base, endpoint, auth };
}

/** The client for a resolved connection, sending through the CLI's fetch (TLS options applied). */
export function clientFor(c: Connection): PlacementClient {
  return new PlacementClient({ endpoint: c.endpoint, auth: c.auth, version: c.version, timeoutMs: c.timeoutMs, fetch: nodeFetch(c.tls) });
}
