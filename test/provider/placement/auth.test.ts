import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthConfigError,
  cloudsYamlPaths,
  connectPlacement,
  KeystoneSession,
  loadCloudConfig,
  tokenRequestBody,
} from "../../../provider/placement/auth";

/**
 * A small Keystone v3 on 127.0.0.1: `POST /v3/auth/tokens` accepts user `ops`/`pw` in project
 * `infra` and application credential `ac-1`/`s3cret`, and answers a token and a catalog whose
 * `placement` endpoints point back at this server under `/placement` (public) and `/internal`.
 * `GET /placement/resource_classes` needs a valid token.
 */
let server: Server;
let base: string;
let issued = 0;
const bodies: unknown[] = [];
const valid = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v3/auth/tokens") {
        const parsed = JSON.parse(body) as {
          auth: {
            identity: {
              password?: { user: { name: string; password: string } };
              application_credential?: { id: string; secret: string };
            };
          };
        };
        bodies.push(parsed);
        const id = parsed.auth.identity;
        const ok =
          (id.password?.user.name === "ops" && id.password.user.password === "pw") ||
          (id.application_credential?.id === "ac-1" && id.application_credential.secret === "s3cret");
        if (!ok) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              error: {
                code: 401,
                message: "The request you have made requires authentication.",
                title: "Unauthorized",
              },
            }),
          );
          return;
        }
        const token = `tok-${++issued}`;
        valid.add(token);
        res.writeHead(201, { "content-type": "application/json", "x-subject-token": token });
        res.end(
          JSON.stringify({
            token: {
              expires_at: "2999-01-01T00:00:00.000000Z",
              catalog: [
                {
                  type: "identity",
                  endpoints: [{ interface: "public", region_id: "r1", url: `${base}/v3` }],
                },
                {
                  type: "placement",
                  endpoints: [
                    { interface: "public", region_id: "r1", url: `${base}/placement` },
                    { interface: "internal", region_id: "r1", url: `${base}/internal` },
                    { interface: "public", region_id: "r2", url: `${base}/elsewhere` },
                  ],
                },
              ],
            },
          }),
        );
        return;
      }
      if (req.url === "/placement/resource_classes" && valid.has(String(req.headers["x-auth-token"]))) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ resource_classes: [{ name: "VCPU" }, { name: "MEMORY_MB" }] }));
        return;
      }
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          errors: [
            { status: 401, title: "Unauthorized", detail: "bad token", code: "placement.undefined_code" },
          ],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "servicevm-auth-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function cloudsYaml(): string {
  return [
    "clouds:",
    "  prod:",
    "    region_name: r1",
    "    auth:",
    `      auth_url: ${base}`,
    "      username: ops",
    "      password: pw",
    "      project_name: infra",
    "      user_domain_name: Default",
    "      project_domain_name: Default",
    "  appcred:",
    "    auth_type: v3applicationcredential",
    "    region_name: r1",
    "    interface: internal",
    "    auth:",
    `      auth_url: ${base}/v3`,
    "      application_credential_id: ac-1",
    "      application_credential_secret: s3cret",
    "",
  ].join("\n");
}

