/**
 * OpenStack credentials as users keep them: a named cloud in `clouds.yaml`, or the `OS_*`
 * variables; Keystone v3 password or application-credential auth.
 *
 * `clouds.yaml` is searched like openstacksdk does: `$OS_CLIENT_CONFIG_FILE`, `./clouds.yaml`,
 * `~/.config/openstack/clouds.yaml`, `/etc/openstack/clouds.yaml`; the first file that exists is
 * used. (`secure.yaml` is not merged.)
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

export type Interface = "public" | "internal" | "admin";

/** Where settings came from: one cloud of one clouds.yaml file, or the `OS_*` variables. */
export type CloudOrigin = { kind: "clouds.yaml"; file: string; cloud: string } | { kind: "env" };

/** Resolved credentials for one cloud. */
export interface CloudConfig {
  /** Where the settings came from, for messages: ``cloud `x` in /path/clouds.yaml`` or `` the `OS_*` variables ``. */
  source: string;
  origin: CloudOrigin;
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

/** What a message calls the setting `key` (a clouds.yaml key) where it came from: `` `password` `` or `` `OS_PASSWORD` ``. */
export function settingName(origin: CloudOrigin, key: string): string {
  return origin.kind === "env" ? `\`OS_${key.toUpperCase()}\`` : `\`${key}\``;
}

/** Where to fix a setting: `` there `` after a clouds.yaml source, nothing after the `OS_*` variables. */
export function settingPlace(origin: CloudOrigin): string {
  return origin.kind === "env" ? "" : " there";
}

function sourceOf(origin: CloudOrigin): string {
  return origin.kind === "env" ? "the `OS_*` variables" : `cloud \`${origin.cloud}\` in ${origin.file}`;
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
    const a = (entry.auth ?? {}) as Record<string, unknown>;
    return credentialsFrom(
      { kind: "clouds.yaml", file, cloud },
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
  // Every `OS_*` variable is `OS_` and the clouds.yaml key in upper case (settingName relies on it).
  const fromEnv = (key: string): string | undefined => str(env[`OS_${key.toUpperCase()}`]);
  return credentialsFrom({ kind: "env" }, fromEnv, fromEnv);
}

/**
 * Credentials from one origin, named by clouds.yaml keys: `auth` reads the auth block, `top`
 * the entry itself (auth type, region, interface).
 */
function credentialsFrom(
  origin: CloudOrigin,
  auth: (key: string) => string | undefined,
  top: (key: string) => string | undefined,
): CloudConfig {
  const source = sourceOf(origin);
  const hasAppCred =
    auth("application_credential_id") !== undefined || auth("application_credential_name") !== undefined;
  return checkComplete({
    source,
    origin,
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

/**
 * What Keystone refused and what to check, without the password or secret: the one line an
 * `AuthConfigError` for a refused `POST /auth/tokens` says after the status.
 */
export function refusalAdvice(c: CloudConfig): { who: string; fix: string } {
  const name = (key: string): string => settingName(c.origin, key);
  const there = settingPlace(c.origin);
  if (c.authType === "v3applicationcredential") {
    const who =
      c.applicationCredentialId !== undefined
        ? `application credential \`${c.applicationCredentialId}\``
        : `application credential \`${c.applicationCredentialName}\` of user \`${c.userId ?? c.username}\``;
    const keys =
      c.applicationCredentialId !== undefined
        ? `${name("application_credential_id")} and ${name("application_credential_secret")}`
        : `${name("application_credential_name")}, ${name("application_credential_secret")} and ${name("username")}`;
    return {
      who,
      fix: `check ${keys}${there}, and that the credential has not expired or been deleted`,
    };
  }
  const project = c.projectName ?? c.projectId;
  const who = `the password of user \`${c.userId ?? c.username}\`${project === undefined ? "" : ` for project \`${project}\``}`;
  const user = c.userId !== undefined ? name("user_id") : name("username");
  return {
    who,
    fix:
      `check ${user}, ${name("password")} and ${name("user_domain_name")}${there}, and that the user has a role on ` +
      (project === undefined ? "its default project" : `project \`${project}\``),
  };
}
