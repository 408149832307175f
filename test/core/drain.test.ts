/**
 * Day 2 in the spec: draining devices (`drain`), disruption budgets and the circuit breaker
 * (`pools.<p>.disruptionBudget`, `maxUnhealthyShare`). Exact plans, the validation messages, and
 * properties over random fleets: a drained device never receives an allocation, a budget is never
 * exceeded, the invariants hold and the changes replay to the ledger.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkInvariants } from "../../core/invariants";
import { applyChanges } from "../../core/ledger";
import { plan } from "../../core/plan";
import type { Change, FleetSpec, Ledger, PlanResult } from "../../core/types";
import { validateSpec } from "../../core/validate";
import { checkSpec } from "../../schema";
import { feasibleFleet } from "./arbitraries";

/** 4-slot shared firewalls; allocations of 2 slots, one tenant each. */
function lab(
  names: string[],
  pool: Partial<FleetSpec["pools"][string]> = {},
  drain?: FleetSpec["drain"],
): FleetSpec {
  return {
    templates: {
      vfw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: { image: "vyos" },
      },
    },
    pools: { fw: { template: "vfw", standby: 1, max: 4, ...pool } as FleetSpec["pools"][string] },
    allocations: Object.fromEntries(names.map((n) => [n, { tenant: n, demand: { CUSTOM_SERVICE_SLOT: 2 } }])),
    ...(drain !== undefined ? { drain } : {}),
  };
}

const devicesOf = (r: PlanResult) =>
  Object.fromEntries(Object.entries(r.placements).map(([a, p]) => [a, p.device]));
const ops = (r: PlanResult) => r.changes.map((c) => c.op);

/** a, b on fw-0; c on fw-1; fw-2 standby. */
const BEFORE = plan(lab(["a", "b", "c"])).ledger;

function replays(previous: Ledger, r: PlanResult): void {
  expect(r.ok).toBe(true);
  expect(applyChanges(previous, r.changes)).toEqual(r.ledger);
}

