/**
 * Authentication as OpenStack users expect it: a named cloud from `clouds.yaml` or the `OS_*`
 * variables, Keystone v3 password or application-credential auth, and the Placement endpoint taken
 * from the token's service catalog (type `placement`) unless one is given.
 *
 * `clouds.yaml` is searched like openstacksdk does: `$OS_CLIENT_CONFIG_FILE`, `./clouds.yaml`,
 * `~/.config/openstack/clouds.yaml`, `/etc/openstack/clouds.yaml`; the first file that exists is
 * used. (`secure.yaml` is not merged.)
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { PlacementClient, type PlacementClientOptions, type TokenSource } from "./client";

export type Interface = "public" | "internal" | "admin";

/** Resolved credentials for one cloud. */
export interface CloudConfig {
  /** Where the settings came from, for messages: `clouds.yaml /path (cloud x)` or `OS_* variables`. */
  source: string;
  authUrl: string;
  authType: "password" | "v3applicationcredential";
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  regionName?: string;
  /** @default "public" */
  interface: Interface;
}

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthConfigError";
  }
}

export interface CloudLookup {
  /** Cloud name in clouds.yaml. @default env.OS_CLOUD */
  cloud?: string;
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** @default process.cwd() */
  cwd?: string;
  /** @default os.homedir() */
  home?: string;
}

/** The clouds.yaml files looked at, in order. */
export function cloudsYamlPaths(lookup: CloudLookup = {}): string[] {
  const env = lookup.env ?? process.env;
  const paths = [
    join(lookup.cwd ?? process.cwd(), "clouds.yaml"),
    join(lookup.home ?? homedir(), ".config", "openstack", "clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  ];
  const explicit = env.OS_CLIENT_CONFIG_FILE;
  return explicit !== undefined && explicit !== "" ? [explicit, ...paths] : paths;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
}

function authTypeOf(raw: string | undefined, hasAppCred: boolean, source: string): CloudConfig["authType"] {
  const t = raw ?? (hasAppCred ? "v3applicationcredential" : "password");
  if (t === "password" || t === "v3password") return "password";
  if (t === "v3applicationcredential" || t === "application_credential") return "v3applicationcredential";
  throw new AuthConfigError(
    `${source}: \`auth_type\` \`${t}\` is not supported; use \`password\` or \`v3applicationcredential\``,
  );
}

function interfaceOf(raw: string | undefined, source: string): Interface {
  const i = (raw ?? "public").replace(/URL$/, "");
  if (i === "public" || i === "internal" || i === "admin") return i;
  throw new AuthConfigError(
    `${source}: \`interface\` \`${raw}\` must be \`public\`, \`internal\` or \`admin\``,
  );
}

function checkComplete(c: CloudConfig): CloudConfig {
  const missing: string[] = [];
  if (c.authUrl === "") missing.push("auth_url");
  if (c.authType === "password") {
    if (c.username === undefined && c.userId === undefined) missing.push("username (or user_id)");
    if (c.password === undefined) missing.push("password");
  } else {
    if (c.applicationCredentialId === undefined && c.applicationCredentialName === undefined)
      missing.push("application_credential_id");
    if (c.applicationCredentialSecret === undefined) missing.push("application_credential_secret");
  }
  if (missing.length > 0)
    throw new AuthConfigError(
      `${c.source}: missing ${missing.map((m) => `\`${m}\``).join(", ")}; add them or set the \`OS_*\` variables`,
    );
  return c;
}

