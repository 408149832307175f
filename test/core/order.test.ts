import { describe, expect, it } from "vitest";
import { compareNatural, compareText } from "../../core/order";

describe("compareText", () => {
  it("sorts like Array.prototype.sort() without a comparator (code units, not the locale)", () => {
    const names = ["b", "a_1", "B", "a1", "a-1", "ä", "a"];
    expect([...names].sort(compareText)).toEqual([...names].sort());
    expect([...names].sort(compareText)).toEqual(["B", "a", "a-1", "a1", "a_1", "b", "ä"]);
  });
});

describe("compareNatural", () => {
  it("orders numbered devices by number", () => {
    expect(["fw-10", "fw-2", "fw-1", "lb-0", "fw-0"].sort(compareNatural)).toEqual([
      "fw-0",
      "fw-1",
      "fw-2",
      "fw-10",
      "lb-0",
    ]);
  });

  it.each([
    { a: "fw-01", b: "fw-1", sign: -1 },
    { a: "fw-1", b: "fw-1", sign: 0 },
    { a: "fw-1", b: "fw-1a", sign: -1 },
    { a: "fw-99999999999999999999", b: "fw-100000000000000000000", sign: -1 },
    { a: "fw-!", b: "fw-1", sign: -1 },
    { a: "B-1", b: "a-1", sign: -1 },
  ])("compares `$a` with `$b` as $sign", ({ a, b, sign }) => {
    expect(Math.sign(compareNatural(a, b))).toBe(sign);
    expect(Math.sign(compareNatural(b, a))).toBe(-sign || 0);
  });
});
