import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
import { checkInvariants } from "../../core/invariants";
import { plan } from "../../core/plan";
import type { AllocationSpec, Change, FleetSpec, OwnedPoolSpec, TemplateSpec } from "../../core/types";

const SLOT = "CUSTOM_SERVICE_SLOT";

function docker(capacity: TemplateSpec["capacity"], extra: Partial<TemplateSpec> = {}): TemplateSpec {
  return { driver: "docker", capacity, docker: { image: "haproxy:2.9" }, ...extra };
}

function alloc(tenant: string, slots: number, extra: Partial<AllocationSpec> = {}): AllocationSpec {
  return { tenant, demand: { [SLOT]: slots }, ...extra };
}

function fleet(
  allocations: Record<string, AllocationSpec>,
  pool: Partial<OwnedPoolSpec> = {},
  template: TemplateSpec = docker({ [SLOT]: 8 }),
): FleetSpec {
  return { templates: { t8: template }, pools: { lb: { template: "t8", ...pool } }, allocations };
}

/** What the docker template's devices are created from (pins the digests: they must never change). */
const SOURCE = { driver: "f276fd3504d04825", image: "e9e45fb79c32db21" };

function place(allocation: string, to: string, slots: number, tenant = "t1"): Change {
  return { allocation, demand: { [SLOT]: slots }, isolation: null, op: "place", tenant, to };
}

function devicesOf(result: ReturnType<typeof plan>): Record<string, string> {
  return Object.fromEntries(Object.entries(result.placements).map(([n, p]) => [n, p.device]));
}

describe("placement order and packing", () => {
  it("places the largest demand first and fills the lowest-numbered device", () => {
    const spec = fleet({ small: alloc("t1", 2), big1: alloc("t1", 4), big2: alloc("t1", 4) });
    const result = plan(spec);
    expect(result.ok).toBe(true);
    expect(devicesOf(result)).toEqual({ big1: "lb-0", big2: "lb-0", small: "lb-1" });
    expect(result.pools).toEqual({
      lb: { template: "t8", devices: ["lb-0", "lb-1"], needed: 2, standby: 0 },
    });
    expect(result.changes).toEqual([
      place("big1", "lb-0", 4),
      place("big2", "lb-0", 4),
      place("small", "lb-1", 2),
      {
        op: "grow",
        pool: "lb",
        from: 0,
        to: 2,
        devices: [
          { name: "lb-0", zone: null },
          { name: "lb-1", zone: null },
        ],
        reason: "2 busy devices + `standby` 0",
        source: SOURCE,
      },
    ]);
    expect(result.devices["lb-0"]).toEqual({
      pool: "lb",
      index: 0,
      zone: null,
      healthy: true,
      capacity: { [SLOT]: 8 },
      used: { [SLOT]: 8 },
      free: { [SLOT]: 0 },
      tenants: ["t1"],
      allocations: ["big1", "big2"],
    });
  });

  it("breaks ties of equal demand by name", () => {
    const result = plan(fleet({ b: alloc("t1", 5), a: alloc("t1", 5) }));
    expect(devicesOf(result)).toEqual({ a: "lb-0", b: "lb-1" });
  });

  it("spreads over exactly the devices packing would use and keeps standby idle", () => {
    const spec = fleet(
      { a: alloc("t1", 3), b: alloc("t1", 3), c: alloc("t1", 3), d: alloc("t1", 3) },
      { strategy: "spread", standby: 1 },
    );
    const result = plan(spec);
    expect(devicesOf(result)).toEqual({ a: "lb-0", b: "lb-1", c: "lb-0", d: "lb-1" });
    expect(result.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2"],
      needed: 2,
      standby: 1,
    });
    const packed = plan({
      ...spec,
      pools: { lb: { ...(spec.pools["lb"] as OwnedPoolSpec), strategy: "pack" } },
    });
    expect(packed.pools["lb"].devices).toEqual(result.pools["lb"].devices);
  });

  it("uses a busy device of a later pool before growing an earlier one", () => {
    const spec: FleetSpec = {
      templates: { t8: docker({ [SLOT]: 8 }) },
      pools: { a: { template: "t8" }, b: { template: "t8" } },
      allocations: { x: alloc("t1", 2, { pools: ["b"] }), y: alloc("t1", 2) },
    };
    expect(devicesOf(plan(spec))).toEqual({ x: "b-0", y: "b-0" });
  });
});

