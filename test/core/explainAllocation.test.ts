import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explainAllocation, type AllocationExplanation } from "../../core/explainAllocation";
import { plan } from "../../core/plan";
import type { AllocationSpec, FleetSpec, OwnedPoolSpec, PlanOptions, TemplateSpec } from "../../core/types";
import { feasibleFleet } from "./arbitraries";

const SLOT = "CUSTOM_SERVICE_SLOT";

function template(slots: number, extra: Partial<TemplateSpec> = {}): TemplateSpec {
  return { capacity: { [SLOT]: slots }, docker: { image: "haproxy:2.9" }, driver: "docker", ...extra };
}

const SHARED = { contexts: { first: 1, last: 8 }, isolation: "namespace", mode: "shared" } as const;

function alloc(tenant: string, slots: number, extra: Partial<AllocationSpec> = {}): AllocationSpec {
  return { demand: { [SLOT]: slots }, tenant, ...extra };
}

function fleet(
  allocations: Record<string, AllocationSpec>,
  pool: Partial<OwnedPoolSpec> = {},
  tpl = template(4, { tenancy: SHARED }),
): FleetSpec {
  return { allocations, pools: { lb: { template: "t", ...pool } }, templates: { t: tpl } };
}

function explain(spec: FleetSpec, name: string, opts: PlanOptions = {}): AllocationExplanation {
  const r = explainAllocation(spec, name, opts);
  if (!r.ok) throw new Error(`not explained: ${JSON.stringify(r)}`);
  return r.explanation;
}

/** Device, verdict and reason of each candidate, in the planner's order. */
const rows = (e: AllocationExplanation): [string, string, string][] =>
  e.candidates.map((c) => [c.device, c.verdict, c.reason]);

