import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headroom, type HeadroomShape, specHeadroom, specShapes } from "../../core/headroom";
import { plan } from "../../core/plan";
import { renderHeadroomMarkdown } from "../../core/report/headroom";
import type { AllocationSpec, FleetSpec, HealthMap, OwnedPoolSpec, PlanResult } from "../../core/types";
import { allocation, feasibleFleet } from "./arbitraries";

const SLOT = "CUSTOM_SERVICE_SLOT";
const MBPS = "CUSTOM_THROUGHPUT_MBPS";

/** A small fleet: a shared pool (3 contexts) with zones, a dedicated pool, a fixed-size pool and a declared one. */
function fleet(): FleetSpec {
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: {
          [SLOT]: 8,
          [MBPS]: { total: 10000, reserved: 1000, minUnit: 100, maxUnit: 5000, stepSize: 100 },
        },
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 3 } },
        docker: { image: "fw" },
      },
      lb: { driver: "docker", capacity: { [SLOT]: 4 }, docker: { image: "lb" } },
      odd: {
        driver: "docker",
        capacity: { [SLOT]: { total: 10, reserved: 1, allocationRatio: 0.29 } },
        docker: { image: "odd" },
      },
      box: {
        driver: "physical",
        capacity: { [SLOT]: 16 },
        tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 100, last: 199 } },
      },
    },
    pools: {
      fw: { template: "fw", standby: 1, max: 6, zones: ["az1", "az2"] },
      lb: { template: "lb", standby: 1, max: 4 },
      odd: { template: "odd", size: 2 },
      edge: {
        template: "box",
        devices: [
          { name: "rack1-a", zone: "az1" },
          { name: "rack1-b", zone: "az2", capacity: { [SLOT]: 4 } },
        ],
      },
    },
    allocations: {
      "acme-fw": { tenant: "acme", pools: ["fw"], demand: { [SLOT]: 2, [MBPS]: 2000 } },
      "globex-fw": { tenant: "globex", pools: ["fw"], demand: { [SLOT]: 2, [MBPS]: 2000 } },
      "initech-fw": { tenant: "initech", pools: ["fw"], demand: { [SLOT]: 1, [MBPS]: 500 } },
      "acme-lb": { tenant: "acme", pools: ["lb"], demand: { [SLOT]: 1 } },
      "acme-edge": { tenant: "acme", pools: ["edge"], demand: { [SLOT]: 4 } },
    },
  };
}

describe("specShapes", () => {
  it("lists each distinct demand once, in the order of its first allocation, with its allocations", () => {
    expect(specShapes(fleet())).toEqual([
      { demand: { [SLOT]: 4 }, allocations: ["acme-edge"] },
      { demand: { [SLOT]: 2, [MBPS]: 2000 }, allocations: ["acme-fw", "globex-fw"] },
      { demand: { [SLOT]: 1 }, allocations: ["acme-lb"] },
      { demand: { [SLOT]: 1, [MBPS]: 500 }, allocations: ["initech-fw"] },
    ]);
  });
});