describe("pool sizing", () => {
  it("adds standby idle devices to what the allocations need", () => {
    const result = plan(fleet({ a: alloc("t1", 8), b: alloc("t1", 8) }, { standby: 2 }));
    expect(result.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2", "lb-3"],
      needed: 2,
      standby: 2,
    });
  });

  it("clamps the size up to `min`", () => {
    expect(plan(fleet({ a: alloc("t1", 1) }, { min: 3 })).pools["lb"].devices).toEqual([
      "lb-0",
      "lb-1",
      "lb-2",
    ]);
  });

  it("clamps needed plus standby down to `max`", () => {
    const result = plan(fleet({ a: alloc("t1", 8), b: alloc("t1", 8) }, { max: 3, standby: 2 }));
    expect(result.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2"],
      needed: 2,
      standby: 1,
    });
  });

  it("keeps a fixed `size` whatever the allocations need", () => {
    const result = plan(fleet({ a: alloc("t1", 1) }, { size: 3 }));
    expect(result.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2"],
      needed: 1,
      standby: 2,
    });
    expect(result.ledger.pools).toEqual({
      lb: { devices: { "lb-0": null, "lb-1": null, "lb-2": null }, source: SOURCE },
    });
  });

  it("gives created devices zones round-robin", () => {
    const result = plan(fleet({}, { size: 3, zones: ["az1", "az2"] }));
    expect(Object.values(result.devices).map((d) => d.zone)).toEqual(["az1", "az2", "az1"]);
  });

  it("shrinks only idle devices at the top and never below the highest busy device", () => {
    const spec = fleet({ a: alloc("t1", 8), b: alloc("t1", 8), c: alloc("t1", 8) });
    const first = plan(spec);
    expect(devicesOf(first)).toEqual({ a: "lb-0", b: "lb-1", c: "lb-2" });
    delete spec.allocations!["b"];
    const second = plan(spec, { previous: first.ledger });
    expect(devicesOf(second)).toEqual({ a: "lb-0", c: "lb-2" });
    expect(second.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2"],
      needed: 2,
      standby: 1,
    });
    expect(second.changes).toEqual([
      { op: "release", allocation: "b", from: "lb-1", reason: "allocation removed from the spec" },
    ]);
    delete spec.allocations!["c"];
    const third = plan(spec, { previous: second.ledger });
    expect(third.changes).toEqual([
      { op: "release", allocation: "c", from: "lb-2", reason: "allocation removed from the spec" },
      {
        op: "shrink",
        pool: "lb",
        from: 3,
        to: 1,
        devices: ["lb-1", "lb-2"],
        reason: "1 busy device + `standby` 0",
      },
    ]);
  });

  it("moves allocations off devices removed by a lower `max`, naming the device", () => {
    const spec = fleet({ a: alloc("t1", 8), b: alloc("t1", 4), c: alloc("t1", 2) });
    const first = plan(spec);
    expect(devicesOf(first)).toEqual({ a: "lb-0", b: "lb-1", c: "lb-1" });
    spec.allocations!["a"] = alloc("t1", 2);
    const second = plan({ ...spec, pools: { lb: { template: "t8", max: 1 } } }, { previous: first.ledger });
    expect(second.ok).toBe(true);
    expect(devicesOf(second)).toEqual({ a: "lb-0", b: "lb-0", c: "lb-0" });
    const stay = { from: null, to: null };
    expect(second.changes).toEqual([
      { op: "resize", allocation: "a", device: "lb-0", from: { [SLOT]: 8 }, to: { [SLOT]: 2 } },
      {
        op: "move",
        allocation: "b",
        from: "lb-1",
        to: "lb-0",
        reason: "device `lb-1` removed",
        isolation: stay,
      },
      {
        op: "move",
        allocation: "c",
        from: "lb-1",
        to: "lb-0",
        reason: "device `lb-1` removed",
        isolation: stay,
      },
      { op: "shrink", pool: "lb", from: 2, to: 1, devices: ["lb-1"], reason: "1 busy device + `standby` 0" },
    ]);
  });

  it("counts unhealthy devices so that standby stays usable", () => {
    const first = plan(fleet({ a: alloc("t1", 8) }, { standby: 1 }));
    const second = plan(fleet({ a: alloc("t1", 8) }, { standby: 1 }), {
      previous: first.ledger,
      health: { "lb-1": false },
    });
    expect(second.pools["lb"]).toEqual({
      template: "t8",
      devices: ["lb-0", "lb-1", "lb-2"],
      needed: 1,
      standby: 1,
    });
  });
});

