/**
 * A real Keystone (Debian's `keystone`, v3) for one suite: SQL on the suite's MariaDB, fernet
 * tokens, `keystone-manage bootstrap` for the admin user, project and RegionOne endpoints, served by
 * uwsgi. `KeystoneAdmin` then makes what a cloud has: users, projects, role assignments,
 * application credentials, services and endpoints, through the Identity API itself.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../provider/placement/server";
import type { MariaDb } from "./mariadb";
import { run } from "./processes";
import { startUwsgi, type UwsgiApp } from "./uwsgi";

export const ADMIN_PASSWORD = "admin-secret";
export const REGION = "RegionOne";

export interface KeystoneOptions {
  /** Token lifetime in seconds (`[token] expiration`). @default 3600 */
  tokenExpiration?: number;
  readyTimeoutMs?: number;
}

export interface Keystone {
  readonly app: UwsgiApp;
  /** `http://127.0.0.1:<port>/v3` */
  readonly authUrl: string;
  readonly admin: KeystoneAdmin;
}

export async function startKeystone(
  db: MariaDb,
  dir: string,
  options: KeystoneOptions = {},
): Promise<Keystone> {
  const port = await freePort();
  const authUrl = `http://127.0.0.1:${port}/v3`;
  const conf = join(dir, "keystone.conf");
  mkdirSync(join(dir, "fernet-keys"), { recursive: true });
  mkdirSync(join(dir, "credential-keys"), { recursive: true });
  writeFileSync(
    conf,
    [
      "[DEFAULT]",
      "debug = false",
      "[database]",
      `connection = ${db.createDatabase("keystone", "keystone-db-secret")}`,
      "[token]",
      "provider = fernet",
      `expiration = ${options.tokenExpiration ?? 3600}`,
      "[fernet_tokens]",
      `key_repository = ${join(dir, "fernet-keys")}`,
      "[fernet_receipts]",
      `key_repository = ${join(dir, "fernet-keys")}`,
      "[credential]",
      `key_repository = ${join(dir, "credential-keys")}`,
      "",
    ].join("\n"),
  );
  const manage = (...args: string[]): string =>
    run("/usr/bin/keystone-manage", ["--config-file", conf, ...args]);
  manage("db_sync");
  manage("fernet_setup", "--keystone-user", "root", "--keystone-group", "root");
  manage("credential_setup", "--keystone-user", "root", "--keystone-group", "root");
  manage(
    "bootstrap",
    "--bootstrap-password",
    ADMIN_PASSWORD,
    "--bootstrap-admin-url",
    authUrl,
    "--bootstrap-public-url",
    authUrl,
    "--bootstrap-internal-url",
    authUrl,
    "--bootstrap-region-id",
    REGION,
  );
  const app = await startUwsgi({
    name: "keystone (uwsgi)",
    wsgiFile: "/usr/bin/keystone-wsgi-public",
    port,
    processes: 2,
    env: { OS_KEYSTONE_CONFIG_FILES: conf },
    logPath: join(dir, "keystone.log"),
    probePath: "/v3",
    readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    closeConnections: true,
  });
  return { app, authUrl, admin: new KeystoneAdmin(authUrl) };
}

/** The Identity API as the bootstrap admin (project `admin`, domain `default`). */
export class KeystoneAdmin {
  private token: string | null = null;

  constructor(readonly authUrl: string) {}

