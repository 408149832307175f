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
