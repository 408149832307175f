/**
 * Placement sync and claims against Placement as production runs it (test/production/shape.ts):
 * MariaDB at its default isolation, REPEATABLE-READ, and Placement 8.0 under uwsgi with 4 worker
 * processes, all on 127.0.0.1. In one run:
 *
 * - first sync of 1,000 devices and 5,000 allocations (placement.ts `benchFleet`) at client
 *   concurrency 8 (the default), 4 and 16, each into a fresh database, against the naive client
 *   (placement.ts `naiveSync`: read then write each object, one request at a time);
 * - no-change re-sync with the previous state, and its share of the first sync;
 * - claims per second: 16 fleets claim at once, each from its own client, from pool `pool0` of the
 *   synced fleet (external to them), filling 85 % of its free slots;
 * - beside every wall time, the client's CPU seconds (this process) and the server's (uwsgi master,
 *   which holds the CPU of reaped workers, its workers, and MariaDB, from /proc).
 *
 * A fresh database is the same MariaDB server with the `placement` database dropped, created again
 * and `placement-manage db sync`ed, and Placement's uwsgi restarted (its workers cache ids).
 *
 * Environment: `SERVICEVM_BENCH_PRODUCTION_SCALE` (1) scales the fleet for a quick look;
 * `SERVICEVM_BENCH_PRODUCTION_NAIVE` (0.2) is the fraction of the fleet the naive client syncs, its
 * time then divided by that fraction (its cost is per object, one request at a time; 1 measures it
 * on the whole fleet, ~5 min); `SERVICEVM_BENCH_PRODUCTION_RUNS` (1) first syncs per concurrency,
 * median taken; `SERVICEVM_BENCH_PRODUCTION_CONCURRENCY` (`8,4,16`) the concurrencies, the first
 * one also re-synced and claimed from.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { FleetSpec, PlanResult } from "../../core/types";
import { claimAllocations } from "../../provider/placement/claim";
import type { PlacementClient, PlacementClientOptions } from "../../provider/placement/client";
import { providerUuid } from "../../provider/placement/ids";
import { syncFleet, type SyncProgress, type SyncReport } from "../../provider/placement/sync";
import { cpuSeconds, run } from "../production/processes";
import { startProductionPlacement, type ProductionPlacement } from "../production/shape";
import { benchFleet, naiveSync } from "./placement";
import { envNumber, fmtMs, heading, line, median } from "./util";

const FLEET = "bench";
const RESYNC_RUNS = 5;
const CLAIM_RUNS = 3;
const CLAIMERS = 16;
const CLAIM_POOL = "pool0";

/** Requests a measured piece of work made, counted by its clients. */
interface Tally {
  requests: number;
  /** Requests by method and path, uuids as `{id}` and the query left out. */
  byPath: Map<string, number>;
  /** Failed attempts the client retried, by kind (`generation-conflict` is Placement's internal race). */
  retries: Record<string, number>;
}

/** What one measured piece of work cost: wall, this process's CPU, the server's CPU, requests. */
interface Cost<T = void> extends Tally {
  ms: number;
  clientCpu: number;
  serverCpu: number;
  value: T;
}

/** CPU seconds of the whole server side: uwsgi master (reaped workers included), workers, MariaDB. */
function serverCpu(shape: ProductionPlacement): number {
  const pids = [shape.placement.pid, ...shape.placement.workers(), shape.db.pid ?? -1];
  return pids.reduce((sum, pid) => sum + (pid > 0 ? cpuSeconds(pid) : 0), 0);
}

const UUID = /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/g;

/** Clients whose requests and retries are counted into `tally`. */
function counted(shape: ProductionPlacement, tally: Tally) {
  const options: Partial<PlacementClientOptions> = {
    timeoutMs: 300_000,
    onRequest: (method, path) => {
      tally.requests++;
      const key = `${method} ${path.split("?")[0].replace(UUID, "{id}")}`;
      tally.byPath.set(key, (tally.byPath.get(key) ?? 0) + 1);
    },
    onRetry: (failure) => void (tally.retries[failure.kind] = (tally.retries[failure.kind] ?? 0) + 1),
  };
  return (): PlacementClient => shape.client(options);
}

async function measure<T>(
  shape: ProductionPlacement,
  fn: (client: () => PlacementClient) => Promise<T>,
): Promise<Cost<T>> {
  const tally: Tally = { requests: 0, byPath: new Map(), retries: {} };
  (globalThis as { gc?: () => void }).gc?.();
  const server0 = serverCpu(shape);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn(counted(shape, tally));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const clientCpu = (cpu.user + cpu.system) / 1e6;
  return { ...tally, ms, clientCpu, serverCpu: serverCpu(shape) - server0, value };
}