describe("candidate filters", () => {
  const multi: FleetSpec = {
    templates: {
      fw: docker({ [SLOT]: 8 }, { serviceTypes: ["firewall"], traits: ["HW_NIC_SRIOV", "CUSTOM_A"] }),
      lb: docker({ [SLOT]: 8 }, { serviceTypes: ["lb"], traits: ["CUSTOM_B"] }),
      any: docker({ [SLOT]: 8 }, { traits: ["CUSTOM_LEGACY"] }),
    },
    pools: { fw: { template: "fw" }, lb: { template: "lb" }, old: { template: "any" } },
    allocations: {},
  };
  const where = (a: AllocationSpec): string | undefined =>
    plan({ ...multi, allocations: { x: a } }).placements["x"]?.device;

  it.each([
    {
      name: "serviceType picks the pool whose template lists it",
      a: alloc("t", 1, { serviceType: "lb" }),
      device: "lb-0",
    },
    {
      name: "a template without serviceTypes hosts any type",
      a: alloc("t", 1, { serviceType: "lb", forbid: ["CUSTOM_B"] }),
      device: "old-0",
    },
    { name: "pools restricts the candidates", a: alloc("t", 1, { pools: ["old"] }), device: "old-0" },
    {
      name: "require needs every trait",
      a: alloc("t", 1, { require: ["HW_NIC_SRIOV", "CUSTOM_A"] }),
      device: "fw-0",
    },
    {
      name: "forbid excludes a trait",
      a: alloc("t", 1, { forbid: ["CUSTOM_A", "CUSTOM_B"] }),
      device: "old-0",
    },
    {
      name: "requireAny needs one of each set",
      a: alloc("t", 1, { requireAny: [["CUSTOM_B", "CUSTOM_LEGACY"], ["CUSTOM_LEGACY"]] }),
      device: "old-0",
    },
  ])("$name", ({ a, device }) => {
    expect(where(a)).toBe(device);
  });

  it("places an allocation with a zone only on devices of that zone", () => {
    const result = plan(
      fleet(
        { a: alloc("t1", 1, { zone: "az2" }), b: alloc("t1", 1, { zone: "az1" }) },
        { zones: ["az1", "az2"] },
      ),
    );
    expect(devicesOf(result)).toEqual({ a: "lb-1", b: "lb-0" });
  });

  it("puts members of one anti-affinity group on distinct devices", () => {
    const result = plan(
      fleet({
        a: alloc("t1", 1, { antiAffinityGroup: "ha" }),
        b: alloc("t1", 1, { antiAffinityGroup: "ha" }),
        c: alloc("t1", 1),
      }),
    );
    expect(devicesOf(result)).toEqual({ a: "lb-0", b: "lb-1", c: "lb-0" });
  });

  it("honours a pin, creating the pinned device and no idle ones below it (holes stay holes)", () => {
    const result = plan(fleet({ a: alloc("t1", 1, { device: "lb-2" }) }));
    expect(devicesOf(result)).toEqual({ a: "lb-2" });
    expect(result.pools["lb"].devices).toEqual(["lb-2"]);
    // A new device takes the lowest free number only when the pool needs one.
    const more = plan(fleet({ a: alloc("t1", 1, { device: "lb-2" }), b: alloc("t2", 1) }), {
      previous: result.ledger,
    });
    expect(devicesOf(more)).toEqual({ a: "lb-2", b: "lb-0" });
    expect(more.pools["lb"].devices).toEqual(["lb-0", "lb-2"]);
  });

  it("places nothing new on an unhealthy device", () => {
    const result = plan(fleet({ a: alloc("t1", 1) }, { size: 2 }), { health: { "lb-0": false } });
    expect(devicesOf(result)).toEqual({ a: "lb-1" });
  });
});

