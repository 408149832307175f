/**
 * The one checker of every fix servicevm offers, for the planner's errors (`explain.ts`,
 * `unplaceable`) and for `servicevm explain` (`explainFixes.ts`) alike.
 *
 * A fix is a single spec change: its wording, the spec path it changes and the edit itself
 * ({@link FixCandidate}). {@link checkFix} applies the edit and re-plans with the same previous
 * ledger, health and sources; the fix is offered only when that re-plan places the allocation. An
 * edit that leaves its path as it is (a zone already listed) is already in the spec and never
 * offered; an edit that makes the spec invalid is no fix. The candidates come from one generator
 * ({@link fixFamilies}) that offers only what fits the pool's kind: created pools grow by `max` or
 * `size`, declared (physical) pools by another declared device. Each candidate is first screened on
 * the board without a re-plan (it must lift every reason some device refuses for), so most re-plans
 * succeed. Fixes are deduplicated by their wording, which names every number of the edit.
 *
 * A re-plan made to check a fix carries {@link CHECKING_FIX} in its options: it computes no fixes
 * for its own errors (no recursion). Within one plan a {@link FixChecker} caches each re-plan by the
 * fix's wording, so one re-plan answers for every allocation that fits nowhere, and bounds how many
 * re-plans a plan spends (errors are rare, but property tests plan thousands of infeasible fleets).
 */
import { canonicalJson } from "./canonical";
import type { FixCandidate, FixContext, FixFamily } from "./fixBoard";
import { fixFamilies } from "./fixFamilies";
import type { FleetSpec, PlanOptions, PlanResult } from "./types";
import { validateSpec } from "./validate";

export { blockersOf, MAX_GROWTH } from "./fixBoard";
export type { FixCandidate, FixContext, FixFamily } from "./fixBoard";

/** Marks the options of a re-plan that checks a fix: its own errors get no fixes. */
export const CHECKING_FIX: unique symbol = Symbol("servicevm.checkingFix");

/** Plan options of a re-plan that checks a fix. */
export type CheckOptions = PlanOptions & { readonly [CHECKING_FIX]?: true };

/** Whether these options are a fix check's re-plan (which must not check fixes itself). */
export function isCheckingFix(opts: PlanOptions): boolean {
  return (opts as CheckOptions)[CHECKING_FIX] === true;
}

/** The planner, passed in (core/plan.ts uses this module through explain.ts). */
export type Replan = (spec: FleetSpec, opts: PlanOptions) => PlanResult;

/** A fix that re-planning confirmed. */
export interface CheckedFix {
  change: string;
  path: string;
  size: number;
  /** Where the re-plan puts the allocation; null when other allocations still fit nowhere. */
  device: string | null;
}

/** What re-planning with a fix says. */
export type FixVerdict =
  { kind: "places"; device: string | null } | { kind: "fails" } | { kind: "in-spec" } | { kind: "invalid" };

