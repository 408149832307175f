import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plan } from "../../core/plan";
import { validateSpec } from "../../core/validate";
import type { AllocationSpec, FleetSpec, OwnedPoolSpec, TemplateSpec } from "../../core/types";
import { feasibleFleet } from "./arbitraries";

const SLOT = "CUSTOM_SERVICE_SLOT";

function docker(
  slots: number | { total: number; allocationRatio: number },
  extra: Partial<TemplateSpec> = {},
): TemplateSpec {
  return { capacity: { [SLOT]: slots }, docker: { image: "haproxy:2.9" }, driver: "docker", ...extra };
}

function alloc(tenant: string, slots: number, extra: Partial<AllocationSpec> = {}): AllocationSpec {
  return { demand: { [SLOT]: slots }, tenant, ...extra };
}

function fleet(
  allocations: Record<string, AllocationSpec>,
  pool: Partial<OwnedPoolSpec> = {},
  template = docker(8),
): FleetSpec {
  return { allocations, pools: { lb: { template: "t8", ...pool } }, templates: { t8: template } };
}

describe("the allocation that changed moves", () => {
  it("moves the allocation that grew, not its unchanged neighbour, and names the growth", () => {
    const spec = fleet({ big: alloc("t1", 2), small: alloc("t1", 1) }, {}, docker(4));
    const first = plan(spec);
    expect(first.placements.big.device).toBe("lb-0");
    expect(first.placements.small.device).toBe("lb-0");
    spec.allocations!.big.demand[SLOT] = 4;
    const second = plan(spec, { previous: first.ledger });
    expect(second.placements.small.device).toBe("lb-0");
    expect(second.changes.filter((c) => c.op === "move")).toEqual([
      {
        allocation: "big",
        from: "lb-0",
        isolation: { from: null, to: null },
        op: "move",
        reason: "`big` grew from 2 to 4 CUSTOM_SERVICE_SLOT; `lb-0` has 1 free",
        to: "lb-1",
      },
    ]);
  });

  it("reports a demand change that still fits as a resize and moves nothing", () => {
    const spec = fleet({ big: alloc("t1", 2), small: alloc("t1", 1) });
    const first = plan(spec);
    spec.allocations!.big.demand[SLOT] = 5;
    expect(plan(spec, { previous: first.ledger }).changes).toEqual([
      { allocation: "big", device: "lb-0", from: { [SLOT]: 2 }, op: "resize", to: { [SLOT]: 5 } },
    ]);
  });

  it("keeps a grown allocation that fits nowhere else by moving an unchanged neighbour that fits elsewhere", () => {
    const spec = fleet(
      {
        big: alloc("t1", 2, { device: "lb-0" }),
        other: alloc("t1", 2, { device: "lb-1" }),
        small: alloc("t1", 1, { device: "lb-0" }),
      },
      { max: 2 },
      docker(4),
    );
    const first = plan(spec);
    for (const a of Object.values(spec.allocations!)) delete a.device;
    spec.allocations!.big.demand[SLOT] = 4;
    const second = plan(spec, { previous: first.ledger });
    expect(second.ok).toBe(true);
    expect(second.changes).toEqual([
      { allocation: "big", device: "lb-0", from: { [SLOT]: 2 }, op: "resize", to: { [SLOT]: 4 } },
      {
        allocation: "small",
        from: "lb-0",
        isolation: { from: null, to: null },
        op: "move",
        reason: "`big` grew from 2 to 4 CUSTOM_SERVICE_SLOT on `lb-0` and fits on no other device",
        to: "lb-1",
      },
    ]);
  });

  it("moves no unchanged allocation while the changed ones can be placed without moving it", () => {
    fc.assert(
      fc.property(feasibleFleet, fc.nat(), fc.nat(), (spec, d, n) => {
        const first = plan(spec);
        // Grow one allocation of a shared device just past what is free there.
        const crowded = Object.keys(first.devices).filter((x) => first.devices[x].allocations.length > 1);
        fc.pre(first.ok && crowded.length > 0);
        const device = first.devices[crowded[d % crowded.length]];
        const grown = device.allocations[n % device.allocations.length];
        const next = structuredClone(spec);
        next.allocations![grown].demand[SLOT] += Math.floor(device.free[SLOT]) + 1;
        fc.pre(validateSpec(next).length === 0);
        const second = plan(next, { previous: first.ledger });
        fc.pre(second.ok);
        for (const c of second.changes) {
          if (c.op !== "move" || c.allocation === grown) continue;
          // An unchanged allocation moved. With it pinned where it was and the grown one placed
          // afresh (no previous placement), the grown one must fit nowhere: else it should have moved.
          const pinned = structuredClone(next);
          pinned.allocations![c.allocation].device = c.from;
          const others = { ...first.ledger.placements };
          delete others[grown];
          expect(plan(pinned, { previous: { ...first.ledger, placements: others } }).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("fixes that can work", () => {
  it("names the largest capacity when no device could hold the demand even empty", () => {
    expect(plan(fleet({ x: alloc("t1", 9) }, { max: 4 })).errors).toEqual([
      {
        message:
          "allocation `x` (tenant `t1`) needs 9 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 8 CUSTOM_SERVICE_SLOT (template `t8`), less than the 9 demanded even when empty; use a template with more CUSTOM_SERVICE_SLOT in `allocations.x.pools` or lower `allocations.x.demand.CUSTOM_SERVICE_SLOT`",
        path: "allocations.x",
      },
    ]);
  });

  it("says a zero allocation ratio holds nothing rather than suggesting a larger `max`", () => {
    const result = plan(fleet({ x: alloc("t1", 1) }, {}, docker({ allocationRatio: 0, total: 8 })));
    expect(result.errors[0].message).toBe(
      "allocation `x` (tenant `t1`) needs 1 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 0 CUSTOM_SERVICE_SLOT (template `t8`), less than the 1 demanded even when empty; use a template with more CUSTOM_SERVICE_SLOT in `allocations.x.pools` or lower `allocations.x.demand.CUSTOM_SERVICE_SLOT`",
    );
  });

  it("suggests more devices or a smaller group for an anti-affinity refusal", () => {
    const g = { antiAffinityGroup: "ha" };
    const result = plan(
      fleet({ a: alloc("t1", 1, g), b: alloc("t1", 1, g), c: alloc("t1", 1, g) }, { max: 2 }),
    );
    expect(result.errors[0].message).toBe(
      "allocation `c` (tenant `t1`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 2): 2 devices already hosting anti-affinity group `ha`; raise `pools.lb.max` (2) or make anti-affinity group `ha` smaller",
    );
  });

  it("suggests more devices or shared tenancy for a dedicated-tenancy refusal", () => {
    const result = plan(fleet({ a: alloc("t1", 1), b: alloc("t2", 1), c: alloc("t3", 1) }, { max: 2 }));
    expect(result.errors[0].message).toBe(
      "allocation `c` (tenant `t3`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 2): 2 devices dedicated to other tenants; raise `pools.lb.max` (2) or make template `t8` shared (`templates.t8.tenancy.mode: shared`)",
    );
  });

  it.each([
    ["without a service type", {}],
    ["with a service type", { serviceType: "firewall" }],
  ])("says the fleet has no pool of its own for an allocation %s", (_, extra) => {
    const spec: FleetSpec = {
      allocations: { x: alloc("a", 1, extra) },
      pools: {},
      templates: { t8: docker(8) },
    };
    expect(plan(spec).errors).toEqual([
      {
        message:
          "allocation `x` (tenant `a`) needs 1 CUSTOM_SERVICE_SLOT; the fleet has no pool of its own; add one under `pools`",
        path: "allocations.x",
      },
    ]);
  });
});

describe("preference for explicit service types", () => {
  it("places a firewall on the pool built for firewalls before a generic appliance whose name sorts first", () => {
    const spec: FleetSpec = {
      allocations: { "a-fw": alloc("a", 1, { serviceType: "firewall" }) },
      pools: { appliance: { template: "generic" }, fw: { template: "fw" } },
      templates: { fw: docker(8, { serviceTypes: ["firewall"] }), generic: docker(8) },
    };
    expect(plan(spec).placements["a-fw"].device).toBe("fw-0");
  });

  it("flags a typo'd resource class in a device's capacity override with a did-you-mean", () => {
    const spec: FleetSpec = {
      pools: {
        edge: { devices: [{ capacity: { CUSTOM_SERVICE_SLOTS: 16 }, name: "rack1-fw" }], template: "box" },
      },
      templates: { box: { capacity: { [SLOT]: 8 }, driver: "physical" } },
    };
    expect(validateSpec(spec)).toEqual([
      {
        message:
          "device `rack1-fw` of pool `edge` overrides `CUSTOM_SERVICE_SLOTS`, which template `box` does not have in `capacity`: did you mean `CUSTOM_SERVICE_SLOT`?",
        path: "pools.edge.devices[0].capacity.CUSTOM_SERVICE_SLOTS",
      },
    ]);
  });
});
