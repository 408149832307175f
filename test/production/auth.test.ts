/**
 * Logging in to a real Keystone and using the Placement it lists: password and application
 * credentials from clouds.yaml and from `OS_*`, the endpoint chosen by interface and region, and
 * the messages for a wrong password, a wrong secret, a missing endpoint and a missing role.
 *
 * Placement's keystonemiddleware asks Keystone for its own token and then, at once, validates the
 * user's on the same kept-alive connection, which Keystone's uwsgi is about to close: Placement
 * then answers 503 "The Keystone service is temporarily unavailable" (seen on a first `POST`, which
 * the client does not retry). So the shape serves Keystone with `Connection: close` on every answer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthConfigError, connectPlacement, type TokenEvent } from "../../provider/placement/auth";
import type { PlacementClient } from "../../provider/placement/client";
import { PlacementError } from "../../provider/placement/errors";
import { SERVICEVM_PASSWORD, SERVICEVM_PROJECT, SERVICEVM_USER } from "./shape";
import { useProductionPlacement } from "./use";

const shape = useProductionPlacement({ keystone: true });

/**
 * Somewhere else to point endpoints at: any `GET <prefix>/resource_providers` answers one provider
 * named `elsewhere <prefix>`, so a client shows which URL it was given by what it lists.
 */
let elsewhere: Server;
let elsewhereUrl: string;
let appCred: { id: string; secret: string };
const dirs: string[] = [];

function keystone(): NonNullable<ReturnType<typeof shape>["keystone"]> {
  const ks = shape().keystone;
  if (ks === null) throw new Error("the shape has no Keystone");
  return ks;
}

beforeAll(async () => {
  elsewhere = createServer((req, res) => {
    const prefix = (req.url ?? "").replace(/\/resource_providers.*$/, "");
    res.writeHead(200, { "content-type": "application/json", connection: "close" });
    res.end(
      JSON.stringify({ resource_providers: [{ uuid: "0", name: `elsewhere ${prefix}`, generation: 0 }] }),
    );
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  const admin = keystone().admin;
  const services = await admin.call<{ services: { id: string }[] }>("GET", "/services?type=placement");
  const placement = services.services[0].id;
  for (const iface of ["public", "internal", "admin"])
    await admin.addEndpoint(placement, {
      interface: iface,
      url: `${elsewhereUrl}/two-${iface}`,
      region: "RegionTwo",
    });
  appCred = await admin.createApplicationCredential(
    SERVICEVM_USER,
    SERVICEVM_PASSWORD,
    SERVICEVM_PROJECT,
    "servicevm-sync",
  );
  await admin.createUser("viewer", "viewer-secret", SERVICEVM_PROJECT, "member");
});

afterAll(async () => {
  elsewhere.closeAllConnections();
  await new Promise((resolve) => elsewhere.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "servicevm-auth-"));
  dirs.push(dir);
  return dir;
}

/** A clouds.yaml of cloud `name` at `path` under a new directory; answers the directory. */
function cloudsYaml(path: string, name: string, lines: string[]): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, path);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, ["clouds:", `  ${name}:`, ...lines.map((l) => `    ${l}`), ""].join("\n"));
  return { dir, file };
}

function passwordLines(password: string, region: string[] = ["region_name: RegionOne"]): string[] {
  return [
    ...region,
    "auth:",
    `  auth_url: ${keystone().authUrl}`,
    `  username: ${SERVICEVM_USER}`,
    `  password: ${password}`,
    `  project_name: ${SERVICEVM_PROJECT}`,
    "  user_domain_name: Default",
    "  project_domain_name: Default",
  ];
}

/** Creates, reads and deletes a provider named `name`: real writes that need the `admin` role. */
async function roundTrip(client: PlacementClient, name: string): Promise<unknown> {
  const uuid = "5e7c1b1e-0000-4000-8000-" + String(dirs.length).padStart(12, "0");
  await client.createProvider(uuid, name);
  const read = await client.getProvider(uuid);
  await client.deleteProvider(uuid);
  return { name: read?.name, generation: read?.generation, after: await client.getProvider(uuid) };
}

