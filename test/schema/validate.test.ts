import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPath, parsePath, validateSpec } from "../../core/validate";
import type { FleetSpec } from "../../core/types";
import { BASE, edit, problems } from "./helpers";

const OPENSTACK = "    openstack: { image: { name: vyos }, flavor: { name: m1.large }, networks: [mgmt] }\n";
const DEMAND = "    demand: { CUSTOM_SERVICE_SLOT: 1 }\n";
const DEVICES = "    devices:\n      - name: rack1-fw01\n        zone: az2\n";

describe("validateSpec through the loader", () => {
  it("accepts the base fleet", () => {
    expect(problems(BASE)).toEqual([]);
  });

  it.each([
    [
      "a pool's unknown template",
      ["    template: fw\n", "    template: fw-lage\n"],
      [
        "fleet.yaml:14:15: pools.fw.template: pool `fw` uses template `fw-lage`, which is not defined: defined templates: `box`, `fw`",
      ],
    ],
    [
      "a misspelt template with a suggestion",
      ["    template: box\n", "    template: bx\n"],
      [
        "fleet.yaml:18:15: pools.edge.template: pool `edge` uses template `bx`, which is not defined: did you mean `box`?",
      ],
    ],
    [
      "a driver block that is not the one named by `driver`",
      [OPENSTACK, `${OPENSTACK}    docker: { image: vyos }\n`],
      [
        "fleet.yaml:9:5: templates.fw.docker: template `fw` has `driver: openstack` but a `docker` block; only the block named by `driver` is allowed: remove `docker` or set `driver: docker`",
      ],
    ],
    [
      "a missing driver block",
      [OPENSTACK, ""],
      [
        "fleet.yaml:2:3: templates.fw: template `fw` has `driver: openstack` but no `openstack` block: add `openstack: { image: { name: ... }, flavor: { name: ... }, networks: [...] }`",
      ],
    ],
    [
      "a declared device named like a created one",
      ["      - name: rack1-fw01\n", "      - name: fw-3\n"],
      [
        "fleet.yaml:20:15: pools.edge.devices[0].name: device `fw-3` of pool `edge` has the name of device 3 of pool `fw`, which creates `fw-0`..`fw-3` (`max: 4`); device names are unique across the fleet: rename the device",
      ],
    ],
    [
      "a declared device name used twice",
      [DEVICES, `${DEVICES}      - name: rack1-fw01\n`],
      [
        "fleet.yaml:22:15: pools.edge.devices[1].name: device `rack1-fw01` is declared twice, at `pools.edge.devices[0]` and `pools.edge.devices[1]`; device names are unique across the fleet: rename one",
      ],
    ],
    [
      "a pin to a device outside the allocation's pools",
      [DEMAND, `${DEMAND}    pools: [fw]\n    device: rack1-fw01\n`],
      [
        "fleet.yaml:28:13: allocations.a.device: allocation `a` is pinned to device `rack1-fw01` of pool `edge`, which is not among its `pools` (`fw`): add `edge` to `pools` or pin to a device of that pool",
      ],
    ],
    [
      "a pin beyond a pool's `max`",
      [DEMAND, `${DEMAND}    device: fw-9\n`],
      [
        "fleet.yaml:27:13: allocations.a.device: allocation `a` is pinned to device `fw-9`, but pool `fw` has at most 4 devices (`fw-0`..`fw-3`): pin to one of them or raise `pools.fw.max` to at least 10",
      ],
    ],
    [
      "a pin to a device no pool has",
      [DEMAND, `${DEMAND}    device: rack1-fw1\n`],
      [
        "fleet.yaml:27:13: allocations.a.device: allocation `a` is pinned to device `rack1-fw1`, which no pool has (declared devices are named in `devices`, created ones `<pool>-<n>`): did you mean `rack1-fw01`?",
      ],
    ],
    [
      "an inverted context range",
      ["contexts: { first: 1, last: 8 }", "contexts: { first: 9, last: 1 }"],
      [
        "fleet.yaml:7:46: templates.fw.tenancy.contexts: template `fw` has an empty context range: `first: 9` is above `last: 1`, so no tenant can be placed: set `last` to at least 9",
      ],
    ],
    [
      "VLAN contexts outside 1..4094",
      ["isolation: vrf, contexts: { first: 1, last: 8 }", "isolation: vlan, contexts: { first: 0, last: 8 }"],
      [
        "fleet.yaml:7:47: templates.fw.tenancy.contexts: template `fw` has VLAN contexts 0..8, outside the VLAN ids 1..4094: keep `first` and `last` within 1..4094",
      ],
    ],
    [
      "a fixed `size` with `max` and `standby`",
      ["    max: 4\n", "    max: 4\n    size: 2\n    standby: 1\n"],
      [
        "fleet.yaml:16:11: pools.fw.size: pool `fw` has a fixed `size: 2` and also `max: 4`, `standby: 1`: remove them, or remove `size` to size the pool from its allocations",
      ],
    ],
    [
      "`min` above `max`",
      ["    max: 4\n", "    max: 4\n    min: 6\n"],
      [
        "fleet.yaml:16:10: pools.fw.min: pool `fw` has `min: 6` above `max: 4`: lower `min` or raise `max` to at least 6",
      ],
    ],
    [
      "`min` above the default `max`",
      ["    max: 4\n", "    min: 101\n"],
      [
        "fleet.yaml:15:10: pools.fw.min: pool `fw` has `min: 101` above the default `max` of 100: lower `min` or raise `max` to at least 101",
      ],
    ],
    [
      "`standby` above `max`",
      ["    max: 4\n", "    max: 4\n    standby: 5\n"],
      [
        "fleet.yaml:16:14: pools.fw.standby: pool `fw` keeps `standby: 5` idle devices but has `max: 4`: lower `standby` or raise `max` to at least 5",
      ],
    ],
    [
      "an empty `requireAny` set",
      [DEMAND, `${DEMAND}    requireAny: [[HW_NIC_SRIOV], []]\n`],
      [
        "fleet.yaml:27:34: allocations.a.requireAny[1]: allocation `a` has an empty trait set at `requireAny[1]`, which no device can meet: list at least one trait in it or remove it",
      ],
    ],
    [
      "a physical pool without devices but with a size",
      [DEVICES, "    size: 2\n"],
      [
        "fleet.yaml:17:3: pools.edge: pool `edge` uses the physical template `box` but declares no `devices`; physical appliances are declared, not created: list them under `devices` (`- name: ...`)",
        "fleet.yaml:19:11: pools.edge.size: pool `edge` uses the physical template `box`, whose device count is its `devices` list, but sets `size`: remove it",
      ],
    ],
    [
      "a created pool with declared devices",
      ["    zones: [az1]\n", "    zones: [az1]\n    devices: [{ name: extra-1 }]\n"],
      [
        "fleet.yaml:17:5: pools.fw.devices: pool `fw` uses the `openstack` template `fw`, whose devices are created, but declares `devices`: remove `devices` and size the pool with `size` or `min`/`max`, or use a `physical` template",
      ],
    ],
    [
      "`reserved` above `total` and `minUnit` above `maxUnit`",
      [
        "      CUSTOM_SERVICE_SLOT: 8\n",
        "      CUSTOM_SERVICE_SLOT: { total: 8, reserved: 9, minUnit: 4, maxUnit: 2 }\n",
      ],
      [
        "fleet.yaml:6:50: templates.fw.capacity.CUSTOM_SERVICE_SLOT.reserved: template `fw` reserves 9 `CUSTOM_SERVICE_SLOT` of a total of 8: `reserved` must be at most `total`; lower `reserved` or raise `total`",
        "fleet.yaml:6:62: templates.fw.capacity.CUSTOM_SERVICE_SLOT.minUnit: template `fw` has `minUnit: 4` above `maxUnit: 2` for `CUSTOM_SERVICE_SLOT`, so no amount fits: lower `minUnit` or raise `maxUnit`",
      ],
    ],
    [
      "`reserved` above `total` in a declared device's override",
      [
        "        zone: az2\n",
        "        zone: az2\n        capacity: { CUSTOM_SERVICE_SLOT: { total: 2, reserved: 3 } }\n",
      ],
      [
        "fleet.yaml:22:64: pools.edge.devices[0].capacity.CUSTOM_SERVICE_SLOT.reserved: device `rack1-fw01` of pool `edge` reserves 3 `CUSTOM_SERVICE_SLOT` of a total of 2: `reserved` must be at most `total`; lower `reserved` or raise `total`",
      ],
    ],
    [
      "a `serviceType` no template of the allocation's pools lists",
      ["    serviceType: firewall\n", "    serviceType: vpn\n    pools: [fw]\n"],
      [
        "fleet.yaml:25:18: allocations.a.serviceType: allocation `a` has `serviceType: vpn`, which no template of its pools (`fw`) lists in `serviceTypes` (they list `firewall`): add `vpn` to a template's `serviceTypes` or change `pools`",
      ],
    ],
    [
      "a `zone` none of the eligible pools has",
      ["    serviceType: firewall\n", "    serviceType: firewall\n    zone: az3\n"],
      [
        "fleet.yaml:26:11: allocations.a.zone: allocation `a` wants `zone: az3`, but its eligible pools only have zones `az1`, `az2`: use one of them or add `az3` to a pool's `zones`",
      ],
    ],
    [
      "demand on a resource class no eligible template has",
      [DEMAND, "    demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_SERVICE_SLOTS: 1 }\n"],
      [
        "fleet.yaml:26:61: allocations.a.demand.CUSTOM_SERVICE_SLOTS: allocation `a` demands 1 `CUSTOM_SERVICE_SLOTS`, which no template of its eligible pools (`fw`, `edge`) has in `capacity` (they have `CUSTOM_SERVICE_SLOT`): did you mean `CUSTOM_SERVICE_SLOT`? Otherwise add `CUSTOM_SERVICE_SLOTS` to a template's `capacity` or drop it from `demand`",
      ],
    ],
    [
      "an unknown pool in an allocation's `pools`",
      ["    serviceType: firewall\n", "    serviceType: firewall\n    pools: [fw, edg]\n"],
      [
        "fleet.yaml:26:17: allocations.a.pools[1]: allocation `a` lists pool `edg`, which is not defined: did you mean `edge`?",
      ],
    ],
  ])("reports %s with its exact message and position", (_name, [from, to], expected) => {
    expect(problems(edit(from, to))).toEqual(expected);
  });
});

