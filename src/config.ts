// placement.conf (oslo.config INI) + command-line overrides -> one frozen, typed Config.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { at, entry } from "@berth/client/common";

export type AuthStrategy = "keystone" | "noauth2";
export type GenerationStrategy = "depth-first" | "breadth-first";

export interface Config {
  readonly debug: boolean;
  readonly configDir: string | undefined;
  /** oslo.log's options of [DEFAULT], as logging.ts applies them. */
  readonly logging: {
    readonly logFile: string | undefined;
    readonly logDir: string | undefined;
    readonly useStderr: boolean;
    readonly useSyslog: boolean;
    readonly useJournal: boolean;
  };
  /** Berth's own options (no reference counterpart). */
  readonly berth: {
    /** Serve Prometheus metrics on this port (0: any free port); undefined: no metrics listener. */
    readonly metricsPort: number | undefined;
    readonly metricsHost: string;
  };
  readonly api: {
    readonly authStrategy: AuthStrategy;
    /** Berth's own: the largest request body accepted, in bytes (413 beyond). */
    readonly maxRequestBodySize: number;
    /** Berth's own: how many processes `berth serve` runs on its one port. */
    readonly workers: number;
  };
  readonly database: {
    readonly connection: string;
    readonly syncOnStartup: boolean;
    readonly maxPoolSize: number;
    readonly sqliteSynchronous: boolean;
    /** Start-up: attempts to reach the database after the first (-1: forever), as oslo.db. */
    readonly maxRetries: number;
    /** Start-up: seconds between those attempts. */
    readonly retryInterval: number;
    /** Connections a pool may open beyond max_pool_size when busy (oslo.db's max_overflow; unset: none). */
    readonly maxOverflow: number;
    /** Seconds to wait for a connection (connecting, or a free one from the pool) before a 503. */
    readonly poolTimeout: number;
    /** Seconds after which a pooled connection is replaced (PostgreSQL) or an idle one closed (MySQL). */
    readonly connectionRecycleTime: number;
    /** MySQL sessions' sql_mode (oslo.db's mysql_sql_mode; "" keeps the server's). */
    readonly mysqlSqlMode: string;
  };
  readonly policy: {
    readonly policyFile: string;
    /** Directories of further rule files, each file overriding what came before (oslo.policy's policy_dirs). */
    readonly policyDirs: readonly string[];
    readonly enforceNewDefaults: boolean;
    readonly enforceScope: boolean;
  };
  readonly cors: {
    readonly allowedOrigin: readonly string[];
    readonly allowCredentials: boolean;
    readonly exposeHeaders: readonly string[];
    readonly maxAge: number;
    readonly allowMethods: readonly string[];
    readonly allowHeaders: readonly string[];
  };
  /** [keystone_authtoken]: used when [api] auth_strategy = keystone (src/http/keystone.ts). */
  readonly keystone: KeystoneConfig;
  readonly placement: {
    readonly maxAllocationCandidates: number;
    readonly randomizeAllocationCandidates: boolean;
    readonly allocationCandidatesGenerationStrategy: GenerationStrategy;
    readonly allocationConflictRetryCount: number;
    readonly incompleteConsumerProjectId: string;
    readonly incompleteConsumerUserId: string;
  };
}

