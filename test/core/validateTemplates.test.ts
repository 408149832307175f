/**
 * The semantic checks of templates (driver blocks, capacity inventories, tenancy
 * contexts) in `core/validateTemplates.ts`, through `validateSpec` and
 * the loader: exact message and position.
 */
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../core/types";
import { validateSpec } from "../../core/validate";
import { edit, problems } from "../schema/helpers";

const OPENSTACK = "    openstack: { image: { name: vyos }, flavor: { name: m1.large }, networks: [mgmt] }\n";

describe("validateSpec on templates", () => {
  it.each([
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
  ])("reports %s with its exact message and position", (_name, [from, to], expected) => {
    expect(problems(edit(from, to))).toEqual(expected);
  });

  const spec = (): FleetSpec => ({
    templates: { box: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } } },
    pools: { edge: { template: "box", devices: [{ name: "rack1-fw01" }] } },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
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
});
