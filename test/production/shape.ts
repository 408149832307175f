/**
 * OpenStack Placement as production runs it, for tests and benchmarks: MariaDB (a fresh server and
 * database per suite, the isolation level chosen), Placement 8.0 under uwsgi with 4 worker
 * processes, and optionally Keystone (SQL on the same MariaDB, fernet tokens) with Placement on
 * `auth_strategy = keystone` and a `placement` service in the catalog. All from Debian's packages,
 * all on 127.0.0.1, each process stopped by its id.
 *
 * Without Keystone Placement runs `noauth2` (token `admin`). With it, user `servicevm` (password
 * `SERVICEVM_PASSWORD`, role `admin` on project `infra`, which Placement's default policy asks
 * for) is what the project's client logs in as; `osEnv()` gives the `OS_*` variables for it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPlacementApi, freePort, PLACEMENT_TOKEN } from "../provider/placement/server";
import { PlacementClient, type PlacementClientOptions } from "../../provider/placement/client";
import { startKeystone, type Keystone, type KeystoneOptions } from "./keystone";
import { startMariaDb, type Isolation, type MariaDb } from "./mariadb";
import { run } from "./processes";
import { startUwsgi, type UwsgiApp } from "./uwsgi";

export type { Isolation } from "./mariadb";

export const SERVICEVM_USER = "servicevm";
export const SERVICEVM_PASSWORD = "servicevm-secret";
export const SERVICEVM_PROJECT = "infra";

export interface ShapeOptions {
  /** @default "REPEATABLE-READ" (MariaDB's default) */
  isolation?: Isolation;
  /** Placement's uwsgi workers. @default 4 */
  workers?: number;
  /** Put Keystone in front (Placement on `auth_strategy = keystone`). @default false */
  keystone?: boolean | KeystoneOptions;
  readyTimeoutMs?: number;
}

export interface ProductionPlacement {
  readonly db: MariaDb;
  readonly placement: UwsgiApp;
  readonly keystone: Keystone | null;
  /** Placement's root URL (what the catalog lists). */
  readonly url: string;
  readonly dir: string;
  /** Seconds the whole shape took to come up. */
  readonly startSeconds: number;
  /** A client with noauth2's token; with Keystone, pass `auth` (a `KeystoneSession`) yourself. */
  client(options?: Partial<PlacementClientOptions>): PlacementClient;
  /** `OS_*` variables for user `servicevm` (Keystone only). */
  osEnv(): Record<string, string>;
  /** Starts Placement's uwsgi again (after `placement.stop()`), same port and database. */
  restartPlacement(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProductionPlacement(options: ShapeOptions = {}): Promise<ProductionPlacement> {
  const started = Date.now();
  findPlacementApi();
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dir = mkdtempSync(join(base, "servicevm-production-"));
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const db = await startMariaDb(options.isolation ?? "REPEATABLE-READ", readyTimeoutMs);
  let keystone: Keystone | null = null;
  let placement: UwsgiApp | null = null;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const conf = ["[DEFAULT]", "debug = false", "[placement_database]"];
    conf.push(`connection = ${db.createDatabase("placement", "placement-db-secret")}`);
    if (options.keystone !== undefined && options.keystone !== false) {
      keystone = await startKeystone(db, dir, {
        readyTimeoutMs,
        ...(typeof options.keystone === "object" ? options.keystone : {}),
      });
      const admin = keystone.admin;
      await admin.createProject("service");
      await admin.createProject(SERVICEVM_PROJECT);
      await admin.createUser("placement", "placement-service-secret", "service");
      await admin.createUser(SERVICEVM_USER, SERVICEVM_PASSWORD, SERVICEVM_PROJECT);
      await admin.createService(
        "placement",
        ["public", "internal", "admin"].map((iface) => ({ interface: iface, url })),
      );
      conf.push(
        "[api]",
        "auth_strategy = keystone",
        "[keystone_authtoken]",
        `www_authenticate_uri = ${keystone.authUrl}`,
        `auth_url = ${keystone.authUrl}`,
        "auth_type = password",
        "project_domain_name = Default",
        "user_domain_name = Default",
        "project_name = service",
        "username = placement",
        "password = placement-service-secret",
      );
    } else {
      conf.push("[api]", "auth_strategy = noauth2");
    }
    writeFileSync(join(dir, "placement.conf"), conf.join("\n") + "\n");
    // placement-manage reads only --config-file (OS_PLACEMENT_CONFIG_DIR is the WSGI app's).
    run("/usr/bin/placement-manage", ["--config-file", join(dir, "placement.conf"), "db", "sync"]);
    const startPlacementApp = (): Promise<UwsgiApp> =>
      startUwsgi({
        name: "placement (uwsgi)",
        wsgiFile: findPlacementApi(),
        port,
        processes: options.workers ?? 4,
        env: { OS_PLACEMENT_CONFIG_DIR: dir },
        logPath: join(dir, "placement.log"),
        probePath: "/",
        readyTimeoutMs,
      });
    placement = await startPlacementApp();
    const ks = keystone;
    const shape: ProductionPlacement = {
      db,
      get placement(): UwsgiApp {
        if (placement === null) throw new Error("placement is stopped");
        return placement;
      },
      keystone: ks,
      url,
      dir,
      startSeconds: (Date.now() - started) / 1000,
      client: (clientOptions) =>
        new PlacementClient({
          endpoint: url,
          auth: PLACEMENT_TOKEN,
          timeoutMs: 30_000,
          retry: { attempts: 4, baseDelayMs: 50, maxDelayMs: 1000 },
          ...clientOptions,
        }),
      osEnv() {
        if (ks === null) throw new Error("osEnv: this shape has no Keystone");
        return {
          OS_AUTH_URL: ks.authUrl,
          OS_USERNAME: SERVICEVM_USER,
          OS_PASSWORD: SERVICEVM_PASSWORD,
          OS_PROJECT_NAME: SERVICEVM_PROJECT,
          OS_USER_DOMAIN_NAME: "Default",
          OS_PROJECT_DOMAIN_NAME: "Default",
          OS_REGION_NAME: "RegionOne",
          OS_INTERFACE: "public",
        };
      },
      async restartPlacement() {
        await placement?.stop();
        placement = await startPlacementApp();
      },
      async stop() {
        await placement?.stop();
        await ks?.app.stop();
        await db.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return shape;
  } catch (err) {
    await placement?.stop();
    await keystone?.app.stop();
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export { PLACEMENT_TOKEN };
