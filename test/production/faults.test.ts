/**
 * Faults of production's Placement (MariaDB, uwsgi with 4 workers) in the middle of a fleet sync:
 * a worker killed during a bulk allocation write, MariaDB restarted, a connection cut mid-answer by
 * a proxy. Each ends in a transparent recovery or a `SyncError` naming what was not done, and a
 * re-run after it leaves Placement's providers, consumers and allocations exactly as planned
 * (compared row by row in the database).
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../core/types";
import type { PlacementError } from "../../provider/placement/errors";
import { desiredFleet } from "../../provider/placement/desired";
import { fleetUserId } from "../../provider/placement/ids";
import { placementStatus } from "../../provider/placement/status";
import { SyncError, syncFleet, type SyncReport } from "../../provider/placement/sync";
import { firewallFleet, planOk } from "../provider/placement/helpers";
import { startCuttingProxy } from "./proxy";
import type { ProductionPlacement } from "./shape";
import { useProductionPlacement } from "./use";

/** `devices` firewalls and `allocations` one-slot services over five tenants. */
function fleetOf(devices: number, allocations: number): FleetSpec {
  const allocs: FleetSpec["allocations"] = {};
  for (let i = 0; i < allocations; i++)
    allocs[`svc-${i}`] = {
      tenant: `tenant-${i % 5}`,
      demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 100 * (1 + (i % 3)) },
    };
  return firewallFleet(devices, allocs);
}

