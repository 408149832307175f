/**
 * Capacity arithmetic, identical to OpenStack Placement's (placement/objects/allocation.py
 * `_check_capacity_exceeded` and the allocation-candidates SQL):
 *
 *   capacity = (total - reserved) * allocation_ratio        (IEEE double, as Python computes it)
 *   fits     = min_unit <= amount <= max_unit, amount % step_size == 0, used + amount <= capacity
 */
import type { Inventory, InventorySpec } from "./types";

/** Placement's largest integer (`db_const.MAX_INT`), the default `max_unit`. */
export const PLACEMENT_MAX_INT = 2147483647;

/** Placement's REST defaults for the inventory fields a request leaves out. */
export const INVENTORY_DEFAULTS: Readonly<Omit<Inventory, "total">> = Object.freeze({
  reserved: 0,
  minUnit: 1,
  maxUnit: PLACEMENT_MAX_INT,
  stepSize: 1,
  allocationRatio: 1.0,
});

/** Expands a spec entry (`8` or `{ total: 8, ... }`) into a full inventory with Placement's defaults. */
export function normalizeInventory(spec: InventorySpec): Inventory {
  if (typeof spec === "number") return { total: spec, ...INVENTORY_DEFAULTS };
  return {
    total: spec.total,
    reserved: spec.reserved ?? INVENTORY_DEFAULTS.reserved,
    minUnit: spec.minUnit ?? INVENTORY_DEFAULTS.minUnit,
    maxUnit: spec.maxUnit ?? INVENTORY_DEFAULTS.maxUnit,
    stepSize: spec.stepSize ?? INVENTORY_DEFAULTS.stepSize,
    allocationRatio: spec.allocationRatio ?? INVENTORY_DEFAULTS.allocationRatio,
  };
}

/** `(total - reserved) * allocationRatio`, unrounded, as Placement compares it. */
export function capacityOf(inv: Inventory): number {
  return (inv.total - inv.reserved) * inv.allocationRatio;
}

/** Why an amount is refused by an inventory, or `null` when it fits. */
export type UnitViolation = "min_unit" | "max_unit" | "step_size";

/** Checks `minUnit`, `maxUnit` and `stepSize` for one amount, in Placement's order. */
export function unitViolation(inv: Inventory, amount: number): UnitViolation | null {
  if (amount < inv.minUnit) return "min_unit";
  if (amount > inv.maxUnit) return "max_unit";
  if (amount % inv.stepSize !== 0) return "step_size";
  return null;
}

/** True when `amount` more can be allocated on top of `used`, by Placement's rule. */
export function fits(inv: Inventory, used: number, amount: number): boolean {
  return unitViolation(inv, amount) === null && !(capacityOf(inv) < used + amount);
}
