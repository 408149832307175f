/**
 * Placement sync benchmark (issue 5): 1,000 devices and 5,000 allocations synced into an empty,
 * real Placement (Debian python3-placement, SQLite on /dev/shm, single-threaded wsgiref server),
 * re-synced with nothing changed, and compared in the same run with a naive sync that reads then
 * writes each object one request at a time, into its own empty Placement.
 *
 * `SERVICEVM_BENCH_PLACEMENT_SCALE=0.1` runs a tenth of the size (for a quick look).
 */
import { performance } from "node:perf_hooks";
import type { FleetSpec, PlanResult } from "../../core/types";
import { deviceName, ledgerDevices } from "../../core/model";
import { PlacementClient } from "../../provider/placement/client";
import { desiredFleet } from "../../provider/placement/desired";
import { CONSUMER_TYPE } from "../../provider/placement/ids";
import { syncFleet, type SyncState } from "../../provider/placement/sync";
import { PLACEMENT_TOKEN, startPlacement } from "../provider/placement/server";
import { fmtMs, heading, line, median } from "./util";

const RESYNC_RUNS = 5;

/** `pools` pools of `perPool` devices (2 zones, 2 traits, 2 resource classes) and `allocations` 1-slot allocations. */
export function benchFleet(
  pools: number,
  perPool: number,
  allocations: number,
): { spec: FleetSpec; result: PlanResult } {
  const spec: FleetSpec = {
    templates: {
      fw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: { total: 10000, maxUnit: 5000 } },
        traits: ["CUSTOM_FW", "HW_NIC_SRIOV"],
        docker: { image: "vyos:1.4" },
      },
    },
    pools: {},
    allocations: {},
  };
  const result: PlanResult = {
    ok: true,
    errors: [],
    pools: {},
    devices: {},
    placements: {},
    changes: [],
    ledger: { version: 2, pools: {}, placements: {} },
  };
  for (let p = 0; p < pools; p++) {
    const pool = `pool${p}`;
    spec.pools[pool] = { template: "fw", size: perPool, zones: ["az1", "az2"] };
    // Devices alternate between the two zones, as the planner spreads a new pool.
    const zones: Record<string, string> = {};
    for (let i = 0; i < perPool; i++) zones[deviceName(pool, i)] = i % 2 === 0 ? "az1" : "az2";
    result.ledger.pools[pool] = { devices: zones, source: {} };
  }
  const devices = ledgerDevices(spec, result.ledger);
  for (const d of devices) {
    result.pools[d.pool] ??= { template: "fw", devices: [], needed: 0, standby: 0 };
    result.pools[d.pool].devices.push(d.name);
  }
  for (let i = 0; i < allocations; i++) {
    const name = `svc-${i}`;
    const d = devices[i % devices.length];
    const tenant = `tenant-${i % 500}`;
    spec.allocations![name] = { tenant, demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 100 } };
    result.placements[name] = { device: d.name, pool: d.pool, tenant, isolation: null };
  }
  return { spec, result };
}

/**
 * The naive baseline: the same end state, written one request at a time, reading each object
 * before writing it (as a sync without bulk reads, bulk writes or concurrency would).
 */
export async function naiveSync(
  client: PlacementClient,
  fleet: string,
  spec: FleetSpec,
  result: PlanResult,
): Promise<void> {
  const desired = desiredFleet(fleet, spec, result);
  for (const rc of desired.customResourceClasses) await client.ensureResourceClass(rc);
  for (const t of desired.customTraits) await client.ensureTrait(t);
  for (const p of desired.providers) {
    const existing = await client.getProvider(p.uuid);
    let gen =
      existing === null ? (await client.createProvider(p.uuid, p.name)).generation : existing.generation;
    const inv = await client.getInventories(p.uuid);
    gen = await client.putInventories(p.uuid, Math.max(gen, inv.generation), p.inventories);
    const traits = await client.getTraits(p.uuid);
    gen = await client.putTraits(p.uuid, Math.max(gen, traits.generation), p.traits);
    const aggs = await client.getAggregates(p.uuid);
    await client.putAggregates(p.uuid, Math.max(gen, aggs.generation), p.aggregates);
  }
  for (const c of desired.consumers) {
    const current = await client.getConsumerAllocations(c.uuid);
    await client.putAllocations(c.uuid, {
      allocations: { [c.provider]: { resources: c.resources } },
      project_id: c.projectId,
      user_id: c.userId,
      consumer_generation: current.consumer_generation,
      consumer_type: CONSUMER_TYPE,
    });
  }
}

