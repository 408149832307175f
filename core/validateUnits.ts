/**
 * Static unit rules: a demanded amount that every device an allocation may land on refuses by
 * Placement's unit rules (`minUnit`, `maxUnit`, `stepSize`, `inventory.ts` `unitViolation`) can
 * never be placed, whatever the plan does, so it is a spec error at `allocations.<a>.demand.<CLASS>`.
 *
 * "Every device" is read generously, so the error is never wrong: every template of every
 * eligible pool and every declared device (with its own capacity override), ignoring traits,
 * zones and tenancy, which only narrow the choice. An inventory this check cannot read (a value
 * of the wrong type, `minUnit` above `maxUnit`: other errors name those) counts as taking any
 * amount. The fix offers amounts that the refusing inventories take and an empty device holds.
 */
import { PLACEMENT_MAX_INT, unitViolation, type UnitViolation } from "./inventory";
import type { Inventory } from "./types";
import { codeList } from "./suggest";
import { isRec, list, num, own, rec, str, type Rec } from "./validateInput";
import type { PoolInfo } from "./validatePools";

/** One inventory of a class that some device of a pool has, and what a message calls it. */
export interface UnitSource {
  /** `template \`fw-large\`` or `device \`rack1-fw01\``. */
  label: string;
  pool: string;
  /** `undefined` when a field cannot be read: the source then takes any amount. */
  inventory: Inventory | undefined;
}

/** The inventories of class `rc` on the devices of `pool`, one per template or overriding device. */
export function unitSources(pool: PoolInfo, rc: string): UnitSource[] {
  const capacity = rec(pool.template ? own(pool.template, "capacity") : undefined);
  const fromTemplate = own(capacity, rc);
  const templateSource: UnitSource | undefined =
    fromTemplate === undefined
      ? undefined
      : {
          label: `template \`${pool.templateName ?? ""}\``,
          pool: pool.name,
          inventory: readInventory(fromTemplate),
        };
  const devices = own(pool.spec, "devices");
  if (!Array.isArray(devices)) return templateSource ? [templateSource] : [];
  const out: UnitSource[] = [];
  let templateUsed = false;
  list(devices).forEach((d, i) => {
    const dev = rec(d);
    const override = own(rec(own(dev, "capacity")), rc);
    if (override === undefined) {
      if (templateSource && !templateUsed) out.push(templateSource);
      templateUsed = true;
      return;
    }
    const name = str(own(dev, "name")) ?? String(i);
    out.push({ label: `device \`${name}\``, pool: pool.name, inventory: readInventory(override) });
  });
  return out;
}

/** A full inventory from a spec entry, or `undefined` when a field is not what the schema allows. */
function readInventory(spec: unknown): Inventory | undefined {
  const whole = (v: unknown, dflt: number, min: number): number | undefined => {
    if (v === undefined) return dflt;
    const n = num(v);
    return n !== undefined && Number.isInteger(n) && n >= min ? n : undefined;
  };
  if (typeof spec === "number") {
    const total = whole(spec, 0, 1);
    return total === undefined
      ? undefined
      : { total, reserved: 0, minUnit: 1, maxUnit: PLACEMENT_MAX_INT, stepSize: 1, allocationRatio: 1 };
  }
  if (!isRec(spec)) return undefined;
  const r: Rec = spec;
  const total = whole(own(r, "total"), Number.NaN, 1);
  const reserved = whole(own(r, "reserved"), 0, 0);
  const minUnit = whole(own(r, "minUnit"), 1, 1);
  const maxUnit = whole(own(r, "maxUnit"), PLACEMENT_MAX_INT, 1);
  const stepSize = whole(own(r, "stepSize"), 1, 1);
  const ratio = own(r, "allocationRatio") === undefined ? 1 : num(own(r, "allocationRatio"));
  if (
    total === undefined ||
    Number.isNaN(total) ||
    reserved === undefined ||
    minUnit === undefined ||
    maxUnit === undefined ||
    stepSize === undefined ||
    ratio === undefined ||
    ratio < 0 ||
    minUnit > maxUnit
  )
    return undefined;
  return { total, reserved, minUnit, maxUnit, stepSize, allocationRatio: ratio };
}