describe("a placed allocation", () => {
  it("under pack: the lowest-numbered device that fits, fuller ones refused and higher ones after it", () => {
    // big (3) goes to lb-0, mid (2) does not fit beside it and opens lb-1, x (1) fills lb-0.
    const spec = fleet({ big: alloc("t1", 3), mid: alloc("t2", 2), x: alloc("t3", 1) }, { max: 3 });
    const e = explain(spec, "mid");
    expect([e.status, e.device, e.summary]).toEqual([
      "placed",
      "lb-1",
      "placed on `lb-1` this plan: the lowest-numbered device of pool `lb` that fits (pack)",
    ]);
    expect(rows(e)).toEqual([
      ["lb-0", "refused", "capacity of CUSTOM_SERVICE_SLOT: needs 2, has 0 free"],
      ["lb-1", "chosen", "fits: the planner's choice"],
      ["lb-2", "after", "fits, but pack fills the lowest-numbered device first (`lb-1`)"],
    ]);
    expect(e.excluded).toEqual([{ constraint: "CUSTOM_SERVICE_SLOT exhausted", devices: 1 }]);
    expect(e.candidates.map((c) => c.exists)).toEqual([true, true, false]);
    expect(e.pools).toEqual([{ limit: 3, pool: "lb", strategy: "pack", template: "t", tier: 1, zones: [] }]);
    expect([e.consistent, e.fixes, e.error]).toEqual([true, [], null]);
  });

  it("under spread: the least loaded of the devices packing would use, fuller ones after it", () => {
    // Packing would use lb-0 (b, c) and lb-1 (a): spread puts b on lb-0, a on lb-1, c on the emptier lb-1.
    const spec = fleet(
      { a: alloc("t1", 2), b: alloc("t2", 3), c: alloc("t3", 1) },
      { max: 3, strategy: "spread" },
    );
    expect(plan(spec).placements.c.device).toBe("lb-1");
    const e = explain(spec, "c");
    expect([e.status, e.summary]).toEqual([
      "placed",
      "placed on `lb-1` this plan: the least loaded device of pool `lb` that fits (spread)",
    ]);
    expect(rows(e)).toEqual([
      ["lb-1", "chosen", "fits: the planner's choice"],
      ["lb-0", "after", "fits, but is fuller (75% vs 50%): spread takes the least loaded"],
      ["lb-2", "after", "fits, but spread uses only the 2 devices packing would use"],
    ]);
    expect(e.candidates.map((c) => c.load)).toEqual([0.5, 0.75, 0]);
    expect(e.consistent).toBe(true);
  });

  it("kept since the previous ledger: other devices that fit are unused, stickiness wins", () => {
    const spec = fleet({ a: alloc("t1", 2) }, { max: 2 });
    const first = plan(spec);
    const e = explain(spec, "a", { previous: first.ledger });
    expect([e.status, e.previous, e.device, e.summary]).toEqual([
      "kept",
      "lb-0",
      "lb-0",
      "kept on `lb-0` since the previous ledger: it still fits and its constraints hold",
    ]);
    expect(rows(e)).toEqual([
      ["lb-0", "chosen", "fits: it stays here"],
      ["lb-1", "unused", "fits, but the allocation stays on `lb-0` (sticky)"],
    ]);
  });

  it("moved this plan, with the move's reason from the plan's changes", () => {
    const spec = fleet({ big: alloc("t1", 2), small: alloc("t1", 1) }, {}, template(4));
    const first = plan(spec);
    spec.allocations!.big.demand[SLOT] = 4;
    const e = explain(spec, "big", { previous: first.ledger });
    const reason = "`big` grew from 2 to 4 CUSTOM_SERVICE_SLOT; `lb-0` has 1 free";
    expect([e.status, e.previous, e.device, e.moveReason, e.summary]).toEqual([
      "moved",
      "lb-0",
      "lb-1",
      reason,
      `moved from \`lb-0\` to \`lb-1\`: ${reason}`,
    ]);
    expect(rows(e).slice(0, 3)).toEqual([
      ["lb-0", "refused", "capacity of CUSTOM_SERVICE_SLOT: needs 4, has 3 free"],
      ["lb-1", "chosen", "fits: the planner's choice"],
      ["lb-2", "after", "fits, but pack fills the lowest-numbered device first (`lb-1`)"],
    ]);
    // Its neighbour stayed.
    expect(explain(spec, "small", { previous: first.ledger }).status).toBe("kept");
  });

  it("moved off an unhealthy device: the reason, and the device refused as unhealthy", () => {
    const spec = fleet({ a: alloc("t1", 2) }, { max: 2 });
    const first = plan(spec);
    const e = explain(spec, "a", { health: { "lb-0": false }, previous: first.ledger });
    expect([e.status, e.moveReason]).toEqual(["moved", "device unhealthy"]);
    expect(rows(e)).toEqual([
      ["lb-0", "refused", "device unhealthy"],
      ["lb-1", "chosen", "fits: the planner's choice"],
    ]);
    expect(e.excluded).toEqual([{ constraint: "unhealthy", devices: 1 }]);
  });

  it("names an anti-affinity group and a dedicated device as refusals", () => {
    const spec = fleet(
      {
        a: alloc("t1", 1, { antiAffinityGroup: "ha" }),
        b: alloc("t1", 1, { antiAffinityGroup: "ha" }),
        c: alloc("t2", 1),
      },
      { max: 3 },
      template(4),
    );
    expect(rows(explain(spec, "b"))).toEqual([
      ["lb-0", "refused", "anti-affinity group `ha` already has a member on `lb-0`"],
      ["lb-1", "chosen", "fits: the planner's choice"],
      ["lb-2", "refused", "`lb-2` is dedicated to tenant `t2`"],
    ]);
  });
});

