/**
 * Change accounting: every difference between the previous ledger and the next one, as the plan's
 * `changes` (DESIGN §3, "The plan tells the whole truth"). `applyChanges` in `ledger.ts` replays
 * them; a property test holds the two to each other over random fleets and edits.
 */
import { sourceEffect } from "./sources";
import { type Alloc, bt, type Dev, type Pool } from "./planModel";
import type {
  AddedDevice,
  Change,
  Isolation,
  Ledger,
  LedgerPlacement,
  LedgerPool,
  ResourceClass,
} from "./types";

/** What the accounting needs from a finished plan. */
export interface Outcome {
  previous: Ledger;
  /** Owned pools of the spec, by name (name order). */
  pools: Map<string, Pool>;
  /** The devices each pool keeps, with the reason of its size. */
  live: Map<string, { live: Dev[]; reason: string }>;
  /** Each owned pool's source with unknown fields (null); declared pools have none. */
  sources: Map<string, Record<string, string | null>>;
  /** Allocations in name order. */
  allocs: Alloc[];
  /** Names of the spec's allocations. */
  specAllocations: Set<string>;
  /** Moves the plan does not make yet, with their reasons (in the order the planner decided). */
  deferred: readonly { allocation: string; device: string; reason: string }[];
  isolation(a: Alloc): Isolation | null;
}

/** Equal demands: the same classes with the same amounts. */
export function sameDemand(x: Record<ResourceClass, number>, y: Record<ResourceClass, number>): boolean {
  if (x === y) return true;
  for (const k in x) if (x[k] !== y[k]) return false;
  for (const k in y) if (!(k in x)) return false;
  return true;
}

function isolationOf(pool: Pool | undefined, context: number | null): Isolation | null {
  if (context === null) return null;
  const t = pool?.tenancy;
  return { id: context, kind: t !== undefined && t.mode === "shared" ? t.isolation : "vrf" };
}

/** Why an allocation's context changed on the same device, for the same tenant. */
function reisolateReason(a: Alloc, dev: Dev, before: number | null): string {
  const t = dev.pool.tenancy;
  const field = bt(`templates.${dev.pool.templateName}.tenancy`);
  if (t.mode !== "shared") return `${field} is now dedicated`;
  if (before === null) return `${field} is now shared`;
  if (before < t.contexts.first || before > t.contexts.last)
    return `context ${before} is outside ${field}.contexts (${t.contexts.first}-${t.contexts.last})`;
  return `tenant ${bt(a.tenant)} holds context ${a.context} on ${bt(dev.name)}`;
}