/** The amounts next to `amount` (at most one below, one above) that `inv` takes and an empty device holds. */
function nearestTaken(inv: Inventory, amount: number): number[] {
  const room = Math.floor((inv.total - inv.reserved) * inv.allocationRatio);
  const low = Math.max(inv.minUnit, 1);
  const high = Math.min(inv.maxUnit, room);
  const step = inv.stepSize;
  const out: number[] = [];
  const below = Math.floor(Math.min(amount, high) / step) * step;
  if (below >= low && below <= high && below !== amount) out.push(below);
  const above = Math.ceil(Math.max(amount, low) / step) * step;
  if (above <= high && above >= low && above !== amount && above !== below) out.push(above);
  return out;
}

function orList(items: string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Whether there is a source and every one refuses `amount` by a unit rule (an unreadable one takes it). */
export function refusedByAll(sources: readonly UnitSource[], amount: number): boolean {
  return (
    sources.length > 0 &&
    sources.every((s) => s.inventory !== undefined && unitViolation(s.inventory, amount) !== null)
  );
}

/** The rule an inventory breaks for `amount`, with the numbers. */
function ruleText(inv: Inventory, rule: UnitViolation, amount: number): string {
  if (rule === "step_size")
    return `\`stepSize: ${inv.stepSize}\`, and ${amount} is not a multiple of ${inv.stepSize}`;
  if (rule === "min_unit") return `\`minUnit: ${inv.minUnit}\`, and ${amount} is below it`;
  return `\`maxUnit: ${inv.maxUnit}\`, and ${amount} is above it`;
}

/** What to write instead, for one refusing inventory: "a multiple of 10 such as 50 or 60". */
function fixText(inv: Inventory, rule: UnitViolation, taken: number[]): string {
  const amounts = orList(taken.map(String));
  if (rule === "step_size") return `a multiple of ${inv.stepSize} such as ${amounts}`;
  return amounts;
}

/**
 * The unit-rule error for `amount` of `rc` when every source refuses it, else `undefined`.
 * `owner` starts the message (`allocation \`a\``); `others` are sources of pools the allocation
 * could also list in its `pools`, one of which is offered when it takes the amount.
 */
export function unitError(
  owner: string,
  rc: string,
  amount: number,
  sources: UnitSource[],
  others: UnitSource[],
): string | undefined {
  if (!refusedByAll(sources, amount)) return undefined;
  const refusals = sources.map((source) => {
    const inv = source.inventory!;
    return { source, inv, rule: unitViolation(inv, amount)! };
  });
  const poolsOf = (label: string): string[] => [
    ...new Set(refusals.filter((r) => r.source.label === label).map((r) => r.source.pool)),
  ];
  // One entry per distinct inventory label (a template shared by several pools is said once).
  const seen = new Set<string>();
  const distinct = refusals.filter((r) =>
    seen.has(r.source.label) ? false : (seen.add(r.source.label), true),
  );
  const where = (label: string): string => {
    const pools = poolsOf(label);
    return `${label} (${pools.length === 1 ? "pool" : "pools"} ${codeList(pools)})`;
  };
  const reasons = distinct.map((r) => `${where(r.source.label)} has ${ruleText(r.inv, r.rule, amount)}`);
  const fixes: string[] = [];
  for (const r of distinct) {
    const taken = nearestTaken(r.inv, amount);
    if (taken.length === 0) continue;
    const text = fixText(r.inv, r.rule, taken);
    fixes.push(distinct.length === 1 ? text : `${text} (${r.source.label})`);
  }
  const other = others.find((s) => s.inventory !== undefined && unitViolation(s.inventory, amount) === null);
  const fixParts: string[] = [];
  if (fixes.length > 0) fixParts.push(`use ${orList(fixes)}`);
  if (other !== undefined)
    fixParts.push(`add pool \`${other.pool}\` (${other.label}, which takes ${amount}) to \`pools\``);
  if (fixParts.length === 0)
    fixParts.push(
      `change the amount or the unit fields of ${orList(distinct.map((r) => r.source.label))}, which leave no amount an empty device holds`,
    );
  return `${owner} demands ${amount} \`${rc}\`, which no device of its eligible pools can take (Placement's unit rules): ${reasons.join("; ")}: ${fixParts.join(", or ")}`;
}