describe("OpenStack auth for the Placement client", () => {
  it("searches clouds.yaml where openstacksdk does, OS_CLIENT_CONFIG_FILE first", () => {
    expect(cloudsYamlPaths({ env: {}, cwd: "/w", home: "/h" })).toEqual([
      "/w/clouds.yaml",
      "/h/.config/openstack/clouds.yaml",
      "/etc/openstack/clouds.yaml",
    ]);
    expect(cloudsYamlPaths({ env: { OS_CLIENT_CONFIG_FILE: "/x/c.yaml" }, cwd: "/w", home: "/h" })[0]).toBe(
      "/x/c.yaml",
    );
  });

  it("reads a password cloud from ~/.config/openstack/clouds.yaml and builds Keystone's project-scoped password body", () => {
    const home = dirWith({ ".config/openstack/clouds.yaml": cloudsYaml() });
    const cwd = dirWith({});
    const config = loadCloudConfig({ cloud: "prod", env: {}, cwd, home });
    expect(config.source).toBe(`clouds.yaml ${join(home, ".config/openstack/clouds.yaml")} (cloud \`prod\`)`);
    expect(tokenRequestBody(config)).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "ops", domain: { name: "Default" }, password: "pw" } },
        },
        scope: { project: { name: "infra", domain: { name: "Default" } } },
      },
    });
    rmSync(home, { recursive: true });
    rmSync(cwd, { recursive: true });
  });

  it("reads OS_* variables when no cloud is named, application credentials included", () => {
    const config = loadCloudConfig({
      env: {
        OS_AUTH_URL: `${base}/v3`,
        OS_APPLICATION_CREDENTIAL_ID: "ac-1",
        OS_APPLICATION_CREDENTIAL_SECRET: "s3cret",
        OS_INTERFACE: "internalURL",
      },
      cwd: "/nonexistent",
      home: "/nonexistent",
    });
    expect(config.authType).toBe("v3applicationcredential");
    expect(config.interface).toBe("internal");
    expect(tokenRequestBody(config)).toEqual({
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: "ac-1", secret: "s3cret" },
        },
      },
    });
  });

  it.each([
    [
      { cloud: "nope", env: {}, cwd: "/nonexistent", home: "/nonexistent" },
      "cloud `nope`: no clouds.yaml found (looked in /nonexistent/clouds.yaml, /nonexistent/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)",
    ],
    [{ env: {}, cwd: "/nonexistent", home: "/nonexistent" }, "no OpenStack credentials: set `OS_CLOUD`"],
    [
      { env: { OS_AUTH_URL: "http://k" }, cwd: "/nonexistent", home: "/nonexistent" },
      "`OS_*` variables: missing `username (or user_id)`, `password`; add them or set the `OS_*` variables",
    ],
  ])("explains what is missing: %j", (lookup, message) => {
    expect(() => loadCloudConfig(lookup)).toThrow(AuthConfigError);
    expect(() => loadCloudConfig(lookup)).toThrow(message);
  });

  it("names the clouds a clouds.yaml has when the asked one is not there", () => {
    const cwd = dirWith({ "clouds.yaml": cloudsYaml() });
    expect(() => loadCloudConfig({ cloud: "staging", env: {}, cwd, home: "/nonexistent" })).toThrow(
      `cloud \`staging\` is not in ${join(cwd, "clouds.yaml")} (clouds there: appcred, prod)`,
    );
    rmSync(cwd, { recursive: true });
  });

  it("authenticates against Keystone, takes Placement's endpoint from the catalog and reuses the token", async () => {
    const cwd = dirWith({ "clouds.yaml": cloudsYaml() });
    const before = issued;
    const client = await connectPlacement({ cloud: "prod", env: {}, cwd, home: "/nonexistent" });
    expect(client.endpoint).toBe(`${base}/placement`);
    expect(await client.listResourceClasses()).toEqual(["VCPU", "MEMORY_MB"]);
    expect(await client.listResourceClasses()).toEqual(["VCPU", "MEMORY_MB"]);
    expect(issued - before).toBe(1);
    rmSync(cwd, { recursive: true });
  });

  it("uses the interface and region of the cloud for application credentials", async () => {
    const dir = dirWith({ "c.yaml": cloudsYaml() });
    const session = new KeystoneSession(
      loadCloudConfig({
        cloud: "appcred",
        env: { OS_CLIENT_CONFIG_FILE: join(dir, "c.yaml") },
        cwd: "/nonexistent",
        home: "/nonexistent",
      }),
    );
    expect(await session.endpoint()).toBe(`${base}/internal`);
    await expect(session.endpoint("compute")).rejects.toThrow(
      "no `compute` endpoint for interface `internal` in region `r1` in the catalog (services: identity, placement)",
    );
    rmSync(dir, { recursive: true });
  });

  it("says Keystone refused the credentials, and which cloud they came from", async () => {
    const session = new KeystoneSession(
      loadCloudConfig({
        env: { OS_AUTH_URL: base, OS_USERNAME: "ops", OS_PASSWORD: "wrong", OS_PROJECT_NAME: "infra" },
        cwd: "/nonexistent",
        home: "/nonexistent",
      }),
    );
    await expect(session.token()).rejects.toThrow(
      "Keystone refused password auth for `OS_*` variables: 401 The request you have made requires authentication.",
    );
  });

  it("authenticates again when the token is within a minute of expiring", async () => {
    const env = { OS_AUTH_URL: base, OS_USERNAME: "ops", OS_PASSWORD: "pw", OS_PROJECT_NAME: "infra" };
    const fresh = new KeystoneSession(loadCloudConfig({ env, cwd: "/nonexistent", home: "/nonexistent" }), {
      now: () => Date.parse("2998-12-31T23:58:00Z"),
    });
    const first = await fresh.token();
    expect(await fresh.token()).toBe(first);
    expect(fresh.issued).toBe(1);
    const expiring = new KeystoneSession(
      loadCloudConfig({ env, cwd: "/nonexistent", home: "/nonexistent" }),
      { now: () => Date.parse("2998-12-31T23:59:30Z") },
    );
    const a = await expiring.token();
    const b = await expiring.token();
    expect(a).not.toBe(b);
    expect(expiring.issued).toBe(2);
  });
});