describe("tenancy", () => {
  it("keeps a dedicated device to one tenant", () => {
    const result = plan(fleet({ a: alloc("t1", 1), b: alloc("t2", 1), c: alloc("t1", 1) }));
    expect(devicesOf(result)).toEqual({ a: "lb-0", b: "lb-1", c: "lb-0" });
    expect(result.placements["a"].isolation).toBeNull();
  });

  const shared = docker(
    { [SLOT]: 8 },
    { tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 100, last: 101 } } },
  );

  it("gives each tenant on a shared device its own context, lowest free first", () => {
    const result = plan(
      fleet({ a: alloc("t1", 1), b: alloc("t2", 1), c: alloc("t1", 1), d: alloc("t3", 1) }, {}, shared),
    );
    expect(result.placements).toEqual({
      a: { device: "lb-0", pool: "lb", tenant: "t1", isolation: { kind: "vlan", id: 100 } },
      b: { device: "lb-0", pool: "lb", tenant: "t2", isolation: { kind: "vlan", id: 101 } },
      c: { device: "lb-0", pool: "lb", tenant: "t1", isolation: { kind: "vlan", id: 100 } },
      d: { device: "lb-1", pool: "lb", tenant: "t3", isolation: { kind: "vlan", id: 100 } },
    });
  });

  it("keeps contexts stable when another tenant leaves and reuses the freed one", () => {
    const spec = fleet({ a: alloc("t1", 1), b: alloc("t2", 1) }, {}, shared);
    const first = plan(spec);
    delete spec.allocations!["a"];
    const second = plan(spec, { previous: first.ledger });
    expect(second.placements["b"].isolation).toEqual({ kind: "vlan", id: 101 });
    spec.allocations!["e"] = alloc("t4", 1);
    const third = plan(spec, { previous: second.ledger });
    expect(third.placements["e"].isolation).toEqual({ kind: "vlan", id: 100 });
    expect(third.placements["b"].isolation).toEqual({ kind: "vlan", id: 101 });
  });
});

describe("stickiness", () => {
  it("adding an allocation moves nothing else", () => {
    const spec = fleet({ a: alloc("t1", 3), b: alloc("t1", 3) });
    const first = plan(spec);
    spec.allocations!["big"] = alloc("t1", 8);
    const second = plan(spec, { previous: first.ledger });
    expect(devicesOf(second)).toEqual({ a: "lb-0", b: "lb-0", big: "lb-1" });
    expect(second.changes).toEqual([
      place("big", "lb-1", 8),
      {
        op: "grow",
        pool: "lb",
        from: 1,
        to: 2,
        devices: [{ name: "lb-1", zone: null }],
        reason: "2 busy devices + `standby` 0",
        source: SOURCE,
      },
    ]);
  });

  it("a plan of its own ledger changes nothing", () => {
    const spec = fleet({ a: alloc("t1", 3), b: alloc("t2", 6), c: alloc("t1", 1) }, { standby: 1 });
    const first = plan(spec);
    const second = plan(spec, { previous: first.ledger });
    expect(second.changes).toEqual([]);
    expect(canonicalJson(second.ledger)).toBe(canonicalJson(first.ledger));
  });

  it("moves an allocation whose demand grew, with the numbers in the reason", () => {
    const spec = fleet({ a: alloc("t1", 4), b: alloc("t1", 4) });
    const first = plan(spec);
    spec.allocations!["b"] = alloc("t1", 6);
    const second = plan(spec, { previous: first.ledger });
    expect(second.changes).toEqual([
      {
        op: "move",
        allocation: "b",
        from: "lb-0",
        to: "lb-1",
        reason: "`b` grew from 4 to 6 CUSTOM_SERVICE_SLOT; `lb-0` has 0 free",
        isolation: { from: null, to: null },
      },
      { op: "resize", allocation: "b", device: "lb-1", from: { [SLOT]: 4 }, to: { [SLOT]: 6 } },
      {
        op: "grow",
        pool: "lb",
        from: 1,
        to: 2,
        devices: [{ name: "lb-1", zone: null }],
        reason: "2 busy devices + `standby` 0",
        source: SOURCE,
      },
    ]);
  });

  it("moves the services of an unhealthy device and reports why", () => {
    const spec = fleet({ a: alloc("t1", 4) }, { standby: 1 });
    const first = plan(spec);
    const second = plan(spec, { previous: first.ledger, health: { "lb-0": false } });
    expect(second.changes).toEqual([
      {
        op: "move",
        allocation: "a",
        from: "lb-0",
        to: "lb-1",
        reason: "device unhealthy",
        isolation: { from: null, to: null },
      },
      {
        op: "grow",
        pool: "lb",
        from: 2,
        to: 3,
        devices: [{ name: "lb-2", zone: null }],
        reason: "1 busy device + `standby` 1 + 1 unhealthy",
        source: SOURCE,
      },
    ]);
  });

  it("moves an allocation whose required trait its device lacks", () => {
    const spec: FleetSpec = {
      templates: { plain: docker({ [SLOT]: 8 }), fast: docker({ [SLOT]: 8 }, { traits: ["CUSTOM_FAST"] }) },
      pools: { a: { template: "plain" }, b: { template: "fast" } },
      allocations: { x: alloc("t1", 1, { pools: ["a", "b"] }) },
    };
    const first = plan(spec);
    expect(devicesOf(first)).toEqual({ x: "a-0" });
    spec.allocations!["x"].require = ["CUSTOM_FAST"];
    expect(plan(spec, { previous: first.ledger }).changes).toEqual([
      {
        op: "move",
        allocation: "x",
        from: "a-0",
        to: "b-0",
        reason: "`a-0` lacks required trait `CUSTOM_FAST`",
        isolation: { from: null, to: null },
      },
      { op: "shrink", pool: "a", from: 1, to: 0, devices: ["a-0"], reason: "0 busy devices + `standby` 0" },
      {
        op: "grow",
        pool: "b",
        from: 0,
        to: 1,
        devices: [{ name: "b-0", zone: null }],
        reason: "1 busy device + `standby` 0",
        source: SOURCE,
      },
    ]);
  });
});

