/**
 * The parts of auth that need no Keystone: clouds.yaml and `OS_*` parsing, the token request
 * bodies, the choice of an endpoint in a catalog, the static token, and the session's renewal
 * clock. What a real Keystone and Placement do (tokens, catalogs, refusals, expiry) is shown in
 * test/production/auth.test.ts and test/production/tokenExpiry.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthConfigError,
  cloudsYamlPaths,
  KeystoneSession,
  loadCloudConfig,
  renewBeforeMs,
  StaticToken,
  tokenRequestBody,
  type CloudConfig,
  type TokenEvent,
} from "../../../provider/placement/auth";
import { chooseEndpoint, type CatalogEntry } from "../../../provider/placement/catalog";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "servicevm-auth-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const CLOUDS_YAML = [
  "clouds:",
  "  prod:",
  "    region_name: r1",
  "    auth:",
  "      auth_url: http://keystone.example:5000",
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
  "      auth_url: http://keystone.example:5000/v3",
  "      application_credential_id: ac-1",
  "      application_credential_secret: s3cret",
  "",
].join("\n");

const NOWHERE = { cwd: "/nonexistent", home: "/nonexistent" };

describe("clouds.yaml and OS_* variables", () => {
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
    const home = dirWith({ ".config/openstack/clouds.yaml": CLOUDS_YAML });
    const cwd = dirWith({});
    const config = loadCloudConfig({ cloud: "prod", env: {}, cwd, home });
    const file = join(home, ".config/openstack/clouds.yaml");
    expect(config.source).toBe(`cloud \`prod\` in ${file}`);
    expect(config.origin).toEqual({ kind: "clouds.yaml", file, cloud: "prod" });
    expect([config.interface, config.regionName]).toEqual(["public", "r1"]);
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
        OS_AUTH_URL: "http://keystone.example:5000/v3",
        OS_APPLICATION_CREDENTIAL_ID: "ac-1",
        OS_APPLICATION_CREDENTIAL_SECRET: "s3cret",
        OS_INTERFACE: "internalURL",
      },
      ...NOWHERE,
    });
    expect([config.source, config.authType, config.interface]).toEqual([
      "the `OS_*` variables",
      "v3applicationcredential",
      "internal",
    ]);
    expect(tokenRequestBody(config)).toEqual({
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: "ac-1", secret: "s3cret" },
        },
      },
    });
  });

  it("builds the body of an application credential named by user, not by id", () => {
    const dir = dirWith({
      "c.yaml": [
        "clouds:",
        "  named:",
        "    auth:",
        "      auth_url: http://k/v3",
        "      application_credential_name: sync",
        "      application_credential_secret: s",
        "      username: ops",
        "      user_domain_id: default",
        "",
      ].join("\n"),
    });
    const config = loadCloudConfig({
      cloud: "named",
      env: { OS_CLIENT_CONFIG_FILE: join(dir, "c.yaml") },
      ...NOWHERE,
    });
    expect(tokenRequestBody(config)).toEqual({
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: {
            name: "sync",
            secret: "s",
            user: { name: "ops", domain: { id: "default" } },
          },
        },
      },
    });
    rmSync(dir, { recursive: true });
  });

  it.each([
    [
      { cloud: "nope", env: {}, ...NOWHERE },
      "cloud `nope`: no clouds.yaml found (looked in /nonexistent/clouds.yaml, /nonexistent/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)",
    ],
    [
      { env: {}, ...NOWHERE },
      "no OpenStack credentials: set `OS_CLOUD` (a cloud in clouds.yaml), or `OS_AUTH_URL` with `OS_USERNAME`/`OS_PASSWORD` " +
        "or `OS_APPLICATION_CREDENTIAL_ID`/`OS_APPLICATION_CREDENTIAL_SECRET`, or give a Placement endpoint and token",
    ],
    [
      { env: { OS_AUTH_URL: "http://k" }, ...NOWHERE },
      "the `OS_*` variables: missing `username (or user_id)`, `password`; add them or set the `OS_*` variables",
    ],
    [
      {
        env: { OS_AUTH_URL: "http://k", OS_USERNAME: "u", OS_PASSWORD: "p", OS_INTERFACE: "private" },
        ...NOWHERE,
      },
      "the `OS_*` variables: `interface` `private` must be `public`, `internal` or `admin`",
    ],
    [
      { env: { OS_AUTH_URL: "http://k", OS_AUTH_TYPE: "token" }, ...NOWHERE },
      "the `OS_*` variables: `auth_type` `token` is not supported; use `password` or `v3applicationcredential`",
    ],
  ])("explains what is wrong: %j", (lookup, message) => {
    expect(() => loadCloudConfig(lookup)).toThrow(new AuthConfigError(message));
  });

  it("names the clouds a clouds.yaml has when the asked one is not there", () => {
    const cwd = dirWith({ "clouds.yaml": CLOUDS_YAML });
    expect(() => loadCloudConfig({ cloud: "staging", env: {}, cwd, home: "/nonexistent" })).toThrow(
      new AuthConfigError(
        `cloud \`staging\` is not in ${join(cwd, "clouds.yaml")} (clouds there: appcred, prod)`,
      ),
    );
    rmSync(cwd, { recursive: true });
  });
});

/** A config as `loadCloudConfig` makes it from `OS_*` (or, with `file`, from cloud `prod` in it). */
function configOf(over: Partial<CloudConfig>, file?: string): CloudConfig {
  const origin: CloudConfig["origin"] =
    file === undefined ? { kind: "env" } : { kind: "clouds.yaml", file, cloud: "prod" };
  return {
    source: file === undefined ? "the `OS_*` variables" : `cloud \`prod\` in ${file}`,
    origin,
    authUrl: "http://k/v3",
    authType: "password",
    username: "ops",
    password: "pw",
    interface: "public",
    ...over,
  };
}

