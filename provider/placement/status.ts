/**
 * `servicevm placement status <spec>`: what Placement holds against the spec, read-only.
 * Drift (missing, extra or different providers and consumers) and foreign usage (consumers of
 * other fleets or services on this fleet's providers), with a progress callback for large fleets.
 */
import type { FleetSpec, PlanResult } from "../../core/types";
import type { InventoryRecord, PlacementClient } from "./client";
import {
  desiredFleet,
  mapLimit,
  sameInventories,
  sameResources,
  sameSet,
  type DesiredFleet,
} from "./desired";
import { claimUserId, fleetUserId, ownedDevice } from "./ids";
import { compareNatural, compareText } from "../../core/order";

export interface StatusOptions {
  fleet: string;
  spec: FleetSpec;
  result: PlanResult;
  /** @default 8 */
  concurrency?: number;
  /** Called after each provider read: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface ForeignUsage {
  device: string;
  consumer: string;
  projectId: string;
  userId: string;
  resources: Record<string, number>;
}

export interface StatusReport {
  fleet: string;
  /** True when Placement holds exactly what a sync would write (foreign usage allowed). */
  inSync: boolean;
  providers: {
    ok: number;
    /** Devices with no provider yet. */
    missing: string[];
    /** Providers of this fleet for devices no longer in the plan. */
    extra: string[];
    /** Devices whose provider differs, with the fields that differ (`inventories`, `traits`, `aggregates`). */
    drift: { device: string; fields: string[] }[];
  };
  consumers: {
    ok: number;
    /** Allocations not in Placement. */
    missing: string[];
    /** Allocations in Placement on another device or with other amounts. */
    drift: { allocation: string; expected: string; actual: string }[];
    /** Consumers this fleet wrote for allocations no longer in the plan. */
    extra: string[];
  };
  foreign: ForeignUsage[];
}

/** One provider as read: what a sync writes about it and the allocations on it. */
interface ReadProvider {
  inventories: Record<string, InventoryRecord>;
  traits: string[];
  aggregates: string[];
  allocations: Record<string, { resources: Record<string, number> }>;
}

/** Where a consumer allocates, per device. */
type Holdings = { device: string; resources: Record<string, number> }[];

/** Reads Placement and compares it with what `syncFleet` would write. Never writes. */
export async function placementStatus(
  client: PlacementClient,
  options: StatusOptions,
): Promise<StatusReport> {
  const { fleet } = options;
  const desired = desiredFleet(fleet, options.spec, options.result);
  const { devices, read } = await readOwned(client, options);
  const report: StatusReport = {
    fleet,
    inSync: true,
    providers: { ok: 0, missing: [], extra: [], drift: [] },
    consumers: { ok: 0, missing: [], drift: [], extra: [] },
    foreign: [],
  };
  compareProviders(report, desired, devices, read);
  const seen = new Map<string, Holdings>();
  for (const device of devices) {
    for (const [consumer, a] of Object.entries(read.get(device)!.allocations)) {
      const list = seen.get(consumer) ?? [];
      list.push({ device, resources: a.resources });
      seen.set(consumer, list);
    }
  }
  compareConsumers(report, desired, seen);
  await classifyUnknown(client, report, desired, seen, options.concurrency ?? 8);
  report.consumers.extra.sort(compareText);
  report.foreign.sort((a, b) => compareNatural(a.device, b.device) || compareText(a.consumer, b.consumer));
  report.consumers.drift.sort((a, b) => compareText(a.allocation, b.allocation));
  report.inSync =
    report.providers.missing.length +
      report.providers.extra.length +
      report.providers.drift.length +
      report.consumers.missing.length +
      report.consumers.drift.length +
      report.consumers.extra.length ===
    0;
  return report;
}

/** The fleet's providers (device order) and each one's inventories, traits, aggregates, allocations. */
async function readOwned(
  client: PlacementClient,
  options: StatusOptions,
): Promise<{ devices: string[]; read: Map<string, ReadProvider> }> {
  const owned = new Map<string, { uuid: string; name: string }>();
  for (const rec of await client.listProviders()) {
    const device = ownedDevice(options.fleet, rec);
    if (device !== null) owned.set(device, rec);
  }
  const devices = [...owned.keys()].sort(compareText);
  const read = new Map<string, ReadProvider>();
  let done = 0;
  options.onProgress?.(0, devices.length);
  await mapLimit(devices, options.concurrency ?? 8, async (device) => {
    const uuid = owned.get(device)!.uuid;
    const [inv, traits, aggs, allocs] = await Promise.all([
      client.getInventories(uuid),
      client.getTraits(uuid),
      client.getAggregates(uuid),
      client.getProviderAllocations(uuid),
    ]);
    read.set(device, {
      inventories: inv.inventories,
      traits: traits.traits,
      aggregates: aggs.aggregates,
      allocations: allocs.allocations,
    });
    options.onProgress?.(++done, devices.length);
  });
  return { devices, read };
}