function costNote(c: Cost<unknown>): string {
  const retries = Object.entries(c.retries)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ");
  return (
    `client ${c.clientCpu.toFixed(1)} CPU-s, server ${c.serverCpu.toFixed(1)} CPU-s, ` +
    `${c.requests} requests${retries === "" ? "" : `, retried: ${retries}`}`
  );
}

/** The `top` most frequent requests, `GET /x/{id}: 5000`. */
function pathNote(c: Cost<unknown>, top = 6): string {
  return [...c.byPath]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** Drops and re-creates the `placement` database on the same MariaDB, and restarts Placement. */
async function freshDatabase(shape: ProductionPlacement): Promise<void> {
  await shape.placement.stop();
  shape.db.sql("DROP DATABASE placement; CREATE DATABASE placement;");
  run("/usr/bin/placement-manage", ["--config-file", join(shape.dir, "placement.conf"), "db", "sync"]);
  await shape.restartPlacement();
}

/**
 * Server-side waste: row inserts that were not kept (MariaDB's `Handler_write` counts rolled-back
 * inserts too, internal temporary tables not), InnoDB row-lock waits and deadlocks, and Placement's
 * bulk writes given up after its 10 internal replays.
 */
interface DbCounters {
  inserted: number;
  lockWaits: number;
  deadlocks: number;
  rows: number;
  gaveUp: number;
}

function dbCounters(shape: ProductionPlacement): DbCounters {
  const status = new Map(
    shape.db
      .sql(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_write', 'Innodb_row_lock_waits', 'Innodb_deadlocks')",
      )
      .trim()
      .split("\n")
      .map((l) => l.split("\t") as [string, string]),
  );
  const tables = shape.db
    .sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'placement'")
    .trim()
    .split("\n");
  const rows = shape.db
    .sql(tables.map((t) => `SELECT COUNT(*) FROM placement.\`${t}\``).join(" UNION ALL "))
    .trim()
    .split("\n")
    .reduce((sum, n) => sum + Number(n), 0);
  const log = readFileSync(join(shape.dir, "placement.log"), "utf8");
  return {
    inserted: Number(status.get("Handler_write") ?? 0),
    lockWaits: Number(status.get("Innodb_row_lock_waits") ?? 0),
    deadlocks: Number(status.get("Innodb_deadlocks") ?? 0),
    rows,
    gaveUp: log.split("Exceeded retry limit").length - 1,
  };
}

function wasteNote(before: DbCounters, after: DbCounters): string {
  const notKept = after.inserted - before.inserted - (after.rows - before.rows);
  return (
    `${notKept} row inserts not kept (replayed or rolled back), ${after.lockWaits - before.lockWaits} row-lock waits, ` +
    `${after.deadlocks - before.deadlocks} deadlocks, ` +
    `${after.gaveUp - before.gaveUp} "Exceeded retry limit"`
  );
}

/**
 * Wall and server CPU per stretch of a sync, split where its progress changes phase; `checks` is
 * what follows the last allocation write (the over-commit checks) until the `delete` phase.
 */
function phaseClock(shape: ProductionPlacement) {
  const marks: { name: string; at: number; cpu: number }[] = [];
  const mark = (name: string): void => {
    if (marks.at(-1)?.name !== name) marks.push({ name, at: performance.now(), cpu: serverCpu(shape) });
  };
  return {
    onProgress: (p: SyncProgress): void =>
      mark(p.phase === "allocations" && p.total > 0 && p.done === p.total ? "checks" : p.phase),
    note: (): string => {
      mark("end");
      return marks
        .slice(0, -1)
        .map(
          (m, i) =>
            `${m.name} ${fmtMs(marks[i + 1].at - m.at)}/${(marks[i + 1].cpu - m.cpu).toFixed(1)} CPU-s`,
        )
        .join(", ");
    },
  };
}

function assertComplete(report: SyncReport, consumers: number, devices: number): void {
  if (report.providers.created.length !== devices || report.consumers.written.length !== consumers)
    throw new Error(
      `first sync wrote ${report.providers.created.length} providers and ${report.consumers.written.length} consumers, not ${devices} and ${consumers}`,
    );
}

/** A fleet claiming `count` 1-slot allocations from pool `CLAIM_POOL` of fleet `bench`. */
function claimerSpec(i: number, count: number, templates: FleetSpec["templates"]): FleetSpec {
  const allocations: NonNullable<FleetSpec["allocations"]> = {};
  for (let k = 0; k < count; k++)
    allocations[`c${i}-${k}`] = { tenant: `claim-${i}`, pools: ["fw"], demand: { CUSTOM_SERVICE_SLOT: 1 } };
  return { templates, pools: { fw: { external: { fleet: FLEET, pool: CLAIM_POOL } } }, allocations };
}

/** Free `CUSTOM_SERVICE_SLOT`s of `CLAIM_POOL` after the sync (8 per device, 1 per allocation). */
function freeSlots(spec: FleetSpec, result: PlanResult): number {
  const slots = (result.pools[CLAIM_POOL]?.devices.length ?? 0) * 8;
  const used = Object.values(result.placements).filter((p) => p.pool === CLAIM_POOL).length;
  return slots - used * (spec.allocations?.["svc-0"]?.demand?.CUSTOM_SERVICE_SLOT ?? 1);
}

async function claims(shape: ProductionPlacement, spec: FleetSpec, result: PlanResult): Promise<void> {
  const perClaimer = Math.max(1, Math.floor((freeSlots(spec, result) * 0.85) / CLAIMERS));
  const specs = Array.from({ length: CLAIMERS }, (_, i) => claimerSpec(i, perClaimer, spec.templates));
  const rates: number[] = [];
  let last: Cost<{ granted: number; refused: number; names: string[][] }> | null = null;
  for (let r = 0; r < CLAIM_RUNS; r++) {
    const cost = await measure(shape, async (client) => {
      const reports = await Promise.all(
        specs.map((s, i) =>
          claimAllocations(client(), {
            fleet: `claimer-${i}`,
            spec: s,
            requests: Object.keys(s.allocations!),
          }),
        ),
      );
      return {
        granted: reports.reduce((n, rep) => n + Object.keys(rep.granted).length, 0),
        refused: reports.reduce((n, rep) => n + Object.keys(rep.refused).length, 0),
        names: reports.map((rep) => Object.keys(rep.granted)),
      };
    });
    rates.push(cost.value.granted / (cost.ms / 1000));
    last = cost;
    await checkNoOvercommit(shape.client(), result);
    await Promise.all(
      specs.map((s, i) =>
        claimAllocations(shape.client(), {
          fleet: `claimer-${i}`,
          spec: s,
          requests: [],
          release: cost.value.names[i],
        }),
      ),
    );
  }
  const c = last!;
  line(
    `claims/s, ${CLAIMERS} claimers x ${perClaimer} from \`${CLAIM_POOL}\` (median of ${CLAIM_RUNS})`,
    `${median(rates).toFixed(1)}/s`,
    `last: ${c.value.granted} granted, ${c.value.refused} refused in ${fmtMs(c.ms)}; ${costNote(c)}`,
  );
  line("", "", pathNote(c));
}

/** Throws when any device of `CLAIM_POOL` holds more slots than its 8. */
async function checkNoOvercommit(client: PlacementClient, result: PlanResult): Promise<void> {
  for (const device of result.pools[CLAIM_POOL]?.devices ?? []) {
    const usage = await client.getProviderUsages(providerUuid(FLEET, device));
    const slots = usage.usages.CUSTOM_SERVICE_SLOT ?? 0;
    if (slots > 8) throw new Error(`over-commit: device \`${device}\` holds ${slots} of 8 slots`);
  }
}

function fleetAt(scale: number) {
  const perPool = Math.max(1, Math.round(100 * scale));
  const allocations = Math.max(1, Math.round(5000 * scale));
  return { ...benchFleet(10, perPool, allocations), devices: 10 * perPool, allocations };
}

export async function main(): Promise<void> {
  const scale = envNumber("SERVICEVM_BENCH_PRODUCTION_SCALE", 1);
  const naiveScale = Math.min(1, envNumber("SERVICEVM_BENCH_PRODUCTION_NAIVE", 0.2)) * scale;
  const runs = Math.round(envNumber("SERVICEVM_BENCH_PRODUCTION_RUNS", 1));
  const concurrencies = (process.env.SERVICEVM_BENCH_PRODUCTION_CONCURRENCY ?? "8,4,16")
    .split(",")
    .map(Number);
  const full = fleetAt(scale);
  const naiveFleet = fleetAt(naiveScale);
  const factor = full.allocations / naiveFleet.allocations;
  const shape = await startProductionPlacement({ isolation: "REPEATABLE-READ", workers: 4 });
  heading(
    `Placement (production shape: MariaDB REPEATABLE-READ, uwsgi 4 workers): ${full.devices} devices, ${full.allocations} allocations`,
  );
  line("shape start (MariaDB, db sync, uwsgi)", fmtMs(shape.startSeconds * 1000));
  try {
    const firsts = new Map<number, number[]>();
    let fresh = true; // the shape's database is fresh when it starts
    for (let r = 0; r < runs; r++) {
      for (const [i, concurrency] of concurrencies.entries()) {
        if (!fresh) await freshDatabase(shape);
        fresh = false;
        const before = dbCounters(shape);
        const clock = phaseClock(shape);
        const first = await measure(shape, (client) =>
          syncFleet(client(), {
            fleet: FLEET,
            spec: full.spec,
            result: full.result,
            concurrency,
            onProgress: clock.onProgress,
          }),
        );
        assertComplete(first.value, full.allocations, full.devices);
        (firsts.get(concurrency) ?? firsts.set(concurrency, []).get(concurrency)!).push(first.ms);
        line(`first sync, concurrency ${concurrency} (run ${r + 1})`, fmtMs(first.ms), costNote(first));
        line("", "", wasteNote(before, dbCounters(shape)));
        line("", "", `wall/server CPU by phase: ${clock.note()}`);
        line("", "", pathNote(first));
        if (r === 0 && i === 0) await afterFirst(shape, full, first.value, first.ms);
      }
    }

    await freshDatabase(shape);
    const before = dbCounters(shape);
    const naive = await measure(shape, (client) =>
      naiveSync(client(), FLEET, naiveFleet.spec, naiveFleet.result),
    );
    line(
      `naive sync of ${naiveFleet.devices} devices, ${naiveFleet.allocations} allocations`,
      fmtMs(naive.ms),
      `${costNote(naive)}; ${wasteNote(before, dbCounters(shape))}`,
    );
    const naiveMs = naive.ms * factor;
    line(
      factor === 1
        ? "naive sync (measured on the whole fleet)"
        : `naive sync, the line above x ${factor} (scaled to the whole fleet)`,
      fmtMs(naiveMs),
      `server ${(naive.serverCpu * factor).toFixed(1)} CPU-s`,
    );
    for (const concurrency of concurrencies) {
      const ms = median(firsts.get(concurrency)!);
      line(
        `speed-up over naive, concurrency ${concurrency}${concurrency === concurrencies[0] ? " (target >= 5x)" : ""}`,
        `${(naiveMs / ms).toFixed(2)}x`,
        `first sync ${fmtMs(ms)}${runs > 1 ? ` (median of ${runs})` : ""}`,
      );
    }
  } finally {
    await shape.stop();
  }
}

/** On the first database: no-change re-syncs, then claims from its pool. */
async function afterFirst(
  shape: ProductionPlacement,
  full: ReturnType<typeof fleetAt>,
  first: SyncReport,
  firstMs: number,
): Promise<void> {
  let state = first.state;
  const costs: Cost<SyncReport>[] = [];
  for (let i = 0; i < RESYNC_RUNS; i++) {
    const c = await measure(shape, (client) =>
      syncFleet(client(), { fleet: FLEET, spec: full.spec, result: full.result, previous: state }),
    );
    const { providers, consumers } = c.value;
    if (
      providers.created.length +
        providers.updated.length +
        consumers.written.length +
        consumers.deleted.length >
      0
    )
      throw new Error("a no-change re-sync wrote something");
    state = c.value.state;
    costs.push(c);
  }
  const ms = median(costs.map((c) => c.ms));
  const mid = costs.find((c) => c.ms === ms) ?? costs[Math.floor(RESYNC_RUNS / 2)];
  line(`no-change re-sync with state (median of ${RESYNC_RUNS})`, fmtMs(ms), costNote(mid));
  line("re-sync / first sync (target < 5%)", `${((100 * ms) / firstMs).toFixed(2)} %`);
  const quick: Cost<SyncReport>[] = [];
  for (let i = 0; i < RESYNC_RUNS; i++) {
    quick.push(
      await measure(shape, (client) =>
        syncFleet(client(), {
          fleet: FLEET,
          spec: full.spec,
          result: full.result,
          previous: state,
          verifyConsumers: false,
        }),
      ),
    );
  }
  const quickMs = median(quick.map((c) => c.ms));
  line(
    `no-change re-sync, generations only (median of ${RESYNC_RUNS})`,
    fmtMs(quickMs),
    `${((100 * quickMs) / firstMs).toFixed(2)} % of the first sync; ${costNote(quick[0])}`,
  );
  await claims(shape, full.spec, full.result);
}
