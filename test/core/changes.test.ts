import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../core/ledger";
import { plan } from "../../core/plan";
import { validateSpec } from "../../core/validate";
import type { Change, FleetSpec, HealthMap, Ledger, OwnedPoolSpec, TemplateSpec } from "../../core/types";
import { allocation, feasibleFleet } from "./arbitraries";

/** One edit of a fleet between two plans; `health` marks devices down. */
type Edit = (spec: FleetSpec, health: HealthMap) => void;

const pick = <T>(items: T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

const edit: fc.Arbitrary<Edit> = fc.oneof(
  allocation(3, true).map((a): Edit => (spec) => {
    const pools = Object.keys(spec.pools);
    const added = { ...a, pools: a.pools?.filter((p) => pools.includes(p)) };
    if (added.pools?.length === 0) delete added.pools;
    spec.allocations = { ...spec.allocations, zz: added };
  }),
  fc.nat().map((n): Edit => (spec) => {
    const name = pick(Object.keys(spec.allocations ?? {}), n);
    if (name !== undefined) delete spec.allocations![name];
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([n, slots]): Edit => (spec) => {
    const name = pick(Object.keys(spec.allocations ?? {}), n);
    if (name !== undefined) spec.allocations![name].demand.CUSTOM_SERVICE_SLOT = slots;
  }),
  fc.tuple(fc.nat(), fc.constantFrom("t1", "t2", "t6")).map(([n, tenant]): Edit => (spec) => {
    const name = pick(Object.keys(spec.allocations ?? {}), n);
    if (name !== undefined) spec.allocations![name].tenant = tenant;
  }),
  fc
    .tuple(fc.nat(), fc.subarray(["CUSTOM_A", "CUSTOM_B", "HW_NIC_SRIOV"]))
    .map(([n, traits]): Edit => (spec) => {
      const name = pick(Object.keys(spec.templates), n);
      if (name !== undefined) spec.templates[name].traits = traits;
    }),
  fc
    .tuple(fc.nat(), fc.constantFrom("CUSTOM_A", "HW_NIC_SRIOV", undefined))
    .map(([n, trait]): Edit => (spec) => {
      const name = pick(Object.keys(spec.allocations ?? {}), n);
      if (name === undefined) return;
      if (trait === undefined) delete spec.allocations![name].require;
      else spec.allocations![name].require = [trait];
    }),
  fc
    .tuple(fc.nat(), fc.constantFrom(["az1", "az2", "az3"], ["az2"], ["az2", "az1"], undefined))
    .map(([n, zones]): Edit => (spec) => {
      const name = pick(Object.keys(spec.pools), n);
      if (name === undefined) return;
      const pool = spec.pools[name] as OwnedPoolSpec;
      if (zones === undefined) delete pool.zones;
      else pool.zones = [...zones];
    }),
  fc
    .tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 2, max: 16 }))
    .map(([n, standby, max]): Edit => (spec) => {
      const name = pick(Object.keys(spec.pools), n);
      if (name === undefined) return;
      Object.assign(spec.pools[name], { standby: Math.min(standby, max), max });
    }),
  fc.tuple(fc.nat(), fc.constantFrom("img", "img:2", "other")).map(([n, image]): Edit => (spec) => {
    const name = pick(Object.keys(spec.templates), n);
    if (name !== undefined) spec.templates[name].docker = { image };
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([n, t]): Edit => (spec) => {
    const name = pick(Object.keys(spec.pools), n);
    const template = pick(Object.keys(spec.templates), t);
    if (name !== undefined && template !== undefined) (spec.pools[name] as OwnedPoolSpec).template = template;
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 4 })).map(([n, i]): Edit => (spec, health) => {
    const name = pick(Object.keys(spec.pools), n);
    if (name !== undefined) health[`${name}-${i}`] = !(health[`${name}-${i}`] ?? true);
  }),
  fc.nat().map((n): Edit => (spec) => {
    const names = Object.keys(spec.pools);
    const gone = pick(names, n);
    if (gone === undefined || names.length < 2) return;
    delete spec.pools[gone];
    for (const a of Object.values(spec.allocations ?? {})) {
      if (a.pools === undefined) continue;
      a.pools = a.pools.filter((p) => p !== gone);
      if (a.pools.length === 0) delete a.pools;
    }
  }),
);