describe("logging in to Keystone for Placement", () => {
  it("logs in with a password from ./clouds.yaml, takes Placement from the catalog and keeps one token for many requests", async () => {
    const { dir } = cloudsYaml("clouds.yaml", "prod", passwordLines(SERVICEVM_PASSWORD));
    const tokens: TokenEvent[] = [];
    const client = await connectPlacement({
      cloud: "prod",
      env: {},
      cwd: dir,
      home: tempDir(),
      onToken: (e) => tokens.push(e),
    });
    expect(client.endpoint).toBe(shape().url);
    expect(await roundTrip(client, "auth-password-yaml")).toEqual({
      name: "auth-password-yaml",
      generation: 0,
      after: null,
    });
    expect((await client.listResourceClasses()).slice(0, 2)).toEqual(["VCPU", "MEMORY_MB"]);
    expect(tokens.map((t) => [t.reason, t.lifetimeMs])).toEqual([["first", 3_600_000]]);
  });

  it("logs in with an application credential from ~/.config/openstack/clouds.yaml", async () => {
    const { dir: home } = cloudsYaml(".config/openstack/clouds.yaml", "sync", [
      "auth_type: v3applicationcredential",
      "region_name: RegionOne",
      "interface: internal",
      "auth:",
      `  auth_url: ${keystone().authUrl}`,
      `  application_credential_id: ${appCred.id}`,
      `  application_credential_secret: ${appCred.secret}`,
    ]);
    const client = await connectPlacement({ cloud: "sync", env: {}, cwd: tempDir(), home });
    expect(client.endpoint).toBe(shape().url);
    expect(await roundTrip(client, "auth-appcred-yaml")).toEqual({
      name: "auth-appcred-yaml",
      generation: 0,
      after: null,
    });
  });

  it("logs in with a password from the OS_* variables, OS_CLOUD unset", async () => {
    const client = await connectPlacement({ env: shape().osEnv(), cwd: tempDir(), home: tempDir() });
    expect(client.endpoint).toBe(shape().url);
    expect(await roundTrip(client, "auth-password-env")).toEqual({
      name: "auth-password-env",
      generation: 0,
      after: null,
    });
  });

  it("logs in with an application credential from the OS_* variables", async () => {
    const env = {
      OS_AUTH_URL: keystone().authUrl,
      OS_AUTH_TYPE: "v3applicationcredential",
      OS_APPLICATION_CREDENTIAL_ID: appCred.id,
      OS_APPLICATION_CREDENTIAL_SECRET: appCred.secret,
      OS_REGION_NAME: "RegionOne",
    };
    const client = await connectPlacement({ env, cwd: tempDir(), home: tempDir() });
    expect(client.endpoint).toBe(shape().url);
    expect(await roundTrip(client, "auth-appcred-env")).toEqual({
      name: "auth-appcred-env",
      generation: 0,
      after: null,
    });
  });
});

describe("the Placement endpoint from the catalog", () => {
  it.each([
    ["public", "RegionOne", "placement"],
    ["internal", "RegionOne", "placement"],
    ["public", "RegionTwo", "/two-public"],
    ["internal", "RegionTwo", "/two-internal"],
    ["admin", "RegionTwo", "/two-admin"],
  ])("takes interface `%s` in region `%s` from clouds.yaml and OS_*: %s", async (iface, region, where) => {
    const expected = where === "placement" ? shape().url : `${elsewhereUrl}${where}`;
    const { dir } = cloudsYaml(
      "clouds.yaml",
      "prod",
      passwordLines(SERVICEVM_PASSWORD, [`region_name: ${region}`, `interface: ${iface}`]),
    );
    const fromYaml = await connectPlacement({ cloud: "prod", env: {}, cwd: dir, home: dir });
    const env = { ...shape().osEnv(), OS_INTERFACE: iface, OS_REGION_NAME: region };
    const fromEnv = await connectPlacement({ env, cwd: tempDir(), home: tempDir() });
    expect([fromYaml.endpoint, fromEnv.endpoint]).toEqual([expected, expected]);
    // Placement lists no provider here; the other URLs answer who they are.
    const listed = where === "placement" ? [] : [`elsewhere ${where}`];
    expect((await fromYaml.listProviders()).map((p) => p.name)).toEqual(listed);
    expect((await fromEnv.listProviders()).map((p) => p.name)).toEqual(listed);
  });

  it("refuses to guess a region when the interface is in two and none is set", async () => {
    const { dir, file } = cloudsYaml("clouds.yaml", "prod", passwordLines(SERVICEVM_PASSWORD, []));
    await expect(connectPlacement({ cloud: "prod", env: {}, cwd: dir, home: dir })).rejects.toThrow(
      new AuthConfigError(
        `the catalog of Keystone at ${keystone().authUrl} (cloud \`prod\` in ${file}) has \`placement\` endpoints for interface \`public\` ` +
          "in 2 regions (RegionOne, RegionTwo) and no region is set; set `region_name` there to one of them, or give the Placement `endpoint` explicitly",
      ),
    );
  });
});

