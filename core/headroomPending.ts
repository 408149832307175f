/**
 * Room `capacity` holds back for moves a later plan makes (`headroom.ts`): allocations left on a
 * drained or retired device, and those the circuit breaker holds on an unhealthy one. Each holds
 * its demand on a device of its pools, where it costs the measured shape the most (`fits`: how
 * many of the shape a device takes), and gives it back after the shape is counted.
 */
import { unitViolation } from "./inventory";
import type { Dev, Pool } from "./planModel";
import type { AllocationSpec, FleetSpec, Ledger, ResourceClass } from "./types";

/** An allocation a plan left on a drained or retired device, whose move a later plan makes. */
export interface PendingMove {
  /** Held by the circuit breaker: once let go it is placed with the new allocations, not after them. */
  held: boolean;
  from: Dev;
  a: AllocationSpec;
  tenant: string;
  demand: Record<ResourceClass, number>;
}

/**
 * The pending moves of a ledger: allocations left on a drained or retired device (deferred moves a
 * later plan makes) and on an unhealthy device the circuit breaker holds (evacuated once it lets
 * go: capacity never promises room those need). Moves no plan makes are none: pinned there, or off
 * a drained or retired device of a pool with `disruptionBudget` 0.
 */
export function pendingMoves(spec: FleetSpec, ledger: Ledger, pools: Pool[]): PendingMove[] {
  const devices = new Map<string, Dev>();
  for (const pool of pools) for (const dev of pool.devices) devices.set(dev.name, dev);
  const moves: PendingMove[] = [];
  for (const name of Object.keys(ledger.placements).sort()) {
    const p = ledger.placements[name];
    const from = devices.get(p.device);
    const a = spec.allocations?.[name];
    if (from === undefined || a === undefined || a.device === from.name) continue;
    // Held by the circuit breaker: it moves as soon as the breaker lets go (a grown pool can).
    const held = !from.healthy && from.pool.breaker !== null;
    const leaving = (from.drained || from.retired) && from.pool.spec.disruptionBudget !== 0;
    if (!held && !leaving) continue;
    moves.push({ a, demand: p.demand ?? a.demand, from, held, tenant: p.tenant });
  }
  return moves;
}

/**
 * Room a pending move still needs is not offered: each pending move holds its demand on a device
 * of its pools that takes it (health, traits, zone, tenancy, unit rules, capacity), the one where
 * holding it costs the measured shape the most (ties: the lowest number), so the count is one the
 * next plan places without delaying the move. Returns how to give the room back.
 */
export function holdPendingMoves(
  moves: readonly PendingMove[],
  pools: readonly Pool[],
  fits: (d: Dev) => number,
): () => void {
  const undo: (() => void)[] = [];
  for (const { from, a, tenant: owner, demand, held } of moves) {
    // A drain's move that a device one of its pools may still create would take needs no room:
    // placed after the new allocations, it goes there. A move the breaker lets go competes with
    // them for the devices that exist, so it always holds room, on any of its pools' devices.
    const its = pools.filter((p) => p === from.pool || eligible(a, p));
    if (!held && its.some((p) => p.devices.some((d) => !d.existing && takesMove(d, a, owner, demand))))
      continue;
    const options = its.flatMap((p) =>
      p.devices.filter((d) => d !== from && d.existing && takesMove(d, a, owner, demand)),
    );
    // Where the move lands depends on where the new allocations go first (pack and spread fill
    // devices in different orders): holding it where it costs the shape the most keeps the count
    // one that fits, a lower bound while moves are pending.
    let to: Dev | null = null;
    let most = -1;
    for (const d of options) {
      const before = fits(d);
      const release = hold(d, owner, demand);
      const cost = before - fits(d);
      release();
      if (cost > most) [to, most] = [d, cost];
    }
    if (to !== null) undo.push(hold(to, owner, demand));
  }
  return () => {
    for (const release of undo.reverse()) release();
  };
}

/** Puts `demand` of `tenant` on `d` (a new isolation context when the tenant is new there); returns its undo. */
function hold(d: Dev, tenant: string, demand: Record<ResourceClass, number>): () => void {
  for (const rc of Object.keys(demand)) d.used[d.pool.classIndex.get(rc)!] += demand[rc];
  let slot = d.tenants.get(tenant);
  let context: number | null = null;
  const added = slot === undefined;
  if (slot === undefined) {
    const t = d.pool.tenancy;
    if (t.mode === "shared")
      for (let id = t.contexts.first; id <= t.contexts.last && context === null; id++)
        if (!d.contexts.has(id)) context = id;
    if (context !== null) d.contexts.add(context);
    d.tenants.set(tenant, (slot = { context, count: 0 }));
  }
  slot.count++;
  return () => {
    for (const rc of Object.keys(demand)) d.used[d.pool.classIndex.get(rc)!] -= demand[rc];
    slot.count--;
    if (added) {
      d.tenants.delete(tenant);
      if (context !== null) d.contexts.delete(context);
    }
  };
}

/** The allocation may use the pool: one of its `pools`, or, without them, a template that hosts its service type. */
function eligible(a: AllocationSpec, pool: Pool): boolean {
  if (a.pools !== undefined) return a.pools.includes(pool.name);
  const types = pool.template.serviceTypes;
  return a.serviceType === undefined || types === undefined || types.includes(a.serviceType);
}

/** The device would take the allocation now, as the planner checks a device. */
function takesMove(
  d: Dev,
  a: AllocationSpec,
  tenant: string,
  demand: Record<ResourceClass, number>,
): boolean {
  if (!d.healthy || d.drained || d.retired) return false;
  if ((a.require ?? []).some((t) => !d.traits.has(t))) return false;
  if ((a.forbid ?? []).some((t) => d.traits.has(t))) return false;
  if ((a.requireAny ?? []).some((set) => !set.some((t) => d.traits.has(t)))) return false;
  if (a.zone !== undefined && d.zone !== a.zone) return false;
  if (a.antiAffinityGroup !== undefined && d.groups.has(a.antiAffinityGroup)) return false;
  if (!d.tenants.has(tenant)) {
    if (d.pool.tenancy.mode === "dedicated" ? d.tenants.size > 0 : d.contexts.size >= d.pool.contextCount)
      return false;
  }
  for (const rc of Object.keys(demand)) {
    const i = d.pool.classIndex.get(rc);
    const inv = i === undefined ? undefined : d.inv[i];
    if (inv === undefined || unitViolation(inv, demand[rc]) !== null) return false;
    if (d.cap[i!] < d.used[i!] + demand[rc]) return false;
  }
  return true;
}
