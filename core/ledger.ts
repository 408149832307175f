/**
 * The ledger between plans: reading a servicevm 0.1 ledger, and applying a plan's changes to the
 * previous ledger. `applyChanges(previous, plan(spec, {previous}).changes)` equals the plan's
 * ledger exactly (a property test holds the planner to it): the changes are the whole truth.
 */
import { deviceName, isDeclaredPool, isExternalPool, createdDeviceZone } from "./model";
import type { Change, FleetSpec, Ledger, LedgerPlacement, LedgerPool, LedgerV1 } from "./types";

export const EMPTY_LEDGER: Ledger = Object.freeze({ version: 2, pools: {}, placements: {} });

/**
 * A ledger of the current version. A servicevm 0.1 ledger recorded only pool sizes: its devices
 * are `<pool>-0..n-1` in the zones the spec's round-robin gave them, created from `sources` (what
 * the spec says now), and placements have the demand the spec gives them now: 0.1 recorded nothing
 * more, so the first plan after the upgrade cannot report an earlier edit of those. Declared pools
 * get their declared devices.
 */
export function upgradeLedger(
  ledger: Ledger | LedgerV1,
  spec: FleetSpec,
  sources: Map<string, Record<string, string | null>> = new Map(),
): Ledger {
  if (ledger.version === 2) return ledger;
  const pools: Record<string, LedgerPool> = {};
  const placements: Record<string, LedgerPlacement> = {};
  // The spec may be one that failed validation: read it defensively.
  for (const name of Object.keys(spec.pools ?? {}).sort()) {
    const pool = spec.pools[name];
    if (typeof pool !== "object" || pool === null || isExternalPool(pool)) continue;
    const devices: Record<string, string | null> = {};
    if (isDeclaredPool(pool, spec.templates?.[pool.template])) {
      for (const d of Array.isArray(pool.devices) ? pool.devices : []) devices[d.name] = d.zone ?? null;
    } else {
      const size = ledger.pools[name] ?? 0;
      for (let i = 0; i < size; i++) devices[deviceName(name, i)] = createdDeviceZone(pool, i);
    }
    const source: Record<string, string> = {};
    for (const [k, v] of Object.entries(sources.get(name) ?? {})) if (v !== null) source[k] = v;
    if (Object.keys(devices).length > 0) pools[name] = { devices, source };
  }
  for (const name of Object.keys(ledger.placements).sort()) {
    const p = ledger.placements[name];
    const demand = spec.allocations?.[name]?.demand;
    placements[name] = {
      context: p.context,
      device: p.device,
      tenant: p.tenant,
      ...(demand ? { demand } : {}),
    };
  }
  return { placements, pools, version: 2 };
}

/** A copy of `value` with its keys in code-unit order. */
function sorted<T>(value: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(value).sort()) out[k] = value[k];
  return out;
}

/**
 * The ledger that results from applying `changes` to `previous`. It trusts the changes (they come
 * from `plan`) and exists to prove they are complete.
 */
export function applyChanges(previous: Ledger, changes: readonly Change[]): Ledger {
  const pools: Record<string, LedgerPool> = {};
  for (const [name, p] of Object.entries(previous.pools)) {
    pools[name] = { devices: { ...p.devices }, source: p.source };
  }
  const placements: Record<string, LedgerPlacement> = { ...previous.placements };
  for (const c of changes) {
    switch (c.op) {
      case "place":
        placements[c.allocation] = {
          context: c.isolation?.id ?? null,
          demand: c.demand,
          device: c.to,
          tenant: c.tenant,
        };
        break;
      case "move":
        placements[c.allocation] = {
          ...placements[c.allocation],
          context: c.isolation.to?.id ?? null,
          device: c.to,
        };
        break;
      case "release":
        delete placements[c.allocation];
        break;
      case "retenant":
        placements[c.allocation] = {
          ...placements[c.allocation],
          context: c.isolation.to?.id ?? null,
          tenant: c.to,
        };
        break;
      case "reisolate":
        placements[c.allocation] = { ...placements[c.allocation], context: c.isolation.to?.id ?? null };
        break;
      case "resize":
        placements[c.allocation] = { ...placements[c.allocation], demand: c.to };
        break;
      case "grow": {
        const pool = (pools[c.pool] ??= { devices: {}, source: c.source });
        pool.source = c.source;
        for (const d of c.devices) pool.devices[d.name] = d.zone;
        break;
      }
      case "shrink":
        for (const d of c.devices) delete pools[c.pool].devices[d];
        break;
      case "remove":
        delete pools[c.pool];
        break;
      case "replace":
      case "update":
        pools[c.pool].source = c.source;
        if (c.op === "update" && c.zone !== undefined) pools[c.pool].devices[c.device] = c.zone;
        break;
      case "defer":
        // A move not made: the allocation stays where the previous ledger has it.
        break;
    }
  }
  const next: Record<string, LedgerPool> = {};
  for (const name of Object.keys(pools).sort()) {
    const p = pools[name];
    if (Object.keys(p.devices).length > 0) next[name] = { devices: sorted(p.devices), source: p.source };
  }
  return { placements: sorted(placements), pools: next, version: 2 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * True for a ledger the planner takes as `previous`: version 2 (each pool's devices with their
 * zones, and its source), or version 1 of servicevm 0.1 (pool sizes), which the planner upgrades.
 */
export function isLedger(value: unknown): value is Ledger | LedgerV1 {
  if (!isRecord(value) || !isRecord(value.pools) || !isRecord(value.placements)) return false;
  const pools = Object.values(value.pools);
  if (value.version === 1) return pools.every((n) => typeof n === "number");
  if (value.version !== 2) return false;
  return pools.every((p) => isRecord(p) && isRecord(p.devices) && isRecord(p.source));
}