describe("errors", () => {
  it("names the pool, the numbers and the fix when capacity runs out", () => {
    const result = plan(fleet({ a: alloc("t1", 8), b: alloc("t1", 8), c: alloc("t1", 4) }, { max: 2 }));
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      {
        path: "allocations.c",
        message:
          "allocation `c` (tenant `t1`) needs 4 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 2): 2 devices have at most 0 CUSTOM_SERVICE_SLOT free; raise `pools.lb.max` from 2 to 3 (1 device more)",
      },
    ]);
  });

  it("groups devices by the constraint that excluded them", () => {
    const spec = fleet({ a: alloc("t1", 6, { require: ["HW_NIC_SRIOV"] }) }, { max: 3 });
    expect(plan(spec).errors[0].message).toBe(
      "allocation `a` (tenant `t1`) needs 6 CUSTOM_SERVICE_SLOT with trait `HW_NIC_SRIOV`; pool `lb` (`max` 3): 3 devices without trait `HW_NIC_SRIOV`; drop trait `HW_NIC_SRIOV` from `allocations.a.require`",
    );
  });

  it("returns the spec's validation errors without planning", () => {
    const spec = fleet(
      { a: alloc("t1", 1, { serviceType: "vpn" }) },
      {},
      docker({ [SLOT]: 8 }, { serviceTypes: ["lb"] }),
    );
    const result = plan(spec);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.path)).toEqual(["allocations.a.serviceType"]);
    expect(result.placements).toEqual({});
  });

  it("says when no pool of the allocation hosts its service type", () => {
    const spec: FleetSpec = {
      templates: {
        t8: docker({ [SLOT]: 8 }, { serviceTypes: ["lb"] }),
        v: docker({ [SLOT]: 8 }, { serviceTypes: ["vpn"] }),
      },
      pools: { lb: { template: "t8" }, vpn: { template: "v" } },
      allocations: { a: alloc("t1", 1, { serviceType: "vpn", pools: ["lb"] }) },
    };
    expect(plan(spec).errors).toEqual([
      {
        path: "allocations.a.serviceType",
        message:
          "allocation `a` has `serviceType: vpn`, which no template of its pools (`lb`) lists in `serviceTypes` (they list `lb`): add `vpn` to a template's `serviceTypes` or change `pools`",
      },
    ]);
  });

  it("places pinned allocations before the others", () => {
    const result = plan(fleet({ a: alloc("t1", 8), b: alloc("t2", 1, { device: "lb-0" }) }));
    expect(devicesOf(result)).toEqual({ a: "lb-1", b: "lb-0" });
  });

  it("explains a pin that cannot be honoured", () => {
    const spec = fleet({ a: alloc("t1", 2, { device: "lb-0" }), b: alloc("t2", 1, { device: "lb-0" }) });
    expect(plan(spec).errors[0].message).toBe(
      "allocation `b` (tenant `t2`) needs 1 CUSTOM_SERVICE_SLOT on pinned device `lb-0`, but `lb-0` is dedicated to tenant `t1`; make template `t8` shared (`templates.t8.tenancy`: mode `shared`, isolation `namespace`, contexts 1-2) or unpin it (`allocations.b.device`)",
    );
  });

  it("suggests widening the context range when contexts run out", () => {
    const tpl = docker(
      { [SLOT]: 8 },
      { tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 1 } } },
    );
    const result = plan(fleet({ a: alloc("t1", 1), b: alloc("t2", 1) }, { max: 1 }, tpl));
    expect(result.errors[0].message).toBe(
      "allocation `b` (tenant `t2`) needs 1 CUSTOM_SERVICE_SLOT; pool `lb` (`max` 1): 1 device without a free isolation context; raise `pools.lb.max` from 1 to 2 (1 device more) or widen `templates.t8.tenancy.contexts` to 1-2 (1 more)",
    );
  });

  it("keeps the previous ledger and placements and reports no change when the plan fails", () => {
    const spec = fleet({ a: alloc("t1", 4) }, { max: 1 });
    const first = plan(spec);
    spec.allocations!["b"] = alloc("t2", 4);
    const second = plan(spec, { previous: first.ledger });
    expect(second.ok).toBe(false);
    expect(second.ledger).toEqual(first.ledger);
    expect(second.changes).toEqual([]);
    expect(second.placements).toEqual({ a: { device: "lb-0", isolation: null, pool: "lb", tenant: "t1" } });
  });
});

