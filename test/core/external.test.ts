import { describe, expect, it } from "vitest";
import { declaredDevices, isExternalPool, ledgerDevices } from "../../core/model";
import { plan } from "../../core/plan";
import { renderMarkdown, renderText, summarize } from "../../core/report";
import type { FleetSpec, PoolSpec } from "../../core/types";
import { validateSpec } from "../../core/validate";

const SLOT = "CUSTOM_SERVICE_SLOT";

/** One owned docker pool `lb` and two pools owned by fleet `infra`. */
const spec: FleetSpec = {
  templates: {
    lb: { driver: "docker", serviceTypes: ["lb"], capacity: { [SLOT]: 4 }, docker: { image: "haproxy:2.9" } },
  },
  pools: {
    fw: { external: { fleet: "infra" } },
    lb: { template: "lb" },
    vpn: { external: { fleet: "infra", pool: "vpn-gw" } },
  },
  allocations: {
    "a-fw": { tenant: "a", pools: ["fw"], demand: { [SLOT]: 1 } },
    "b-vpn": { tenant: "b", pools: ["vpn", "fw"], demand: { [SLOT]: 1 } },
    "c-lb": { tenant: "c", demand: { [SLOT]: 1 } },
    "d-fw": { tenant: "d", serviceType: "firewall", demand: { [SLOT]: 2 } },
    "e-any": { tenant: "e", pools: ["fw", "lb"], demand: { [SLOT]: 2 } },
  },
  backend: { kind: "placement", endpoint: "http://127.0.0.1:8778" },
};

describe("plan with external pools", () => {
  const result = plan(spec);

  it("claims every allocation whose eligible pools are all external, from the first in preference order", () => {
    expect(result.ok).toBe(true);
    expect(result.claims).toEqual({
      "a-fw": { fleet: "infra", pool: "fw" },
      "b-vpn": { fleet: "infra", pool: "vpn-gw" },
      "d-fw": { fleet: "infra", pool: "fw" },
    });
    expect(Object.keys(result.claims!)).toEqual(["a-fw", "b-vpn", "d-fw"]);
  });

  it("places allocations eligible for owned and external pools on the owned pools, largest first as ever", () => {
    expect(result.placements).toEqual({
      "c-lb": { device: "lb-1", isolation: null, pool: "lb", tenant: "c" },
      "e-any": { device: "lb-0", isolation: null, pool: "lb", tenant: "e" },
    });
    expect(result.changes).toEqual([
      {
        allocation: "c-lb",
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        isolation: null,
        op: "place",
        tenant: "c",
        to: "lb-1",
      },
      {
        allocation: "e-any",
        demand: { CUSTOM_SERVICE_SLOT: 2 },
        isolation: null,
        op: "place",
        tenant: "e",
        to: "lb-0",
      },
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
        source: result.ledger.pools["lb"].source,
      },
    ]);
  });

  it("gives external pools no devices, no size and no ledger entry", () => {
    expect(Object.keys(result.pools)).toEqual(["lb"]);
    expect(Object.keys(result.devices)).toEqual(["lb-0", "lb-1"]);
    expect(Object.keys(result.ledger.pools)).toEqual(["lb"]);
    expect(result.ledger.pools["lb"].devices).toEqual({ "lb-0": null, "lb-1": null });
    expect(
      ledgerDevices(spec, {
        version: 2,
        pools: { fw: { devices: { "fw-0": null }, source: {} } },
        placements: {},
      }),
    ).toEqual([]);
    expect(declaredDevices(spec, "fw")).toEqual([]);
    expect(isExternalPool(spec.pools["fw"])).toBe(true);
    expect(isExternalPool(spec.pools["lb"])).toBe(false);
  });

  it("keeps the result's keys sorted, `claims` among them", () => {
    expect(Object.keys(result)).toEqual([
      "changes",
      "claims",
      "devices",
      "errors",
      "ledger",
      "ok",
      "placements",
      "pools",
    ]);
  });

  it("has an empty `claims` without external pools, and on a failed plan", () => {
    const owned: FleetSpec = { ...spec, pools: { lb: { template: "lb" } }, backend: undefined };
    expect(
      plan({ ...owned, allocations: { "c-lb": { tenant: "c", demand: { [SLOT]: 1 } } } }).claims,
    ).toEqual({});
    const broken = plan({ ...spec, pools: { ...spec.pools, lb: { template: "nope" } } });
    expect(broken.ok).toBe(false);
    expect(broken.claims).toEqual({});
  });

  it("releases an allocation from this fleet's device when it becomes a claim", () => {
    const before: FleetSpec = {
      ...spec,
      allocations: { "a-fw": { tenant: "a", pools: ["lb"], demand: { [SLOT]: 1 } } },
    };
    const first = plan(before);
    expect(first.placements["a-fw"].device).toBe("lb-0");
    const after = plan(
      { ...spec, allocations: { "a-fw": { tenant: "a", pools: ["fw"], demand: { [SLOT]: 1 } } } },
      { previous: first.ledger },
    );
    expect(after.claims).toEqual({ "a-fw": { fleet: "infra", pool: "fw" } });
    expect(after.placements).toEqual({});
    expect(after.changes).toEqual([
      { allocation: "a-fw", from: "lb-0", op: "release", reason: "claimed from pool `fw` of fleet `infra`" },
      { op: "shrink", pool: "lb", from: 1, to: 0, devices: ["lb-0"], reason: "0 busy devices + `standby` 0" },
    ]);
    expect(after.ledger).toEqual({ placements: {}, pools: {}, version: 2 });
  });

  it("is deterministic: the same input gives byte-identical output", () => {
    expect(JSON.stringify(plan(spec))).toBe(JSON.stringify(result));
  });
});