describe("an allocation that fits nowhere", () => {
  /** Asserts that planning the spec with `edit` applied places `name` on `device`. */
  function placesAfter(
    spec: FleetSpec,
    edit: (s: FleetSpec) => void,
    name: string,
    device: string,
    opts: PlanOptions = {},
  ): void {
    const changed = structuredClone(spec);
    edit(changed);
    const r = plan(changed, opts);
    expect(r.ok).toBe(true);
    expect(r.placements[name].device).toBe(device);
  }

  it("by capacity: counts the exhausted class and checks the smallest `max` that places it", () => {
    const spec = fleet({ a: alloc("t1", 3), b: alloc("t2", 3), x: alloc("t3", 2) }, { max: 2 });
    const e = explain(spec, "x");
    expect([e.status, e.device, e.summary]).toEqual([
      "unplaceable",
      null,
      "no device of its pools takes it (2 devices considered)",
    ]);
    expect(rows(e)).toEqual([
      ["lb-0", "refused", "capacity of CUSTOM_SERVICE_SLOT: needs 2, has 1 free"],
      ["lb-1", "refused", "capacity of CUSTOM_SERVICE_SLOT: needs 2, has 1 free"],
    ]);
    expect(e.excluded).toEqual([{ constraint: "CUSTOM_SERVICE_SLOT exhausted", devices: 2 }]);
    expect(e.error).toBe(plan(spec).errors[0].message);
    expect(e.fixes).toEqual([
      {
        change: "lower `allocations.x.demand.CUSTOM_SERVICE_SLOT` from 2 to 1",
        device: "lb-0",
        path: "allocations.x.demand.CUSTOM_SERVICE_SLOT",
        size: 1,
      },
      {
        change: "raise `pools.lb.max` from 2 to 3 (1 device more)",
        device: "lb-2",
        path: "pools.lb.max",
        size: 1,
      },
    ]);
    placesAfter(spec, (s) => ((s.pools.lb as OwnedPoolSpec).max = 3), "x", "lb-2");
  });

  it("by `max` on dedicated devices: the number of devices to add, found by re-planning", () => {
    const spec = fleet(
      { a: alloc("t1", 1), b: alloc("t2", 1), x: alloc("t3", 1), y: alloc("t4", 1), z: alloc("t5", 1) },
      { max: 2 },
      template(4),
    );
    // x and y fit nowhere either: they are left out to explain z, and named.
    const e = explain(spec, "z");
    expect(e.unplaceableNeighbours).toEqual(["x", "y"]);
    expect(e.excluded).toEqual([{ constraint: "dedicated to another tenant", devices: 2 }]);
    expect(e.fixes).toEqual([
      {
        change:
          "make template `t` shared (`templates.t.tenancy`: mode `shared`, isolation `namespace`, contexts 1-3)",
        device: "lb-0",
        path: "templates.t.tenancy",
        size: 1,
      },
      {
        change: "raise `pools.lb.max` from 2 to 3 (1 device more)",
        device: "lb-2",
        path: "pools.lb.max",
        size: 1,
      },
    ]);
    placesAfter(
      spec,
      (s) => {
        (s.pools.lb as OwnedPoolSpec).max = 3;
        delete s.allocations!.x;
        delete s.allocations!.y;
      },
      "z",
      "lb-2",
    );
  });

  it("by a trait no template has: more devices would not help, dropping the trait would", () => {
    const spec = fleet({ a: alloc("t1", 1), x: alloc("t2", 1, { require: ["CUSTOM_X"] }) }, { max: 2 });
    const e = explain(spec, "x");
    expect(rows(e)).toEqual([
      ["lb-0", "refused", "`lb-0` lacks required trait `CUSTOM_X`"],
      ["lb-1", "refused", "`lb-1` lacks required trait `CUSTOM_X`"],
    ]);
    expect(e.excluded).toEqual([{ constraint: "without trait `CUSTOM_X`", devices: 2 }]);
    expect(e.fixes).toEqual([
      {
        change: "drop trait `CUSTOM_X` from `allocations.x.require`",
        device: "lb-0",
        path: "allocations.x.require",
        size: 1,
      },
    ]);
    placesAfter(spec, (s) => (s.allocations!.x.require = []), "x", "lb-0");
    // More devices alone do not place it.
    const bigger = structuredClone(spec);
    (bigger.pools.lb as OwnedPoolSpec).max = 50;
    expect(plan(bigger).ok).toBe(false);
  });

  it("by zone: devices of other zones and full ones counted apart; the growth that reaches the zone", () => {
    // lb-0 is in az1, lb-1 in az2 and full; a third device would go to az1, a fourth to az2.
    const spec = fleet(
      { x: alloc("t2", 1, { zone: "az2" }), y: alloc("t1", 4, { zone: "az2" }) },
      { max: 2, zones: ["az1", "az2"] },
    );
    const e = explain(spec, "x");
    expect(rows(e)).toEqual([
      ["lb-0", "refused", "`lb-0` is in zone `az1`, the allocation requires `az2`"],
      ["lb-1", "refused", "capacity of CUSTOM_SERVICE_SLOT: needs 1, has 0 free"],
    ]);
    expect(e.excluded).toEqual([
      { constraint: "CUSTOM_SERVICE_SLOT exhausted", devices: 1 },
      { constraint: "in zone `az1`", devices: 1 },
    ]);
    expect(e.fixes.map((f) => [f.change, f.device])).toEqual([
      ["change `allocations.x.zone` from `az2` to `az1`", "lb-0"],
      ["drop `allocations.x.zone` (any zone)", "lb-0"],
      ["raise `pools.lb.max` from 2 to 4 (2 devices more)", "lb-3"],
    ]);
    placesAfter(spec, (s) => ((s.pools.lb as OwnedPoolSpec).max = 4), "x", "lb-3");
    const three = structuredClone(spec);
    (three.pools.lb as OwnedPoolSpec).max = 3;
    expect(plan(three).ok).toBe(false);
  });

  it("by isolation contexts: a wider range or one more device, each checked", () => {
    const narrow = template(4, { tenancy: { ...SHARED, contexts: { first: 1, last: 2 } } });
    const spec = fleet({ a: alloc("t1", 1), b: alloc("t2", 1), x: alloc("t3", 1) }, { max: 1 }, narrow);
    const e = explain(spec, "x");
    expect(rows(e)).toEqual([["lb-0", "refused", "no free isolation context on `lb-0`"]]);
    expect(e.excluded).toEqual([{ constraint: "isolation contexts exhausted", devices: 1 }]);
    expect(e.fixes.map((f) => [f.change, f.path, f.device])).toEqual([
      ["raise `pools.lb.max` from 1 to 2 (1 device more)", "pools.lb.max", "lb-1"],
      ["widen `templates.t.tenancy.contexts` to 1-3 (1 more)", "templates.t.tenancy.contexts.last", "lb-0"],
    ]);
    placesAfter(
      spec,
      (s) => (s.templates.t.tenancy = { ...SHARED, contexts: { first: 1, last: 3 } }),
      "x",
      "lb-0",
    );
  });

  it("by anti-affinity: one more device, or leaving the group", () => {
    const spec = fleet(
      { a: alloc("t1", 1, { antiAffinityGroup: "g" }), x: alloc("t1", 1, { antiAffinityGroup: "g" }) },
      { max: 1 },
    );
    const e = explain(spec, "x");
    expect(e.excluded).toEqual([{ constraint: "already hosting anti-affinity group `g`", devices: 1 }]);
    expect(e.fixes.map((f) => [f.change, f.device])).toEqual([
      ["leave anti-affinity group `g` (`allocations.x.antiAffinityGroup`)", "lb-0"],
      ["raise `pools.lb.max` from 1 to 2 (1 device more)", "lb-1"],
    ]);
    placesAfter(spec, (s) => delete s.allocations!.x.antiAffinityGroup, "x", "lb-0");
  });

  it("a demand above every device's capacity: the largest demand that fits, checked", () => {
    const spec = fleet({ x: alloc("t1", 9) }, { max: 2 });
    const e = explain(spec, "x");
    expect(e.fixes.map((f) => [f.change, f.device])).toEqual([
      ["lower `allocations.x.demand.CUSTOM_SERVICE_SLOT` from 9 to 4", "lb-0"],
    ]);
    expect(e.error).toContain("less than the 9 demanded even when empty");
  });

  it("says when no single change places it: a missing trait and a full pool at once", () => {
    const spec = fleet(
      { a: alloc("t1", 4), b: alloc("t2", 4), x: alloc("t3", 1, { require: ["CUSTOM_X"] }) },
      { max: 2 },
      template(4),
    );
    const e = explain(spec, "x");
    expect(e.fixes).toEqual([]);
    expect(e.error).toBe(
      "allocation `x` (tenant `t3`) needs 1 CUSTOM_SERVICE_SLOT with trait `CUSTOM_X`; pool `lb` (`max` 2): 2 devices without trait `CUSTOM_X`; no single spec change places it: it needs a device with trait `CUSTOM_X`, free of other tenants and with room for the demand",
    );
  });
});

