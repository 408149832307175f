/**
 * The warnings about changes that delete or restart a busy device: which changes carry one, their
 * wording (the Ledger logs each message as it is) and their order in the plan document.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../../core/types";
import { changeWarnings } from "../../core/warnings";

const replace = (over: Partial<Extract<Change, { op: "replace" }>>): Change => ({
  op: "replace",
  pool: "fw",
  device: "fw-1",
  changed: [],
  unknown: [],
  source: {},
  allocations: ["a-fw", "b-fw"],
  tenants: ["alpha", "bravo"],
  ...over,
});

const update = (over: Partial<Extract<Change, { op: "update" }>>): Change => ({
  ...(replace({}) as Extract<Change, { op: "replace" }>),
  op: "update",
  ...over,
});

const remove = (over: Partial<Extract<Change, { op: "remove" }>>): Change => ({
  op: "remove",
  pool: "old",
  devices: ["old-0", "old-1"],
  reason: "pool `old` is no longer owned by the spec",
  allocations: ["a-fw", "b-fw"],
  tenants: ["alpha", "bravo"],
  ...over,
});

describe("changeWarnings", () => {
  it.each<[string, Change, string[]]>([
    [
      "a changed field that re-creates the device",
      replace({ changed: ["image"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image changed): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "several changed fields, one tenant",
      replace({ changed: ["image", "networks"], allocations: ["a-fw"], tenants: ["alpha"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image, networks changed): it hosts `a-fw` of tenant `alpha`",
      ],
    ],
    [
      "an unknown field only",
      replace({ unknown: ["image"] }),
      [
        "device `fw-1` (pool `fw`) may be replaced (image is not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "an in-place change and unknown fields",
      replace({ changed: ["flavor"], unknown: ["image", "userData"] }),
      [
        "device `fw-1` (pool `fw`) may be replaced (flavor changed; image, userData are not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "a changed field and an unknown one",
      replace({ changed: ["image"], unknown: ["userData"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image changed; userData is not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    ["an idle replaced device", replace({ changed: ["image"], allocations: [], tenants: [] }), []],
    [
      "a flavor resize of a busy device (it reboots)",
      update({ changed: ["flavor"] }),
      [
        "device `fw-1` (pool `fw`) will be resized, which reboots it (flavor changed): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "a flavor not known until apply",
      update({ changed: ["securityGroups"], unknown: ["flavor"], allocations: ["a-fw"], tenants: ["alpha"] }),
      [
        "device `fw-1` (pool `fw`) may be resized, which reboots it (securityGroups changed; flavor is not known until apply): it hosts `a-fw` of tenant `alpha`",
      ],
    ],
    ["an in-place change that does not reboot", update({ changed: ["securityGroups", "metadata"] }), []],
    ["a flavor resize of an idle device", update({ changed: ["flavor"], allocations: [], tenants: [] }), []],
    [
      "a busy appliance re-racked",
      update({
        changed: ["zone"],
        fromZone: "row1",
        zone: "row2",
        allocations: ["a-fw"],
        tenants: ["alpha"],
      }),
      [
        "device `fw-1` (pool `fw`) will be re-racked (zone `row1` -> `row2`): it hosts `a-fw` of tenant `alpha`, down while it moves",
      ],
    ],
    [
      "a busy appliance given its first zone",
      update({ changed: ["zone"], fromZone: null, zone: "row2" }),
      [
        "device `fw-1` (pool `fw`) will be re-racked (zone none -> `row2`): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`, down while it moves",
      ],
    ],
    [
      "a removed pool whose devices host allocations",
      remove({}),
      [
        "devices `old-0`, `old-1` (pool `old`) will be deleted (pool `old` is no longer owned by the spec): they host `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "a removed pool of one device",
      remove({ devices: ["old-0"], allocations: ["a-fw"], tenants: ["alpha"] }),
      [
        "device `old-0` (pool `old`) will be deleted (pool `old` is no longer owned by the spec): it hosts `a-fw` of tenant `alpha`",
      ],
    ],
    ["an idle removed pool", remove({ allocations: [], tenants: [] }), []],
  ])("words the warning for %s", (_name, change, expected) => {
    expect(changeWarnings([change]).map((w) => w.message)).toEqual(expected);
  });

  it("lists one warning per busy device or removed pool, replace first, then remove and update, by pool and device", () => {
    const warnings = changeWarnings([
      update({ device: "fw-10", changed: ["flavor"], allocations: ["c-fw"], tenants: ["carol"] }),
      { op: "place", allocation: "x", tenant: "t", to: "fw-0", isolation: null, demand: {} },
      replace({ device: "fw-10", changed: ["image"], allocations: ["c-fw"], tenants: ["carol"] }),
      remove({}),
      replace({ device: "fw-2", changed: ["image"] }),
      update({ device: "fw-3", changed: ["metadata"] }),
    ]);
    expect(warnings.map((w) => [w.op, w.pool, w.devices])).toEqual([
      ["replace", "fw", ["fw-2"]],
      ["replace", "fw", ["fw-10"]],
      ["remove", "old", ["old-0", "old-1"]],
      ["update", "fw", ["fw-10"]],
    ]);
    expect(warnings[2]).toEqual({
      allocations: ["a-fw", "b-fw"],
      devices: ["old-0", "old-1"],
      message:
        "devices `old-0`, `old-1` (pool `old`) will be deleted (pool `old` is no longer owned by the spec): they host `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      op: "remove",
      pool: "old",
      tenants: ["alpha", "bravo"],
    });
  });
});
