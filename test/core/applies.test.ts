/**
 * Day 2 over several applies in a row: each plan's ledger is the next plan's `previous`, with the
 * health carried along, as an operator's `pulumi up`s chain. Each case is a defect seen on the way
 * (issue 17): a device over capacity with the plan ok, a breaker or rebalancing that undoes itself
 * on the next apply, an unchanged spec that churns, a device that cannot be drained, a drained
 * device counted as standby, a changed allocation's neighbour moved and blamed.
 */
import { describe, expect, it } from "vitest";
import { checkInvariants } from "../../core/invariants";
import { applyChanges } from "../../core/ledger";
import { headroom } from "../../core/headroom";
import { ledgerView } from "../../core/ledgerView";
import { plan } from "../../core/plan";
import { poolUsage } from "../../core/report";
import type { FleetSpec, HealthMap, Ledger, OwnedPoolSpec, PlanResult } from "../../core/types";

const SLOT = "CUSTOM_SERVICE_SLOT";

function fleet(slots: number, pool: Partial<OwnedPoolSpec>, allocations: Record<string, number>): FleetSpec {
  return {
    templates: {
      vfw: {
        driver: "docker",
        capacity: { [SLOT]: slots },
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 50 } },
        docker: { image: "vyos" },
      },
    },
    pools: { fw: { template: "vfw", ...pool } },
    allocations: Object.fromEntries(
      Object.entries(allocations).map(([name, n]) => [name, { tenant: name, demand: { [SLOT]: n } }]),
    ),
  };
}

/** Sound and replayable: the invariants hold and the changes give the ledger. */
function sound(spec: FleetSpec, previous: Ledger, r: PlanResult): PlanResult {
  expect(r.ok).toBe(true);
  expect(checkInvariants(spec, r)).toEqual([]);
  expect(applyChanges(previous, r.changes)).toEqual(r.ledger);
  return r;
}

/** `n` applies of the same spec and health after `previous`; the changes of each, as `op name` rows. */
function applies(spec: FleetSpec, previous: Ledger, n: number, health: HealthMap = {}): string[][] {
  const rows: string[][] = [];
  let ledger = previous;
  for (let i = 0; i < n; i++) {
    const r = sound(spec, ledger, plan(spec, { previous: ledger, health }));
    rows.push(r.changes.map((c) => `${c.op} ${"allocation" in c ? c.allocation : c.pool}`));
    ledger = r.ledger;
  }
  return rows;
}

const devicesOf = (r: PlanResult): Record<string, string> =>
  Object.fromEntries(Object.entries(r.placements).map(([a, p]) => [a, p.device]));