describe("drain", () => {
  it("moves a drained device's allocations, keeps the device, and grows the pool to keep its standby", () => {
    expect(devicesOf(plan(lab(["a", "b", "c"])))).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1" });
    const r = plan(lab(["a", "b", "c"], {}, ["fw-1"]), { previous: BEFORE });
    replays(BEFORE, r);
    expect(r.changes).toEqual([
      {
        allocation: "c",
        from: "fw-1",
        isolation: { from: { id: 1, kind: "namespace" }, to: { id: 1, kind: "namespace" } },
        op: "move",
        reason: "device `fw-1` drained",
        to: "fw-2",
      },
      {
        devices: [{ name: "fw-3", zone: null }],
        from: 3,
        op: "grow",
        pool: "fw",
        reason: "2 busy devices + `standby` 1",
        source: BEFORE.pools.fw.source,
        to: 4,
      },
    ]);
    // The drained device stays (empty, not standby) until it leaves the list.
    expect(r.pools.fw).toEqual({
      devices: ["fw-0", "fw-1", "fw-2", "fw-3"],
      needed: 2,
      standby: 1,
      template: "vfw",
    });
    const back = plan(lab(["a", "b", "c"]), { previous: r.ledger });
    replays(r.ledger, back);
    expect(back.changes).toEqual([
      {
        devices: ["fw-3"],
        from: 4,
        op: "shrink",
        pool: "fw",
        reason: "2 busy devices + `standby` 1",
        to: 3,
      },
    ]);
  });

  it("makes at most `disruptionBudget` moves per plan, the fewest-loaded device first, and defers the rest to the next plans", () => {
    const spec = lab(["a", "b", "c"], { disruptionBudget: 1 }, ["fw-0", "fw-1"]);
    const first = plan(spec, { previous: BEFORE });
    replays(BEFORE, first);
    expect(first.changes.filter((c) => c.op !== "grow")).toEqual([
      {
        allocation: "c",
        from: "fw-1",
        isolation: { from: { id: 1, kind: "namespace" }, to: { id: 1, kind: "namespace" } },
        op: "move",
        reason: "device `fw-1` drained",
        to: "fw-2",
      },
      ...["a", "b"].map((allocation): Change => ({
        allocation,
        device: "fw-0",
        op: "defer",
        reason:
          "device `fw-0` drained, but the `disruptionBudget` of pool `fw` (1 per apply) is used: a later plan moves it",
      })),
    ]);
    const second = plan(spec, { previous: first.ledger });
    replays(first.ledger, second);
    expect(ops(second)).toEqual(["move", "defer"]);
    const third = plan(spec, { previous: second.ledger });
    replays(second.ledger, third);
    expect(ops(third)).toEqual(["move"]);
    expect(devicesOf(third)).toEqual({ a: "fw-2", b: "fw-3", c: "fw-2" });
    expect(ops(plan(spec, { previous: third.ledger }))).toEqual([]);
  });

  it("defers, with the reason, what it cannot move: a pin, or no room with the pool at `max`", () => {
    const pinned = lab(["a", "b", "c"], {}, ["fw-0"]);
    pinned.allocations!.a.device = "fw-0";
    const r = plan(pinned, { previous: BEFORE });
    replays(BEFORE, r);
    expect(r.changes.filter((c) => c.op === "defer")).toEqual([
      {
        allocation: "a",
        device: "fw-0",
        op: "defer",
        reason: "device `fw-0` drained, but it is pinned there (`allocations.a.device`)",
      },
    ]);
    const full = plan(lab(["a", "b", "c"], { max: 2 }, ["fw-0"]), {
      previous: plan(lab(["a", "b", "c"], { max: 2 })).ledger,
    });
    expect(full.ok).toBe(true);
    expect(full.changes).toEqual(
      [
        {
          allocation: "b",
          device: "fw-0",
          op: "defer",
          reason: "device `fw-0` drained, but no other device takes it (pool `fw` is at `max` 2)",
        },
        {
          allocation: "a",
          from: "fw-0",
          isolation: { from: { id: 1, kind: "namespace" }, to: { id: 2, kind: "namespace" } },
          op: "move",
          reason: "device `fw-0` drained",
          to: "fw-1",
        },
      ].sort((x, y) => (x.op === "move" ? -1 : y.op === "move" ? 1 : 0)),
    );
  });

  it("removes a device drained with `remove: true` once empty, and never gives its name to a new device while it is listed", () => {
    const spec = lab(["a", "b", "c"], {}, [{ device: "fw-0", remove: true }]);
    const first = plan(spec, { previous: BEFORE });
    replays(BEFORE, first);
    expect(first.pools.fw.devices).toEqual(["fw-1", "fw-2", "fw-3"]);
    expect(first.changes.filter((c) => c.op === "shrink" || c.op === "grow")).toEqual([
      {
        devices: [{ name: "fw-3", zone: null }],
        from: 3,
        op: "grow",
        pool: "fw",
        reason: "2 busy devices + `standby` 1; drained `fw-0` removed",
        source: BEFORE.pools.fw.source,
        to: 3,
      },
      {
        devices: ["fw-0"],
        from: 3,
        op: "shrink",
        pool: "fw",
        reason: "2 busy devices + `standby` 1; drained `fw-0` removed",
        to: 3,
      },
    ]);
    // Still listed: more allocations grow the pool past the hole, never into `fw-0`.
    const more = plan(lab(["a", "b", "c", "d", "e"], {}, [{ device: "fw-0", remove: true }]), {
      previous: first.ledger,
    });
    expect(more.ok).toBe(true);
    expect(more.pools.fw.devices).toEqual(["fw-1", "fw-2", "fw-3", "fw-4"]);
    expect(Object.values(more.placements).some((p) => p.device === "fw-0")).toBe(false);
  });

  it("drains a declared appliance: its allocations move, it stays declared", () => {
    const spec: FleetSpec = {
      templates: {
        fgt: {
          driver: "physical",
          capacity: { CUSTOM_SERVICE_SLOT: 4 },
          tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 100, last: 199 } },
        },
      },
      pools: { edge: { template: "fgt", devices: [{ name: "rack1-fw" }, { name: "rack2-fw" }] } },
      allocations: { a: { tenant: "a", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
    };
    const before = plan(spec);
    expect(devicesOf(before)).toEqual({ a: "rack1-fw" });
    const r = plan({ ...spec, drain: ["rack1-fw"] }, { previous: before.ledger });
    replays(before.ledger, r);
    expect(devicesOf(r)).toEqual({ a: "rack2-fw" });
    expect(r.pools.edge.devices).toEqual(["rack1-fw", "rack2-fw"]);
    expect(r.changes.map((c) => (c.op === "move" ? c.reason : c.op))).toEqual(["device `rack1-fw` drained"]);
  });

  it("names bad entries with the rule and the fix", () => {
    const spec = lab(["a"], {}, ["fw-9", "fw-1", "fw-1", "bogus", { device: "fw-2", remove: true }]);
    // `fw-9` is past `max` 4, but such a device exists when `max` was lowered: the plan checks it.
    expect(validateSpec(spec)).toEqual([
      {
        path: "drain[2]",
        message: "device `fw-1` is listed twice in `drain` (first at `drain[1]`): keep one",
      },
      {
        path: "drain[3]",
        message:
          "`bogus` is no device of this fleet: `drain` names a created device (`<pool>-<n>`, e.g. `fw-0`) or a declared one; no declared device is defined yet",
      },
    ]);
    // A created device that does not exist (yet) is the plan's error: it needs the ledger.
    const r = plan(lab(["a"], {}, ["fw-3", "fw-9"]), { previous: plan(lab(["a"])).ledger });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      {
        path: "drain[0]",
        message:
          "pool `fw` has no device `fw-3` to drain (its devices: `fw-0`, `fw-1`): remove it from `drain`",
      },
      {
        path: "drain[1]",
        message:
          "pool `fw` has no device `fw-9` to drain (its devices: `fw-0`, `fw-1`): remove it from `drain`",
      },
    ]);
  });
});