/** Providers: ok, missing, different (which fields) or extra (devices no longer planned). */
function compareProviders(
  report: StatusReport,
  desired: DesiredFleet,
  devices: readonly string[],
  read: ReadonlyMap<string, ReadProvider>,
): void {
  const wanted = new Set(desired.providers.map((p) => p.device));
  for (const p of desired.providers) {
    const cur = read.get(p.device);
    if (cur === undefined) {
      report.providers.missing.push(p.device);
      continue;
    }
    const fields = [
      ...(sameInventories(cur.inventories, p.inventories) ? [] : ["inventories"]),
      ...(sameSet(cur.traits, p.traits) ? [] : ["traits"]),
      ...(sameSet(cur.aggregates, p.aggregates) ? [] : ["aggregates"]),
    ];
    if (fields.length === 0) report.providers.ok++;
    else report.providers.drift.push({ device: p.device, fields });
  }
  report.providers.extra = devices.filter((d) => !wanted.has(d));
}

/** `fw-0 1 CUSTOM_A + 2 CUSTOM_B; fw-1 ...` */
function show(xs: Holdings): string {
  return xs
    .map(
      (x) =>
        `${x.device} ${Object.keys(x.resources)
          .sort(compareText)
          .map((rc) => `${x.resources[rc]} ${rc}`)
          .join(" + ")}`,
    )
    .join("; ");
}

/** Desired consumers: ok, missing, or held elsewhere or with other amounts. */
function compareConsumers(
  report: StatusReport,
  desired: DesiredFleet,
  seen: ReadonlyMap<string, Holdings>,
): void {
  for (const c of desired.consumers) {
    const cur = seen.get(c.uuid);
    if (cur === undefined) {
      report.consumers.missing.push(c.allocation);
      continue;
    }
    if (cur.length === 1 && cur[0].device === c.device && sameResources(cur[0].resources, c.resources))
      report.consumers.ok++;
    else
      report.consumers.drift.push({
        allocation: c.allocation,
        expected: show([{ device: c.device, resources: c.resources }]),
        actual: show(cur),
      });
  }
}

/** Consumers not desired: this fleet's (synced or claimed) are extra, anyone else's foreign usage. */
async function classifyUnknown(
  client: PlacementClient,
  report: StatusReport,
  desired: DesiredFleet,
  seen: ReadonlyMap<string, Holdings>,
  concurrency: number,
): Promise<void> {
  const desiredUuids = new Set(desired.consumers.map((c) => c.uuid));
  const unknown = [...seen.keys()].filter((c) => !desiredUuids.has(c)).sort(compareText);
  const mine = new Set([fleetUserId(desired.fleet), claimUserId(desired.fleet)]);
  await mapLimit(unknown, concurrency, async (consumer) => {
    const a = await client.getConsumerAllocations(consumer);
    if (a.user_id !== undefined && mine.has(a.user_id)) {
      report.consumers.extra.push(consumer);
      return;
    }
    for (const x of seen.get(consumer)!)
      report.foreign.push({
        device: x.device,
        consumer,
        projectId: a.project_id ?? "",
        userId: a.user_id ?? "",
        resources: x.resources,
      });
  });
}

/** Plain-text rendering of a status report, one finding per line. */
export function formatStatus(r: StatusReport): string {
  const lines = [
    `fleet ${r.fleet}: ${r.inSync ? "Placement is in sync with the spec" : "Placement differs from the spec"}`,
    `providers: ${r.providers.ok} ok, ${r.providers.missing.length} missing, ${r.providers.drift.length} different, ${r.providers.extra.length} extra`,
    ...r.providers.missing.map((d) => `  missing provider for device ${d}`),
    ...r.providers.drift.map((d) => `  device ${d.device}: ${d.fields.join(", ")} differ`),
    ...r.providers.extra.map((d) => `  extra provider for removed device ${d}`),
    `allocations: ${r.consumers.ok} ok, ${r.consumers.missing.length} missing, ${r.consumers.drift.length} different, ${r.consumers.extra.length} extra`,
    ...r.consumers.missing.map((a) => `  missing allocation ${a}`),
    ...r.consumers.drift.map(
      (d) => `  allocation ${d.allocation}: expected ${d.expected}, Placement has ${d.actual}`,
    ),
    ...r.consumers.extra.map((c) => `  extra consumer ${c} (a removed allocation of this fleet)`),
    `foreign usage: ${r.foreign.length} consumer allocation(s) on this fleet's devices`,
    ...r.foreign.map(
      (f) =>
        `  ${f.device}: consumer ${f.consumer} (project ${f.projectId}, user ${f.userId}) uses ${Object.keys(
          f.resources,
        )
          .sort()
          .map((rc) => `${f.resources[rc]} ${rc}`)
          .join(" + ")}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