describe("validateSpec on objects", () => {
  const spec = (): FleetSpec => ({
    templates: { box: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } } },
    pools: { edge: { template: "box", devices: [{ name: "rack1-fw01" }] } },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
  });

  it("returns no errors for a sound spec and does not change it", () => {
    const s = spec();
    const before = JSON.stringify(s);
    expect(validateSpec(s)).toEqual([]);
    expect(JSON.stringify(s)).toBe(before);
  });

  it("reports a non-empty `physical` block", () => {
    const s = spec();
    (s.templates.box as unknown as { physical: object }).physical = { rack: 1 };
    expect(validateSpec(s)).toEqual([
      {
        path: "templates.box.physical",
        message:
          "template `box` has a non-empty `physical` block; physical templates take no settings yet: remove it or leave it `{}`",
      },
    ]);
  });

  it("accepts an empty `physical` block", () => {
    const s = spec();
    s.templates.box.physical = {};
    expect(validateSpec(s)).toEqual([]);
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["a list", []],
  ])("reports a spec that is %s instead of throwing", (_name, input) => {
    expect(validateSpec(input as unknown as FleetSpec)).toEqual([
      { path: "", message: "the spec must be an object with `templates` and `pools`: add them" },
    ]);
  });

  it("never throws on arbitrary JSON values in any field", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom("templates", "pools", "allocations"),
        fc.string(),
        (value, section, key) => {
          const s = spec() as unknown as Record<string, Record<string, unknown>>;
          s[section][key] = value;
          const errors = validateSpec(s as unknown as FleetSpec);
          expect(Array.isArray(errors)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("parsePath", () => {
  it.each([
    ["pools.edge.devices[0].name", ["pools", "edge", "devices", 0, "name"]],
    ["allocations.tenant-b-fw.demand.VCPU", ["allocations", "tenant-b-fw", "demand", "VCPU"]],
    ['templates["a.b"].capacity', ["templates", "a.b", "capacity"]],
    ["", []],
    ["a[", ["a", "["]],
  ])("splits `%s`", (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
  });

  it("inverts formatPath for any segments", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ minLength: 1 }), fc.nat(1000)), { maxLength: 6 }),
        (segments) => {
          expect(parsePath(formatPath(segments))).toEqual(segments);
        },
      ),
      { numRuns: 500 },
    );
  });
});