describe("headroom", () => {
  const spec = fleet();
  const result = plan(spec);

  it("counts new tenants on shared devices up to their free isolation contexts, per zone", () => {
    // fw-0 (az1) hosts acme, globex, initech: 3 of 3 contexts; fw-1 (az2) is the standby.
    const [h] = headroom(spec, result, [{ demand: { [SLOT]: 1, [MBPS]: 100 } }]);
    expect(h.pools.fw).toEqual({
      template: "fw",
      devices: 2,
      maxDevices: 6,
      existing: { fits: 3, limit: "contexts" },
      upToMax: { fits: 15, limit: "max" },
      zones: {
        az1: {
          devices: 1,
          maxDevices: 3,
          existing: { fits: 0, limit: "contexts" },
          upToMax: { fits: 6, limit: "max" },
        },
        az2: {
          devices: 1,
          maxDevices: 3,
          existing: { fits: 3, limit: "contexts" },
          upToMax: { fits: 9, limit: "max" },
        },
      },
    });
  });

  it("lets a tenant already on a shared device grow without a new context, until a class runs out", () => {
    // fw-0 has 3 of 8 slots left, and 9000 - 4500 Mbps: 3 more of 1 slot and 1000 Mbps for acme.
    const [acme] = headroom(spec, result, [{ demand: { [SLOT]: 1, [MBPS]: 1000 }, tenant: "acme" }]);
    expect(acme.pools.fw.zones.az1.existing).toEqual({ fits: 3, limit: SLOT });
    expect(acme.pools.fw.existing).toEqual({ fits: 3 + 8, limit: SLOT });
    // A tenant new to fw-0 finds no free context there.
    const [hooli] = headroom(spec, result, [{ demand: { [SLOT]: 1, [MBPS]: 1000 }, tenant: "hooli" }]);
    expect(hooli.pools.fw.zones.az1.existing).toEqual({ fits: 0, limit: "contexts" });
    expect(hooli.pools.fw.zones.az2.existing).toEqual({ fits: 8, limit: SLOT });
  });

  it("names the class whose free capacity runs out first", () => {
    // 4000 Mbps each: 9000 Mbps per device holds 2, before the 8 slots run out.
    const [h] = headroom(spec, result, [{ demand: { [SLOT]: 1, [MBPS]: 4000 }, tenant: "acme" }]);
    expect(h.pools.fw.zones.az2.existing).toEqual({ fits: 2, limit: MBPS });
  });

  it.each([
    [{ [SLOT]: 1, [MBPS]: 6000 }, `${MBPS}:maxUnit`],
    [{ [SLOT]: 1, [MBPS]: 50 }, `${MBPS}:minUnit`],
    [{ [SLOT]: 1, [MBPS]: 150 }, `${MBPS}:stepSize`],
  ])("fits no %j anywhere when the inventory refuses the amount (%s)", (demand, limit) => {
    const [h] = headroom(spec, result, [{ demand, tenant: "acme" }]);
    expect(h.pools.fw.existing).toEqual({ fits: 0, limit });
    expect(h.pools.fw.upToMax).toEqual({ fits: 0, limit });
  });

  it("gives a new tenant one idle dedicated device each, and a tenant its own devices' room", () => {
    // lb-0 hosts acme (1 of 4 slots), lb-1 is the standby.
    const [fresh, acme] = headroom(spec, result, [
      { demand: { [SLOT]: 1 } },
      { demand: { [SLOT]: 1 }, tenant: "acme" },
    ]);
    expect(fresh.pools.lb).toMatchObject({
      devices: 2,
      maxDevices: 4,
      existing: { fits: 1, limit: "dedicated" },
      upToMax: { fits: 3, limit: "max" },
      zones: {},
    });
    expect(acme.pools.lb).toMatchObject({
      existing: { fits: 3 + 4, limit: SLOT },
      upToMax: { fits: 3 + 12, limit: "max" },
    });
  });

  it("computes capacity as Placement does: (total - reserved) * allocationRatio", () => {
    // (10 - 1) * 0.29 = 2.61 slots per device: 2 of 1 slot, none of 3; a fixed size binds.
    const [one, three] = headroom(spec, result, [{ demand: { [SLOT]: 1 } }, { demand: { [SLOT]: 3 } }], {});
    expect(one.pools.odd).toMatchObject({
      devices: 2,
      maxDevices: 2,
      existing: { fits: 2, limit: "dedicated" },
      upToMax: { fits: 2, limit: "size" },
    });
    expect(three.pools.odd).toMatchObject({
      existing: { fits: 0, limit: SLOT },
      upToMax: { fits: 0, limit: SLOT },
    });
  });

  it("counts declared devices with their own capacity; more need more declared devices", () => {
    const [h] = headroom(spec, result, [{ demand: { [SLOT]: 4 }, tenant: "acme" }]);
    expect(h.pools.edge).toEqual({
      template: "box",
      devices: 2,
      maxDevices: 2,
      existing: { fits: 3 + 1, limit: SLOT },
      upToMax: { fits: 4, limit: "devices" },
      zones: {
        az1: {
          devices: 1,
          maxDevices: 1,
          existing: { fits: 3, limit: SLOT },
          upToMax: { fits: 3, limit: "devices" },
        },
        az2: {
          devices: 1,
          maxDevices: 1,
          existing: { fits: 1, limit: SLOT },
          upToMax: { fits: 1, limit: "devices" },
        },
      },
    });
  });

  it("leaves out pools without an inventory of every demanded class", () => {
    const [h] = headroom(spec, result, [{ demand: { [SLOT]: 1, [MBPS]: 100 } }]);
    expect(Object.keys(h.pools)).toEqual(["fw"]);
    expect(headroom(spec, result, [{ demand: { VCPU: 1 } }])[0].pools).toEqual({});
  });

  it("counts nothing on unhealthy devices", () => {
    const health = { "lb-1": false };
    const next = plan(spec, { previous: result.ledger, health });
    const [h] = headroom(spec, next, [{ demand: { [SLOT]: 1 }, tenant: "acme" }], { health });
    // lb-0 (acme, 3 free) and lb-2 (new standby, 4); lb-1 takes nothing.
    expect(h.pools.lb).toMatchObject({ devices: 3, existing: { fits: 7, limit: SLOT } });
  });

  it("counts nothing on a device whose zone left the pool's zones", () => {
    // `acme-fw` is pinned to fw-0, so fw-0 (az1) stays, retired, until it is idle.
    const moved: FleetSpec = {
      ...spec,
      pools: { ...spec.pools, fw: { ...(spec.pools.fw as OwnedPoolSpec), zones: ["az2", "az3"] } },
      allocations: { ...spec.allocations, "acme-fw": { ...spec.allocations!["acme-fw"], device: "fw-0" } },
    };
    const next = plan(moved, { previous: result.ledger });
    expect(next.ok).toBe(true);
    expect(next.devices["fw-0"].allocations).toEqual(["acme-fw"]);
    const [h] = headroom(moved, next, [{ demand: { [SLOT]: 1, [MBPS]: 100 }, tenant: "acme" }]);
    expect(h.pools.fw.zones.az1).toEqual({
      devices: 1,
      maxDevices: 1,
      existing: { fits: 0, limit: "zone" },
      upToMax: { fits: 0, limit: "max" },
    });
  });

  it("is what the Fleet shows for the spec's shapes (specHeadroom on the ledger)", () => {
    const shapes: HeadroomShape[] = specShapes(spec).map((s) => ({
      demand: s.demand,
      allocations: s.allocations.length,
    }));
    expect(specHeadroom(spec, result.ledger, {})).toEqual(headroom(spec, result, shapes));
    expect(specHeadroom(spec, result.ledger, {}).map((s) => s.allocations)).toEqual([1, 2, 1, 1]);
  });
});

