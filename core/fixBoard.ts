/**
 * What the fix candidates are made from (`fixFamilies.ts`): a candidate's shape, and readings of
 * the planner's board — every reason a device refuses an allocation, what an empty device or a
 * smaller demand would take — plus the spec edits the candidates make (copies, never mutations).
 */
import { capacityOf, unitViolation } from "./inventory";
import { type Alloc, type Dev, type Pool, Refusal } from "./planModel";
import type { AllocationSpec, FleetSpec, OwnedPoolSpec, TemplateSpec } from "./types";

/** A single spec change offered as a fix. */
export interface FixCandidate {
  /** What to change, in words, with every number of the edit: "raise `pools.fw.max` from 2 to 3". */
  change: string;
  /** The spec path it changes (dot-separated). */
  path: string;
  /** How big the change is (devices or contexts added; 1 for a relaxed constraint): fixes sort by it. */
  size: number;
  /** The changed spec; the input is not mutated. */
  edit: (spec: FleetSpec) => FleetSpec;
}

/** What the candidates are made from: the spec, the allocation as the planner sees it, the board's refusal. */
export interface FixContext {
  spec: FleetSpec;
  a: Alloc;
  refusal: (dev: Dev, a: Alloc) => Refusal;
}

/** One candidate, or a family of growing ones (`make(k)`, k devices or contexts more). */
export type FixFamily =
  { kind: "one"; fix: FixCandidate } | { kind: "growth"; make: (k: number) => FixCandidate; most: number };

/** Largest number of devices or contexts a fix adds. */
export const MAX_GROWTH = 1024;

/**
 * Every reason `dev` refuses `a`, found by lifting each reason the board names in turn (the
 * board's own checks, in its order); a capacity or unit refusal comes last and ends the search.
 */
export function blockersOf(ctx: FixContext, dev: Dev): Set<Refusal> {
  const out = new Set<Refusal>();
  const saved = { drained: dev.drained, healthy: dev.healthy, retired: dev.retired };
  let b: Alloc = ctx.a;
  try {
    for (;;) {
      const r = ctx.refusal(dev, b);
      if (r === Refusal.OK) return out;
      out.add(r);
      switch (r) {
        case Refusal.Unhealthy:
          dev.healthy = true;
          break;
        case Refusal.Retired:
          dev.retired = false;
          break;
        case Refusal.Drained:
          dev.drained = false;
          break;
        case Refusal.Traits:
          b = { ...b, forbid: [], require: [], requireAny: [] };
          break;
        case Refusal.Zone:
          b = { ...b, zone: null };
          break;
        case Refusal.Group:
          b = { ...b, group: null };
          break;
        case Refusal.Dedicated:
        case Refusal.Contexts:
          b = { ...b, tenant: [...dev.tenants.keys()][0] ?? b.tenant };
          break;
        default:
          return out;
      }
    }
  } finally {
    dev.healthy = saved.healthy;
    dev.retired = saved.retired;
    dev.drained = saved.drained;
  }
}

/** Whether some device of the allocation's pools refuses only for reasons in `lifted`. */
export function someDevice(
  blockers: Map<Dev, Set<Refusal>>,
  lifted: Refusal[],
  where = (_: Dev) => true,
): boolean {
  for (const [dev, b] of blockers) {
    if (!where(dev) || b.size === 0) continue;
    if ([...b].every((r) => lifted.includes(r))) return true;
  }
  return false;
}

export function withAllocation(spec: FleetSpec, name: string, edit: (a: AllocationSpec) => void): FleetSpec {
  const a = structuredClone(spec.allocations![name]);
  edit(a);
  return { ...spec, allocations: { ...spec.allocations, [name]: a } };
}

export function withPool(spec: FleetSpec, pool: string, edit: (p: OwnedPoolSpec) => void): FleetSpec {
  const p = structuredClone(spec.pools[pool] as OwnedPoolSpec);
  edit(p);
  return { ...spec, pools: { ...spec.pools, [pool]: p } };
}

export function withTemplate(spec: FleetSpec, name: string, edit: (t: TemplateSpec) => void): FleetSpec {
  const t = structuredClone(spec.templates[name]);
  edit(t);
  return { ...spec, templates: { ...spec.templates, [name]: t } };
}

export function traitsOf(template: TemplateSpec, a: Alloc): boolean {
  const has = new Set(template.traits ?? []);
  return (
    a.require.every((t) => has.has(t)) &&
    !a.forbid.some((t) => has.has(t)) &&
    a.requireAny.every((set) => set.some((t) => has.has(t)))
  );
}

/**
 * Whether an empty new device of `pool` would take the allocation: its template has the traits,
 * every demanded class with room for the amount when empty and unit rules that accept it, and
 * (`zone`) the pool creates devices in the allocation's zone.
 */
export function newDeviceMayTake(pool: Pool, a: Alloc, zone: boolean): boolean {
  const sample = pool.devices[0];
  if (sample === undefined || !traitsOf(pool.template, a)) return false;
  if (zone && a.zone !== null && !(pool.spec.zones ?? []).includes(a.zone)) return false;
  return a.demand.every(([rc, amount]) => {
    const inv = sample.inv[pool.classIndex.get(rc) ?? -1];
    return inv !== undefined && unitViolation(inv, amount) === null && capacityOf(inv) >= amount;
  });
}

/** The isolation a template shared for a fix gets: what its driver supports best. */
export function isolationFor(t: TemplateSpec): "vrf" | "vlan" | "namespace" {
  return t.driver === "physical" ? "vlan" : t.driver === "docker" ? "namespace" : "vrf";
}

/** A demand amount of `rc` near `amount` that a device's free room and unit rules accept, or null. */
export function amountThatFits(dev: Dev, rc: string, amount: number, up: boolean): number | null {
  const i = dev.pool.classIndex.get(rc);
  const inv = i === undefined ? undefined : dev.inv[i];
  if (inv === undefined) return null;
  const free = dev.cap[i!] - dev.used[i!];
  const step = inv.stepSize;
  let v = up ? Math.ceil(amount / step) * step : Math.floor(Math.min(amount, free) / step) * step;
  if (!up && v === amount) v -= step;
  v = Math.min(v, inv.maxUnit);
  if (v < inv.minUnit || v <= 0 || v > free || v % step !== 0 || v === amount) return null;
  return v;
}

/** Whether every other demanded class fits `dev` as demanded. */
export function othersFit(dev: Dev, a: Alloc, rc: string): boolean {
  return a.demand.every(([c, amount]) => {
    if (c === rc) return true;
    const i = dev.pool.classIndex.get(c);
    const inv = i === undefined ? undefined : dev.inv[i];
    return inv !== undefined && unitViolation(inv, amount) === null && dev.cap[i!] - dev.used[i!] >= amount;
  });
}

/** The fleet's device names, so a device declared for a check gets a name of its own. */
export function usedNames(spec: FleetSpec, pools: readonly Pool[]): Set<string> {
  const names = new Set<string>(Object.keys(spec.pools));
  for (const p of pools) for (const d of p.devices) names.add(d.name);
  for (const p of Object.values(spec.pools))
    for (const d of (p as OwnedPoolSpec).devices ?? []) names.add(d.name);
  return names;
}