export interface KeystoneConfig {
  /** Sent in WWW-Authenticate with a 401; `auth_uri` is its deprecated alias. */
  readonly wwwAuthenticateUri: string | undefined;
  readonly authType: string | undefined;
  readonly authSection: string | undefined;
  /** The password plugin: who Berth is when it validates tokens. */
  readonly authUrl: string | undefined;
  readonly username: string | undefined;
  readonly userId: string | undefined;
  readonly password: string | undefined;
  readonly userDomainName: string | undefined;
  readonly userDomainId: string | undefined;
  readonly projectName: string | undefined;
  readonly projectId: string | undefined;
  readonly projectDomainName: string | undefined;
  readonly projectDomainId: string | undefined;
  readonly domainName: string | undefined;
  readonly domainId: string | undefined;
  readonly defaultDomainName: string | undefined;
  readonly defaultDomainId: string | undefined;
  readonly systemScope: string | undefined;
  readonly trustId: string | undefined;
  /** Which identity endpoint of the catalog validates tokens. */
  readonly regionName: string | undefined;
  readonly interface: string;
  readonly cafile: string | undefined;
  readonly certfile: string | undefined;
  readonly keyfile: string | undefined;
  readonly insecure: boolean;
  readonly httpConnectTimeout: number | undefined;
  readonly httpRequestMaxRetries: number;
  readonly tokenCacheTime: number;
  readonly serviceTokenRoles: readonly string[];
  readonly serviceTokenRolesRequired: boolean;
  readonly delayAuthDecision: boolean;
  /** Placement's type in the catalog: needed to accept application credentials with access rules. */
  readonly serviceType: string | undefined;
}

export class ConfigError extends Error {}