// ---- the numbers against the real planner ------------------------------------------------------

/** `n` more allocations of `shape` in `pool` (and `zone`), named after every allocation of the spec. */
function withMore(spec: FleetSpec, pool: string, shape: HeadroomShape, n: number, zone?: string): FleetSpec {
  const allocations: Record<string, AllocationSpec> = { ...spec.allocations };
  for (let i = 0; i < n; i++) {
    const a: AllocationSpec = {
      tenant: shape.tenant ?? `zz-new-${i}`,
      pools: [pool],
      demand: { ...shape.demand },
    };
    if (zone !== undefined) a.zone = zone;
    allocations[`zz-more-${String(i).padStart(4, "0")}`] = a;
  }
  return { ...spec, allocations };
}

/** The devices the added allocations landed on, or null when the plan failed. */
function landed(result: PlanResult): Set<string> | null {
  if (!result.ok) return null;
  return new Set(
    Object.entries(result.placements)
      .filter(([n]) => n.startsWith("zz-more-"))
      .map(([, p]) => p.device),
  );
}

/** Most added allocations a check plans (keeps the property test fast). */
const MOST = 300;

describe("headroom against the planner, over random fleets", () => {
  it("n = existing more fit on the devices counted and n = existing + 1 do not; n = up to max fit and one more fails, per pool and per zone", () => {
    let checked = 0;
    let bound = 0;
    fc.assert(
      fc.property(
        feasibleFleet,
        allocation(3, false),
        fc.nat(),
        fc.constantFrom<"new" | "present" | "absent">("new", "new", "present", "absent"),
        fc.boolean(),
        (spec, extra, pick, mode, sick) => {
          let first = plan(spec);
          fc.pre(first.ok);
          let health: HealthMap = {};
          if (sick) {
            const devices = Object.keys(first.devices);
            fc.pre(devices.length > 0);
            health = { [devices[pick % devices.length]]: false };
            first = plan(spec, { previous: first.ledger, health });
            fc.pre(first.ok);
          }
          const pools = Object.keys(first.pools);
          const pool = pools[pick % pools.length];
          const tenants = [...new Set(Object.values(first.placements).map((p) => p.tenant))].sort();
          const tenant =
            mode === "new"
              ? null
              : mode === "present" && tenants.length > 0
                ? tenants[pick % tenants.length]
                : "zz-t";
          const shape: HeadroomShape = { demand: extra.demand, tenant };
          const h = headroom(spec, first, [shape], { health })[0].pools[pool];
          fc.pre(h !== undefined);
          const existing = new Set(first.pools[pool].devices);
          const again = (n: number, zone?: string): PlanResult =>
            plan(withMore(spec, pool, shape, n, zone), { previous: first.ledger, health });

          const rows: [string | undefined, typeof h][] = [[undefined, h]];
          for (const [zone, z] of Object.entries(h.zones)) rows.push([zone, { ...h, ...z }]);
          for (const [zone, row] of rows) {
            const inZone = (d: string): boolean => zone === undefined || first.devices[d]?.zone === zone;
            if (row.existing.fits + 1 <= MOST) {
              const fit = landed(again(row.existing.fits, zone));
              expect(fit).not.toBeNull();
              for (const d of fit!) expect(existing.has(d) && inZone(d)).toBe(true);
              const over = landed(again(row.existing.fits + 1, zone));
              expect(over === null || [...over].some((d) => !existing.has(d))).toBe(true);
              checked++;
            }
            if (row.upToMax.fits + 1 <= MOST) {
              expect(again(row.upToMax.fits, zone).ok).toBe(true);
              expect(again(row.upToMax.fits + 1, zone).ok).toBe(false);
              checked++;
            }
            if (row.existing.fits < row.upToMax.fits) bound++;
          }
        },
      ),
      { numRuns: 150 },
    );
    // Both numbers were checked, and often differ (the pool could grow).
    expect(checked).toBeGreaterThan(100);
    expect(bound).toBeGreaterThan(20);
  }, 120_000);
});

