/**
 * fast-check arbitraries for the model-based property over many applies (sequences.test.ts):
 * small random fleets with the day-2 knobs (drain, budgets, breaker, rebalancing, zones, unit
 * rules, both tenancies) and random sequences of operations on them. Operations are plain data
 * (indexes into the current spec and ledger, resolved when applied), so a shrunk counterexample
 * prints as JSON and replays as it is.
 */
import fc from "fast-check";
import { compareNatural } from "../../core/order";
import { feasible } from "./arbitraries";
import { validateSpec } from "../../core/validate";
import type {
  AllocationSpec,
  DrainSpec,
  FleetSpec,
  HealthMap,
  InventorySpec,
  Ledger,
  OwnedPoolSpec,
  TemplateSpec,
} from "../../core/types";

export const SLOT = "CUSTOM_SERVICE_SLOT";
export const MBPS = "CUSTOM_THROUGHPUT_MBPS";
const ZONE_SETS: (string[] | null)[] = [null, ["az1"], ["az2"], ["az1", "az2"], ["az1", "az2", "az3"]];
const TENANTS = ["t1", "t2", "t3", "t4"] as const;

/** `arb` one time in `odds`, else null. */
const sometimes = <T>(arb: fc.Arbitrary<T>, odds: number): fc.Arbitrary<T | null> =>
  fc.oneof({ arbitrary: fc.constant(null), weight: odds - 1 }, { arbitrary: arb, weight: 1 });

/** A docker template: slots (a bare total or an inventory with reserved/ratio), maybe Mbps with unit rules. */
const template: fc.Arbitrary<TemplateSpec> = fc
  .record({
    slots: fc.integer({ min: 3, max: 8 }),
    reserved: fc.constantFrom(0, 0, 0, 1),
    ratio: fc.constantFrom(1, 1, 1, 1.5),
    mbps: sometimes(
      fc.record({
        total: fc.constantFrom(100, 200, 500),
        stepSize: fc.constantFrom(1, 10, 10),
        minUnit: fc.constantFrom(1, 10),
      }),
      3,
    ),
    shared: fc.boolean(),
    contexts: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ slots, reserved, ratio, mbps, shared, contexts }) => {
    const slot: InventorySpec =
      reserved === 0 && ratio === 1 ? slots : { total: slots, reserved, allocationRatio: ratio };
    const capacity: Record<string, InventorySpec> = { [SLOT]: slot };
    if (mbps !== null) capacity[MBPS] = mbps;
    return {
      driver: "docker" as const,
      capacity,
      tenancy: shared
        ? { mode: "shared" as const, isolation: "vrf" as const, contexts: { first: 1, last: contexts } }
        : { mode: "dedicated" as const },
      docker: { image: "img" },
    };
  });

const pool = (templates: number): fc.Arbitrary<OwnedPoolSpec> =>
  fc
    .record({
      template: fc.nat({ max: templates - 1 }),
      standby: fc.integer({ min: 0, max: 2 }),
      min: fc.constantFrom(0, 0, 1, 2),
      max: fc.integer({ min: 2, max: 6 }),
      strategy: fc.constantFrom("pack" as const, "spread" as const),
      zones: fc.constantFrom(...ZONE_SETS),
      disruptionBudget: fc.constantFrom(null, null, 0, 1, 2),
      maxUnhealthyShare: fc.constantFrom(null, null, 0.3, 0.5, 0.7),
      rebalance: fc.constantFrom(0, 1, 2),
    })
    .map((p) => {
      const out: OwnedPoolSpec = {
        template: `t${p.template}`,
        standby: Math.min(p.standby, p.max),
        min: Math.min(p.min, p.max),
        max: p.max,
        strategy: p.strategy,
      };
      if (p.zones !== null) out.zones = [...p.zones];
      if (p.disruptionBudget !== null) out.disruptionBudget = p.disruptionBudget;
      if (p.maxUnhealthyShare !== null) out.maxUnhealthyShare = p.maxUnhealthyShare;
      if (p.rebalance > 0) out.rebalance = p.rebalance;
      return out;
    });