describe("the day-2 fields in a spec file", () => {
  it("names a budget below 0, a share above 1 and a fractional rebalance at their line and column", () => {
    const text = [
      "templates:",
      "  vfw: { driver: docker, capacity: { CUSTOM_SERVICE_SLOT: 4 }, docker: { image: vyos } }",
      "pools:",
      "  fw: { template: vfw, disruptionBudget: -1, maxUnhealthyShare: 2, rebalance: 1.5 }",
      "drain: [fw-0, { device: fw-1, remove: maybe }, 7]",
      "",
    ].join("\n");
    expect(
      checkSpec(text, "fleet.yaml").errors.map((e) => `${e.line}:${e.col}: ${e.path}: ${e.message}`),
    ).toEqual([
      "4:42: pools.fw.disruptionBudget: must be at least 0, not `-1`: use 0 or more",
      "4:65: pools.fw.maxUnhealthyShare: must be at most 1, not `2`: use 1 or less",
      "4:79: pools.fw.rebalance: must be a whole number, not the number `1.5`",
      "5:39: drain[1].remove: must be `true` or `false`, not the string `maybe`: write it like `true`",
      "5:48: drain[2]: must be a name or a mapping `{ device, remove }`; not the number `7`",
    ]);
  });
});

describe("the circuit breaker", () => {
  const spec = (share: number) => lab(["a", "b", "c"], { maxUnhealthyShare: share });
  const health = { "fw-0": false, "fw-1": false };

  it("keeps allocations on unhealthy devices when more than `maxUnhealthyShare` of the pool is unhealthy, and says so", () => {
    const r = plan(spec(0.5), { previous: BEFORE, health });
    replays(BEFORE, r);
    expect(devicesOf(r)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1" });
    const reason =
      "circuit breaker of pool `fw`: 2 of 3 devices unhealthy (66.7%, above `maxUnhealthyShare` 50%): not evacuating";
    expect(r.changes.filter((c) => c.op === "defer")).toEqual(
      ["a", "b", "c"].map((allocation) => ({
        allocation,
        device: allocation === "c" ? "fw-1" : "fw-0",
        op: "defer",
        reason,
      })),
    );
  });

  it("evacuates as usual while the share stays at or below it", () => {
    const r = plan(spec(0.7), { previous: BEFORE, health });
    replays(BEFORE, r);
    expect(r.changes.filter((c) => c.op === "defer")).toEqual([]);
    expect(Object.values(devicesOf(r)).some((d) => d === "fw-0" || d === "fw-1")).toBe(false);
  });
});

describe("drain and budgets over random fleets", () => {
  /** A random subset of the created devices of a planned fleet, and a budget per pool. */
  const edited = feasibleFleet
    .map((spec) => ({ spec, first: plan(spec) }))
    .filter(({ first }) => first.ok && Object.keys(first.devices).length > 0)
    .chain(({ spec, first }) =>
      fc.record({
        spec: fc.constant(spec),
        first: fc.constant(first),
        drain: fc.subarray(Object.keys(first.devices).sort()),
        budget: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      }),
    );

  it("never places on a drained device what was not there, never exceeds a budget, keeps the invariants and replays", () => {
    fc.assert(
      fc.property(edited, ({ spec, first, drain, budget }) => {
        const pools: FleetSpec["pools"] = {};
        for (const [name, pool] of Object.entries(spec.pools))
          pools[name] =
            budget === undefined || pool.external !== undefined
              ? pool
              : { ...pool, disruptionBudget: budget };
        const next: FleetSpec = { ...spec, pools, drain };
        const r = plan(next, { previous: first.ledger });
        if (!r.ok) return; // a drain that leaves too little room for the rest is a plan error
        expect(checkInvariants(next, r)).toEqual([]);
        expect(applyChanges(first.ledger, r.changes)).toEqual(r.ledger);
        for (const [name, p] of Object.entries(r.placements)) {
          if (drain.includes(p.device)) expect(first.placements[name]?.device).toBe(p.device);
        }
        if (budget !== undefined) {
          const moved = new Map<string, number>();
          for (const c of r.changes) {
            if (c.op !== "move" || !c.reason.includes("drained")) continue;
            const pool = first.placements[c.allocation].pool;
            moved.set(pool, (moved.get(pool) ?? 0) + 1);
          }
          for (const n of moved.values()) expect(n).toBeLessThanOrEqual(budget);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("rebalancing", () => {
  /** 8-slot firewalls; 3, 3, 5 and 5 slots added one at a time, as history places them. */
  function history(pool: Partial<FleetSpec["pools"][string]>): { spec: FleetSpec; ledger: Ledger } {
    const slots: Record<string, number> = { a: 3, b: 3, c: 5, d: 5 };
    const spec = (names: string[]): FleetSpec => ({
      templates: {
        vfw: {
          driver: "docker",
          capacity: { CUSTOM_SERVICE_SLOT: 8 },
          tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 8 } },
          docker: { image: "vyos" },
        },
      },
      pools: { fw: { template: "vfw", standby: 0, ...pool } as FleetSpec["pools"][string] },
      allocations: Object.fromEntries(
        names.map((n) => [n, { tenant: n, demand: { CUSTOM_SERVICE_SLOT: slots[n] } }]),
      ),
    });
    let ledger: Ledger | undefined;
    for (const n of [1, 2, 3, 4])
      ledger = plan(spec(["a", "b", "c", "d"].slice(0, n)), { previous: ledger }).ledger;
    return { spec: spec(["a", "b", "c", "d"]), ledger: ledger! };
  }

  it("consolidates a pack pool onto busy devices within `rebalance`, saying which device it frees and the lower bound", () => {
    const { spec, ledger } = history({});
    expect(devicesOf(plan(spec, { previous: ledger }))).toEqual({
      a: "fw-0",
      b: "fw-0",
      c: "fw-1",
      d: "fw-2",
    });
    const r = plan(
      { ...spec, pools: { fw: { ...spec.pools.fw, rebalance: 2 } as FleetSpec["pools"][string] } },
      { previous: ledger },
    );
    replays(ledger, r);
    expect(devicesOf(r)).toEqual({ a: "fw-1", b: "fw-2", c: "fw-1", d: "fw-2" });
    expect(
      r.changes.filter((c) => c.op === "move").map((c) => (c.op === "move" ? [c.allocation, c.reason] : [])),
    ).toEqual([
      ["a", "consolidate: frees `fw-0` (pool `fw`: 3 -> 2 busy devices, lower bound 2)"],
      ["b", "consolidate: frees `fw-0` (pool `fw`: 3 -> 2 busy devices, lower bound 2)"],
    ]);
    // Within one move nothing can be freed: nothing moves.
    const one = plan(
      { ...spec, pools: { fw: { ...spec.pools.fw, rebalance: 1 } as FleetSpec["pools"][string] } },
      { previous: ledger },
    );
    expect(one.changes).toEqual([]);
  });

  it("evens out a spread pool from the most to the least loaded device while that lowers the highest load", () => {
    // Packed history: a, b on fw-0 and c, d on fw-1 (full), fw-2 idle.
    const packed = plan(lab(["a", "b", "c", "d"], { standby: 0, min: 3 }));
    expect(devicesOf(packed)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1", d: "fw-1" });
    const spread = lab(["a", "b", "c", "d"], { standby: 0, min: 3, strategy: "spread", rebalance: 2 });
    const r = plan(spread, { previous: packed.ledger });
    replays(packed.ledger, r);
    // One move lowers fw-0 from 100% to 50%; a second (fw-1 to fw-2) would only move the 100%.
    expect(r.changes).toEqual([
      {
        allocation: "a",
        from: "fw-0",
        isolation: { from: { id: 1, kind: "namespace" }, to: { id: 1, kind: "namespace" } },
        op: "move",
        reason: "rebalance: `fw-0` at 100% -> `fw-2` (now 50% and 50%)",
        to: "fw-2",
      },
    ]);
    expect(plan(spread, { previous: r.ledger }).changes).toEqual([]);
  });

  it("never needs more devices in a pack pool, never exceeds `rebalance` or the budget, over random fleets", () => {
    fc.assert(
      fc.property(
        feasibleFleet,
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        (spec, moves, budget) => {
          const first = plan(spec);
          if (!first.ok) return;
          const pools: FleetSpec["pools"] = {};
          for (const [name, pool] of Object.entries(spec.pools)) {
            pools[name] =
              pool.external !== undefined || pool.devices !== undefined
                ? pool
                : {
                    ...pool,
                    rebalance: moves,
                    ...(budget !== undefined ? { disruptionBudget: budget } : {}),
                  };
          }
          const next: FleetSpec = { ...spec, pools };
          const r = plan(next, { previous: first.ledger });
          expect(r.ok).toBe(true);
          expect(checkInvariants(next, r)).toEqual([]);
          expect(applyChanges(first.ledger, r.changes)).toEqual(r.ledger);
          const perPool = new Map<string, number>();
          for (const c of r.changes) {
            if (c.op !== "move" || !/^(consolidate|rebalance):/.test(c.reason)) continue;
            const pool = first.placements[c.allocation].pool;
            perPool.set(pool, (perPool.get(pool) ?? 0) + 1);
          }
          for (const n of perPool.values())
            expect(n).toBeLessThanOrEqual(Math.min(moves, budget ?? Infinity));
          for (const [name, p] of Object.entries(first.pools)) {
            if ((spec.pools[name].strategy ?? "pack") !== "pack") continue;
            expect(r.pools[name].devices.length).toBeLessThanOrEqual(p.devices.length);
            expect(r.pools[name].needed).toBeLessThanOrEqual(p.needed);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
