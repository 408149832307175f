/**
 * What a fleet should look like in Placement, derived from the spec and a plan result: one
 * provider per device of an owned pool, one consumer per allocation placed in an owned pool.
 * Shared by sync, status and the benchmark, so all three agree.
 */
import { createHash } from "node:crypto";
import { ledgerDevices } from "../../core/model";
import type { FleetSpec, PlanResult, PoolSpec } from "../../core/types";
import { toInventoryRecord, type AllocationWrite, type InventoryRecord } from "./client";
import {
  CONSUMER_TYPE,
  consumerUuid,
  fleetUserId,
  poolAggregate,
  projectId,
  providerName,
  providerUuid,
  zoneAggregate,
} from "./ids";
import { compareText } from "../../core/order";

/** A pool owned by another fleet: its devices are that fleet's providers; this fleet only claims. */
export interface ExternalPool {
  /** The owning fleet's name. */
  fleet: string;
  /** The pool's name in the owning fleet. @default the same name as here */
  pool?: string;
}

/**
 * The `external` block of a pool, when the spec has one (`pools.fw.external: { fleet: infra }`).
 * Read loosely so this works before and after the schema extension lands.
 */
export function externalPoolOf(pool: PoolSpec | undefined): ExternalPool | null {
  const loose = pool as unknown as Record<string, unknown> | undefined;
  const ext = loose?.["external"];
  if (typeof ext !== "object" || ext === null) return null;
  const { fleet, pool: name } = ext as { fleet?: unknown; pool?: unknown };
  if (typeof fleet !== "string") return null;
  return typeof name === "string" ? { fleet, pool: name } : { fleet };
}

export interface DesiredProvider {
  device: string;
  pool: string;
  uuid: string;
  name: string;
  inventories: Record<string, InventoryRecord>;
  /** Sorted. */
  traits: string[];
  /** Sorted: the pool's aggregate and, when the device has a zone, the zone's. */
  aggregates: string[];
}

export interface DesiredConsumer {
  allocation: string;
  tenant: string;
  device: string;
  uuid: string;
  provider: string;
  /** Amounts of 0 are left out (Placement's minimum is 1). */
  resources: Record<string, number>;
  projectId: string;
  userId: string;
}

export interface DesiredFleet {
  fleet: string;
  providers: DesiredProvider[];
  consumers: DesiredConsumer[];
  /** `CUSTOM_*` resource classes and traits the providers use, sorted. */
  customResourceClasses: string[];
  customTraits: string[];
}

function sortedResources(demand: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rc of Object.keys(demand).sort()) if (demand[rc] > 0) out[rc] = demand[rc]!;
  return out;
}

/**
 * The Placement picture of `result` for fleet `fleet`: devices and placements of owned pools only.
 * Devices are the plan's (`result.pools`), modelled from its ledger: created devices in the zones
 * they were created in, declared ones as the spec declares them.
 */
export function desiredFleet(fleet: string, spec: FleetSpec, result: PlanResult): DesiredFleet {
  const providers: DesiredProvider[] = [];
  const planned = new Set(Object.values(result.pools).flatMap((p) => p.devices));
  for (const d of ledgerDevices(spec, result.ledger)) {
    if (externalPoolOf(spec.pools[d.pool]) !== null || !planned.has(d.name)) continue;
    const inventories: Record<string, InventoryRecord> = {};
    for (const rc of Object.keys(d.inventory).sort()) inventories[rc] = toInventoryRecord(d.inventory[rc]);
    const aggregates = [
      poolAggregate(fleet, d.pool),
      ...(d.zone === null ? [] : [zoneAggregate(fleet, d.zone)]),
    ].sort();
    providers.push({
      device: d.name,
      pool: d.pool,
      uuid: providerUuid(fleet, d.name),
      name: providerName(fleet, d.name),
      inventories,
      traits: d.traits,
      aggregates,
    });
  }
  const byDevice = new Map(providers.map((p) => [p.device, p]));
  const consumers: DesiredConsumer[] = [];
  for (const name of Object.keys(result.placements).sort()) {
    const placement = result.placements[name];
    const provider = byDevice.get(placement.device);
    if (provider === undefined) continue; // placed in an external pool: a claim, not a sync
    const resources = sortedResources(spec.allocations?.[name]?.demand ?? {});
    if (Object.keys(resources).length === 0) continue;
    consumers.push({
      allocation: name,
      tenant: placement.tenant,
      device: placement.device,
      uuid: consumerUuid(fleet, name),
      provider: provider.uuid,
      resources,
      projectId: projectId(placement.tenant),
      userId: fleetUserId(fleet),
    });
  }
  const rcs = new Set<string>();
  const traits = new Set<string>();
  for (const p of providers) {
    for (const rc of Object.keys(p.inventories)) if (rc.startsWith("CUSTOM_")) rcs.add(rc);
    for (const t of p.traits) if (t.startsWith("CUSTOM_")) traits.add(t);
  }
  return {
    fleet,
    providers,
    consumers,
    customResourceClasses: [...rcs].sort(),
    customTraits: [...traits].sort(),
  };
}

/** The allocation write that puts `c` on its provider, over `generation` (`null`: a new consumer). */
export function allocationWrite(c: DesiredConsumer, generation: number | null): AllocationWrite {
  return {
    allocations: { [c.provider]: { resources: c.resources } },
    project_id: c.projectId,
    user_id: c.userId,
    consumer_generation: generation,
    consumer_type: CONSUMER_TYPE,
  };
}

/** A digest of everything a sync writes about one provider and the consumers on it. */
export function providerDigest(p: DesiredProvider, consumers: DesiredConsumer[]): string {
  const own = consumers
    .filter((c) => c.provider === p.uuid)
    .map((c): [string, Record<string, number>, string, string] => [
      c.uuid,
      c.resources,
      c.projectId,
      c.userId,
    ])
    .sort((a, b) => compareText(a[0], b[0]));
  return createHash("sha256")
    .update(JSON.stringify([p.name, p.inventories, p.traits, p.aggregates, own, CONSUMER_TYPE]))
    .digest("hex")
    .slice(0, 32);
}

/** Runs `fn` over `items` with at most `limit` in flight; stops taking new items once `stop()` is true. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Exact equality of two inventories maps (every field, every class). */
export function sameInventories(
  a: Record<string, InventoryRecord>,
  b: Record<string, InventoryRecord>,
): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.join() !== kb.join()) return false;
  return ka.every((rc) => {
    const x = a[rc];
    const y = b[rc];
    return (
      x.total === y.total &&
      x.reserved === y.reserved &&
      x.min_unit === y.min_unit &&
      x.max_unit === y.max_unit &&
      x.step_size === y.step_size &&
      x.allocation_ratio === y.allocation_ratio
    );
  });
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join("\n") === [...b].sort().join("\n");
}

export function sameResources(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a).sort();
  return ka.join() === Object.keys(b).sort().join() && ka.every((k) => a[k] === b[k]);
}