const CATALOG: CatalogEntry[] = [
  { type: "identity", endpoints: [{ interface: "public", region_id: "r1", url: "http://k/v3" }] },
  {
    type: "placement",
    endpoints: [
      { interface: "public", region_id: "r1", url: "http://p1" },
      { interface: "internal", region_id: "r1", url: "http://p1-internal" },
      { interface: "public", region: "r2", url: "http://p2" },
      { interface: "admin", region_id: "r2", url: "http://p2-admin" },
    ],
  },
];

describe("chooseEndpoint", () => {
  it.each([
    [{ interface: "public", regionName: "r1" }, "http://p1"],
    [{ interface: "internal", regionName: "r1" }, "http://p1-internal"],
    [{ interface: "public", regionName: "r2" }, "http://p2"],
    [{ interface: "admin", regionName: undefined }, "http://p2-admin"],
    [{ interface: "internal", regionName: undefined }, "http://p1-internal"],
  ] as const)("takes the interface and region asked for: %j", (want, url) => {
    expect(chooseEndpoint(CATALOG, "placement", configOf(want))).toBe(url);
  });

  it.each([
    [
      configOf({ interface: "internal", regionName: "r2" }, "/c/clouds.yaml"),
      "the catalog of Keystone at http://k/v3 (cloud `prod` in /c/clouds.yaml) has no `placement` endpoint for interface `internal` in region `r2`; " +
        "`placement` has admin in r2, internal in r1, public in r1, public in r2; set `interface` and `region_name` there to one of them, " +
        "or give the Placement `endpoint` explicitly",
    ],
    [
      configOf({ interface: "internal", regionName: "r3" }),
      "the catalog of Keystone at http://k/v3 (the `OS_*` variables) has no `placement` endpoint for interface `internal` in region `r3`; " +
        "`placement` has admin in r2, internal in r1, public in r1, public in r2; set `OS_INTERFACE` and `OS_REGION_NAME` to one of them, " +
        "or give the Placement `endpoint` explicitly",
    ],
    [
      configOf({ interface: "public" }),
      "the catalog of Keystone at http://k/v3 (the `OS_*` variables) has `placement` endpoints for interface `public` in 2 regions (r1, r2) " +
        "and no region is set; set `OS_REGION_NAME` to one of them, or give the Placement `endpoint` explicitly",
    ],
  ])(
    "refuses a missing or ambiguous endpoint, naming what there is and the setting: %#",
    (config, message) => {
      expect(() => chooseEndpoint(CATALOG, "placement", config)).toThrow(new AuthConfigError(message));
    },
  );

  it("names the services of a catalog without the type, and an empty catalog as an unscoped token", () => {
    expect(() => chooseEndpoint(CATALOG, "compute", configOf({}, "/c/clouds.yaml"))).toThrow(
      new AuthConfigError(
        "the catalog of Keystone at http://k/v3 (cloud `prod` in /c/clouds.yaml) has no `compute` service (services: identity, placement); " +
          "register it in Keystone (`openstack service create compute`, `openstack endpoint create`), or give the Placement `endpoint` explicitly",
      ),
    );
    expect(() => chooseEndpoint([], "placement", configOf({}))).toThrow(
      new AuthConfigError(
        "the catalog of Keystone at http://k/v3 (the `OS_*` variables) is empty: the token is not scoped to a project; " +
          "set `OS_PROJECT_NAME`, or give the Placement `endpoint` explicitly",
      ),
    );
  });
});

describe("a static token", () => {
  it("is given as it is until Placement refuses it, then says it cannot be renewed and what to do", async () => {
    const source = new StaticToken("gAAAA-token", "http://p", "`OS_TOKEN`");
    expect(await source.token()).toBe("gAAAA-token");
    source.invalidate();
    await expect(source.token()).rejects.toThrow(
      new AuthConfigError(
        "Placement at http://p refused the token from `OS_TOKEN` (401): it expired, was revoked, or is not from this cloud's Keystone; " +
          "issue a new one (`openstack token issue`), or give clouds.yaml or `OS_*` credentials instead, " +
          "with which servicevm logs in and renews its token itself",
      ),
    );
  });
});