/** Credentials for `lookup.cloud` (or `OS_CLOUD`) from clouds.yaml, else from `OS_*` variables. */
export function loadCloudConfig(lookup: CloudLookup = {}): CloudConfig {
  const env = lookup.env ?? process.env;
  const cloud = lookup.cloud ?? str(env.OS_CLOUD);
  if (cloud !== undefined) {
    const paths = cloudsYamlPaths(lookup);
    const file = paths.find((p) => existsSync(p));
    if (file === undefined)
      throw new AuthConfigError(`cloud \`${cloud}\`: no clouds.yaml found (looked in ${paths.join(", ")})`);
    const doc = parseYaml(readFileSync(file, "utf8")) as {
      clouds?: Record<string, Record<string, unknown>>;
    } | null;
    const entry = doc?.clouds?.[cloud];
    if (entry === undefined) {
      const known = Object.keys(doc?.clouds ?? {}).sort();
      throw new AuthConfigError(
        `cloud \`${cloud}\` is not in ${file} (clouds there: ${known.length === 0 ? "none" : known.join(", ")})`,
      );
    }
    const source = `clouds.yaml ${file} (cloud \`${cloud}\`)`;
    const a = (entry.auth ?? {}) as Record<string, unknown>;
    return credentialsFrom(
      source,
      (key) => str(a[key]),
      (key) => str(entry[key]),
    );
  }
  if (str(env.OS_AUTH_URL) === undefined) {
    throw new AuthConfigError(
      "no OpenStack credentials: set `OS_CLOUD` (a cloud in clouds.yaml), or `OS_AUTH_URL` with `OS_USERNAME`/`OS_PASSWORD` " +
        "or `OS_APPLICATION_CREDENTIAL_ID`/`OS_APPLICATION_CREDENTIAL_SECRET`, or give a Placement endpoint and token",
    );
  }
  // Every `OS_*` variable is `OS_` and the clouds.yaml key in upper case.
  const fromEnv = (key: string): string | undefined => str(env[`OS_${key.toUpperCase()}`]);
  return credentialsFrom("`OS_*` variables", fromEnv, fromEnv);
}

/**
 * Credentials from one source, named by clouds.yaml keys: `auth` reads the auth block, `top`
 * the entry itself (auth type, region, interface).
 */
function credentialsFrom(
  source: string,
  auth: (key: string) => string | undefined,
  top: (key: string) => string | undefined,
): ReturnType<typeof checkComplete> {
  const hasAppCred =
    auth("application_credential_id") !== undefined || auth("application_credential_name") !== undefined;
  return checkComplete({
    source,
    authUrl: auth("auth_url") ?? "",
    authType: authTypeOf(top("auth_type"), hasAppCred, source),
    username: auth("username"),
    userId: auth("user_id"),
    password: auth("password"),
    userDomainName: auth("user_domain_name") ?? auth("domain_name"),
    userDomainId: auth("user_domain_id") ?? auth("domain_id"),
    projectName: auth("project_name") ?? auth("tenant_name"),
    projectId: auth("project_id") ?? auth("tenant_id"),
    projectDomainName: auth("project_domain_name") ?? auth("domain_name"),
    projectDomainId: auth("project_domain_id") ?? auth("domain_id"),
    applicationCredentialId: auth("application_credential_id"),
    applicationCredentialName: auth("application_credential_name"),
    applicationCredentialSecret: auth("application_credential_secret"),
    regionName: top("region_name"),
    interface: interfaceOf(top("interface") ?? top("endpoint_type"), source),
  });
}

function domain(name: string | undefined, id: string | undefined): { id: string } | { name: string } {
  if (id !== undefined) return { id };
  return { name: name ?? "Default" };
}

