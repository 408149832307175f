/**
 * The parts of a PlanResult built from plain data: a failed plan (the previous ledger and its
 * placements, no change) and a device's capacity summary.
 */
import type { Dev } from "./planModel";
import type {
  DeviceResult,
  FleetSpec,
  Isolation,
  Ledger,
  OwnedPoolSpec,
  PlacementResult,
  PlanError,
  PlanResult,
} from "./types";

export /** A failed plan changes nothing: the previous ledger, its placements, no change. */
function failed(errors: PlanError[], previous: Ledger, spec: FleetSpec): PlanResult {
  const poolOf = new Map<string, string>();
  for (const [pool, p] of Object.entries(previous.pools))
    for (const d of Object.keys(p.devices)) poolOf.set(d, pool);
  const placements: Record<string, PlacementResult> = {};
  for (const [name, p] of Object.entries(previous.placements)) {
    const pool = poolOf.get(p.device) ?? "";
    const owned = spec.pools?.[pool] as OwnedPoolSpec | undefined;
    const tenancy = spec.templates?.[owned?.template ?? ""]?.tenancy;
    const kind = tenancy !== undefined && tenancy.mode === "shared" ? tenancy.isolation : "vrf";
    const isolation: Isolation | null = p.context === null ? null : { id: p.context, kind };
    placements[name] = { device: p.device, isolation, pool, tenant: p.tenant };
  }
  const sorted = [...errors].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    changes: [],
    claims: {},
    devices: {},
    errors: sorted,
    ledger: previous,
    ok: false,
    placements,
    pools: {},
  };
}

export function deviceResult(dev: Dev): DeviceResult {
  const capacity: Record<string, number> = {};
  const used: Record<string, number> = {};
  const free: Record<string, number> = {};
  dev.pool.classes.forEach((rc, i) => {
    if (dev.inv[i] === undefined) return;
    capacity[rc] = dev.cap[i];
    used[rc] = dev.used[i];
    free[rc] = dev.cap[i] - dev.used[i];
  });
  return {
    allocations: dev.allocs.map((a) => a.name).sort(),
    capacity,
    ...(dev.drained ? { drained: true as const } : {}),
    free,
    healthy: dev.healthy,
    index: dev.index,
    pool: dev.pool.name,
    tenants: [...dev.tenants.keys()].sort(),
    used,
    zone: dev.zone,
  };
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k];
  return out;
}
