import { describe, expect, it } from "vitest";
import { applyChanges } from "../../core/ledger";
import { plan } from "../../core/plan";
import { digest } from "../../core/sources";
import type { AllocationSpec, FleetSpec, LedgerV1, OwnedPoolSpec, TemplateSpec } from "../../core/types";

const SLOT = "CUSTOM_SERVICE_SLOT";

function openstack(extra: Partial<TemplateSpec> = {}): TemplateSpec {
  return {
    capacity: { [SLOT]: 4 },
    driver: "openstack",
    openstack: { flavor: { name: "m1.small" }, image: { name: "vyos-1.4" }, networks: ["mgmt"] },
    ...extra,
  };
}

function alloc(tenant: string, slots: number, extra: Partial<AllocationSpec> = {}): AllocationSpec {
  return { demand: { [SLOT]: slots }, tenant, ...extra };
}

/** Five tenants, one dedicated 4-slot device each, over three zones. */
function routers(): FleetSpec {
  const allocations: Record<string, AllocationSpec> = {};
  for (const t of ["a", "b", "c", "d", "e"]) allocations[`${t}-fw`] = alloc(t, 4);
  return {
    allocations,
    pools: { r: { template: "fw", zones: ["az1", "az2", "az3"] } },
    templates: { fw: openstack() },
  };
}

const zonesOf = (result: ReturnType<typeof plan>): Record<string, string | null> =>
  Object.fromEntries(Object.keys(result.devices).map((d) => [d, result.devices[d].zone]));