describe("changes account for every difference between two ledgers", () => {
  it("applying a plan's changes to its previous ledger gives its ledger, over 1,000 random edit sequences", () => {
    fc.assert(
      fc.property(feasibleFleet, fc.array(edit, { minLength: 1, maxLength: 5 }), (initial, edits) => {
        let spec = initial;
        const health: HealthMap = {};
        let ledger: Ledger = plan(spec).ledger;
        for (const e of edits) {
          const next = structuredClone(spec);
          e(next, health);
          if (validateSpec(next).length > 0) continue;
          spec = next;
          const result = plan(spec, { previous: ledger, health });
          expect(applyChanges(ledger, result.changes)).toEqual(result.ledger);
          if (!result.ok) expect(result.changes).toEqual([]);
          ledger = result.ledger;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- one exact case per change kind: leaving that kind out breaks the replay ---------------

const SLOT = "CUSTOM_SERVICE_SLOT";

function docker(slots: number, extra: Partial<TemplateSpec> = {}): TemplateSpec {
  return { capacity: { [SLOT]: slots }, docker: { image: "haproxy:2.9" }, driver: "docker", ...extra };
}

const shared = { contexts: { first: 10, last: 20 }, isolation: "vrf", mode: "shared" } as const;

function base(): FleetSpec {
  return {
    allocations: {
      "alpha-fw": { demand: { [SLOT]: 1 }, tenant: "alpha" },
      "bravo-fw": { demand: { [SLOT]: 1 }, tenant: "bravo" },
    },
    pools: { fw: { template: "fw" } },
    templates: { fw: docker(4, { tenancy: shared }) },
  };
}

/** A second plan after `change`, and the first plan's ledger. */
function replan(
  change: (spec: FleetSpec) => void,
  first: FleetSpec = base(),
): { previous: Ledger; changes: Change[]; next: Ledger } {
  const previous = plan(first).ledger;
  const spec = structuredClone(first);
  change(spec);
  const result = plan(spec, { previous });
  expect(result.ok).toBe(true);
  return { changes: result.changes, next: result.ledger, previous };
}

const CASES: [Change["op"], () => ReturnType<typeof replan>][] = [
  [
    "place",
    () => replan((s) => (s.allocations!["charlie-fw"] = { demand: { [SLOT]: 1 }, tenant: "charlie" })),
  ],
  ["release", () => replan((s) => delete s.allocations!["bravo-fw"])],
  ["move", () => replan((s) => (s.allocations!["bravo-fw"].device = "fw-1"))],
  ["retenant", () => replan((s) => (s.allocations!["bravo-fw"].tenant = "alpha"))],
  [
    "reisolate",
    () => replan((s) => (s.templates.fw.tenancy = { ...shared, contexts: { first: 1, last: 8 } })),
  ],
  ["resize", () => replan((s) => (s.allocations!["bravo-fw"].demand[SLOT] = 2))],
  ["grow", () => replan((s) => ((s.pools.fw as OwnedPoolSpec).standby = 1))],
  [
    "shrink",
    () =>
      replan((s) => delete (s.pools.fw as OwnedPoolSpec).standby, {
        ...base(),
        pools: { fw: { standby: 2, template: "fw" } },
      }),
  ],
  [
    "remove",
    () =>
      replan((s) => {
        s.pools = { lb: { template: "fw" } };
      }),
  ],
  ["replace", () => replan((s) => (s.templates.fw.docker = { image: "haproxy:3.0" }))],
  [
    "update",
    () =>
      replan(
        (s) =>
          ((s.templates.fw.openstack as { metadata?: Record<string, string> }).metadata = { team: "net" }),
        openstackBase(),
      ),
  ],
];

function openstackBase(): FleetSpec {
  const spec = base();
  spec.templates.fw = {
    capacity: { [SLOT]: 4 },
    driver: "openstack",
    openstack: { flavor: { name: "m1.small" }, image: { name: "vyos-1.4" }, networks: ["mgmt"] },
    tenancy: shared,
  };
  return spec;
}

describe("each change kind is needed to replay a plan", () => {
  it.each(CASES)("leaving out `%s` changes breaks the replay", (op, run) => {
    const { changes, next, previous } = run();
    expect(changes.map((c) => c.op)).toContain(op);
    expect(applyChanges(previous, changes)).toEqual(next);
    expect(
      applyChanges(
        previous,
        changes.filter((c) => c.op !== op),
      ),
    ).not.toEqual(next);
  });
});

describe("changes that delete or restart a busy device name what it hosts", () => {
  it("a renamed pool's `remove` lists the allocations its devices hosted and their tenants", () => {
    const { changes, next, previous } = replan((s) => {
      s.pools = { edge: { template: "fw" } };
    });
    expect(changes.filter((c) => c.op === "remove")).toEqual([
      {
        allocations: ["alpha-fw", "bravo-fw"],
        devices: ["fw-0"],
        op: "remove",
        pool: "fw",
        reason: "pool `fw` is no longer owned by the spec",
        tenants: ["alpha", "bravo"],
      },
    ]);
    expect(applyChanges(previous, changes)).toEqual(next);
  });

  it("a re-racked appliance's `update` has its old zone beside the new one", () => {
    const rack = (zone: string): FleetSpec => ({
      allocations: { "alpha-fw": { demand: { [SLOT]: 1 }, tenant: "alpha" } },
      pools: {
        edge: {
          devices: [{ management: { url: "https://192.0.2.10/health" }, name: "rack1-fw01", zone }],
          template: "box",
        },
      },
      templates: { box: { capacity: { [SLOT]: 4 }, driver: "physical" } },
    });
    const { changes, next, previous } = replan((s) => {
      s.pools.edge = rack("row2").pools.edge;
    }, rack("row1"));
    expect(changes).toEqual([
      {
        allocations: ["alpha-fw"],
        changed: ["zone"],
        device: "rack1-fw01",
        fromZone: "row1",
        op: "update",
        pool: "edge",
        source: {},
        tenants: ["alpha"],
        unknown: [],
        zone: "row2",
      },
    ]);
    expect(applyChanges(previous, changes)).toEqual(next);
  });
});

describe("the reasons changes give", () => {
  it("says a device its neighbours filled has 0 free, never a negative amount", () => {
    const fleet = (mbps: number): FleetSpec => ({
      allocations: {
        a: { demand: { CUSTOM_MBPS: mbps }, tenant: "ta" },
        b: { demand: { CUSTOM_MBPS: mbps }, tenant: "tb" },
      },
      pools: { vpn: { max: 4, template: "gw" } },
      templates: {
        gw: { capacity: { CUSTOM_MBPS: 1000 }, docker: { image: "x:1" }, driver: "docker", tenancy: shared },
      },
    });
    const { changes } = replan((s) => Object.assign(s, fleet(1000)), fleet(500));
    expect(changes.find((c) => c.op === "move")).toEqual({
      allocation: "b",
      from: "vpn-0",
      isolation: { from: { id: 11, kind: "vrf" }, to: { id: 10, kind: "vrf" } },
      op: "move",
      reason: "`b` grew from 500 to 1000 CUSTOM_MBPS; `vpn-0` has 0 free",
      to: "vpn-1",
    });
  });
});