describe("a move that must happen is never deferred", () => {
  const before = plan(fleet(500, { max: 1 }, { a: 450, b: 50 }));

  it("an allocation that grew on a drained device at `max` fails the plan instead of staying over capacity", () => {
    const spec = fleet(500, { max: 1 }, { a: 480, b: 50 });
    spec.drain = ["fw-0"];
    const r = plan(spec, { previous: before.ledger });
    expect(r.ok).toBe(false);
    expect(r.changes).toEqual([]);
    expect(r.ledger).toBe(before.ledger);
    expect(r.errors.map((e) => e.path)).toEqual(["allocations.a"]);
    expect(r.errors[0].message).toMatch(
      /^allocation `a` \(tenant `a`\) needs 480 CUSTOM_SERVICE_SLOT; pool `fw` \(`max` 1\): 1 device drained; /,
    );
  });

  it("with `disruptionBudget: 0` the grown allocation moves (no budget needed) and only its neighbour is deferred", () => {
    const spec = fleet(500, { max: 2, disruptionBudget: 0 }, { a: 480, b: 50 });
    spec.drain = ["fw-0"];
    const r = sound(spec, before.ledger, plan(spec, { previous: before.ledger }));
    expect(devicesOf(r)).toEqual({ a: "fw-1", b: "fw-0" });
    expect(r.changes.filter((c) => c.op === "move" || c.op === "defer")).toEqual([
      {
        allocation: "a",
        from: "fw-0",
        isolation: { from: { id: 1, kind: "vrf" }, to: { id: 1, kind: "vrf" } },
        op: "move",
        reason: "`a` grew from 450 to 480 CUSTOM_SERVICE_SLOT; `fw-0` has 0 free",
        to: "fw-1",
      },
      {
        allocation: "b",
        device: "fw-0",
        op: "defer",
        reason:
          "device `fw-0` drained, but pool `fw` has `disruptionBudget` 0, so no plan moves it: raise `pools.fw.disruptionBudget`",
      },
    ]);
  });

  it("a demand off the `stepSize` on a drained device moves or fails, never stays", () => {
    const stepped = fleet(500, { max: 1 }, { a: 450, b: 50 });
    stepped.templates.vfw.capacity = { [SLOT]: { total: 500, stepSize: 10 } };
    const first = plan(stepped);
    const spec = structuredClone(stepped);
    spec.allocations!.a.demand[SLOT] = 455;
    spec.drain = ["fw-0"];
    const r = plan(spec, { previous: first.ledger });
    expect(r.ok).toBe(false);
    // No device of the pool takes 455 (`stepSize` 10): the spec check refuses it before planning.
    expect(r.errors.map((e) => e.path)).toEqual(["allocations.a.demand.CUSTOM_SERVICE_SLOT"]);
    // Two templates, one that takes it: the planner must move it, and where nothing takes it, fail.
    const two = structuredClone(spec);
    two.templates.big = { ...structuredClone(stepped.templates.vfw), capacity: { [SLOT]: 400 } };
    two.pools.big = { template: "big", max: 1 };
    const moved = plan(two, { previous: first.ledger });
    expect(moved.ok).toBe(false);
    expect(moved.errors.map((e) => e.path)).toEqual(["allocations.a"]);
  });

  it("a grown allocation on a device the circuit breaker holds moves when another device takes it", () => {
    const base = fleet(4, { standby: 1, maxUnhealthyShare: 0.4 }, { a: 2, b: 2, c: 3 });
    const first = plan(base);
    expect(devicesOf(first)).toEqual({ a: "fw-1", b: "fw-1", c: "fw-0" });
    const spec = fleet(4, { standby: 1, maxUnhealthyShare: 0.4 }, { a: 3, b: 2, c: 3 });
    const health = { "fw-0": false, "fw-1": false };
    const r = sound(spec, first.ledger, plan(spec, { previous: first.ledger, health }));
    // 2 of 3 unhealthy: the breaker holds b and c; a no longer fits beside b and must move.
    expect(devicesOf(r)).toEqual({ a: "fw-2", b: "fw-1", c: "fw-0" });
    expect(r.changes.filter((c) => c.op === "defer").map((c) => c.allocation)).toEqual(["b", "c"]);
  });
});