function rows(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/**
 * Placement holds exactly the plan for `fleet`: its providers (name and uuid), its consumers
 * (project, and nothing without allocations) and every allocation row, read from the database;
 * and `placementStatus` finds inventories, traits, aggregates and allocations in sync.
 */
async function expectExactly(s: ProductionPlacement, fleet: string, spec: FleetSpec): Promise<void> {
  const result = planOk(spec);
  const desired = desiredFleet(fleet, spec, result);
  const db = "placement";
  expect(
    rows(s.db.sql(`SELECT name, uuid FROM ${db}.resource_providers WHERE name LIKE '${fleet}-%'`)),
  ).toEqual(rows(desired.providers.map((p) => `${p.name}\t${p.uuid}`).join("\n")));
  const ofFleet =
    `FROM ${db}.consumers c JOIN ${db}.users u ON u.id = c.user_id JOIN ${db}.projects p ON p.id = c.project_id ` +
    `WHERE u.external_id = '${fleetUserId(fleet)}'`;
  expect(rows(s.db.sql(`SELECT c.uuid, p.external_id ${ofFleet}`))).toEqual(
    rows(desired.consumers.map((c) => `${c.uuid}\t${c.projectId}`).join("\n")),
  );
  const allocations = s.db.sql(
    `SELECT c.uuid, rp.uuid, rc.name, a.used FROM ${db}.allocations a JOIN ${db}.consumers c ON c.uuid = a.consumer_id ` +
      `JOIN ${db}.users u ON u.id = c.user_id JOIN ${db}.resource_providers rp ON rp.id = a.resource_provider_id ` +
      `JOIN ${db}.resource_classes rc ON rc.id = a.resource_class_id WHERE u.external_id = '${fleetUserId(fleet)}'`,
  );
  expect(rows(allocations)).toEqual(
    rows(
      desired.consumers
        .flatMap((c) => Object.entries(c.resources).map(([rc, n]) => `${c.uuid}\t${c.provider}\t${rc}\t${n}`))
        .join("\n"),
    ),
  );
  const status = await placementStatus(s.client(), { fleet, spec, result });
  expect(status.inSync).toBe(true);
}

/** A re-run with the last report's state changes nothing: no write at all. */
async function expectNoChange(s: ProductionPlacement, fleet: string, spec: FleetSpec, previous: SyncReport) {
  const writes: string[] = [];
  const client = s.client({
    onRequest: (method, path) => void (method !== "GET" && writes.push(`${method} ${path}`)),
  });
  const again = await syncFleet(client, { fleet, spec, result: planOk(spec), previous: previous.state });
  expect(writes).toEqual([]);
  expect(again.consumers.written).toEqual([]);
  expect(again.providers.created).toEqual([]);
}

/** Socket inodes of established connections on 127.0.0.1:`port` (the server's side), from /proc. */
function establishedOn(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && parseInt(f[1].split(":")[1] ?? "", 16) === port && f[3] === "01") inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The uwsgi workers serving a request right now: those holding an established connection on Placement's port. */
function busyWorkers(s: ProductionPlacement): number[] {
  const inodes = establishedOn(s.placement.port);
  return s.placement.workers().filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]);
      });
    } catch {
      return false; // exited meanwhile
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every change a sync error names, failed or not done. */
function named(err: SyncError): string[] {
  return [...err.failed, ...err.notDone].map((step) => step.what);
}

describe("faults of production's Placement during a sync", () => {
  const shape = useProductionPlacement({ workers: 4 });

  it("recovers transparently from a uwsgi worker killed in the middle of a bulk allocation write", async () => {
    const s = shape();
    const spec = fleetOf(30, 120);
    const retried: PlacementError[] = [];
    let killed: number | null = null;
    const watchers: Promise<void>[] = [];
    /** Kills the worker serving a bulk write once it has been at it 40 ms (a batch of 30 takes longer). */
    const killInWrite = async (): Promise<void> => {
      for (let i = 0; i < 100 && killed === null; i++) {
        const busy = busyWorkers(s);
        if (busy.length > 0) {
          await sleep(40);
          const worker = busyWorkers(s).find((pid) => busy.includes(pid));
          if (worker === undefined || killed !== null) return; // that write ended first: try the next
          s.placement.killWorker(worker);
          killed = worker;
          return;
        }
        await sleep(5);
      }
    };
    const client = s.client({
      onRetry: (failure) => retried.push(failure),
      onRequest: (method, path) => {
        if (killed === null && method === "POST" && path === "/allocations") watchers.push(killInWrite());
      },
    });
    const report = await syncFleet(client, { fleet: "kill", spec, result: planOk(spec), batchSize: 30 });
    await Promise.all(watchers);
    expect(killed).not.toBeNull();
    // The kill costs the bulk write exactly one retry. Placement on REPEATABLE-READ may also answer
    // a provider write 500 on a deadlock (concurrent creation of the shared aggregates, seen once in
    // CI): the client retries those too, and the sync still completes.
    const writes = retried.filter((f) => f.info.path === "/allocations");
    const others = retried.filter((f) => f.info.path !== "/allocations");
    expect(writes.map((f) => [f.kind, f.info.method, f.info.path])).toEqual([
      ["unavailable", "POST", "/allocations"],
    ]);
    for (const f of others) {
      expect([f.kind, f.info.method]).toEqual(["server", "PUT"]);
      expect(f.info.status).toBeGreaterThanOrEqual(500);
      expect(f.info.path).toMatch(/^\/resource_providers\/[0-9a-f-]{36}\/(inventories|traits|aggregates)$/);
    }
    expect(writes[0].message).toMatch(
      new RegExp(
        `^\`POST /allocations\`: Placement unreachable: (socket hang up|read ECONNRESET) \\(ECONNRESET\\) at ${s.url} \\(1 attempt\\)$`,
      ),
    );
    expect(report.consumers.written.length).toBe(120);
    expect(report.providers.created.length).toBe(30);
    expect(s.placement.workers()).not.toContain(killed);
    await expectExactly(s, "kill", spec);
    await expectNoChange(s, "kill", spec, report);
  });

  it("names every change not made when MariaDB restarts during a sync, and a re-run after it converges", async () => {
    const s = shape();
    const spec = fleetOf(30, 90);
    const result = planOk(spec);
    const devices = result.pools.fw.devices;
    const restarts: Promise<void>[] = [];
    const err = await syncFleet(s.client(), {
      fleet: "dbrestart",
      spec,
      result,
      onProgress: (p) => {
        if (restarts.length === 0 && p.phase === "providers" && p.done >= 6)
          restarts.push(s.db.restart(1000));
      },
    }).catch((e: unknown) => e);
    await Promise.all(restarts);
    expect(err).toBeInstanceOf(SyncError);
    const e = err as SyncError;
    const refused =
      /^`(GET|PUT|POST) \/resource_providers[^`]*`: Placement failed: \(pymysql\.err\.OperationalError\) \((2003|2006|2013), /;
    expect(e.message.split("\n")[0]).toMatch(
      /^sync of fleet `dbrestart` into Placement did not finish \(writing providers\): Placement stopped answering \(`/,
    );
    expect(e.message.split("\n")[0]).toContain("Placement failed: (pymysql.err.OperationalError)");
    for (const step of e.failed) expect(step.error).toMatch(refused);
    // Every device is either created or named, once; every allocation is named as not written.
    const namedDevices = named(e)
      .filter((w) => w.startsWith("create provider"))
      .map((w) => /`([^`]+)`/.exec(w)![1]);
    expect([...e.partial.providers.created, ...namedDevices].sort()).toEqual([...devices].sort());
    expect(
      named(e)
        .filter((w) => w.startsWith("write allocation"))
        .map((w) => /`([^`]+)`/.exec(w)![1])
        .sort(),
    ).toEqual(Object.keys(spec.allocations ?? {}).sort());

    const rerun = await syncFleet(s.client(), { fleet: "dbrestart", spec, result });
    expect([...rerun.providers.created, ...rerun.providers.updated].sort()).toEqual(namedDevices.sort());
    expect(rerun.providers.unchanged).toBe(e.partial.providers.created.length);
    expect(rerun.consumers.written.length).toBe(90);
    await expectExactly(s, "dbrestart", spec);
    await expectNoChange(s, "dbrestart", spec, rerun);
  });

  it("retries a GET and a bulk write whose answers a proxy cut, and the sync completes with nothing written twice", async () => {
    const s = shape();
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: s.placement.port });
    try {
      const spec = fleetOf(24, 72);
      const retried: string[] = [];
      const client = s.client({ endpoint: proxy.url, onRetry: (failure) => retried.push(failure.message) });
      proxy.cut(
        { match: (line) => line === "GET /resource_classes", afterBytes: 1000 },
        { match: (line) => line === "POST /allocations", afterBytes: 20 },
      );
      const report = await syncFleet(client, { fleet: "cut", spec, result: planOk(spec), batchSize: 36 });
      expect(proxy.cuts).toEqual([
        "GET /resource_classes after 1000 bytes",
        "POST /allocations after 20 bytes",
      ]);
      expect(retried).toEqual([
        `\`GET /resource_classes\`: Placement unreachable: answer cut off after 1000 bytes: aborted (ECONNRESET) at ${proxy.url} (1 attempt)`,
        `\`POST /allocations\`: Placement unreachable: answer cut off after 20 bytes: socket hang up (ECONNRESET) at ${proxy.url} (1 attempt)`,
      ]);
      // Placement had applied the cut write: its replay was refused on the consumer generations,
      // and the write went again over the generations read back.
      expect(report.consumers.written.length).toBe(72);
      expect(report.providers.created.length).toBe(24);
      await expectExactly(s, "cut", spec);
      await expectNoChange(s, "cut", spec, report);
    } finally {
      await proxy.close();
    }
  });

  it("never replays a provider create whose answer a proxy cut: the sync names it failed, and a re-run adopts the provider", async () => {
    const s = shape();
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: s.placement.port });
    try {
      const spec = fleetOf(12, 24);
      const result = planOk(spec);
      proxy.cut({ match: (line) => line === "POST /resource_providers", nth: 3, afterBytes: 40 });
      const err = await syncFleet(s.client({ endpoint: proxy.url }), {
        fleet: "cutcreate",
        spec,
        result,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyncError);
      const e = err as SyncError;
      const cut =
        `\`POST /resource_providers\`: Placement unreachable: answer cut off after 40 bytes: socket hang up (ECONNRESET) ` +
        `at ${proxy.url}; not sent again, since Placement may have applied it (1 attempt)`;
      expect(e.message.split("\n")[0]).toBe(
        `sync of fleet \`cutcreate\` into Placement did not finish (writing providers): Placement stopped answering (${cut}).`,
      );
      expect(e.failed.map((f) => f.error)).toEqual([cut]);
      const device = /^create provider `([^`]+)`$/.exec(e.failed[0].what)![1];
      // Placement made the provider whose answer was lost; nothing else was written to it.
      expect(
        s.db.sql(
          "SELECT COUNT(*) FROM placement.resource_providers rp JOIN placement.inventories i ON i.resource_provider_id = rp.id " +
            `WHERE rp.name = 'cutcreate-${device}'`,
        ),
      ).toBe("0\n");
      expect(
        s.db.sql(`SELECT COUNT(*) FROM placement.resource_providers WHERE name = 'cutcreate-${device}'`),
      ).toBe("1\n");
      expect(proxy.requests.filter((r) => r === "POST /resource_providers").length).toBeGreaterThanOrEqual(3);

      const rerun = await syncFleet(s.client(), { fleet: "cutcreate", spec, result });
      expect(rerun.providers.updated).toEqual([device]);
      expect(rerun.providers.unchanged).toBe(e.partial.providers.created.length);
      expect(rerun.consumers.written.length).toBe(24);
      await expectExactly(s, "cutcreate", spec);
      await expectNoChange(s, "cutcreate", spec, rerun);
    } finally {
      await proxy.close();
    }
  });

  it("writes over a consumer record a killed write left behind (generation 0, no allocations), which `GET` shows as absent", async () => {
    const s = shape();
    const spec = fleetOf(6, 12);
    const result = planOk(spec);
    const desired = desiredFleet("leftover", spec, result);
    const left = desired.consumers.filter((c) => ["svc-3", "svc-7"].includes(c.allocation));
    // What Placement's `inspect_consumers` commits before the allocation transaction a kill stops.
    for (const c of left)
      s.db.sql(
        `INSERT IGNORE INTO placement.projects (external_id, created_at) VALUES ('${c.projectId}', NOW()); ` +
          `INSERT IGNORE INTO placement.users (external_id, created_at) VALUES ('${c.userId}', NOW()); ` +
          "INSERT INTO placement.consumers (uuid, project_id, user_id, generation, created_at) " +
          `SELECT '${c.uuid}', p.id, u.id, 0, NOW() FROM placement.projects p, placement.users u ` +
          `WHERE p.external_id = '${c.projectId}' AND u.external_id = '${c.userId}';`,
      );
    const probe = s.client();
    for (const c of left)
      expect(await probe.getConsumerAllocations(c.uuid)).toEqual({
        allocations: {},
        consumer_generation: null,
      });
    const posts: string[] = [];
    const report = await syncFleet(
      s.client({
        onRequest: (method, path) => void (method === "POST" && path === "/allocations" && posts.push(path)),
      }),
      { fleet: "leftover", spec, result },
    );
    expect(report.consumers.written.length).toBe(12);
    // The write refused; the 12 consumers it creates, which `GET` shows without allocations, asked
    // at once whether they have records (refused: 10 have none), then one by one; the write again
    // with generation 0 for the two leftovers.
    expect(posts.length).toBe(1 + 1 + 12 + 1);
    await expectExactly(s, "leftover", spec);
  });
});
