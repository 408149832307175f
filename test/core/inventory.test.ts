import { describe, expect, it } from "vitest";
import { capacityOf, fits, normalizeInventory, unitViolation } from "../../core/inventory";

describe("normalizeInventory", () => {
  it("expands a bare total with Placement's REST defaults", () => {
    expect(normalizeInventory(8)).toEqual({
      total: 8,
      reserved: 0,
      minUnit: 1,
      maxUnit: 2147483647,
      stepSize: 1,
      allocationRatio: 1.0,
    });
  });

  it("keeps given fields and defaults the rest", () => {
    expect(normalizeInventory({ total: 100, reserved: 4, stepSize: 2 })).toEqual({
      total: 100,
      reserved: 4,
      minUnit: 1,
      maxUnit: 2147483647,
      stepSize: 2,
      allocationRatio: 1.0,
    });
  });
});

// Expected capacities were computed with Python, as Placement computes them
// (placement/objects/allocation.py: capacity = (total - reserved) * allocation_ratio).
describe("capacity arithmetic identical to OpenStack Placement", () => {
  it.each([
    { inv: { total: 8 }, capacity: 8 },
    { inv: { total: 8, reserved: 2 }, capacity: 6 },
    { inv: { total: 8, reserved: 8 }, capacity: 0 },
    { inv: { total: 10, reserved: 2, allocationRatio: 1.5 }, capacity: 12 },
    { inv: { total: 5, allocationRatio: 0.5 }, capacity: 2.5 },
    { inv: { total: 4, allocationRatio: 16 }, capacity: 64 },
    { inv: { total: 3, allocationRatio: 0.1 }, capacity: 0.30000000000000004 },
    { inv: { total: 100, allocationRatio: 0.29 }, capacity: 28.999999999999996 },
    { inv: { total: 100, reserved: 3, allocationRatio: 1.17 }, capacity: 113.49 },
  ])("$inv has capacity $capacity", ({ inv, capacity }) => {
    expect(capacityOf(normalizeInventory(inv))).toBe(capacity);
  });

  it.each([
    { name: "an amount that fills the device exactly", inv: { total: 8 }, used: 6, amount: 2, ok: true },
    { name: "one unit over", inv: { total: 8 }, used: 6, amount: 3, ok: false },
    { name: "reserved units", inv: { total: 8, reserved: 2 }, used: 4, amount: 3, ok: false },
    { name: "reserved units, exact", inv: { total: 8, reserved: 2 }, used: 4, amount: 2, ok: true },
    { name: "an overcommit ratio", inv: { total: 10, reserved: 2, allocationRatio: 1.5 }, used: 11, amount: 1, ok: true },
    { name: "past the overcommit", inv: { total: 10, reserved: 2, allocationRatio: 1.5 }, used: 12, amount: 1, ok: false },
    { name: "a fractional capacity", inv: { total: 5, allocationRatio: 0.5 }, used: 2, amount: 1, ok: false },
    { name: "a float just below the integer (Placement refuses 29)", inv: { total: 100, allocationRatio: 0.29 }, used: 0, amount: 29, ok: false },
    { name: "a float just below the integer, one less", inv: { total: 100, allocationRatio: 0.29 }, used: 0, amount: 28, ok: true },
    { name: "everything reserved", inv: { total: 8, reserved: 8 }, used: 0, amount: 1, ok: false },
    { name: "below minUnit", inv: { total: 8, minUnit: 2 }, used: 0, amount: 1, ok: false },
    { name: "at minUnit", inv: { total: 8, minUnit: 2 }, used: 0, amount: 2, ok: true },
    { name: "above maxUnit", inv: { total: 8, maxUnit: 4 }, used: 0, amount: 5, ok: false },
    { name: "at maxUnit", inv: { total: 8, maxUnit: 4 }, used: 0, amount: 4, ok: true },
    { name: "off the step", inv: { total: 1000, stepSize: 100 }, used: 0, amount: 150, ok: false },
    { name: "on the step", inv: { total: 1000, stepSize: 100 }, used: 0, amount: 200, ok: true },
  ])("$name: fits is $ok", ({ inv, used, amount, ok }) => {
    expect(fits(normalizeInventory(inv), used, amount)).toBe(ok);
  });

  it.each([
    { amount: 1, violation: "min_unit" },
    { amount: 12, violation: "max_unit" },
    { amount: 5, violation: "step_size" },
    { amount: 6, violation: null },
  ])("names the unit rule that refuses $amount: $violation", ({ amount, violation }) => {
    const inv = normalizeInventory({ total: 100, minUnit: 2, maxUnit: 10, stepSize: 2 });
    expect(unitViolation(inv, amount)).toBe(violation);
  });
});