describe("renderHeadroomMarkdown", () => {
  it("fits the comment in maxChars, whole rows only, and counts what it leaves out", () => {
    const spec = fleet();
    const result = plan(spec);
    const shapes = specShapes(spec).map((s) => ({ demand: s.demand, allocations: s.allocations.length }));
    const report = { ok: true, errors: [], shapes: headroom(spec, result, shapes) };
    const full = renderHeadroomMarkdown(report);
    const rows = full.split("\n").filter((l) => l.startsWith("| `")).length;
    expect(rows).toBe(22);
    const cut = renderHeadroomMarkdown(report, { maxChars: 700 });
    expect(cut.length).toBeLessThanOrEqual(700);
    const shown = cut.split("\n").filter((l) => l.startsWith("| `")).length;
    expect(shown).toBeGreaterThan(0);
    expect(
      cut.endsWith(
        `_${rows - shown} rows not shown: \`servicevm capacity --format json\` has everything._\n`,
      ),
    ).toBe(true);
    expect(full).not.toContain("not shown");
  });
});

describe("headroom of a pool with a drained device", () => {
  it("counts nothing on a drained device, and says so when that binds", () => {
    const spec: FleetSpec = {
      templates: {
        vfw: {
          driver: "docker",
          capacity: { CUSTOM_SERVICE_SLOT: 4 },
          tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
          docker: { image: "vyos" },
        },
      },
      pools: { fw: { template: "vfw", size: 3 } },
      allocations: { a: { tenant: "a", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
    };
    const shape = [{ demand: { CUSTOM_SERVICE_SLOT: 1 } }];
    const open = headroom(spec, plan(spec), shape)[0].pools.fw.existing;
    // Two of three devices drained: they stop the most devices, so they are what binds.
    const drained = { ...spec, drain: ["fw-1", "fw-2"] };
    const r = plan(drained, { previous: plan(spec).ledger });
    expect(open).toEqual({ fits: 11, limit: "CUSTOM_SERVICE_SLOT" });
    expect(headroom(drained, r, shape)[0].pools.fw.existing).toEqual({ fits: 3, limit: "drained" });
  });
});
