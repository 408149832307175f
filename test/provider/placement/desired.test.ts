/**
 * What a sync writes for a plan, without a Placement: providers come from the plan's ledger, each
 * device with the zone it was created in.
 */
import { describe, expect, it } from "vitest";
import type { Ledger } from "../../../core/types";
import { desiredFleet } from "../../../provider/placement/desired";
import { poolAggregate, providerUuid, zoneAggregate } from "../../../provider/placement/ids";
import { digest } from "../../../core/sources";
import { firewallFleet, planOk } from "./helpers";

/** What `firewallFleet`'s docker devices are created from. */
const SOURCE = { driver: digest("docker"), image: digest("vyos:1.4") };

describe("desiredFleet", () => {
  it("gives each device the zone aggregate of the zone the ledger recorded, not the spec's round-robin, holes included", () => {
    // `fw-1` was retired with its zone `az3`; the zones are listed in another order now.
    const spec = firewallFleet(3, {});
    spec.pools.fw = { template: "fw", standby: 3, max: 4, zones: ["az2", "az1"] };
    const previous: Ledger = {
      version: 2,
      pools: { fw: { devices: { "fw-0": "az1", "fw-2": "az1", "fw-3": "az2" }, source: SOURCE } },
      placements: {},
    };
    const result = planOk(spec, previous);
    expect(result.ledger.pools.fw).toEqual(previous.pools.fw);
    expect(result.changes).toEqual([]);
    const desired = desiredFleet("edge", spec, result);
    expect(desired.providers.map((p) => [p.device, p.uuid, p.aggregates])).toEqual([
      [
        "fw-0",
        providerUuid("edge", "fw-0"),
        [poolAggregate("edge", "fw"), zoneAggregate("edge", "az1")].sort(),
      ],
      [
        "fw-2",
        providerUuid("edge", "fw-2"),
        [poolAggregate("edge", "fw"), zoneAggregate("edge", "az1")].sort(),
      ],
      [
        "fw-3",
        providerUuid("edge", "fw-3"),
        [poolAggregate("edge", "fw"), zoneAggregate("edge", "az2")].sort(),
      ],
    ]);
  });
});