describe("devices keep their identity", () => {
  it("adding a zone re-zones no busy device; the next device goes to the least-populated zone", () => {
    const spec = routers();
    const first = plan(spec);
    expect(zonesOf(first)).toEqual({
      "r-0": "az1",
      "r-1": "az2",
      "r-2": "az3",
      "r-3": "az1",
      "r-4": "az2",
    });
    (spec.pools.r as OwnedPoolSpec).zones = ["az1", "az2", "az3", "az4"];
    spec.allocations!["f-fw"] = alloc("f", 4);
    const second = plan(spec, { previous: first.ledger });
    expect(zonesOf(second)).toEqual({
      "r-0": "az1",
      "r-1": "az2",
      "r-2": "az3",
      "r-3": "az1",
      "r-4": "az2",
      "r-5": "az4",
    });
    expect(second.changes.map((c) => c.op)).toEqual(["place", "grow"]);
  });

  it("retires a device whose zone left `zones`: its allocation moves with that reason and the idle device is removed", () => {
    const spec = routers();
    const first = plan(spec);
    (spec.pools.r as OwnedPoolSpec).zones = ["az1", "az2"];
    const second = plan(spec, { previous: first.ledger });
    expect(second.placements["c-fw"].device).toBe("r-5");
    expect(second.changes).toEqual([
      {
        allocation: "c-fw",
        from: "r-2",
        isolation: { from: null, to: null },
        op: "move",
        reason: "zone `az3` of `r-2` was removed from `pools.r.zones`",
        to: "r-5",
      },
      {
        devices: [{ name: "r-5", zone: "az1" }],
        from: 5,
        op: "grow",
        pool: "r",
        reason: "5 busy devices + `standby` 0",
        source: first.ledger.pools.r.source,
        to: 5,
      },
      {
        devices: ["r-2"],
        from: 5,
        op: "shrink",
        pool: "r",
        reason: "5 busy devices + `standby` 0; `r-2` retired: zone removed from `pools.r.zones`",
        to: 5,
      },
    ]);
    expect(applyChanges(first.ledger, second.changes)).toEqual(second.ledger);
  });

  it("keeps an allocation on a retired device while no other device can take it, and reports the move as deferred", () => {
    const spec = routers();
    const first = plan(spec);
    Object.assign(spec.pools.r, { max: 5, zones: ["az1", "az2"] });
    const second = plan(spec, { previous: first.ledger });
    expect(second.ok).toBe(true);
    expect(second.placements["c-fw"].device).toBe("r-2");
    expect(second.changes).toEqual([
      {
        allocation: "c-fw",
        device: "r-2",
        op: "defer",
        reason:
          "zone `az3` of `r-2` was removed from `pools.r.zones`, but no other device takes it (pool `r` is at `max` 5)",
      },
    ]);
    expect(second.ledger).toEqual(first.ledger);
  });

  it("keeps a busy device numbered past a fixed `size` when the pool has a hole below it", () => {
    const spec: FleetSpec = {
      allocations: { "a-fw": alloc("a", 4) },
      pools: { r: { size: 3, template: "fw" } },
      templates: { fw: openstack() },
    };
    const previous = {
      placements: { "a-fw": { context: null, demand: { [SLOT]: 4 }, device: "r-3", tenant: "a" } },
      pools: {
        r: { devices: { "r-0": null, "r-2": null, "r-3": null }, source: plan(spec).ledger.pools.r.source },
      },
      version: 2 as const,
    };
    const result = plan(spec, { previous });
    expect(result.pools.r.devices).toEqual(["r-0", "r-2", "r-3"]);
    expect(result.changes).toEqual([]);
  });

  it("reports a replace naming the device, what changed and the allocations and tenants on it", () => {
    const spec = routers();
    const first = plan(spec);
    spec.templates.fw.openstack!.image = { name: "vyos-1.5" };
    const second = plan(spec, { previous: first.ledger });
    const source = { ...first.ledger.pools.r.source, image: digest({ name: "vyos-1.5" }) };
    expect(second.changes.filter((c) => c.op === "replace")).toHaveLength(5);
    expect(second.changes[0]).toEqual({
      allocations: ["a-fw"],
      changed: ["image"],
      device: "r-0",
      op: "replace",
      pool: "r",
      source,
      tenants: ["a"],
      unknown: [],
    });
    expect(second.placements).toEqual(first.placements);
  });

  it("reports a flavor change as an update in place, and a value not known at plan time as a possible replace", () => {
    const spec: FleetSpec = { ...routers(), allocations: { "a-fw": alloc("a", 4) } };
    const first = plan(spec);
    spec.templates.fw.openstack!.flavor = { name: "m1.large" };
    expect(plan(spec, { previous: first.ledger }).changes).toEqual([
      {
        allocations: ["a-fw"],
        changed: ["flavor"],
        device: "r-0",
        op: "update",
        pool: "r",
        source: { ...first.ledger.pools.r.source, flavor: digest({ name: "m1.large" }) },
        tenants: ["a"],
        unknown: [],
      },
    ]);
    const unknownImage = { fw: { ...first.ledger.pools.r.source, image: null } };
    const preview = plan(routers(), { previous: first.ledger, sources: unknownImage });
    expect(preview.changes.find((c) => c.op === "replace")).toEqual({
      allocations: ["a-fw"],
      changed: [],
      device: "r-0",
      op: "replace",
      pool: "r",
      source: first.ledger.pools.r.source,
      tenants: ["a"],
      unknown: ["image"],
    });
  });

  it("lists the devices of a removed pool", () => {
    const spec = routers();
    const first = plan(spec);
    const second = plan({ ...spec, allocations: {}, pools: {} }, { previous: first.ledger });
    expect(second.changes.filter((c) => c.op === "remove")).toEqual([
      {
        allocations: ["a-fw", "b-fw", "c-fw", "d-fw", "e-fw"],
        devices: ["r-0", "r-1", "r-2", "r-3", "r-4"],
        op: "remove",
        pool: "r",
        reason: "pool `r` is no longer owned by the spec",
        tenants: ["a", "b", "c", "d", "e"],
      },
    ]);
  });

  it("upgrades a servicevm 0.1 ledger without moving, re-zoning or replacing anything", () => {
    const spec = routers();
    const v1: LedgerV1 = {
      placements: {
        "a-fw": { context: null, device: "r-0", tenant: "a" },
        "b-fw": { context: null, device: "r-1", tenant: "b" },
      },
      pools: { r: 2 },
      version: 1,
    };
    const result = plan(
      { ...spec, allocations: { "a-fw": alloc("a", 4), "b-fw": alloc("b", 4) } },
      { previous: v1 },
    );
    expect(result.changes).toEqual([]);
    expect(result.ledger.pools.r.devices).toEqual({ "r-0": "az1", "r-1": "az2" });
  });
});
