/**
 * The semantic checks of allocations (listed pools, service type, zone, demand, trait
 * sets, device pins) in `core/validateAllocations.ts`, through `validateSpec` and
 * the loader: exact message and position.
 */
import { describe, expect, it } from "vitest";
import { edit, problems } from "../schema/helpers";

const DEMAND = "    demand: { CUSTOM_SERVICE_SLOT: 1 }\n";

describe("validateSpec on allocations", () => {
  it.each([
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
      "an empty `requireAny` set",
      [DEMAND, `${DEMAND}    requireAny: [[HW_NIC_SRIOV], []]\n`],
      [
        "fleet.yaml:27:34: allocations.a.requireAny[1]: allocation `a` has an empty trait set at `requireAny[1]`, which no device can meet: list at least one trait in it or remove it",
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

/**
 * Placement's unit rules (`minUnit`, `maxUnit`, `stepSize`) against every demand: an amount that
 * every device of the eligible pools refuses is a `validate` error at the demand, with the rule,
 * the numbers and amounts that work (`core/validateUnits.ts`).
 */
describe("validateSpec on demands against the unit rules", () => {
  const THROUGHPUT = "      CUSTOM_SERVICE_SLOT: 8\n";
  /** BASE with a stepped throughput class on template `fw` and the edge box's `capacity` as given. */
  const units = (fw: string, box = "{ CUSTOM_SERVICE_SLOT: 4 }"): string =>
    edit(
      "    capacity: { CUSTOM_SERVICE_SLOT: 4 }\n",
      `    capacity: ${box}\n`,
      edit(THROUGHPUT, `${THROUGHPUT}      CUSTOM_THROUGHPUT_MBPS: ${fw}\n`),
    );
  const demand = (amount: number, extra = ""): [string, string] => [
    DEMAND,
    `    demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: ${amount} }\n${extra}`,
  ];
  const PREFIX = "fleet.yaml:27:63: allocations.a.demand.CUSTOM_THROUGHPUT_MBPS: allocation `a` demands";

  it.each([
    [
      "55 against `stepSize: 10`",
      units("{ total: 1000, stepSize: 10 }"),
      demand(55),
      [
        `${PREFIX} 55 \`CUSTOM_THROUGHPUT_MBPS\`, which no device of its eligible pools can take (Placement's unit rules): template \`fw\` (pool \`fw\`) has \`stepSize: 10\`, and 55 is not a multiple of 10: use a multiple of 10 such as 50 or 60`,
      ],
    ],
    [
      "an amount below `minUnit`",
      units("{ total: 1000, minUnit: 100 }"),
      demand(55),
      [
        `${PREFIX} 55 \`CUSTOM_THROUGHPUT_MBPS\`, which no device of its eligible pools can take (Placement's unit rules): template \`fw\` (pool \`fw\`) has \`minUnit: 100\`, and 55 is below it: use 100`,
      ],
    ],
    [
      "an amount above `maxUnit`, offering only what an empty device holds",
      units("{ total: 400, maxUnit: 500 }"),
      demand(900),
      [
        "fleet.yaml:27:63: allocations.a.demand.CUSTOM_THROUGHPUT_MBPS: allocation `a` demands 900 `CUSTOM_THROUGHPUT_MBPS`, which no device of its eligible pools can take (Placement's unit rules): template `fw` (pool `fw`) has `maxUnit: 500`, and 900 is above it: use 400",
      ],
    ],
    [
      "every eligible template refusing it, each by its own rule",
      units(
        "{ total: 1000, stepSize: 10 }",
        "{ CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: { total: 100, minUnit: 60 } }",
      ),
      demand(55),
      [
        `${PREFIX} 55 \`CUSTOM_THROUGHPUT_MBPS\`, which no device of its eligible pools can take (Placement's unit rules): template \`fw\` (pool \`fw\`) has \`stepSize: 10\`, and 55 is not a multiple of 10; template \`box\` (pool \`edge\`) has \`minUnit: 60\`, and 55 is below it: use a multiple of 10 such as 50 or 60 (template \`fw\`) or 60 (template \`box\`)`,
      ],
    ],
    [
      "a pool the allocation does not list that takes it",
      units("{ total: 1000, stepSize: 10 }", "{ CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: 100 }"),
      demand(55, "    pools: [fw]\n"),
      [
        "fleet.yaml:27:63: allocations.a.demand.CUSTOM_THROUGHPUT_MBPS: allocation `a` demands 55 `CUSTOM_THROUGHPUT_MBPS`, which no device of its eligible pools can take (Placement's unit rules): template `fw` (pool `fw`) has `stepSize: 10`, and 55 is not a multiple of 10: use a multiple of 10 such as 50 or 60, or add pool `edge` (template `box`, which takes 55) to `pools`",
      ],
    ],
    [
      "nothing when another eligible template takes it",
      units("{ total: 1000, stepSize: 10 }", "{ CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: 100 }"),
      demand(55),
      [],
    ],
    [
      "nothing when a declared device overrides the template with a capacity that takes it",
      edit(
        "        zone: az2\n",
        "        zone: az2\n        capacity: { CUSTOM_THROUGHPUT_MBPS: { total: 100, stepSize: 5 } }\n",
        units(
          "{ total: 1000, stepSize: 10 }",
          "{ CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: { total: 100, minUnit: 60 } }",
        ),
      ),
      demand(55),
      [],
    ],
    [
      "nothing for an amount the rules take but no device holds (the plan's error, with the largest capacity)",
      units("{ total: 1000, stepSize: 10 }"),
      demand(2000),
      [],
    ],
  ])("%s", (_name, base, [from, to], expected) => {
    expect(problems(edit(from, to, base))).toEqual(expected);
  });

  it("is not said when the schema already refuses the template's unit fields", () => {
    const text = edit(...demand(55), units("{ total: 1000, stepSize: 0 }"));
    expect(problems(text)).toEqual([
      "fleet.yaml:7:56: templates.fw.capacity.CUSTOM_THROUGHPUT_MBPS.stepSize: must be at least 1, not `0`: use 1 or more",
    ]);
  });
});
