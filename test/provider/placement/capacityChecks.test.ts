import { describe, expect, it } from "vitest";
import type { ActionOf } from "../../../provider/placement/syncPlan";
import { capacityChecksToRead, type CapacityCheck } from "../../../provider/placement/syncVerify";

/** A write of `slots` slots by consumer `c` on provider `p`. */
function write(p: string, c: string, slots: number): ActionOf<"write-allocation"> {
  return {
    kind: "write-allocation",
    move: false,
    consumer: {
      allocation: c,
      tenant: "t",
      device: p,
      uuid: c,
      provider: p,
      resources: { CUSTOM_SERVICE_SLOT: slots },
      projectId: "p",
      userId: "u",
    },
    write: {
      allocations: {},
      project_id: "p",
      user_id: "u",
      consumer_generation: null,
      consumer_type: "SERVICEVM",
    },
  };
}

function check(p: string, capacity: number, writes: [string, number][]): CapacityCheck {
  return {
    provider: p,
    device: p,
    capacity: { CUSTOM_SERVICE_SLOT: capacity },
    writes: new Map(writes.map(([c, n]) => [c, write(p, c, n)])),
  };
}

describe("capacityChecksToRead: which providers still need Placement's usage after a sync's writes", () => {
  // p1 and p2 were created by this sync (generation 3 after its provider writes, one bulk request
  // each since); p3 was found existing.
  const checks = [
    check("p1", 4, [
      ["a", 2],
      ["b", 2],
    ]),
    check("p2", 4, [["c", 1]]),
    check("p3", 4, [["d", 1]]),
  ];
  const known = {
    created: new Set(["p1", "p2"]),
    listed: new Map([
      ["p1", 4],
      ["p2", 4],
      ["p3", 9],
    ]),
    expected: new Map([
      ["p1", 3],
      ["p2", 3],
      ["p3", 8],
    ]),
    bumps: new Map([
      ["p1", 1],
      ["p2", 1],
      ["p3", 1],
    ]),
    failedWrites: 0,
  };
  const devices = (out: CapacityCheck[]): string[] => out.map((c) => c.device);

  it("skips a created provider whose generation is exactly this sync's own and whose writes fit; reads one found existing", () => {
    expect(devices(capacityChecksToRead(checks, known))).toEqual(["p3"]);
  });

  it("reads a created provider someone else wrote to since (its generation moved past this sync's)", () => {
    const listed = new Map([...known.listed, ["p2", 5]]);
    expect(devices(capacityChecksToRead(checks, { ...known, listed }))).toEqual(["p2", "p3"]);
  });

  it("reads a created provider whose generation is behind what this sync counted", () => {
    const listed = new Map([...known.listed, ["p1", 3]]);
    expect(devices(capacityChecksToRead(checks, { ...known, listed }))).toEqual(["p1", "p3"]);
  });

  it("reads a created provider whose own writes exceed its capacity", () => {
    const tight = [
      check("p1", 3, [
        ["a", 2],
        ["b", 2],
      ]),
      ...checks.slice(1),
    ];
    expect(devices(capacityChecksToRead(tight, known))).toEqual(["p1", "p3"]);
  });

  it("reads every provider when an allocation write of the sync failed", () => {
    expect(devices(capacityChecksToRead(checks, { ...known, failedWrites: 1 }))).toEqual(["p1", "p2", "p3"]);
  });
});
