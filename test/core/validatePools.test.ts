/**
 * The semantic checks of pools (templates, sizing, declared devices, device names) in
 * `core/validatePools.ts`, through `validateSpec` and the loader: exact message and position.
 */
import { describe, expect, it } from "vitest";
import { splitCreatedName } from "../../core/validatePools";
import { edit, problems } from "../schema/helpers";

const DEVICES = "    devices:\n      - name: rack1-fw01\n        zone: az2\n";

describe("validateSpec on pools", () => {
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
      "`reserved` above `total` in a declared device's override",
      [
        "        zone: az2\n",
        "        zone: az2\n        capacity: { CUSTOM_SERVICE_SLOT: { total: 2, reserved: 3 } }\n",
      ],
      [
        "fleet.yaml:22:64: pools.edge.devices[0].capacity.CUSTOM_SERVICE_SLOT.reserved: device `rack1-fw01` of pool `edge` reserves 3 `CUSTOM_SERVICE_SLOT` of a total of 2: `reserved` must be at most `total`; lower `reserved` or raise `total`",
      ],
    ],
  ])("reports %s with its exact message and position", (_name, [from, to], expected) => {
    expect(problems(edit(from, to))).toEqual(expected);
  });
});

describe("splitCreatedName", () => {
  it.each([
    ["fw-12", ["fw", 12]],
    ["fw-0", ["fw", 0]],
    ["edge-fw-3", ["edge-fw", 3]],
    ["fw-999999999", ["fw", 999999999]],
    ["fw-012", undefined],
    ["fw-1234567890", undefined],
    ["fw-", undefined],
    ["-3", undefined],
    ["rack1-fw01", undefined],
  ])("splits `%s` into %j", (name, split) => {
    expect(splitCreatedName(name)).toEqual(split);
  });
});
