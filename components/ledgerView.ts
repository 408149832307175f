/**
 * What the Fleet shows from the Ledger: placements with their pool and isolation context, and
 * capacity per pool and per device (total/used/free per resource class, standby idle devices).
 * Derived from the ledger (each pool's devices with their zones), the plan spec and the health map
 * with the core's device model (`ledgerDevices`) and Placement arithmetic, so it needs nothing the
 * Ledger does not store.
 */
import { capacityOf } from "../core/inventory";
import { ledgerDevices } from "../core/model";
import type { FleetSpec, HealthMap, Ledger, PlacementResult } from "../core/types";

export interface ClassUsage {
  total: number;
  used: number;
  free: number;
}

export interface DeviceCapacity {
  pool: string;
  zone: string | null;
  healthy: boolean;
  classes: Record<string, ClassUsage>;
  tenants: string[];
  allocations: string[];
}

export interface PoolCapacityView {
  devices: string[];
  /** Devices hosting at least one allocation. */
  busy: number;
  /** Healthy devices hosting nothing, booted and waiting. */
  standby: number;
  unhealthy: number;
  classes: Record<string, ClassUsage>;
}

export interface FleetCapacity {
  pools: Record<string, PoolCapacityView>;
  devices: Record<string, DeviceCapacity>;
}

export interface LedgerView {
  placements: Record<string, PlacementResult>;
  capacity: FleetCapacity;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
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
  const pools: Record<string, PoolCapacityView> = {};
  for (const poolName of Object.keys(spec.pools).sort()) {
    pools[poolName] = { devices: [], busy: 0, standby: 0, unhealthy: 0, classes: {} };
  }
  for (const m of models) {
    const healthy = health[m.name] !== false;
    const u = used.get(m.name);
    const classes: Record<string, ClassUsage> = {};
    for (const rc of Object.keys(m.inventory).sort()) {
      const total = capacityOf(m.inventory[rc]);
      const usedRc = u?.get(rc) ?? 0;
      classes[rc] = { total: round(total), used: round(usedRc), free: round(total - usedRc) };
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
    const pool = pools[m.pool];
    pool.devices.push(m.name);
    if (h) pool.busy++;
    else if (healthy) pool.standby++;
    if (!healthy) pool.unhealthy++;
    for (const rc of Object.keys(classes)) {
      const c = (pool.classes[rc] ??= { total: 0, used: 0, free: 0 });
      c.total = round(c.total + classes[rc].total);
      c.used = round(c.used + classes[rc].used);
      c.free = round(c.free + classes[rc].free);
    }
  }
  for (const p of Object.values(pools)) {
    const sorted: Record<string, ClassUsage> = {};
    for (const rc of Object.keys(p.classes).sort()) sorted[rc] = p.classes[rc]!;
    p.classes = sorted;
  }
  return { placements, capacity: { pools, devices } };
}
