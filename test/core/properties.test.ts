import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
import { checkInvariants } from "../../core/invariants";
import { EMPTY_LEDGER } from "../../core/ledger";
import { plan } from "../../core/plan";
import { validateSpec } from "../../core/validate";
import type { FleetSpec, PlanResult } from "../../core/types";
import { allocation, feasibleFleet, fleet } from "./arbitraries";

/** Allocations each plan keeps where the other put them, with the same isolation. */
function samePlacement(a: PlanResult, b: PlanResult, name: string): boolean {
  return canonicalJson(a.placements[name]) === canonicalJson(b.placements[name]);
}

const RUNS = { numRuns: 300 };

describe("planner properties over random fleets", () => {
  it("never exceeds capacity, never shares a context, keeps dedicated devices single-tenant and anti-affinity; an infeasible plan changes nothing", () => {
    let failed = 0;
    fc.assert(
      fc.property(fleet, (spec) => {
        const result = plan(spec);
        expect(checkInvariants(spec, result)).toEqual([]);
        if (result.ok) return;
        failed++;
        // An infeasible plan changes nothing and names each allocation it could not place.
        expect(result.changes).toEqual([]);
        expect(result.ledger).toEqual(EMPTY_LEDGER);
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) {
          const name = e.path.slice("allocations.".length);
          expect(e.path).toBe(`allocations.${name}`);
          expect(Object.keys(spec.allocations ?? {})).toContain(name);
          expect(e.message.startsWith(`allocation \`${name}\` (tenant \``)).toBe(true);
        }
      }),
      RUNS,
    );
    // The random fleets include infeasible ones, so the second half is exercised.
    expect(failed).toBeGreaterThan(10);
  });

  it("is deterministic: the same input gives byte-identical output", () => {
    fc.assert(
      fc.property(fleet, (spec) => {
        expect(canonicalJson(plan(structuredClone(spec)))).toBe(canonicalJson(plan(spec)));
      }),
      RUNS,
    );
  });

  it("is idempotent: planning a plan's own ledger changes nothing", () => {
    fc.assert(
      fc.property(feasibleFleet, (spec) => {
        const first = plan(spec);
        fc.pre(first.ok);
        const second = plan(spec, { previous: first.ledger });
        expect(second.changes).toEqual([]);
        expect(canonicalJson(second.ledger)).toBe(canonicalJson(first.ledger));
        expect(canonicalJson(second.placements)).toBe(canonicalJson(first.placements));
      }),
      RUNS,
    );
  });

  it("adding one allocation moves nothing else", () => {
    fc.assert(
      fc.property(feasibleFleet, allocation(3, false), (spec, extra) => {
        const first = plan(spec);
        fc.pre(first.ok);
        const pools = Object.keys(spec.pools);
        const added = { ...extra, pools: extra.pools?.filter((p) => pools.includes(p)) };
        if (added.pools?.length === 0) delete added.pools;
        const next: FleetSpec = { ...spec, allocations: { ...spec.allocations, zz: added } };
        fc.pre(validateSpec(next).length === 0);
        const second = plan(next, { previous: first.ledger });
        fc.pre(second.ok);
        for (const name of Object.keys(first.placements))
          expect(samePlacement(first, second, name)).toBe(true);
        expect(second.changes.filter((c) => c.op === "move" || c.op === "release")).toEqual([]);
        expect(checkInvariants(next, second)).toEqual([]);
      }),
      RUNS,
    );
  });

  it("removing one allocation moves nothing else and restores its capacity exactly", () => {
    fc.assert(
      fc.property(feasibleFleet, fc.nat(), (spec, pick) => {
        const first = plan(spec);
        const names = Object.keys(first.placements);
        fc.pre(first.ok && names.length > 0);
        const gone = names[pick % names.length];
        const { [gone]: removed, ...rest } = spec.allocations!;
        const second = plan({ ...spec, allocations: rest }, { previous: first.ledger });
        expect(second.ok).toBe(true);
        for (const name of Object.keys(rest)) expect(samePlacement(first, second, name)).toBe(true);
        const device = first.placements[gone].device;
        const before = first.devices[device];
        const after = second.devices[device];
        if (after !== undefined) {
          for (const [rc, amount] of Object.entries(removed.demand)) {
            expect(after.used[rc]).toBe(before.used[rc] - amount);
          }
        }
        expect(second.changes.filter((c) => c.op !== "shrink")).toEqual([
          { op: "release", allocation: gone, from: device, reason: "allocation removed from the spec" },
        ]);
      }),
      RUNS,
    );
  });

  it("an unhealthy device's allocations move and no other allocation does", () => {
    fc.assert(
      fc.property(feasibleFleet, fc.nat(), (spec, pick) => {
        const first = plan(spec);
        const busy = Object.keys(first.devices).filter((d) => first.devices[d].allocations.length > 0);
        fc.pre(first.ok && busy.length > 0);
        const sick = busy[pick % busy.length];
        const second = plan(spec, { previous: first.ledger, health: { [sick]: false } });
        fc.pre(second.ok);
        for (const [name, p] of Object.entries(first.placements)) {
          if (p.device === sick) {
            expect(second.placements[name].device).not.toBe(sick);
            expect(second.changes).toContainEqual({
              op: "move",
              allocation: name,
              from: sick,
              to: second.placements[name].device,
              reason: "device unhealthy",
              isolation: { from: first.placements[name].isolation, to: second.placements[name].isolation },
            });
          } else {
            expect(samePlacement(first, second, name)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });
});