describe("validateSpec with external pools", () => {
  it("accepts a pool with only `external`", () => {
    expect(validateSpec(spec)).toEqual([]);
  });

  it("refuses `external` next to any other pool field", () => {
    const pool = { external: { fleet: "infra" }, template: "lb", size: 2 } as unknown as PoolSpec;
    expect(validateSpec({ ...spec, pools: { ...spec.pools, fw: pool } })).toEqual([
      {
        path: "pools.fw.template",
        message:
          "pool `fw` is external (owned by fleet `infra`) but also sets `template`, `size`; `external` excludes every other pool field, because the pool's devices belong to fleet `infra`: remove them, or remove `external` to own the pool here",
      },
    ]);
  });

  it.each([
    [
      "absent",
      undefined,
      "backend",
      "pools `fw`, `vpn` are owned by another fleet and can only be claimed through OpenStack Placement, but `backend.kind` is `state` (the default): set `backend: { kind: placement }` (with `endpoint` or `cloud`), or own the pools here with `template` instead of `external`",
    ],
    [
      "state",
      { kind: "state" as const },
      "backend.kind",
      "pools `fw`, `vpn` are owned by another fleet and can only be claimed through OpenStack Placement, but `backend.kind` is `state`: set `backend: { kind: placement }` (with `endpoint` or `cloud`), or own the pools here with `template` instead of `external`",
    ],
  ])("needs the placement backend (backend %s)", (_name, backend, path, message) => {
    expect(validateSpec({ ...spec, backend })).toEqual([{ path, message }]);
  });

  it("refuses a pin to a device of an external pool, or on an allocation whose pools are all external", () => {
    const allocations = {
      x: { tenant: "t", pools: ["lb"], device: "fw-0", demand: { [SLOT]: 1 } },
      y: { tenant: "t", pools: ["fw"], device: "dev9", demand: { [SLOT]: 1 } },
      z: { tenant: "t", pools: ["fw", "vpn"], device: "dev9", demand: { [SLOT]: 1 } },
    };
    expect(validateSpec({ ...spec, allocations })).toEqual([
      {
        path: "allocations.x.device",
        message:
          "allocation `x` is pinned to device `fw-0`, but pool `fw` is external (owned by fleet `infra`), and Placement chooses the device in another fleet's pool: remove `device`, or pin to a device of a pool this fleet owns",
      },
      {
        path: "allocations.y.device",
        message:
          "allocation `y` is pinned to device `dev9`, but its pool `fw` is external (owned by fleet `infra`), and Placement chooses the device in another fleet's pool: remove `device`, or pin to a device of a pool this fleet owns",
      },
      {
        path: "allocations.z.device",
        message:
          "allocation `z` is pinned to device `dev9`, but its pools `fw`, `vpn` are all external, and Placement chooses the device in another fleet's pool: remove `device`, or pin to a device of a pool this fleet owns",
      },
    ]);
  });

  it("leaves service types, zones and resource classes of external pools to Placement", () => {
    const allocations = {
      x: { tenant: "t", pools: ["fw"], serviceType: "ids", zone: "az9", demand: { CUSTOM_IDS: 1 } },
    };
    expect(validateSpec({ ...spec, allocations })).toEqual([]);
    expect(plan({ ...spec, allocations }).claims).toEqual({ x: { fleet: "infra", pool: "fw" } });
  });
});

describe("reports with claims", () => {
  const small: FleetSpec = {
    ...spec,
    allocations: {
      "a-fw": spec.allocations!["a-fw"],
      "b-vpn": spec.allocations!["b-vpn"],
      "c-lb": spec.allocations!["c-lb"],
    },
  };
  const result = plan(small);

  it("counts them in the summary", () => {
    expect(summarize(result)).toBe("1 to place, pool lb 0 -> 1, 2 to claim from other fleets");
  });

  it("lists them in text under Claims from other fleets", () => {
    expect(renderText(result, { title: "edge.yaml" })).toBe(`servicevm plan edge.yaml: ok
  1 to place, pool lb 0 -> 1, 2 to claim from other fleets
  1 allocation on 1 of 1 devices; compared with no previous ledger (first plan)

Changes
  OP     WHAT     WHERE          DETAILS
  place  c-lb     -> lb-0        tenant c, dedicated
  grow   pool lb  0 -> 1 device  adds lb-0; 1 busy device + \`standby\` 0

Pools
  POOL  TEMPLATE  DEVICES  BUSY  STANDBY
  lb    lb        1        1     0

Capacity
  POOL  CLASS                USED / TOTAL  USE
  lb    CUSTOM_SERVICE_SLOT  1 / 4         ▓▓▓░░░░░░░ 25%

Placements
  ALLOCATION  TENANT  DEVICE  POOL  ISOLATION
  c-lb        c       lb-0    lb    dedicated

Claims from other fleets
  ALLOCATION  FLEET  POOL
  a-fw        infra  fw
  b-vpn       infra  vpn-gw
`);
  });

  it("lists them in Markdown in a short table", () => {
    expect(renderMarkdown(result).split("#### Claims from other fleets")[1]).toBe(`

| Allocation | Fleet | Pool |
|---|---|---|
| \`a-fw\` | \`infra\` | \`fw\` |
| \`b-vpn\` | \`infra\` | \`vpn-gw\` |
`);
  });

  it("cuts a long list at maxRows", () => {
    expect(renderText(result, { maxRows: 1 }).split("Claims from other fleets\n")[1]).toBe(
      "  ALLOCATION  FLEET  POOL\n  a-fw        infra  fw\n  ... and 1 more claims (use --format json for all)\n",
    );
  });
});