  /** A token for a user's password, scoped to a project; answers the token and the raw body. */
  async passwordToken(
    user: string,
    password: string,
    project: string,
  ): Promise<{ token: string; body: unknown }> {
    const res = await fetch(`${this.authUrl}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: user, domain: { id: "default" }, password } },
          },
          scope: { project: { name: project, domain: { id: "default" } } },
        },
      }),
    });
    const body: unknown = await res.json();
    const token = res.headers.get("x-subject-token");
    if (res.status !== 201 || token === null)
      throw new Error(`keystone: token for ${user} answered ${res.status}: ${JSON.stringify(body)}`);
    return { token, body };
  }

  /** One Identity API call as admin; answers the JSON body. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // The admin token expires like any other (suites with a short `tokenExpiration`): on a 401,
    // take a new one and ask once more.
    for (let attempt = 1; ; attempt++) {
      this.token ??= (await this.passwordToken("admin", ADMIN_PASSWORD, "admin")).token;
      const res = await fetch(this.authUrl + path, {
        method,
        headers: {
          "x-auth-token": this.token,
          "content-type": "application/json",
          connection: "close",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 1) {
        this.token = null;
        continue;
      }
      if (res.status >= 300)
        throw new Error(`keystone: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
      return (text === "" ? {} : JSON.parse(text)) as T;
    }
  }

  async idOf(kind: "projects" | "users" | "roles", name: string): Promise<string> {
    const out = await this.call<Record<string, { id: string }[]>>(
      "GET",
      `/${kind}?name=${encodeURIComponent(name)}`,
    );
    const found = out[kind]?.[0];
    if (found === undefined) throw new Error(`keystone: no ${kind.slice(0, -1)} named ${name}`);
    return found.id;
  }

  async createProject(name: string): Promise<string> {
    const out = await this.call<{ project: { id: string } }>("POST", "/projects", {
      project: { name, domain_id: "default", enabled: true },
    });
    return out.project.id;
  }

  /** Creates user `name` with `password` and gives it `role` on `project`. */
  async createUser(name: string, password: string, project: string, role = "admin"): Promise<string> {
    const out = await this.call<{ user: { id: string } }>("POST", "/users", {
      user: {
        name,
        password,
        domain_id: "default",
        enabled: true,
        default_project_id: await this.idOf("projects", project),
      },
    });
    const projectId = await this.idOf("projects", project);
    const roleId = await this.idOf("roles", role);
    await this.call("PUT", `/projects/${projectId}/users/${out.user.id}/roles/${roleId}`);
    return out.user.id;
  }

  /** A service of `type` and one endpoint per interface, in `region`. */
  async createService(
    type: string,
    endpoints: { interface: string; url: string; region?: string }[],
  ): Promise<string> {
    const out = await this.call<{ service: { id: string } }>("POST", "/services", {
      service: { type, name: type, enabled: true },
    });
    for (const e of endpoints) await this.addEndpoint(out.service.id, e);
    return out.service.id;
  }

  async addEndpoint(
    serviceId: string,
    e: { interface: string; url: string; region?: string },
  ): Promise<void> {
    const region = e.region ?? REGION;
    if (region !== REGION) {
      const regions = await this.call<{ regions: { id: string }[] }>("GET", "/regions");
      if (!regions.regions.some((r) => r.id === region))
        await this.call("POST", "/regions", { region: { id: region } });
    }
    await this.call("POST", "/endpoints", {
      endpoint: {
        service_id: serviceId,
        interface: e.interface,
        url: e.url,
        region_id: region,
        enabled: true,
      },
    });
  }

  /** An application credential of `user` (authenticating with `password`); answers its id and secret. */
  async createApplicationCredential(
    user: string,
    password: string,
    project: string,
    name: string,
  ): Promise<{ id: string; secret: string }> {
    const { token } = await this.passwordToken(user, password, project);
    const userId = await this.idOf("users", user);
    const res = await fetch(`${this.authUrl}/users/${userId}/application_credentials`, {
      method: "POST",
      headers: { "x-auth-token": token, "content-type": "application/json", connection: "close" },
      body: JSON.stringify({ application_credential: { name } }),
    });
    const body = (await res.json()) as { application_credential?: { id: string; secret: string } };
    if (res.status !== 201 || body.application_credential === undefined)
      throw new Error(`keystone: application credential answered ${res.status}: ${JSON.stringify(body)}`);
    return { id: body.application_credential.id, secret: body.application_credential.secret };
  }
}
