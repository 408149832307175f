import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPath, parsePath } from "../../core/paths";

describe("formatPath", () => {
  it.each([
    [["pools", "edge", "devices", 0, "name"], "pools.edge.devices[0].name"],
    [["allocations", "tenant-b-fw", "demand", "VCPU"], "allocations.tenant-b-fw.demand.VCPU"],
    [["templates", "a.b", "capacity"], 'templates["a.b"].capacity'],
    [["pools", "0"], 'pools["0"]'],
    [["a", 'x"]'], 'a["x\\"]"]'],
    [[0, "a"], "[0].a"],
    [[], ""],
  ])("formats %j as `%s`", (segments, path) => {
    expect(formatPath(segments)).toBe(path);
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
