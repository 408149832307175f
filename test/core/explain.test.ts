import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHECKING_FIX, type CheckOptions } from "../../core/fixCheck";
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
          "allocation `x` (tenant `t1`) needs 9 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 8 CUSTOM_SERVICE_SLOT (template `t8`), less than the 9 demanded even when empty; lower `allocations.x.demand.CUSTOM_SERVICE_SLOT` from 9 to 8",
        path: "allocations.x",
      },
    ]);
  });

  it("says a zero allocation ratio holds nothing rather than suggesting a larger `max`", () => {
    const result = plan(fleet({ x: alloc("t1", 1) }, {}, docker({ allocationRatio: 0, total: 8 })));
    expect(result.errors[0].message).toBe(
      "allocation `x` (tenant `t1`) needs 1 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 0 CUSTOM_SERVICE_SLOT (template `t8`), less than the 1 demanded even when empty; no single spec change places it: it needs a template with more CUSTOM_SERVICE_SLOT in `allocations.x.pools`",
    );
  });

  it("suggests more devices or a smaller group for an anti-affinity refusal", () => {
    const g = { antiAffinityGroup: "ha" };
    const result = plan(
      fleet({ a: alloc("t1", 1, g), b: alloc("t1", 1, g), c: alloc("t1", 1, g) }, { max: 2 }),
    );
    expect(result.errors[0].message).toBe(
      "allocation `c` (tenant `t1`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 2): 2 devices already hosting anti-affinity group `ha`; leave anti-affinity group `ha` (`allocations.c.antiAffinityGroup`) or raise `pools.lb.max` from 2 to 3 (1 device more)",
    );
  });

  it("suggests more devices or shared tenancy for a dedicated-tenancy refusal", () => {
    const result = plan(fleet({ a: alloc("t1", 1), b: alloc("t2", 1), c: alloc("t3", 1) }, { max: 2 }));
    expect(result.errors[0].message).toBe(
      "allocation `c` (tenant `t3`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 2): 2 devices dedicated to other tenants; make template `t8` shared (`templates.t8.tenancy`: mode `shared`, isolation `namespace`, contexts 1-3) or raise `pools.lb.max` from 2 to 3 (1 device more)",
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

describe("every fix a plan error offers is re-planned, new, offered once and fits the pool's kind (issue 17)", () => {
  it("offers the lowered `max` back, not a zone the pool already lists", () => {
    const spec: FleetSpec = {
      allocations: {
        a: alloc("x", 4, { zone: "za" }),
        b: alloc("y", 4, { zone: "zb" }),
        c: alloc("z", 4, { zone: "zc" }),
      },
      pools: { fw: { max: 3, template: "t", zones: ["za", "zb", "zc"] } },
      templates: { t: docker(4) },
    };
    const first = plan(spec);
    expect(first.placements.c.device).toBe("fw-2");
    (spec.pools.fw as OwnedPoolSpec).max = 2;
    expect(plan(spec, { previous: first.ledger }).errors).toEqual([
      {
        message:
          "allocation `c` (tenant `z`) needs 4 CUSTOM_SERVICE_SLOT in zone `zc`; pool `fw` (`max` 2): 1 device in zone `za`; 1 device in zone `zb`; raise `pools.fw.max` from 2 to 3 (1 device more)",
        path: "allocations.c",
      },
    ]);
  });

  it("offers a larger `max` once, with the number that places it, beside shared tenancy", () => {
    const allocations: Record<string, AllocationSpec> = {};
    for (let i = 0; i < 8; i++) allocations[`a0${i}`] = alloc(`t${i}`, 1);
    const spec = fleet(allocations, { max: 10 }, docker(4));
    const first = plan(spec);
    const health = { "lb-0": false, "lb-1": false, "lb-2": false };
    expect(plan(spec, { health, previous: first.ledger }).errors).toEqual([
      {
        message:
          "allocation `a02` (tenant `t2`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 10): 3 unhealthy devices; 7 devices dedicated to other tenants; make template `t8` shared (`templates.t8.tenancy`: mode `shared`, isolation `namespace`, contexts 1-8) or raise `pools.lb.max` from 10 to 11 (1 device more)",
        path: "allocations.a02",
      },
    ]);
  });

  it("tells a declared (physical) pool to declare another device, never to add zones or raise `max`", () => {
    const spec: FleetSpec = {
      allocations: { a: alloc("x", 4), b: alloc("y", 4), c: alloc("y", 1, { zone: "z2" }) },
      pools: { edge: { devices: [{ name: "rack1", zone: "z1" }], template: "box", zones: ["z1", "z2"] } },
      templates: { box: { capacity: { [SLOT]: 4 }, driver: "physical" } },
    };
    expect(plan(spec).errors).toEqual([
      {
        message:
          "allocation `b` (tenant `y`) needs 4 CUSTOM_SERVICE_SLOT; pool `edge` (1 declared device): 1 device dedicated to other tenants; declare another device in `pools.edge.devices` (as template `box`)",
        path: "allocations.b",
      },
      {
        message:
          "allocation `c` (tenant `y`) needs 1 CUSTOM_SERVICE_SLOT in zone `z2`; pool `edge` (1 declared device): 1 device in zone `z1`; declare 2 more devices in zone `z2` in `pools.edge.devices` (as template `box`)",
        path: "allocations.c",
      },
    ]);
  });

  it("offers no larger `max` or shared tenancy for a pool whose `stepSize` refuses the demand", () => {
    // `p` (stepSize 10) can never take 45; `q` (stepSize 1) could, once it has room.
    const stepped = docker(8);
    stepped.capacity[SLOT] = { stepSize: 10, total: 100 };
    const spec: FleetSpec = {
      allocations: {
        a: alloc("t1", 50, { pools: ["p"] }),
        b: alloc("t2", 50, { pools: ["p"] }),
        c: alloc("t3", 50, { pools: ["q"] }),
        d: alloc("t4", 45, { pools: ["p", "q"] }),
      },
      pools: { p: { max: 2, template: "ten" }, q: { max: 1, template: "one" } },
      templates: { one: docker(100), ten: stepped },
    };
    expect(validateSpec(spec)).toEqual([]);
    expect(plan(spec).errors).toEqual([
      {
        message:
          "allocation `d` (tenant `t4`) needs 45 CUSTOM_SERVICE_SLOT; pool `p` (`max` 2): 2 devices dedicated to other tenants. pool `q` (`max` 1): 1 device dedicated to other tenants; make template `one` shared (`templates.one.tenancy`: mode `shared`, isolation `namespace`, contexts 1-4) or raise `pools.q.max` from 1 to 2 (1 device more)",
        path: "allocations.d",
      },
    ]);
  });

  it("checks fixes for the first allocations that fit nowhere only, and says so for the others", () => {
    const allocations: Record<string, AllocationSpec> = {};
    for (let i = 0; i < 5; i++) allocations[`a${i}`] = alloc(`t${i}`, 8);
    const errors = plan(fleet(allocations, { max: 2 })).errors;
    const tail = "; pool `lb` (`max` 2): 2 devices dedicated to other tenants; ";
    expect(errors.map((e) => e.message.slice(e.message.indexOf(tail) + tail.length))).toEqual([
      "raise `pools.lb.max` from 2 to 3 (1 device more)",
      "raise `pools.lb.max` from 2 to 4 (2 devices more)",
      "it needs a device free of other tenants and with room for the demand; fixes are checked for the first 2 allocations that fit nowhere: `servicevm explain` checks them for this one",
    ]);
  });

  it("a re-plan that checks a fix computes no fixes of its own", () => {
    const spec = fleet({ a: alloc("t1", 8), b: alloc("t2", 8) }, { max: 1 });
    expect(plan(spec, { [CHECKING_FIX]: true } as CheckOptions).errors[0].message).toBe(
      "allocation `b` (tenant `t2`) needs 8 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 1): 1 device dedicated to other tenants; fixes are not checked in a re-plan that checks one",
    );
  });
});