type Kind = "bool" | "int" | "str" | "list";
interface OptionSpec {
  kind: Kind;
  default?: unknown;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

const MISSING_ID = "00000000-0000-0000-0000-000000000000";

// NOTE: every option the reference registers is known here, so a real placement.conf
// loads without warnings; only the ones Berth acts on are mapped into Config below.
const OPTIONS: Record<string, Record<string, OptionSpec>> = {
  DEFAULT: {
    debug: { kind: "bool", default: false },
    tempdir: { kind: "str" },
    state_path: { kind: "str" },
    log_options: { kind: "bool", default: true },
    log_file: { kind: "str" },
    log_dir: { kind: "str" },
    use_stderr: { kind: "bool", default: false },
    use_journal: { kind: "bool", default: false },
    use_syslog: { kind: "bool", default: false },
    verbose: { kind: "bool" },
    transport_url: { kind: "str" },
  },
  api: {
    auth_strategy: { kind: "str", default: "keystone", choices: ["keystone", "noauth2"] },
    // NOTE: Berth's own options (the reference has no body limit and leaves processes to its WSGI
    // server). 8 MiB is many times the largest real request (POST /allocations for many consumers,
    // POST /reshaper for a whole host).
    max_request_body_size: { kind: "int", default: 8 * 1024 * 1024, min: 1 },
    workers: { kind: "int", default: 1, min: 1 },
  },
  placement_database: {
    connection: { kind: "str" },
    connection_parameters: { kind: "str", default: "" },
    sqlite_synchronous: { kind: "bool", default: true },
    slave_connection: { kind: "str" },
    mysql_sql_mode: { kind: "str", default: "TRADITIONAL" },
    connection_recycle_time: { kind: "int", default: 3600, min: 1 },
    max_pool_size: { kind: "int", default: 10, min: 1 },
    max_retries: { kind: "int", default: 10, min: -1 },
    retry_interval: { kind: "int", default: 10, min: 0 },
    max_overflow: { kind: "int", min: 0 },
    connection_debug: { kind: "int", default: 0 },
    connection_trace: { kind: "bool", default: false },
    pool_timeout: { kind: "int", min: 1 },
    sync_on_startup: { kind: "bool", default: false },
  },
  oslo_policy: {
    policy_file: { kind: "str", default: "policy.yaml" },
    enforce_new_defaults: { kind: "bool", default: true },
    enforce_scope: { kind: "bool", default: true },
    policy_default_rule: { kind: "str", default: "default" },
    policy_dirs: { kind: "list", default: ["policy.d"] },
  },
  cors: {
    allowed_origin: { kind: "list", default: [] },
    allow_credentials: { kind: "bool", default: true },
    expose_headers: { kind: "list", default: [] },
    max_age: { kind: "int", default: 3600 },
    allow_methods: { kind: "list", default: ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "PATCH"] },
    allow_headers: { kind: "list", default: [] },
  },
  placement: {
    max_allocation_candidates: { kind: "int", default: -1, min: -1 },
    randomize_allocation_candidates: { kind: "bool", default: false },
    allocation_candidates_generation_strategy: {
      kind: "str",
      default: "depth-first",
      choices: ["depth-first", "breadth-first"],
    },
    allocation_conflict_retry_count: { kind: "int", default: 10, min: 0 },
    incomplete_consumer_project_id: { kind: "str", default: MISSING_ID },
    incomplete_consumer_user_id: { kind: "str", default: MISSING_ID },
  },
  // Berth's own options.
  berth: {
    metrics_port: { kind: "int", min: 0, max: 65535 },
    metrics_host: { kind: "str", default: "127.0.0.1" },
  },
  // keystonemiddleware's auth_token options and keystoneauth's password plugin. The memcache_*,
  // PKI-era and legacy admin_* options are known so a real file loads quietly; Berth does not use them.
  keystone_authtoken: {
    www_authenticate_uri: { kind: "str" },
    auth_uri: { kind: "str" },
    auth_version: { kind: "str" },
    interface: { kind: "str", default: "internal", choices: ["public", "internal", "admin", "publicURL", "internalURL", "adminURL"] },
    delay_auth_decision: { kind: "bool", default: false },
    http_connect_timeout: { kind: "int", min: 1 },
    http_request_max_retries: { kind: "int", default: 3, min: 0 },
    cache: { kind: "str" },
    certfile: { kind: "str" },
    keyfile: { kind: "str" },
    cafile: { kind: "str" },
    insecure: { kind: "bool", default: false },
    region_name: { kind: "str" },
    memcached_servers: { kind: "list" },
    memcache_servers: { kind: "list" },
    token_cache_time: { kind: "int", default: 300 },
    revocation_cache_time: { kind: "int" },
    memcache_security_strategy: { kind: "str" },
    memcache_secret_key: { kind: "str" },
    memcache_pool_dead_retry: { kind: "int" },
    memcache_pool_maxsize: { kind: "int" },
    memcache_pool_socket_timeout: { kind: "int" },
    memcache_pool_unused_timeout: { kind: "int" },
    memcache_pool_conn_get_timeout: { kind: "int" },
    memcache_use_advanced_pool: { kind: "bool" },
    include_service_catalog: { kind: "bool", default: true },
    enforce_token_bind: { kind: "str" },
    check_revocations_for_cached: { kind: "bool" },
    hash_algorithms: { kind: "list" },
    signing_dir: { kind: "str" },
    service_token_roles: { kind: "list", default: ["service"] },
    service_token_roles_required: { kind: "bool", default: false },
    service_type: { kind: "str" },
    auth_type: { kind: "str" },
    auth_plugin: { kind: "str" },
    auth_section: { kind: "str" },
    auth_url: { kind: "str" },
    system_scope: { kind: "str" },
    domain_id: { kind: "str" },
    domain_name: { kind: "str" },
    project_id: { kind: "str" },
    project_name: { kind: "str" },
    project_domain_id: { kind: "str" },
    project_domain_name: { kind: "str" },
    trust_id: { kind: "str" },
    default_domain_id: { kind: "str" },
    default_domain_name: { kind: "str" },
    user_id: { kind: "str" },
    username: { kind: "str" },
    user_name: { kind: "str" },
    user_domain_id: { kind: "str" },
    user_domain_name: { kind: "str" },
    password: { kind: "str" },
    auth_admin_prefix: { kind: "str" },
    auth_host: { kind: "str" },
    auth_port: { kind: "int" },
    auth_protocol: { kind: "str" },
    identity_uri: { kind: "str" },
    admin_token: { kind: "str" },
    admin_user: { kind: "str" },
    admin_password: { kind: "str" },
    admin_tenant_name: { kind: "str" },
    collect_timing: { kind: "bool" },
    split_loggers: { kind: "bool" },
    timeout: { kind: "int" },
  },
  // Groups the reference reads through libraries; accepted so an existing file loads quietly.
  oslo_middleware: {},
  profiler: {},
  oslo_concurrency: {},
  database: {},
};