function allocationChanges(o: Outcome, changes: Change[], placements: Record<string, LedgerPlacement>): void {
  const devicePool = new Map<string, Pool>();
  for (const [name, p] of Object.entries(o.previous.pools)) {
    const pool = o.pools.get(name);
    if (pool !== undefined) for (const d of Object.keys(p.devices)) devicePool.set(d, pool);
  }
  for (const a of o.allocs) {
    const prev = a.prev;
    if (a.claim !== null) {
      if (prev !== undefined)
        changes.push({
          allocation: a.name,
          from: prev.device,
          op: "release",
          reason: `claimed from pool ${bt(a.claim.pool)} of fleet ${bt(a.claim.fleet)}`,
        });
    } else if (a.device !== null) {
      allocationChange(o, a, a.device, devicePool, changes, placements);
    }
  }
  for (const name of Object.keys(o.previous.placements)) {
    if (!o.specAllocations.has(name)) {
      const from = o.previous.placements[name].device;
      changes.push({ allocation: name, from, op: "release", reason: "allocation removed from the spec" });
    }
  }
  changes.sort((x, y) => {
    const a = (x as { allocation: string }).allocation;
    const b = (y as { allocation: string }).allocation;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** The ledger entry of a placed allocation, and its changes: place, or move/retenant/reisolate/resize. */
function allocationChange(
  o: Outcome,
  a: Alloc,
  dev: Dev,
  devicePool: Map<string, Pool>,
  changes: Change[],
  placements: Record<string, LedgerPlacement>,
): void {
  const prev = a.prev;
  const demandChanged =
    prev === undefined || prev.demand === undefined || !sameDemand(prev.demand, a.spec.demand);
  if (
    prev !== undefined &&
    !demandChanged &&
    prev.device === dev.name &&
    prev.tenant === a.tenant &&
    prev.context === a.context
  ) {
    placements[a.name] = prev; // unchanged: shared with the previous ledger, never mutated
    return;
  }
  // Classes in code-unit order (`a.demand` is sorted): two specs that differ in key order plan alike.
  const demand = prev?.demand !== undefined && !demandChanged ? prev.demand : Object.fromEntries(a.demand);
  const to = o.isolation(a);
  placements[a.name] = { context: a.context, demand, device: dev.name, tenant: a.tenant };
  if (prev === undefined) {
    changes.push({ allocation: a.name, demand, isolation: to, op: "place", tenant: a.tenant, to: dev.name });
    return;
  }
  const isolation = { from: isolationOf(devicePool.get(prev.device), prev.context), to };
  if (prev.device !== dev.name) {
    const reason = a.movedFrom?.reason ?? `device ${bt(prev.device)} removed`;
    changes.push({ allocation: a.name, from: prev.device, isolation, op: "move", reason, to: dev.name });
  }
  if (prev.tenant !== a.tenant) {
    changes.push({
      allocation: a.name,
      device: dev.name,
      from: prev.tenant,
      isolation,
      op: "retenant",
      to: a.tenant,
    });
  } else if (prev.device === dev.name && prev.context !== a.context) {
    const reason = reisolateReason(a, dev, prev.context);
    changes.push({ allocation: a.name, device: dev.name, isolation, op: "reisolate", reason });
  }
  if (demandChanged) {
    changes.push({ allocation: a.name, device: dev.name, from: prev.demand ?? {}, op: "resize", to: demand });
  }
}

/** The next source: unknown fields keep their previous digest (or stay out when there is none). */
function knownSource(
  next: Record<string, string | null>,
  before: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(next).sort()) {
    const v = next[k] ?? before[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function sameSource(x: Record<string, string>, y: Record<string, string>): boolean {
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
}

function impact(dev: Dev): { allocations: string[]; device: string; tenants: string[] } {
  return {
    allocations: dev.allocs.map((a) => a.name).sort(),
    device: dev.name,
    tenants: [...dev.tenants.keys()].sort(),
  };
}

function poolChanges(o: Outcome, changes: Change[], pools: Record<string, LedgerPool>): void {
  for (const name of Object.keys(o.previous.pools).sort()) {
    if (!o.pools.has(name)) {
      const devices = Object.keys(o.previous.pools[name].devices).sort();
      const hosted = Object.entries(o.previous.placements)
        .filter(([, p]) => Object.hasOwn(o.previous.pools[name].devices, p.device))
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      changes.push({
        allocations: hosted.map(([allocation]) => allocation),
        devices,
        op: "remove",
        pool: name,
        reason: `pool ${bt(name)} is no longer owned by the spec`,
        tenants: [...new Set(hosted.map(([, p]) => p.tenant))].sort(),
      });
    }
  }
  for (const [name, pool] of o.pools) {
    const { live, reason } = o.live.get(name)!;
    const before = o.previous.pools[name];
    const recorded = before?.devices ?? {};
    const beforeSource = before?.source ?? {};
    const nextSource = o.sources.get(name) ?? {};
    const source = knownSource(nextSource, beforeSource);
    const devices: Record<string, string | null> = {};
    for (const d of live) devices[d.name] = d.zone;
    if (live.length > 0)
      pools[name] =
        sameSource(source, beforeSource) && before !== undefined && sameZones(recorded, devices)
          ? before
          : { devices, source };
    const added: AddedDevice[] = live
      .filter((d) => !Object.hasOwn(recorded, d.name))
      .map((d) => ({ name: d.name, zone: d.zone }));
    const kept = new Set(live.map((d) => d.name));
    const removed = Object.keys(recorded)
      .filter((d) => !kept.has(d))
      .sort();
    const from = Object.keys(recorded).length;
    if (added.length > 0)
      changes.push({ devices: added, from, op: "grow", pool: name, reason, source, to: live.length });
    if (removed.length > 0) {
      const retired = removed.filter((d) => pool.devices.some((x) => x.name === d && x.retired));
      const why =
        retired.length > 0
          ? `${reason}; ${retired.map(bt).join(", ")} retired: zone removed from \`pools.${name}.zones\``
          : reason;
      changes.push({ devices: removed, from, op: "shrink", pool: name, reason: why, to: live.length });
    }
    const changed = Object.keys({ ...beforeSource, ...nextSource })
      .filter((k) => nextSource[k] !== null && beforeSource[k] !== nextSource[k])
      .sort();
    const unknown = Object.keys(nextSource)
      .filter((k) => nextSource[k] === null)
      .sort();
    for (const dev of live) {
      if (!Object.hasOwn(recorded, dev.name)) continue;
      const zoneMoved = pool.declared && recorded[dev.name] !== dev.zone;
      if (changed.length === 0 && unknown.length === 0 && !zoneMoved) continue;
      const fields = zoneMoved ? [...changed, "zone"].sort() : changed;
      const replace = [...changed, ...unknown].some((f) => sourceEffect(f) === "replace");
      const base = { ...impact(dev), changed: fields, pool: name, source, unknown };
      changes.push(
        replace && !pool.declared
          ? { ...base, op: "replace" }
          : {
              ...base,
              op: "update",
              ...(zoneMoved ? { fromZone: recorded[dev.name], zone: dev.zone } : {}),
            },
      );
    }
  }
}

function sameZones(x: Record<string, string | null>, y: Record<string, string | null>): boolean {
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.hasOwn(y, k) && x[k] === y[k]);
}

/** The next ledger and the changes that lead to it from the previous one. */
export function account(o: Outcome): { changes: Change[]; ledger: Ledger } {
  const allocChanges: Change[] = [];
  const placements: Record<string, LedgerPlacement> = {};
  allocationChanges(o, allocChanges, placements);
  const deferred = [...o.deferred].sort((x, y) =>
    x.allocation < y.allocation ? -1 : x.allocation > y.allocation ? 1 : 0,
  );
  for (const d of deferred) allocChanges.push({ op: "defer", ...d });
  const devChanges: Change[] = [];
  const pools: Record<string, LedgerPool> = {};
  poolChanges(o, devChanges, pools);
  return { changes: [...allocChanges, ...devChanges], ledger: { placements, pools, version: 2 } };
}