describe("a deferred move", () => {
  it("on a drained device with no budget: deferred with the plan's reason, the device worded as drained", () => {
    const spec = fleet({ a: alloc("t1", 2) }, { disruptionBudget: 0, max: 2 });
    const first = plan(spec);
    const drained: FleetSpec = { ...spec, drain: ["lb-0"] };
    const second = plan(drained, { previous: first.ledger });
    const defer = second.changes.find((c) => c.op === "defer");
    expect(defer?.op === "defer" && defer.device).toBe("lb-0");
    const reason = defer?.op === "defer" ? defer.reason : "";
    const e = explain(drained, "a", { previous: first.ledger });
    expect([e.status, e.device, e.deferReason, e.summary]).toEqual([
      "deferred",
      "lb-0",
      reason,
      `stays on \`lb-0\` for now, its move deferred: ${reason}`,
    ]);
    expect(rows(e)).toEqual([
      ["lb-0", "chosen", "device `lb-0` drained; it stays here until its deferred move is made"],
      ["lb-1", "unused", "fits, but the move off `lb-0` is deferred"],
    ]);
  });

  it("kept on a healthy device has no defer reason", () => {
    const spec = fleet({ a: alloc("t1", 2) }, { max: 2 });
    const e = explain(spec, "a", { previous: plan(spec).ledger });
    expect([e.status, e.deferReason]).toEqual(["kept", null]);
  });
});