/**
 * A token issuer on 127.0.0.1 whose clock is the test's: each `POST /v3/auth/tokens` answers token
 * `tok-<n>` issued at `clock` and expiring `lifetimeMs` later; `GET /v3/auth/tokens` answers 200
 * (expiring `lifetimeMs` after `clock`) for any token not in `dead`, else 404. It checks no credentials and knows no expiry (the real
 * Keystone does, in test/production/).
 */
let issuer: Server;
let issuerUrl: string;
let clock = Date.parse("2026-01-01T00:00:00Z");
let lifetimeMs = 20_000;
let served = 0;
const dead = new Set<string>();

beforeAll(async () => {
  issuer = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.method === "GET") {
        const live = !dead.has(String(req.headers["x-subject-token"]));
        res.writeHead(live ? 200 : 404, { date: new Date(clock).toUTCString() });
        res.end(
          JSON.stringify(live ? { token: { expires_at: new Date(clock + lifetimeMs).toISOString() } } : {}),
        );
        return;
      }
      served++;
      res.writeHead(201, { "content-type": "application/json", "x-subject-token": `tok-${served}` });
      res.end(
        JSON.stringify({
          token: {
            issued_at: new Date(clock).toISOString().replace("Z", "000Z"),
            expires_at: new Date(clock + lifetimeMs).toISOString().replace("Z", "000Z"),
            catalog: [],
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
  issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/v3`;
});
afterAll(async () => {
  issuer.closeAllConnections();
  await new Promise((resolve) => issuer.close(resolve));
});

function session(events: TokenEvent[], now: () => number = () => clock): KeystoneSession {
  return new KeystoneSession(configOf({ authUrl: issuerUrl }), { now, onToken: (e) => events.push(e) });
}

describe("KeystoneSession renewal", () => {
  it.each([
    [3_600_000, 60_000],
    [240_000, 60_000],
    [120_000, 30_000],
    [20_000, 5_000],
  ])("renews a token of %i ms lifetime %i ms before it expires", (lifetime, before) => {
    expect(renewBeforeMs(lifetime)).toBe(before);
  });

  it("keeps a token until a quarter of its 20 s lifetime is left, then renews it before it expires", async () => {
    lifetimeMs = 20_000;
    const start = clock;
    const events: TokenEvent[] = [];
    const s = session(events);
    const first = await s.token();
    clock = start + 14_999;
    expect(await s.token()).toBe(first);
    clock = start + 15_000;
    const second = await s.token();
    expect(second).not.toBe(first);
    expect(events).toEqual([
      { reason: "first", at: start, expiresAt: start + 20_000, lifetimeMs: 20_000 },
      { reason: "expiring", at: start + 15_000, expiresAt: start + 35_000, lifetimeMs: 20_000 },
    ]);
    expect([s.issued, s.refusals]).toEqual([2, 0]);
  });

  it("counts the lifetime on the local clock, whatever Keystone's clock says", async () => {
    // This host's clock is an hour behind Keystone's: expires_at is an hour and 20 s ahead of it.
    const events: TokenEvent[] = [];
    const local = clock - 3_600_000;
    const s = session(events, () => local);
    await s.token();
    expect(events).toEqual([{ reason: "first", at: local, expiresAt: local + 20_000, lifetimeMs: 20_000 }]);
  });

  it("renews after a refusal (401), but not for a refusal of a token it already replaced", async () => {
    const events: TokenEvent[] = [];
    const s = session(events);
    const first = await s.token();
    s.invalidate(first);
    const second = await s.token();
    s.invalidate(first); // a request that still carried the first token
    expect(await s.token()).toBe(second);
    expect(events.map((e) => e.reason)).toEqual(["first", "refused"]);
    expect([s.issued, s.refusals]).toEqual([2, 1]);
  });

  it("after a 401 for a token not named, keeps the current one while Keystone validates it, else renews it", async () => {
    const events: TokenEvent[] = [];
    const s = session(events);
    const first = await s.token();
    s.invalidate(); // a request that carried a token replaced since
    expect(await s.token()).toBe(first);
    expect([s.issued, s.kept, s.refusals]).toEqual([1, 1, 0]);
    dead.add(first);
    s.invalidate();
    const second = await s.token();
    expect(second).not.toBe(first);
    expect(events.map((e) => e.reason)).toEqual(["first", "refused"]);
    expect([s.issued, s.kept, s.refusals]).toEqual([2, 1, 1]);
  });

  it("asks Keystone once for callers that need a token at the same time", async () => {
    const before = served;
    const s = session([]);
    const tokens = await Promise.all(Array.from({ length: 8 }, () => s.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(served - before).toBe(1);
  });

  it("says Keystone is unreachable after its attempts, naming the setting to check", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const s = new KeystoneSession(configOf({ authUrl: `http://127.0.0.1:${port}` }), { attempts: 2 });
    await expect(s.token()).rejects.toThrow(
      new AuthConfigError(
        `Keystone at http://127.0.0.1:${port}/v3/auth/tokens did not issue a token for the \`OS_*\` variables (ECONNREFUSED, 2 attempts); ` +
          "check `OS_AUTH_URL` and that Keystone is up",
      ),
    );
  });
});