describe("the circuit breaker holds over applies", () => {
  const spec = fleet(4, { standby: 1, max: 10, maxUnhealthyShare: 0.5 }, {});
  for (let i = 0; i < 12; i++)
    spec.allocations![`a${String(i).padStart(2, "0")}`] = { tenant: `t${i}`, demand: { [SLOT]: 1 } };
  const first = plan(spec);
  const health = { "fw-0": false, "fw-1": false, "fw-2": false };

  it("never grows the pool it holds, so the next plan with the same health still holds", () => {
    expect(first.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3"]);
    const held = sound(spec, first.ledger, plan(spec, { previous: first.ledger, health }));
    expect(held.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3"]);
    expect(held.changes.map((c) => c.op)).toEqual(Array(12).fill("defer"));
    expect(held.changes[0]).toEqual({
      allocation: "a00",
      device: "fw-0",
      op: "defer",
      reason:
        "circuit breaker of pool `fw`: 3 of 4 devices unhealthy (75%, above `maxUnhealthyShare` 50%): not evacuating",
    });
    const again = sound(spec, held.ledger, plan(spec, { previous: held.ledger, health }));
    expect(again.changes).toEqual(held.changes);
    expect(again.ledger).toEqual(held.ledger);
  });

  it("evacuates once health returns below the share, growing one device per unhealthy one", () => {
    const held = plan(spec, { previous: first.ledger, health });
    const r = sound(spec, held.ledger, plan(spec, { previous: held.ledger, health: { "fw-0": false } }));
    expect(r.changes.filter((c) => c.op === "move").map((c) => c.allocation)).toEqual([
      "a00",
      "a01",
      "a02",
      "a03",
    ]);
    expect(r.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3", "fw-4"]);
    expect(applies(spec, r.ledger, 2, { "fw-0": false })).toEqual([[], []]);
  });
});

describe("rebalancing never grows a pool", () => {
  it("a spread pool with `rebalance: 1` and a standby keeps 4 devices for 11 slots over applies", () => {
    const spec = fleet(4, { standby: 1, strategy: "spread", rebalance: 1 }, {});
    for (let i = 0; i < 11; i++)
      spec.allocations![`a${String(i).padStart(2, "0")}`] = { tenant: `t${i % 3}`, demand: { [SLOT]: 1 } };
    const first = plan(spec);
    expect(first.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3"]);
    expect(applies(spec, first.ledger, 3)).toEqual([[], [], []]);
  });

  it("a spread pool still evens out onto an idle device that `min` keeps anyway", () => {
    const packed = plan(fleet(4, { min: 3 }, { a: 2, b: 2, c: 2, d: 2 }));
    expect(devicesOf(packed)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1", d: "fw-1" });
    const spec = fleet(4, { min: 3, strategy: "spread", rebalance: 2 }, { a: 2, b: 2, c: 2, d: 2 });
    const r = sound(spec, packed.ledger, plan(spec, { previous: packed.ledger }));
    expect(devicesOf(r)).toEqual({ a: "fw-2", b: "fw-0", c: "fw-1", d: "fw-1" });
    expect(r.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2"]);
  });
});

describe("an unchanged spec converges to no changes and stays there", () => {
  it("after a zone is removed: the retired device goes, and no standby is swapped for another", () => {
    const spec = fleet(4, { standby: 1, zones: ["a", "b", "c"] }, {});
    for (let i = 0; i < 10; i++) spec.allocations![`a${i}`] = { tenant: `t${i % 3}`, demand: { [SLOT]: 1 } };
    const first = plan(spec);
    const next = structuredClone(spec);
    (next.pools.fw as OwnedPoolSpec).zones = ["a", "b"];
    const r = sound(next, first.ledger, plan(next, { previous: first.ledger }));
    expect(r.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-3", "fw-4"]);
    expect(applies(next, r.ledger, 3)).toEqual([[], [], []]);
  });

  it("after a drain with `remove` finished", () => {
    const spec = fleet(4, { standby: 1 }, { a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 });
    const first = plan(spec);
    const drained = { ...structuredClone(spec), drain: [{ device: "fw-0", remove: true }] };
    const r = sound(drained, first.ledger, plan(drained, { previous: first.ledger }));
    expect(r.pools.fw.devices).toEqual(["fw-1", "fw-2", "fw-3"]);
    expect(applies(drained, r.ledger, 3)).toEqual([[], [], []]);
  });

  it("a pin to a high number makes that device alone; the next allocation takes the lowest free number", () => {
    const spec = fleet(4, {}, { a: 1 });
    spec.allocations!.a.device = "fw-2";
    const first = plan(spec);
    expect(first.pools.fw.devices).toEqual(["fw-2"]);
    expect(applies(spec, first.ledger, 2)).toEqual([[], []]);
  });
});

describe("every device the ledger has can be drained", () => {
  it("one numbered past a lowered `max`", () => {
    const spec = fleet(2, { max: 6 }, { a: 2, b: 2, c: 2, d: 2, e: 2, f: 2 });
    const first = plan(spec);
    expect(first.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3", "fw-4", "fw-5"]);
    const lowered = fleet(2, { max: 6 }, { a: 2, b: 2, c: 2, d: 2, e: 2 });
    (lowered.pools.fw as OwnedPoolSpec).max = 5;
    lowered.drain = [{ device: "fw-5", remove: true }];
    const r = sound(lowered, first.ledger, plan(lowered, { previous: first.ledger }));
    expect(r.pools.fw.devices).toEqual(["fw-0", "fw-1", "fw-2", "fw-3", "fw-4"]);
    expect(r.changes.map((c) => c.op)).toEqual(["release", "shrink"]);
  });

  it("one a drained device made the pool create past `max`", () => {
    const spec = fleet(4, { max: 2, standby: 1 }, { a: 4 });
    const first = plan(spec);
    expect(first.pools.fw.devices).toEqual(["fw-0", "fw-1"]);
    const drained = { ...structuredClone(spec), drain: [{ device: "fw-0", remove: true }] };
    const moved = sound(drained, first.ledger, plan(drained, { previous: first.ledger }));
    // `fw-0` counts toward `max` until it is gone; then the standby takes the next number not drained.
    expect(moved.pools.fw.devices).toEqual(["fw-1"]);
    expect(applies(drained, moved.ledger, 3)).toEqual([["grow fw"], [], []]);
    const grown = plan(drained, { previous: moved.ledger });
    expect(grown.pools.fw.devices).toEqual(["fw-1", "fw-2"]);
    const both = { ...structuredClone(spec), drain: [{ device: "fw-0", remove: true }, "fw-2"] };
    const r = sound(both, grown.ledger, plan(both, { previous: grown.ledger }));
    expect(r.pools.fw.devices).toEqual(["fw-1", "fw-2"]);
    expect(r.devices["fw-2"].drained).toBe(true);
  });
});

describe("a drained device is not standby", () => {
  it("in the plan's pools, the reports' pool usage and the Ledger's capacity", () => {
    const spec = fleet(4, { standby: 1 }, { a: 2, b: 2, c: 2 });
    const first = plan(spec);
    const drained = { ...structuredClone(spec), drain: ["fw-2"] };
    const r = sound(drained, first.ledger, plan(drained, { previous: first.ledger }));
    expect(r.pools.fw).toEqual({
      devices: ["fw-0", "fw-1", "fw-2", "fw-3"],
      needed: 2,
      standby: 1,
      template: "vfw",
    });
    expect(poolUsage(r).map((u) => [u.busy, u.standby])).toEqual([[2, 1]]);
    const view = ledgerView(drained, r.ledger, {});
    expect([view.capacity.pools.fw.busy, view.capacity.pools.fw.standby]).toEqual([2, 1]);
  });
});

describe("when allocations on one device change at once, the one that grew moves", () => {
  it("`big` grows while `small` shrinks one class: `big` moves, `small` stays", () => {
    const spec = (big: number, small: [number, number]): FleetSpec => {
      const s = fleet(6, {}, {});
      s.templates.vfw.capacity = { [SLOT]: 6, VCPU: 8 };
      s.allocations = {
        big: { tenant: "t", demand: { [SLOT]: big, VCPU: 1 } },
        small: { tenant: "t", demand: { [SLOT]: small[0], VCPU: small[1] } },
      };
      return s;
    };
    const first = plan(spec(4, [2, 2]));
    expect(devicesOf(first)).toEqual({ big: "fw-0", small: "fw-0" });
    const r = sound(spec(6, [2, 1]), first.ledger, plan(spec(6, [2, 1]), { previous: first.ledger }));
    expect(devicesOf(r)).toEqual({ big: "fw-1", small: "fw-0" });
    expect(r.changes.find((c) => c.op === "move")).toMatchObject({
      allocation: "big",
      reason: "`big` grew from 4 to 6 CUSTOM_SERVICE_SLOT; `fw-0` has 0 free",
    });
  });
});

describe("one ordering for what lands in state", () => {
  it("two specs that differ only in the key order of a demand give plans equal byte for byte", () => {
    const spec = (demand: Record<string, number>): FleetSpec => {
      const s = fleet(8, {}, {});
      s.templates.vfw.capacity = { [SLOT]: 8, VCPU: 8 };
      s.allocations = { a: { tenant: "t", demand } };
      return s;
    };
    const sorted = plan(spec({ [SLOT]: 1, VCPU: 2 }));
    const reversed = plan(spec({ VCPU: 2, [SLOT]: 1 }));
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(sorted));
    expect(Object.keys(reversed.ledger.placements.a.demand!)).toEqual([SLOT, "VCPU"]);
    const grown = plan(spec({ VCPU: 3, [SLOT]: 1 }), { previous: sorted.ledger });
    expect(JSON.stringify(grown.changes)).toBe(
      JSON.stringify(plan(spec({ [SLOT]: 1, VCPU: 3 }), { previous: sorted.ledger }).changes),
    );
  });
});

describe("`capacity` does not promise room a pending drain still needs", () => {
  const spec = fleet(4, { size: 3, disruptionBudget: 1 }, { a: 2, b: 2 });
  const first = plan(spec);
  const drained = { ...structuredClone(spec), drain: ["fw-0"] };
  const r = sound(drained, first.ledger, plan(drained, { previous: first.ledger }));
  const shape = [{ demand: { [SLOT]: 1 } }];

  /** The drained spec with `n` more one-slot allocations of new tenants. */
  const more = (n: number): FleetSpec => {
    const s = structuredClone(drained);
    for (let i = 0; i < n; i++) s.allocations![`new-${i}`] = { tenant: `new-${i}`, demand: { [SLOT]: 1 } };
    return s;
  };

  it("holds the deferred allocation's demand where it will go", () => {
    expect(devicesOf(r)).toEqual({ a: "fw-1", b: "fw-0" });
    expect(r.changes.filter((c) => c.op === "defer").map((c) => c.allocation)).toEqual(["b"]);
    // fw-1 has 2 free and fw-2 4, but `b` (2) still has to leave fw-0 for fw-1.
    expect(headroom(drained, r, shape)[0].pools.fw.existing).toEqual({ fits: 4, limit: SLOT });
  });

  it("so the next plan with that many more still makes the pending move, and one more defers it", () => {
    const four = plan(more(4), { previous: r.ledger });
    expect(four.ok).toBe(true);
    expect(four.changes.filter((c) => c.op === "move").map((c) => c.allocation)).toEqual(["b"]);
    const five = plan(more(5), { previous: r.ledger });
    expect(five.ok).toBe(true);
    expect(five.changes.filter((c) => c.op === "defer").map((c) => c.allocation)).toEqual(["b"]);
  });
});

describe("one decision per allocation", () => {
  it("an allocation on a drained device the circuit breaker holds is deferred once, for the breaker", () => {
    const spec = fleet(3, { max: 2, maxUnhealthyShare: 0.3 }, { a0: 1 });
    const first = plan(spec);
    const next = { ...structuredClone(spec), drain: ["fw-0"] };
    const r = sound(next, first.ledger, plan(next, { previous: first.ledger, health: { "fw-0": false } }));
    expect(devicesOf(r)).toEqual({ a0: "fw-0" });
    expect(r.changes.filter((c) => c.op !== "grow")).toEqual([
      {
        allocation: "a0",
        device: "fw-0",
        op: "defer",
        reason:
          "circuit breaker of pool `fw`: 1 of 1 devices unhealthy (100%, above `maxUnhealthyShare` 30%): not evacuating",
      },
    ]);
  });
});