/** The Keystone v3 `POST /auth/tokens` body for a cloud config. */
export function tokenRequestBody(c: CloudConfig): unknown {
  if (c.authType === "v3applicationcredential") {
    const cred =
      c.applicationCredentialId !== undefined
        ? { id: c.applicationCredentialId, secret: c.applicationCredentialSecret }
        : {
            name: c.applicationCredentialName,
            secret: c.applicationCredentialSecret,
            user:
              c.userId !== undefined
                ? { id: c.userId }
                : { name: c.username, domain: domain(c.userDomainName, c.userDomainId) },
          };
    return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
  }
  const user =
    c.userId !== undefined
      ? { id: c.userId, password: c.password }
      : { name: c.username, domain: domain(c.userDomainName, c.userDomainId), password: c.password };
  const auth: Record<string, unknown> = { identity: { methods: ["password"], password: { user } } };
  if (c.projectId !== undefined) auth.scope = { project: { id: c.projectId } };
  else if (c.projectName !== undefined)
    auth.scope = { project: { name: c.projectName, domain: domain(c.projectDomainName, c.projectDomainId) } };
  return { auth };
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

/** Keystone v3 token source with the catalog; re-authenticates 60 s before expiry or after a 401. */
export class KeystoneSession implements TokenSource {
  private current: { token: string; expiresAt: number; catalog: CatalogEntry[] } | null = null;
  private pending: Promise<{ token: string; expiresAt: number; catalog: CatalogEntry[] }> | null = null;
  /** Tokens issued so far (for tests and diagnostics). */
  issued = 0;

  constructor(
    readonly config: CloudConfig,
    private readonly options: { timeoutMs?: number; now?: () => number } = {},
  ) {}

  private get tokensUrl(): string {
    const base = this.config.authUrl.replace(/\/+$/, "");
    return `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
  }

  private async authenticate(): Promise<{ token: string; expiresAt: number; catalog: CatalogEntry[] }> {
    const url = this.tokensUrl;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(tokenRequestBody(this.config)),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new AuthConfigError(
        `Keystone at ${url} unreachable (${this.config.source}): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const text = await response.text();
    if (response.status !== 201 && response.status !== 200) {
      let detail = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string } };
        detail = parsed.error?.message ?? detail;
      } catch {
        // keep the raw text
      }
      throw new AuthConfigError(
        `Keystone refused ${this.config.authType} auth for ${this.config.source}: ${response.status} ${detail}`,
      );
    }
    const token = response.headers.get("x-subject-token");
    if (token === null)
      throw new AuthConfigError(`Keystone at ${url} answered without an \`X-Subject-Token\` header`);
    const body = JSON.parse(text) as { token?: { expires_at?: string; catalog?: CatalogEntry[] } };
    const expiresAt =
      body.token?.expires_at === undefined ? Number.POSITIVE_INFINITY : Date.parse(body.token.expires_at);
    this.issued++;
    return { token, expiresAt, catalog: body.token?.catalog ?? [] };
  }

  private async session(): Promise<{ token: string; expiresAt: number; catalog: CatalogEntry[] }> {
    const now = (this.options.now ?? Date.now)();
    if (this.current !== null && this.current.expiresAt - 60_000 > now) return this.current;
    if (this.pending === null) {
      this.pending = this.authenticate().finally(() => {
        this.pending = null;
      });
    }
    this.current = await this.pending;
    return this.current;
  }

  async token(): Promise<string> {
    return (await this.session()).token;
  }

  invalidate(): void {
    this.current = null;
  }

  /** The catalog URL of service type `type` for the configured interface and region. */
  async endpoint(type = "placement"): Promise<string> {
    const { catalog } = await this.session();
    const service = catalog.find((s) => s.type === type);
    const region = this.config.regionName;
    const ep = service?.endpoints.find(
      (e) =>
        e.interface === this.config.interface &&
        (region === undefined || e.region_id === region || e.region === region),
    );
    if (ep === undefined) {
      const types = [...new Set(catalog.map((s) => s.type))].sort();
      throw new AuthConfigError(
        `no \`${type}\` endpoint for interface \`${this.config.interface}\`${region === undefined ? "" : ` in region \`${region}\``} in the catalog ` +
          `(services: ${types.length === 0 ? "none" : types.join(", ")}); set \`interface\`/\`region_name\` or give the endpoint explicitly`,
      );
    }
    return ep.url;
  }
}

export interface ConnectOptions extends CloudLookup, Omit<PlacementClientOptions, "endpoint" | "auth"> {
  /** Placement URL; default: from the Keystone catalog. */
  endpoint?: string;
  /** A static token (noauth2: `admin`); skips Keystone. Needs `endpoint`. */
  token?: string;
}

/** A client from explicit settings, or from clouds.yaml / `OS_*` through Keystone. */
export async function connectPlacement(options: ConnectOptions): Promise<PlacementClient> {
  const { endpoint, token, cloud, env, cwd, home, ...rest } = options;
  if (token !== undefined) {
    if (endpoint === undefined)
      throw new AuthConfigError("a static `token` needs an explicit Placement `endpoint`");
    return new PlacementClient({ ...rest, endpoint, auth: token });
  }
  const session = new KeystoneSession(loadCloudConfig({ cloud, env, cwd, home }), {
    timeoutMs: rest.timeoutMs,
  });
  return new PlacementClient({
    ...rest,
    endpoint: endpoint ?? (await session.endpoint("placement")),
    auth: session,
  });
}