/** An allocation: slots, maybe Mbps (sometimes off a 10-step), maybe pools, a zone, a group, a pin. */
export const allocation = (pools: number): fc.Arbitrary<AllocationSpec> =>
  fc
    .record({
      tenant: fc.constantFrom(...TENANTS),
      slots: fc.integer({ min: 1, max: 4 }),
      mbps: sometimes(fc.constantFrom(10, 20, 50, 100, 150, 55), 3),
      pools: sometimes(fc.subarray([...Array(pools).keys()], { minLength: 1 }), 3),
      zone: sometimes(fc.constantFrom("az1", "az2"), 5),
      group: sometimes(fc.constantFrom("g1", "g2"), 5),
      pin: sometimes(fc.tuple(fc.nat({ max: pools - 1 }), fc.nat({ max: 1 })), 12),
    })
    .map(({ tenant, slots, mbps, pools: ps, zone, group, pin }) => {
      const a: AllocationSpec = { tenant, demand: { [SLOT]: slots } };
      if (mbps !== null) a.demand[MBPS] = mbps;
      if (ps !== null) a.pools = ps.map((i) => `p${i}`);
      if (zone !== null) a.zone = zone;
      if (group !== null) a.antiAffinityGroup = group;
      if (pin !== null) a.device = `p${pin[0]}-${pin[1]}`;
      return a;
    });

/** A valid fleet spec: 1-2 templates, 1-3 pools, 1-7 allocations. */
export const fleet: fc.Arbitrary<FleetSpec> = fc
  .record({ nt: fc.integer({ min: 1, max: 2 }), np: fc.integer({ min: 1, max: 3 }) })
  .chain(({ nt, np }) =>
    fc.record({
      templates: fc.array(template, { minLength: nt, maxLength: nt }),
      pools: fc.array(pool(nt), { minLength: np, maxLength: np }),
      allocations: fc.array(allocation(np), { minLength: 1, maxLength: 7 }),
    }),
  )
  .map(({ templates, pools, allocations }) => ({
    templates: Object.fromEntries(templates.map((t, i) => [`t${i}`, t])),
    pools: Object.fromEntries(pools.map((p, i) => [`p${i}`, p])),
    allocations: Object.fromEntries(allocations.map((a, i) => [`a${i}`, a])),
  }))
  .map(dropInvalidAllocations)
  .filter((spec) => validateSpec(spec).length === 0)
  .map(feasible);

/** The spec without allocations that alone make it invalid (a zone no pool has, a pin out of range...). */
function dropInvalidAllocations(spec: FleetSpec): FleetSpec {
  const bad = new Set(
    validateSpec(spec)
      .map((e) => /^allocations\.([^.]+)/.exec(e.path)?.[1])
      .filter((n): n is string => n !== undefined),
  );
  if (bad.size === 0) return spec;
  const allocations = Object.fromEntries(Object.entries(spec.allocations ?? {}).filter(([n]) => !bad.has(n)));
  return { ...spec, allocations };
}

/**
 * One operation between two applies. Numbers that name a device, pool, allocation or drain entry
 * are indexes, taken modulo the current list when applied (so shrinking never makes one dangle).
 */
export type Op =
  | { op: "drain"; device: number; remove: boolean }
  | { op: "undrain"; entry: number }
  | { op: "health"; device: number; healthy: boolean }
  | { op: "budget"; pool: number; budget: number | null }
  | { op: "breaker"; pool: number; share: number | null }
  | { op: "rebalance"; pool: number; rebalance: number; strategy: "pack" | "spread" }
  | { op: "max"; pool: number; max: number }
  | { op: "standby"; pool: number; standby: number; min: number }
  | { op: "zones"; pool: number; zones: string[] | null }
  | { op: "demand"; allocation: number; slots: number; mbps: number | null }
  | { op: "add"; allocation: AllocationSpec }
  | { op: "release"; allocation: number };

/** One apply: the operations made to the spec and health before it (none: plan again), and a probe
 * that picks what the step's extra checks (headroom, explain) look at. */
export interface Step {
  ops: Op[];
  probe: number;
}

const index = fc.nat({ max: 40 });

export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("drain" as const), device: index, remove: fc.boolean() }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant("undrain" as const), entry: index }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant("health" as const), device: index, healthy: fc.boolean() }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("budget" as const),
      pool: index,
      budget: fc.constantFrom(null, 0, 1, 2),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("breaker" as const),
      pool: index,
      share: fc.constantFrom(null, 0.3, 0.5, 0.7),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("rebalance" as const),
      pool: index,
      rebalance: fc.integer({ min: 0, max: 2 }),
      strategy: fc.constantFrom("pack" as const, "spread" as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("max" as const),
      pool: index,
      max: fc.integer({ min: 1, max: 6 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("standby" as const),
      pool: index,
      standby: fc.integer({ min: 0, max: 3 }),
      min: fc.constantFrom(0, 0, 1, 2),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("zones" as const),
      pool: index,
      zones: fc.constantFrom(...ZONE_SETS),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("demand" as const),
      allocation: index,
      slots: fc.integer({ min: 1, max: 5 }),
      mbps: fc.constantFrom(null, null, 10, 50, 100, 200, 55),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant("add" as const), allocation: allocation(3) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("release" as const), allocation: index }), weight: 2 },
);

