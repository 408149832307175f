/** fast-check arbitraries for random fleets: templates, pools, allocations that pass validation. */
import fc from "fast-check";
import { plan } from "../../core/plan";
import { validateSpec } from "../../core/validate";
import type { AllocationSpec, FleetSpec, PoolSpec, TemplateSpec } from "../../core/types";

const CLASSES = ["CUSTOM_SERVICE_SLOT", "CUSTOM_THROUGHPUT_MBPS", "VCPU"] as const;
const TRAITS = ["CUSTOM_A", "CUSTOM_B", "HW_NIC_SRIOV"] as const;
const ZONES = ["az1", "az2"] as const;

/** `arb` one time in `odds`, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, odds: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: odds - 1 }, { arbitrary: arb, weight: 1 });

const inventory = (total: fc.Arbitrary<number>) =>
  fc
    .record({
      total,
      reserved: fc.constantFrom(0, 0, 0, 1, 2),
      minUnit: fc.constantFrom(1, 1, 1, 1, 1, 2),
      maxUnit: fc.constantFrom(2147483647, 2147483647, 2147483647, 8),
      stepSize: fc.constantFrom(1, 1, 1, 1, 1, 1, 2),
      allocationRatio: fc.constantFrom(1, 1, 1, 1, 0.5, 1.5, 0.29, 4),
    })
    .map((inv) => ({ ...inv, reserved: Math.min(inv.reserved, inv.total - 1) }));

export const template: fc.Arbitrary<TemplateSpec> = fc
  .record({
    slots: inventory(fc.integer({ min: 4, max: 24 })),
    extra: fc.subarray(["CUSTOM_THROUGHPUT_MBPS", "VCPU"]),
    extraInv: inventory(fc.integer({ min: 8, max: 64 })),
    traits: fc.constantFrom<string[]>(
      [...TRAITS],
      [...TRAITS],
      ["CUSTOM_A", "HW_NIC_SRIOV"],
      ["CUSTOM_B"],
      [],
    ),
    shared: fc.boolean(),
    last: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ slots, extra, extraInv, traits, shared, last }) => ({
    driver: "docker" as const,
    capacity: { CUSTOM_SERVICE_SLOT: slots, ...Object.fromEntries(extra.map((c) => [c, extraInv])) },
    traits,
    tenancy: shared
      ? { mode: "shared" as const, isolation: "vrf" as const, contexts: { first: 1, last } }
      : { mode: "dedicated" as const },
    docker: { image: "img" },
  }));

export const pool = (templates: number, zones: boolean): fc.Arbitrary<PoolSpec> =>
  fc
    .record({
      template: fc.integer({ min: 0, max: templates - 1 }).map((i) => `t${i}`),
      standby: fc.integer({ min: 0, max: 2 }),
      max: fc.integer({ min: 4, max: 16 }),
      strategy: fc.constantFrom("pack" as const, "spread" as const),
    })
    .map((p) => (zones ? { ...p, zones: ["az1", "az2"] } : p));

export const allocation = (pools: number, zones: boolean): fc.Arbitrary<AllocationSpec> =>
  fc
    .record({
      tenant: fc.constantFrom("t1", "t2", "t3", "t4", "t5"),
      slots: fc.integer({ min: 1, max: 6 }),
      extra: sometimes(fc.tuple(fc.constantFrom(...CLASSES.slice(1)), fc.integer({ min: 1, max: 16 })), 3),
      require: sometimes(fc.constantFrom(...TRAITS), 5),
      forbid: sometimes(fc.constantFrom(...TRAITS), 8),
      zone: sometimes(fc.constantFrom(...ZONES), 3),
      group: sometimes(fc.constantFrom("g1", "g2"), 3),
      pools: sometimes(
        fc.subarray(
          [...Array(pools).keys()].map((i) => `p${i}`),
          { minLength: 1 },
        ),
        2,
      ),
    })
    .map(({ tenant, slots, extra, require, forbid, zone, group, pools: ps }) => {
      const a: AllocationSpec = { tenant, demand: { CUSTOM_SERVICE_SLOT: slots } };
      if (extra !== undefined) a.demand[extra[0]] = extra[1];
      if (require !== undefined) a.require = [require];
      if (forbid !== undefined && forbid !== require) a.forbid = [forbid];
      if (zone !== undefined && zones) a.zone = zone;
      if (group !== undefined) a.antiAffinityGroup = group;
      if (ps !== undefined) a.pools = ps;
      return a;
    });

/** Random fleets that pass validation (placement may still be infeasible for some allocations). */
export const fleet: fc.Arbitrary<FleetSpec> = fc
  .record({ nt: fc.integer({ min: 1, max: 3 }), np: fc.integer({ min: 1, max: 3 }), zones: fc.boolean() })
  .chain(({ nt, np, zones }) =>
    fc.record({
      templates: fc.array(template, { minLength: nt, maxLength: nt }),
      pools: fc.array(pool(nt, zones), { minLength: np, maxLength: np }),
      allocations: fc.array(allocation(np, zones), { maxLength: 30 }),
    }),
  )
  .map(({ templates, pools, allocations }) => ({
    templates: Object.fromEntries(templates.map((t, i) => [`t${i}`, t])),
    pools: Object.fromEntries(pools.map((p, i) => [`p${i}`, p])),
    allocations: Object.fromEntries(allocations.map((a, i) => [`a${String(i).padStart(2, "0")}`, a])),
  }))
  .filter((spec) => validateSpec(spec).length === 0);

/** The spec without the allocations its plan cannot place (repeated until the plan is ok). */
export function feasible(spec: FleetSpec): FleetSpec {
  let current = spec;
  for (let i = 0; i < 5; i++) {
    const result = plan(current);
    if (result.ok) return current;
    const bad = new Set(result.errors.map((e) => e.path.split(".")[1]));
    current = {
      ...current,
      allocations: Object.fromEntries(Object.entries(current.allocations ?? {}).filter(([n]) => !bad.has(n))),
    };
  }
  return current;
}

export const feasibleFleet = fleet.map(feasible);