describe("physical pools", () => {
  it("places on declared appliances in declaration order and never sizes them", () => {
    const spec: FleetSpec = {
      templates: {
        box: {
          driver: "physical",
          capacity: { [SLOT]: 4 },
          tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 10, last: 20 } },
        },
      },
      pools: {
        edge: {
          template: "box",
          devices: [
            { name: "rack1-fw", zone: "az1" },
            { name: "rack2-fw", capacity: { [SLOT]: 16 } },
          ],
        },
      },
      allocations: { a: alloc("t1", 4), b: alloc("t2", 8) },
    };
    const result = plan(spec);
    expect(result.placements).toEqual({
      a: { device: "rack1-fw", pool: "edge", tenant: "t1", isolation: { kind: "vlan", id: 10 } },
      b: { device: "rack2-fw", pool: "edge", tenant: "t2", isolation: { kind: "vlan", id: 10 } },
    });
    expect(result.ledger.pools).toEqual({
      edge: { devices: { "rack1-fw": "az1", "rack2-fw": null }, source: {} },
    });
    expect(result.changes.filter((c) => c.op === "grow")).toEqual([
      {
        op: "grow",
        pool: "edge",
        from: 0,
        to: 2,
        devices: [
          { name: "rack1-fw", zone: "az1" },
          { name: "rack2-fw", zone: null },
        ],
        reason: "declared in `pools.edge.devices`",
        source: {},
      },
    ]);
    expect(checkInvariants(spec, result)).toEqual([]);
  });
});

describe("determinism", () => {
  it("gives byte-identical output for the same input", () => {
    const spec = fleet(
      { a: alloc("t1", 3), b: alloc("t2", 3), c: alloc("t3", 2) },
      { strategy: "spread", standby: 2, zones: ["z1", "z2"] },
    );
    expect(canonicalJson(plan(spec))).toBe(canonicalJson(plan(structuredClone(spec))));
  });
});