function valueAt(spec: FleetSpec, path: string): unknown {
  let v: unknown = spec;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** What the re-plan of `edited` says about `allocation`. */
function verdictOf(r: PlanResult, edited: FleetSpec, allocation: string): FixVerdict {
  if (r.ok) {
    const placed = r.placements[allocation];
    return placed === undefined ? { kind: "fails" } : { device: placed.device, kind: "places" };
  }
  if (validateSpec(edited).length > 0) return { kind: "invalid" };
  const own = `allocations.${allocation}`;
  if (r.errors.some((e) => e.path === own || e.path.startsWith(`${own}.`))) return { kind: "fails" };
  // Only other allocations fit nowhere (a failed plan reports no placements).
  return { device: null, kind: "places" };
}

/**
 * THE checker: whether re-planning `spec` changed by `fix`, with the same options, places
 * `allocation`. A fix already in the spec is not re-planned.
 */
export function checkFix(
  replan: Replan,
  spec: FleetSpec,
  opts: PlanOptions,
  allocation: string,
  fix: FixCandidate,
): FixVerdict {
  return new FixChecker(replan, spec, opts).check(allocation, fix)!;
}

/**
 * {@link checkFix} for one spec and its options, with each re-plan cached by the fix's wording
 * (the same wording is the same edit, so one re-plan answers for every allocation) and at most
 * `budget` re-plans.
 */
export class FixChecker {
  private readonly seen = new Map<string, { edited: FleetSpec; result: PlanResult } | "in-spec">();

  constructor(
    private readonly replan: Replan,
    readonly spec: FleetSpec,
    private readonly opts: PlanOptions,
    /** Re-plans still allowed. */
    public budget = Infinity,
  ) {}

  /** The verdict, or null when the budget is used up. */
  check(allocation: string, fix: FixCandidate): FixVerdict | null {
    let known = this.seen.get(fix.change);
    if (known === undefined) {
      const edited = fix.edit(this.spec);
      const before = canonicalJson(valueAt(this.spec, fix.path) ?? null);
      if (canonicalJson(valueAt(edited, fix.path) ?? null) === before) known = "in-spec";
      else {
        if (this.budget < 1) return null;
        this.budget--;
        const checking: CheckOptions = { ...this.opts, [CHECKING_FIX]: true };
        known = { edited, result: this.replan(edited, checking) };
      }
      this.seen.set(fix.change, known);
    }
    return known === "in-spec" ? { kind: "in-spec" } : verdictOf(known.result, known.edited, allocation);
  }
}

/**
 * The smallest `k` in 1..most for which `make(k)` places the allocation: more devices or
 * contexts never hurt, so the search doubles, then bisects; each answer is itself re-planned.
 * `null` when none does, or (`exhausted`) when the checker's budget ran out first.
 */
function smallestGrowth(
  checker: FixChecker,
  name: string,
  family: Extract<FixFamily, { kind: "growth" }>,
): { fix: CheckedFix | null; exhausted: boolean } {
  const places = (k: number): { device: string | null } | null | false => {
    const v = checker.check(name, family.make(k));
    if (v === null) return null;
    return v.kind === "places" ? { device: v.device } : false;
  };
  let lo = 0;
  let hi = 1;
  let found: { device: string | null } | null | false = false;
  while (hi <= family.most && (found = places(hi)) === false) {
    lo = hi;
    hi = Math.min(hi * 2, hi === family.most ? hi + 1 : family.most);
  }
  if (found === null) return { exhausted: true, fix: null };
  if (found === false) return { exhausted: false, fix: null };
  let best = { device: found.device, k: hi };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const d = places(mid);
    if (d === null) break; // budget: the larger growth found stays (it was checked)
    if (d !== false) {
      hi = mid;
      best = { device: d.device, k: mid };
    } else lo = mid;
  }
  const fix = family.make(best.k);
  return {
    exhausted: false,
    fix: { change: fix.change, device: best.device, path: fix.path, size: fix.size },
  };
}

/**
 * The fixes that place `ctx.a`, checked by `checker`, smallest first then by wording, each once;
 * at most `most` of them. `exhausted`: the checker's budget ran out before every candidate was
 * checked.
 */
export function findFixes(
  checker: FixChecker,
  ctx: FixContext,
  most = Infinity,
): { fixes: CheckedFix[]; exhausted: boolean } {
  const fixes = new Map<string, CheckedFix>();
  let exhausted = false;
  for (const family of fixFamilies(ctx)) {
    if (fixes.size >= most) break;
    if (family.kind === "one") {
      if (fixes.has(family.fix.change)) continue;
      const v = checker.check(ctx.a.name, family.fix);
      if (v === null) {
        exhausted = true;
        break;
      }
      if (v.kind === "places") fixes.set(family.fix.change, { ...pick(family.fix), device: v.device });
      continue;
    }
    const grown = smallestGrowth(checker, ctx.a.name, family);
    if (grown.fix !== null) fixes.set(grown.fix.change, grown.fix);
    if (grown.exhausted) {
      exhausted = true;
      break;
    }
  }
  const sorted = [...fixes.values()].sort(
    (x, y) => x.size - y.size || (x.change < y.change ? -1 : x.change > y.change ? 1 : 0),
  );
  return { exhausted, fixes: sorted };
}

function pick(fix: FixCandidate): Omit<CheckedFix, "device"> {
  return { change: fix.change, path: fix.path, size: fix.size };
}