// Groups whose options are owned by other libraries: any key is accepted.
const OPEN_GROUPS = new Set(["oslo_middleware", "profiler", "oslo_concurrency", "database"]);

export type Ini = Map<string, Map<string, string>>;

/** Parses oslo.config-style INI text: sections, `key = value`, `#`/`;` comments, indented continuations. */
export function parseIni(text: string, source = "config"): Ini {
  const out: Ini = new Map();
  let section: Map<string, string> | undefined;
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*[#;]/.test(raw) || raw.trim() === "") {
      lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section.set(lastKey, `${section.get(lastKey)}\n${raw.trim()}`);
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      const name = at(header, 1).trim();
      section = out.get(name) ?? new Map();
      out.set(name, section);
      lastKey = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv || !section) throw new ConfigError(`${source}:${i + 1}: cannot parse line: ${raw.trim()}`);
    lastKey = at(kv, 1).trim();
    section.set(lastKey, at(kv, 2).trim());
  });
  return out;
}

function convert(group: string, name: string, spec: OptionSpec, raw: string): unknown {
  const where = `[${group}] ${name}`;
  switch (spec.kind) {
    case "bool": {
      const v = raw.toLowerCase();
      if (["true", "1", "yes", "on"].includes(v)) return true;
      if (["false", "0", "no", "off"].includes(v)) return false;
      throw new ConfigError(`Invalid value for option ${where}: ${JSON.stringify(raw)} is not a boolean (use true or false)`);
    }
    case "int": {
      if (!/^[-+]?\d+$/.test(raw)) throw new ConfigError(`Invalid value for option ${where}: ${JSON.stringify(raw)} is not an integer`);
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`Invalid value for option ${where}: ${n} is less than the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw new ConfigError(`Invalid value for option ${where}: ${n} is greater than the maximum ${spec.max}`);
      return n;
    }
    case "list":
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    case "str": {
      const v = raw.replace(/^(["'])(.*)\1$/, "$2");
      if (spec.choices && !spec.choices.includes(v))
        throw new ConfigError(`Invalid value for option ${where}: ${JSON.stringify(v)}; valid choices are ${spec.choices.join(", ")}`);
      return v;
    }
  }
}

export interface LoadOptions {
  configFile?: string;
  /** Used when no config file is given: serve this SQLite file with noauth2. */
  defaultConnection?: string;
  overrides?: { [group: string]: { [option: string]: string } };
  warn?: (message: string) => void;
}

/** Reads the INI file (if any), validates every known option and returns a frozen Config. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const warn = opts.warn ?? (() => {});
  let ini: Ini = new Map();
  if (opts.configFile) {
    let text: string;
    try {
      text = readFileSync(opts.configFile, "utf8");
    } catch (e) {
      throw new ConfigError(`Cannot read config file ${opts.configFile}: ${(e as Error).message}`);
    }
    ini = parseIni(text, opts.configFile);
  } else {
    ini.set("api", new Map([["auth_strategy", "noauth2"]]));
    ini.set(
      "placement_database",
      new Map([
        ["connection", opts.defaultConnection ?? "sqlite:///berth.sqlite"],
        ["sync_on_startup", "true"],
      ]),
    );
  }
  for (const [group, values] of Object.entries(opts.overrides ?? {})) {
    const section = ini.get(group) ?? new Map<string, string>();
    for (const [k, v] of Object.entries(values)) section.set(k, v);
    ini.set(group, section);
  }
  const values: Record<string, Record<string, unknown>> = {};
  for (const [group, specs] of Object.entries(OPTIONS)) {
    values[group] = {};
    for (const [name, spec] of Object.entries(specs)) entry(values, group)[name] = spec.default;
  }
  for (const [group, section] of ini) {
    const specs = OPTIONS[group];
    if (!specs) {
      warn(`Unknown config group [${group}] ignored`);
      continue;
    }
    for (const [name, raw] of section) {
      const spec = specs[name];
      if (!spec) {
        if (!OPEN_GROUPS.has(group)) warn(`Unknown config option [${group}] ${name} ignored`);
        continue;
      }
      entry(values, group)[name] = convert(group, name, spec, raw);
    }
  }
  const db = values.placement_database!;
  if (!db.connection)
    throw new ConfigError("[placement_database] connection is required: set it to a database URL such as sqlite:////var/lib/berth/placement.sqlite");
  // NOTE: Berth reads what it just wrote (generations, claims); a lagging replica would answer stale.
  if (db.slave_connection)
    throw new ConfigError(
      "[placement_database] slave_connection is not supported: Berth reads and writes through [placement_database] connection (candidates come from memory); remove slave_connection",
    );
  const g = <T>(group: string, name: string) => entry(values, group)[name] as T;
  const config: Config = {
    debug: g("DEFAULT", "debug"),
    configDir: opts.configFile ? dirname(opts.configFile) : undefined,
    logging: {
      logFile: g("DEFAULT", "log_file") || undefined,
      logDir: g("DEFAULT", "log_dir") || undefined,
      useStderr: g("DEFAULT", "use_stderr"),
      useSyslog: g("DEFAULT", "use_syslog"),
      useJournal: g("DEFAULT", "use_journal"),
    },
    berth: {
      metricsPort: g("berth", "metrics_port"),
      metricsHost: g("berth", "metrics_host"),
    },
    api: {
      authStrategy: g("api", "auth_strategy"),
      maxRequestBodySize: g("api", "max_request_body_size"),
      workers: g("api", "workers"),
    },
    database: {
      connection: g("placement_database", "connection"),
      syncOnStartup: g("placement_database", "sync_on_startup"),
      maxPoolSize: g("placement_database", "max_pool_size"),
      sqliteSynchronous: g("placement_database", "sqlite_synchronous"),
      maxRetries: g("placement_database", "max_retries"),
      retryInterval: g("placement_database", "retry_interval"),
      maxOverflow: g("placement_database", "max_overflow") ?? 0,
      poolTimeout: g("placement_database", "pool_timeout") ?? 30,
      connectionRecycleTime: g("placement_database", "connection_recycle_time"),
      mysqlSqlMode: g("placement_database", "mysql_sql_mode") ?? "TRADITIONAL",
    },
    policy: {
      policyFile: g("oslo_policy", "policy_file"),
      policyDirs: g("oslo_policy", "policy_dirs"),
      enforceNewDefaults: g("oslo_policy", "enforce_new_defaults"),
      enforceScope: g("oslo_policy", "enforce_scope"),
    },
    cors: {
      allowedOrigin: g("cors", "allowed_origin"),
      allowCredentials: g("cors", "allow_credentials"),
      exposeHeaders: g("cors", "expose_headers"),
      maxAge: g("cors", "max_age"),
      allowMethods: g("cors", "allow_methods"),
      allowHeaders: g("cors", "allow_headers"),
    },
    keystone: keystoneConfig(<T>(name: string) => values.keystone_authtoken![name] as T, warn),
    placement: {
      maxAllocationCandidates: g("placement", "max_allocation_candidates"),
      randomizeAllocationCandidates: g("placement", "randomize_allocation_candidates"),
      allocationCandidatesGenerationStrategy: g("placement", "allocation_candidates_generation_strategy"),
      allocationConflictRetryCount: g("placement", "allocation_conflict_retry_count"),
      incompleteConsumerProjectId: g("placement", "incomplete_consumer_project_id"),
      incompleteConsumerUserId: g("placement", "incomplete_consumer_user_id"),
    },
  };
  return deepFreeze(config);
}

/** [keystone_authtoken] with the deprecated names folded into the current ones. */
function keystoneConfig(k: <T>(name: string) => T, warn: (m: string) => void): KeystoneConfig {
  const memcached = k<string[] | undefined>("memcached_servers") ?? k<string[] | undefined>("memcache_servers");
  if (memcached?.length) warn("[keystone_authtoken] memcached_servers is ignored: Berth caches validated tokens in process");
  return {
    wwwAuthenticateUri: k("www_authenticate_uri") ?? k("auth_uri"),
    authType: k("auth_type") ?? k("auth_plugin"),
    authSection: k("auth_section"),
    authUrl: k("auth_url"),
    username: k("username") ?? k("user_name"),
    userId: k("user_id"),
    password: k("password"),
    userDomainName: k("user_domain_name"),
    userDomainId: k("user_domain_id"),
    projectName: k("project_name"),
    projectId: k("project_id"),
    projectDomainName: k("project_domain_name"),
    projectDomainId: k("project_domain_id"),
    domainName: k("domain_name"),
    domainId: k("domain_id"),
    defaultDomainName: k("default_domain_name"),
    defaultDomainId: k("default_domain_id"),
    systemScope: k("system_scope"),
    trustId: k("trust_id"),
    regionName: k("region_name"),
    interface: k<string>("interface").replace(/URL$/, ""),
    cafile: k("cafile"),
    certfile: k("certfile"),
    keyfile: k("keyfile"),
    insecure: k("insecure"),
    httpConnectTimeout: k("http_connect_timeout"),
    httpRequestMaxRetries: k("http_request_max_retries"),
    tokenCacheTime: k("token_cache_time"),
    serviceTokenRoles: k("service_token_roles"),
    serviceTokenRolesRequired: k("service_token_roles_required"),
    delayAuthDecision: k("delay_auth_decision"),
    serviceType: k("service_type"),
  };
}

/** A Config for tests and embedding: in-memory SQLite, noauth2, everything else default. */
export function testConfig(overrides: LoadOptions["overrides"] = {}): Config {
  return loadConfig({
    overrides: {
      api: { auth_strategy: "noauth2" },
      placement_database: { connection: "sqlite://", sync_on_startup: "true" },
      ...overrides,
    },
    defaultConnection: "sqlite://",
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface ConfigSearch {
  /** --config-file, when given. */
  explicit?: string;
  /** $OS_PLACEMENT_CONFIG_DIR. */
  configDir?: string;
  /** $HOME. */
  home?: string;
  exists: (path: string) => boolean;
}

/** The places searched when neither --config-file nor $OS_PLACEMENT_CONFIG_DIR says, in oslo.config's
 * order for project "placement" (the reference's placement-manage, placement-status and, without
 * the variable, its API). */
export function defaultConfigFiles(home: string | undefined): string[] {
  return [...(home ? [`${home}/.placement/placement.conf`, `${home}/placement.conf`] : []), "/etc/placement/placement.conf", "/etc/placement.conf"];
}

/**
 * The config file to read: --config-file; else $OS_PLACEMENT_CONFIG_DIR/placement.conf when the
 * variable is set (as the reference's API reads it; a missing file is an error there too); else
 * the first of defaultConfigFiles() that exists; else undefined.
 */
export function findConfigFile(s: ConfigSearch): string | undefined {
  if (s.explicit) return s.explicit;
  const dir = s.configDir?.trim();
  if (dir) {
    const file = `${dir.replace(/\/+$/, "")}/placement.conf`;
    if (!s.exists(file)) throw new ConfigError(`OS_PLACEMENT_CONFIG_DIR is ${dir}, but ${file} does not exist: create it, or unset the variable`);
    return file;
  }
  return defaultConfigFiles(s.home).find((f) => s.exists(f));
}