describe("what cannot be explained", () => {
  it("an unknown allocation: the names the caller can suggest from", () => {
    expect(explainAllocation(fleet({ b: alloc("t1", 1), a: alloc("t1", 1) }), "c")).toEqual({
      allocation: "c",
      known: ["a", "b"],
      kind: "unknown",
      ok: false,
    });
  });

  it("an invalid spec: the validation errors", () => {
    const r = explainAllocation(fleet({ a: alloc("t1", 1, { pools: ["nope"] }) }), "a");
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.kind).toBe("invalid");
  });
});

describe("only the allocation's part of the fleet is planned", () => {
  it("gives the same device as the whole plan when other pools are busy too", () => {
    const spec: FleetSpec = {
      allocations: {
        a: alloc("t1", 3, { pools: ["p"] }),
        b: alloc("t2", 2, { pools: ["p"] }),
        c: alloc("t3", 3, { pools: ["q"] }),
        d: alloc("t4", 9, { pools: ["q"] }),
      },
      pools: { p: { max: 3, template: "t" }, q: { max: 2, template: "t" } },
      templates: { t: template(4, { tenancy: SHARED }) },
    };
    // d fits nowhere, so the whole plan fails; b's explanation does not depend on it.
    expect(plan(spec).ok).toBe(false);
    const e = explain(spec, "b");
    expect([e.status, e.device, e.unplaceableNeighbours]).toEqual(["placed", "p-1", []]);
    delete spec.allocations!.d;
    expect(plan(spec).placements.b.device).toBe("p-1");
  });
});

describe("the explanation agrees with the plan", () => {
  it("names the device the whole plan gives every allocation, first plan and re-plan with one allocation grown", () => {
    fc.assert(
      fc.property(feasibleFleet, fc.nat(), (spec, k) => {
        const first = plan(spec);
        fc.pre(first.ok);
        const names = Object.keys(first.placements);
        for (const n of names) expect(explain(spec, n).device).toBe(first.placements[n].device);
        fc.pre(names.length > 0);
        const next = structuredClone(spec);
        const grown = names[k % names.length];
        next.allocations![grown].demand.CUSTOM_SERVICE_SLOT =
          (next.allocations![grown].demand.CUSTOM_SERVICE_SLOT ?? 0) + 1;
        const second = plan(next, { previous: first.ledger });
        fc.pre(second.ok);
        for (const n of Object.keys(second.placements)) {
          const e = explain(next, n, { previous: first.ledger });
          expect(e.device).toBe(second.placements[n].device);
          expect(e.status).toBe(
            first.placements[n]?.device === e.device ? "kept" : first.placements[n] ? "moved" : "placed",
          );
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("an explanation of a spec no plan can be made of", () => {
  it("returns the plan's own error for a `drain` entry of a device that does not exist (it used to loop forever)", () => {
    const t: TemplateSpec = {
      capacity: { CUSTOM_SERVICE_SLOT: 3 },
      docker: { image: "img" },
      driver: "docker",
    };
    const spec: FleetSpec = {
      allocations: { a0: { demand: { CUSTOM_SERVICE_SLOT: 1 }, pools: ["p0"], tenant: "t1" } },
      pools: { p0: { max: 2, template: "t0" }, p1: { max: 3, template: "t0" } },
      templates: { t0: t },
    };
    const previous = plan(spec).ledger;
    expect(explainAllocation({ ...spec, drain: ["p1-2"] }, "a0", { previous })).toEqual({
      errors: [
        {
          message: "pool `p1` has no device `p1-2` to drain (it has no devices yet): remove it from `drain`",
          path: "drain[0]",
        },
      ],
      kind: "invalid",
      ok: false,
    });
  });
});