export const step: fc.Arbitrary<Step> = fc.record({
  ops: fc.oneof(
    { arbitrary: fc.constant<Op[]>([]), weight: 1 },
    { arbitrary: fc.array(op, { minLength: 1, maxLength: 3 }), weight: 4 },
  ),
  probe: fc.nat(),
});

const pick = <T>(items: readonly T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

/** Every device a ledger records, pools and devices in name order (natural order for devices). */
export function ledgerDeviceNames(ledger: Ledger): string[] {
  return Object.keys(ledger.pools)
    .sort()
    .flatMap((p) => Object.keys(ledger.pools[p].devices).sort(compareNatural));
}

export const drainName = (entry: DrainSpec): string => (typeof entry === "string" ? entry : entry.device);

/**
 * Applies one operation to a copy of the spec (returned) and to `health` (in place). Devices are
 * picked among the ones the previous ledger records, allocations and pools among the spec's.
 */
export function applyOp(spec: FleetSpec, health: HealthMap, ledger: Ledger, o: Op): FleetSpec {
  const next = structuredClone(spec);
  const pools = Object.keys(next.pools).sort();
  const allocations = Object.keys(next.allocations ?? {}).sort();
  const poolOf = (n: number): OwnedPoolSpec | undefined => {
    const name = pick(pools, n);
    return name === undefined ? undefined : (next.pools[name] as OwnedPoolSpec);
  };
  const set = <K extends keyof OwnedPoolSpec>(
    p: OwnedPoolSpec,
    key: K,
    value: OwnedPoolSpec[K] | null,
  ): void => {
    if (value === null) delete p[key];
    else p[key] = value;
  };
  switch (o.op) {
    case "drain": {
      const drained = new Set((next.drain ?? []).map(drainName));
      const device = pick(
        ledgerDeviceNames(ledger).filter((d) => !drained.has(d)),
        o.device,
      );
      if (device !== undefined)
        next.drain = [...(next.drain ?? []), o.remove ? { device, remove: true } : device];
      break;
    }
    case "undrain": {
      const entries = next.drain ?? [];
      if (entries.length > 0) {
        entries.splice(o.entry % entries.length, 1);
        if (entries.length === 0) delete next.drain;
      }
      break;
    }
    case "health": {
      const device = pick(ledgerDeviceNames(ledger), o.device);
      if (device !== undefined) {
        if (o.healthy) delete health[device];
        else health[device] = false;
      }
      break;
    }
    case "budget": {
      const p = poolOf(o.pool);
      if (p !== undefined) set(p, "disruptionBudget", o.budget);
      break;
    }
    case "breaker": {
      const p = poolOf(o.pool);
      if (p !== undefined) set(p, "maxUnhealthyShare", o.share);
      break;
    }
    case "rebalance": {
      const p = poolOf(o.pool);
      if (p !== undefined) {
        set(p, "rebalance", o.rebalance === 0 ? null : o.rebalance);
        p.strategy = o.strategy;
      }
      break;
    }
    case "max": {
      const p = poolOf(o.pool);
      if (p !== undefined) {
        p.max = o.max;
        if ((p.min ?? 0) > o.max) p.min = o.max;
        if ((p.standby ?? 0) > o.max) p.standby = o.max;
      }
      break;
    }
    case "standby": {
      const p = poolOf(o.pool);
      if (p !== undefined) {
        p.standby = Math.min(o.standby, p.max ?? 100);
        p.min = Math.min(o.min, p.max ?? 100);
      }
      break;
    }
    case "zones": {
      const p = poolOf(o.pool);
      if (p !== undefined) set(p, "zones", o.zones === null ? null : [...o.zones]);
      break;
    }
    case "demand": {
      const name = pick(allocations, o.allocation);
      if (name !== undefined) {
        const demand: Record<string, number> = { [SLOT]: o.slots };
        if (o.mbps !== null) demand[MBPS] = o.mbps;
        next.allocations![name].demand = demand;
      }
      break;
    }
    case "add": {
      const added = structuredClone(o.allocation);
      if (added.pools !== undefined) {
        added.pools = added.pools.filter((p) => pools.includes(p));
        if (added.pools.length === 0) delete added.pools;
      }
      let n = 0;
      while (Object.hasOwn(next.allocations ?? {}, `b${n}`)) n++;
      next.allocations = { ...next.allocations, [`b${n}`]: added };
      break;
    }
    case "release": {
      const name = pick(allocations, o.allocation);
      if (name !== undefined) delete next.allocations![name];
      break;
    }
  }
  return next;
}