function counting(url: string): { client: PlacementClient; requests: () => number; reset: () => void } {
  let n = 0;
  const client = new PlacementClient({
    endpoint: url,
    auth: PLACEMENT_TOKEN,
    timeoutMs: 120_000,
    onRequest: () => n++,
  });
  return { client, requests: () => n, reset: () => (n = 0) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function main(): Promise<void> {
  const scale = Number(process.env.SERVICEVM_BENCH_PLACEMENT_SCALE ?? "1");
  const pools = 10;
  const perPool = Math.max(1, Math.round(100 * scale));
  const allocations = Math.max(1, Math.round(5000 * scale));
  const { spec, result } = benchFleet(pools, perPool, allocations);
  const devices = pools * perPool;
  heading(
    `Placement sync: ${devices} devices, ${allocations} allocations (real Placement 8.0, SQLite, single-threaded server)`,
  );

  // Optimized sync into an empty Placement.
  const a = await startPlacement();
  let first: number;
  let warm: number[] = [];
  let cold: number;
  let firstRequests: number;
  let quickMedian: number;
  try {
    const c = counting(a.url);
    const run1 = await timed(() => syncFleet(c.client, { fleet: "bench", spec, result }));
    first = run1.ms;
    firstRequests = c.requests();
    line("first sync (bulk allocations, 8 in flight)", fmtMs(first), `${firstRequests} requests`);
    let state: SyncState = run1.value.state;
    const writesIn = (n: number): string => `${n} requests, 0 writes`;
    for (let i = 0; i < RESYNC_RUNS; i++) {
      c.reset();
      const r = await timed(() => syncFleet(c.client, { fleet: "bench", spec, result, previous: state }));
      const rep = r.value;
      if (
        rep.providers.created.length +
          rep.providers.updated.length +
          rep.consumers.written.length +
          rep.consumers.deleted.length >
        0
      )
        throw new Error("re-sync wrote something");
      state = rep.state;
      warm.push(r.ms);
    }
    line(
      `no-change re-sync, state + usage check (median of ${RESYNC_RUNS})`,
      fmtMs(median(warm)),
      writesIn(c.requests()),
    );
    const quick: number[] = [];
    let quickRequests = 0;
    for (let i = 0; i < RESYNC_RUNS; i++) {
      c.reset();
      const q = await timed(() =>
        syncFleet(c.client, { fleet: "bench", spec, result, previous: state, verifyConsumers: false }),
      );
      quick.push(q.ms);
      quickRequests = c.requests();
    }
    quickMedian = median(quick);
    line(
      `no-change re-sync, generations only (median of ${RESYNC_RUNS})`,
      fmtMs(quickMedian),
      writesIn(quickRequests),
    );
    c.reset();
    const r = await timed(() => syncFleet(c.client, { fleet: "bench", spec, result }));
    cold = r.ms;
    line("no-change re-sync without state (reads everything)", fmtMs(cold), writesIn(c.requests()));
  } finally {
    await a.stop();
  }

  // Naive sync into another empty Placement.
  const b = await startPlacement();
  let naive: number;
  try {
    const c = counting(b.url);
    const r = await timed(() => naiveSync(c.client, "bench", spec, result));
    naive = r.ms;
    line(
      "naive sync (read, then write, one request at a time)",
      fmtMs(naive),
      `${c.requests()} requests, ${(naive / c.requests()).toFixed(2)} ms each`,
    );
  } finally {
    await b.stop();
  }

  line("speed-up over the naive sync (target >= 5x)", `${(naive / first).toFixed(2)}x`);
  line(
    "re-sync with usage check / first sync (target < 5%)",
    `${((100 * median(warm)) / first).toFixed(2)} %`,
  );
  line("re-sync, generations only / first sync", `${((100 * quickMedian) / first).toFixed(2)} %`);
  line("re-sync without state / first sync", `${((100 * cold) / first).toFixed(1)} %`);
  warm = [];
}