/** Asserts an auth failure's exact one-line message, and that it shows no password or secret. */
async function refusal(attempt: Promise<unknown>, message: string): Promise<void> {
  const err = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthConfigError);
  const text = (err as Error).message;
  expect(text).toBe(message);
  expect(text).not.toContain("\n");
  for (const secret of [SERVICEVM_PASSWORD, "not-the-password", appCred.secret, "not-the-secret"])
    expect(text).not.toContain(secret);
}

describe("what a user sees when login fails", () => {
  it("a wrong password in clouds.yaml: which user, project, cloud and file, and what to check", async () => {
    const { dir, file } = cloudsYaml("clouds.yaml", "prod", passwordLines("not-the-password"));
    await refusal(
      connectPlacement({ cloud: "prod", env: {}, cwd: dir, home: dir }),
      `Keystone at ${keystone().authUrl} refused the password of user \`servicevm\` for project \`infra\` from cloud \`prod\` in ${file}: ` +
        "401 The request you have made requires authentication; check `username`, `password` and `user_domain_name` there, " +
        "and that the user has a role on project `infra`",
    );
  });

  it("a wrong password in OS_*: the variables to check", async () => {
    await refusal(
      connectPlacement({
        env: { ...shape().osEnv(), OS_PASSWORD: "not-the-password" },
        cwd: tempDir(),
        home: tempDir(),
      }),
      `Keystone at ${keystone().authUrl} refused the password of user \`servicevm\` for project \`infra\` from the \`OS_*\` variables: ` +
        "401 The request you have made requires authentication; check `OS_USERNAME`, `OS_PASSWORD` and `OS_USER_DOMAIN_NAME`, " +
        "and that the user has a role on project `infra`",
    );
  });

  it("a wrong application credential secret: which credential, and what to check", async () => {
    const env = {
      OS_AUTH_URL: keystone().authUrl,
      OS_APPLICATION_CREDENTIAL_ID: appCred.id,
      OS_APPLICATION_CREDENTIAL_SECRET: "not-the-secret",
    };
    await refusal(
      connectPlacement({ env, cwd: tempDir(), home: tempDir() }),
      `Keystone at ${keystone().authUrl} refused application credential \`${appCred.id}\` from the \`OS_*\` variables: ` +
        "401 The request you have made requires authentication; check `OS_APPLICATION_CREDENTIAL_ID` and `OS_APPLICATION_CREDENTIAL_SECRET`, " +
        "and that the credential has not expired or been deleted",
    );
  });

  it("no `placement` endpoint for the interface and region asked: what the catalog has, and the settings", async () => {
    const { dir, file } = cloudsYaml(
      "clouds.yaml",
      "prod",
      passwordLines(SERVICEVM_PASSWORD, ["region_name: RegionThree", "interface: internal"]),
    );
    const offered =
      "admin in RegionOne, admin in RegionTwo, internal in RegionOne, internal in RegionTwo, public in RegionOne, public in RegionTwo";
    await refusal(
      connectPlacement({ cloud: "prod", env: {}, cwd: dir, home: dir }),
      `the catalog of Keystone at ${keystone().authUrl} (cloud \`prod\` in ${file}) has no \`placement\` endpoint for interface \`internal\` ` +
        `in region \`RegionThree\`; \`placement\` has ${offered}; set \`interface\` and \`region_name\` there to one of them, ` +
        "or give the Placement `endpoint` explicitly",
    );
    await refusal(
      connectPlacement({
        env: { ...shape().osEnv(), OS_REGION_NAME: "RegionThree" },
        cwd: tempDir(),
        home: tempDir(),
      }),
      `the catalog of Keystone at ${keystone().authUrl} (the \`OS_*\` variables) has no \`placement\` endpoint for interface \`public\` ` +
        `in region \`RegionThree\`; \`placement\` has ${offered}; set \`OS_INTERFACE\` and \`OS_REGION_NAME\` to one of them, ` +
        "or give the Placement `endpoint` explicitly",
    );
  });

  it("a user without the `admin` role logs in, and Placement's default policy refuses it (403)", async () => {
    const env = { ...shape().osEnv(), OS_USERNAME: "viewer", OS_PASSWORD: "viewer-secret" };
    const client = await connectPlacement({ env, cwd: tempDir(), home: tempDir() });
    const err = await client.listProviders().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlacementError);
    const { kind, info } = err as PlacementError;
    expect([kind, info.status, info.detail, info.attempts]).toEqual([
      "auth",
      403,
      "Policy does not allow placement:resource_providers:list to be performed.",
      1,
    ]);
  });
});
