/**
 * What the Fleet shows from the Ledger: placements with their pool and isolation context, and
 * capacity per pool and per device (total/used/free per resource class, standby idle devices).
 * Derived from the ledger (each pool's devices with their zones), the plan spec and the health map
 * with the core's device model (`ledgerDevices`) and Placement arithmetic, so it needs nothing the
 * Ledger does not store. `capacity.headroom` is `servicevm capacity`'s numbers for the spec's own
 * shapes (`specHeadroom`, the same core function on the same ledger).
 */
import { type ClassUsage, classUsage, type DeviceUsage, type PoolSummary, summarizePool } from "./capacity";
import { type ShapeHeadroom, specHeadroom } from "./headroom";
import { capacityOf } from "./inventory";
import { drainedDevices, ledgerDevices } from "./model";
import type { FleetSpec, HealthMap, Ledger, PlacementResult } from "./types";

export type { ClassUsage };

export interface DeviceCapacity {
  pool: string;
  zone: string | null;
  healthy: boolean;
  classes: Record<string, ClassUsage>;
  tenants: string[];
  allocations: string[];
}

/** A pool in the Fleet's `capacity` output: its device names and the pool summary. */
export interface PoolCapacityView extends PoolSummary {
  devices: string[];
}

export interface FleetCapacity {
  pools: Record<string, PoolCapacityView>;
  devices: Record<string, DeviceCapacity>;
  /**
   * For each distinct demand of the spec's allocations, in the order of its first allocation: per
   * pool and zone, how many more allocations of it (each a new tenant's) fit on the devices that
   * exist and up to `max`, and what binds first (`core/headroom.ts`).
   */
  headroom: ShapeHeadroom[];
}

export interface LedgerView {
  placements: Record<string, PlacementResult>;
  capacity: FleetCapacity;
}

export function ledgerView(spec: FleetSpec, ledger: Ledger, health: HealthMap): LedgerView {
  const models = ledgerDevices(spec, ledger);
  const byName = new Map(models.map((m) => [m.name, m]));
  const used = new Map<string, Map<string, number>>();
  const hosted = new Map<string, { tenants: Set<string>; allocations: string[] }>();
  const placements: Record<string, PlacementResult> = {};
  for (const name of Object.keys(ledger.placements).sort()) {
    const p = ledger.placements[name];
    const model = byName.get(p.device);
    if (model === undefined) continue;
    const tenancy = model.tenancy;
    placements[name] = {
      device: p.device,
      pool: model.pool,
      tenant: p.tenant,
      isolation:
        tenancy.mode === "shared" && p.context !== null ? { kind: tenancy.isolation, id: p.context } : null,
    };
    const u = used.get(p.device) ?? new Map<string, number>();
    // The demand it was placed with (a ledger of servicevm 0.1 has none: the spec's).
    const demand = p.demand ?? spec.allocations?.[name]?.demand ?? {};
    for (const rc of Object.keys(demand)) u.set(rc, (u.get(rc) ?? 0) + demand[rc]);
    used.set(p.device, u);
    const h = hosted.get(p.device) ?? { tenants: new Set<string>(), allocations: [] };
    h.tenants.add(p.tenant);
    h.allocations.push(name);
    hosted.set(p.device, h);
  }
  const devices: Record<string, DeviceCapacity> = {};
  const byPool = new Map<string, { names: string[]; usage: DeviceUsage[] }>();
  for (const poolName of Object.keys(spec.pools).sort()) byPool.set(poolName, { names: [], usage: [] });
  const drained = drainedDevices(spec);
  for (const m of models) {
    const healthy = health[m.name] !== false;
    const u = used.get(m.name);
    const raw: DeviceUsage["classes"] = {};
    const classes: Record<string, ClassUsage> = {};
    for (const rc of Object.keys(m.inventory).sort()) {
      raw[rc] = { total: capacityOf(m.inventory[rc]), used: u?.get(rc) ?? 0 };
      classes[rc] = classUsage(raw[rc].total, raw[rc].used);
    }
    const h = hosted.get(m.name);
    devices[m.name] = {
      pool: m.pool,
      zone: m.zone,
      healthy,
      classes,
      tenants: h ? [...h.tenants].sort() : [],
      allocations: h ? h.allocations : [],
    };
    const pool = byPool.get(m.pool)!;
    pool.names.push(m.name);
    pool.usage.push({ busy: h !== undefined, classes: raw, drained: drained.has(m.name), healthy });
  }
  const pools: Record<string, PoolCapacityView> = {};
  for (const [name, p] of byPool) {
    const summary = summarizePool(p.usage);
    pools[name] = {
      devices: p.names,
      busy: summary.busy,
      standby: summary.standby,
      unhealthy: summary.unhealthy,
      classes: summary.classes,
    };
  }
  return { placements, capacity: { pools, devices, headroom: specHeadroom(spec, ledger, health) } };
}
