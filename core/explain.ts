/**
 * Explanations of the planner's refusals: why a device refuses an allocation (a move's reason),
 * and the error for an allocation no device can take, with a fix checked against the numbers
 * (STYLE 4): each fix offered is a single spec change that re-planning confirmed (fixCheck.ts);
 * when none is, the error says what the allocation would need, without promising a change.
 */
import { blockersOf, findFixes, FixChecker, isCheckingFix, type Replan } from "./fixCheck";
import { capacityOf, unitViolation } from "./inventory";
import { type Alloc, bt, type Dev, fmtDemand, fmtNum, plural, Refusal } from "./planModel";
import type { FleetSpec, PlanOptions } from "./types";

/** What the explanations need of the planner. */
export interface PlannerView {
  refusal(dev: Dev, a: Alloc): Refusal;
  device(name: string): Dev | undefined;
  /** How many pools this fleet owns. */
  ownedPools(): number;
  /** The spec and options being planned, and the planner, to re-plan a fix (fixCheck.ts). */
  spec(): FleetSpec;
  options(): PlanOptions;
  replan: Replan;
}

/** Why `dev` refuses `a`, as the reason of a move. */
export function describeRefusal(dev: Dev, a: Alloc, r: Refusal): string {
  switch (r) {
    case Refusal.Unhealthy:
      return "device unhealthy";
    case Refusal.Retired:
      return `zone ${bt(dev.zone ?? "")} of ${bt(dev.name)} was removed from ${bt(`pools.${dev.pool.name}.zones`)}`;
    case Refusal.Drained:
      return `device ${bt(dev.name)} drained`;
    case Refusal.Traits:
      return `${bt(dev.name)} ${traitGap(dev, a, "lacks required trait", "has forbidden trait", "has none of")}`;
    case Refusal.Zone:
      return `${bt(dev.name)} is in zone ${bt(dev.zone ?? "none")}, the allocation requires ${bt(a.zone ?? "")}`;
    case Refusal.Group:
      return `anti-affinity group ${bt(a.group ?? "")} already has a member on ${bt(dev.name)}`;
    case Refusal.Dedicated:
      return `${bt(dev.name)} is dedicated to tenant ${bt([...dev.tenants.keys()][0] ?? "")}`;
    case Refusal.Contexts:
      return `no free isolation context on ${bt(dev.name)}`;
    case Refusal.MissingClass:
    case Refusal.Units:
    case Refusal.Capacity:
      return capacityText(dev, a);
    case Refusal.OK:
      return "fits";
  }
}

function traitGap(dev: Dev, a: Alloc, lacks: string, has: string, none: string): string {
  const missing = a.require.filter((t) => !dev.traits.has(t));
  if (missing.length > 0) return `${lacks} ${missing.map(bt).join(", ")}`;
  const forbidden = a.forbid.filter((t) => dev.traits.has(t));
  if (forbidden.length > 0) return `${has} ${forbidden.map(bt).join(", ")}`;
  const unmet = a.requireAny.find((set) => !set.some((t) => dev.traits.has(t))) ?? [];
  return `${none} ${unmet.map(bt).join(", ")}`;
}

/**
 * The capacity reason. When the allocation's own demand grew since the previous plan, the reason
 * names the growth and what the device had free before it: "`big` grew from 2 to 4
 * CUSTOM_SERVICE_SLOT; `fw-0` has 1 free". A device its neighbours already fill past its capacity
 * has 0 free, never a negative amount.
 */
function capacityText(dev: Dev, a: Alloc): string {
  for (const [rc, amount] of a.demand) {
    const i = dev.pool.classIndex.get(rc);
    const inv = i === undefined ? undefined : dev.inv[i];
    if (inv === undefined) return `${bt(dev.name)} has no ${rc} inventory`;
    const unit = unitViolation(inv, amount);
    if (unit === "min_unit") return `${amount} ${rc} is below \`minUnit\` ${inv.minUnit} on ${bt(dev.name)}`;
    if (unit === "max_unit") return `${amount} ${rc} is above \`maxUnit\` ${inv.maxUnit} on ${bt(dev.name)}`;
    if (unit === "step_size")
      return `${amount} ${rc} is not a multiple of \`stepSize\` ${inv.stepSize} on ${bt(dev.name)}`;
    const free = dev.cap[i!] - dev.used[i!];
    if (free >= amount) continue;
    const before = a.prev?.device === dev.name ? a.prev.demand?.[rc] : undefined;
    if (before !== undefined && before < amount) {
      return `${bt(a.name)} grew from ${before} to ${amount} ${rc}; ${bt(dev.name)} has ${fmtNum(Math.max(0, free - before))} free`;
    }
    return `demand no longer fits on ${bt(dev.name)}: needs ${amount} ${rc}, ${fmtNum(Math.max(0, free))} free`;
  }
  return "fits";
}

/** A noun phrase for a group of devices refused for the same reason: "without trait `X`". */
export function refusalGroup(dev: Dev, a: Alloc, r: Refusal): string {
  switch (r) {
    case Refusal.Capacity:
      return "capacity";
    case Refusal.Traits:
      return traitGap(dev, a, "without trait", "with forbidden trait", "with none of");
    case Refusal.Zone:
      return `in zone ${bt(dev.zone ?? "none")}`;
    case Refusal.Dedicated:
      return "dedicated to other tenants";
    case Refusal.Contexts:
      return "without a free isolation context";
    case Refusal.Group:
      return `already hosting anti-affinity group ${bt(a.group ?? "")}`;
    case Refusal.MissingClass: {
      const rc = a.demand.find(([c]) => dev.inv[dev.pool.classIndex.get(c) ?? -1] === undefined)?.[0] ?? "";
      return `without ${rc} inventory`;
    }
    case Refusal.Units: {
      for (const [rc, amount] of a.demand) {
        const inv = dev.inv[dev.pool.classIndex.get(rc)!]!;
        const unit = unitViolation(inv, amount);
        if (unit === "min_unit") return `whose \`minUnit\` ${inv.minUnit} refuses ${amount} ${rc}`;
        if (unit === "max_unit") return `whose \`maxUnit\` ${inv.maxUnit} refuses ${amount} ${rc}`;
        if (unit === "step_size") return `whose \`stepSize\` ${inv.stepSize} refuses ${amount} ${rc}`;
      }
      return "refusing the demand";
    }
    case Refusal.Unhealthy:
      return "unhealthy";
    case Refusal.Retired:
      return "in a zone removed from `zones`";
    case Refusal.Drained:
      return "drained";
    case Refusal.OK:
      return "that fit";
  }
}

/** The intro of an unplaceable allocation's error: who, what, where and with which traits. */
export function intro(a: Alloc): string {
  const head = `allocation ${bt(a.name)} (tenant ${bt(a.tenant)}) needs ${fmtDemand(a.demand)}`;
  const traits = [
    ...a.require.map((t) => `trait ${bt(t)}`),
    ...a.forbid.map((t) => `no ${bt(t)}`),
    ...a.requireAny.map((s) => `one of ${s.map(bt).join("/")}`),
  ];
  const where = [
    a.zone !== null ? `in zone ${bt(a.zone)}` : "",
    traits.length > 0 ? `with ${traits.join(", ")}` : "",
  ]
    .filter((s) => s !== "")
    .join(" ");
  return where === "" ? head : `${head} ${where}`;
}

/** How many allocations of one plan that fit nowhere get checked fixes, and the re-plans they may spend. */
export const FIX_ERRORS = 2;
export const FIX_REPLANS = 4;
/** Most fixes one error offers (`servicevm explain` lists them all). */
const FIXES_SHOWN = 2;

/** Each plan's fix checker: its re-plans are cached and budgeted across the plan's errors. */
const checkers = new WeakMap<PlannerView, { checker: FixChecker; errors: number }>();

/**
 * The error for an allocation no device can take: each excluding constraint with its device count,
 * then the fixes that re-planning confirmed (fixCheck.ts), or what it would need when none does.
 */
export function unplaceable(view: PlannerView, a: Alloc): string {
  const head = intro(a);
  if (a.pools.length === 0) {
    const why = noPool(a, view.ownedPools());
    return why.need === null ? `${head}; ${why.text}` : `${head}; ${why.text}; ${fixText(view, a, why.need)}`;
  }
  if (a.pin !== null) {
    const dev = view.device(a.pin);
    if (dev === undefined) {
      return `${head} on pinned device ${bt(a.pin)}, which does not exist within its pool's \`max\`; ${fixText(view, a, `a pool whose \`max\` includes ${bt(a.pin)}, or another pin`)}`;
    }
    const why = describeRefusal(dev, a, view.refusal(dev, a));
    return `${head} on pinned device ${bt(a.pin)}, but ${why}; ${fixText(view, a, `room on ${bt(a.pin)} or another pin`)}`;
  }
  const largest = largestCapacity(a);
  if (largest !== null) return `${head}; ${largest.text}; ${fixText(view, a, largest.need)}`;
  const parts: string[] = [];
  for (const pool of a.pools) {
    const counts = new Map<string, number>();
    let maxFree: number[] | null = null;
    for (const dev of pool.devices) {
      const r = view.refusal(dev, a);
      const key = refusalGroup(dev, a, r);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (r === Refusal.Capacity) {
        const free = a.demand.map(
          ([rc]) => dev.cap[pool.classIndex.get(rc)!] - dev.used[pool.classIndex.get(rc)!],
        );
        maxFree = maxFree === null ? free : maxFree.map((m, k) => Math.max(m, free[k]));
      }
    }
    const groups = [...counts.entries()].map(([why, n]) =>
      why === "capacity" && maxFree !== null
        ? `${plural(n, "device has", "devices have")} at most ${a.demand.map(([rc], k) => `${fmtNum(Math.max(0, maxFree[k]))} ${rc}`).join(", ")} free`
        : why === "unhealthy"
          ? `${n} unhealthy ${n === 1 ? "device" : "devices"}`
          : `${plural(n, "device")} ${why}`,
    );
    const sizeNote = pool.declared
      ? plural(pool.devices.length, "declared device")
      : `${pool.spec.size !== undefined ? "`size`" : "`max`"} ${pool.limit}`;
    parts.push(
      `pool ${bt(pool.name)} (${sizeNote}): ${groups.length > 0 ? groups.join("; ") : "no devices"}`,
    );
  }
  return `${head}; ${parts.join(". ")}; ${fixText(view, a, () => need(view, a))}`;
}

/**
 * The fixes re-planning confirmed, or, when none survives, what the allocation would need (`need`,
 * a noun phrase), without promising a change that was not checked.
 */
function fixText(view: PlannerView, a: Alloc, needs: string | (() => string)): string {
  const needed = (): string => (typeof needs === "string" ? needs : needs());
  const opts = view.options();
  // A re-plan checking a fix: its own errors are read for their path only.
  if (isCheckingFix(opts)) return "fixes are not checked in a re-plan that checks one";
  let state = checkers.get(view);
  if (state === undefined)
    checkers.set(
      view,
      (state = { checker: new FixChecker(view.replan, view.spec(), opts, FIX_REPLANS), errors: 0 }),
    );
  if (state.errors >= FIX_ERRORS)
    return `it needs ${needed()}; fixes are checked for the first ${FIX_ERRORS} allocations that fit nowhere: \`servicevm explain\` checks them for this one`;
  state.errors++;
  const { fixes, exhausted } = findFixes(
    state.checker,
    { a, refusal: (d: Dev, x: Alloc) => view.refusal(d, x), spec: view.spec() },
    FIXES_SHOWN,
  );
  if (fixes.length > 0)
    return listOf(
      fixes.map((f) => f.change),
      "or",
    );
  if (exhausted)
    return `it needs ${needed()}; no fix was confirmed within this plan's ${FIX_REPLANS} re-plans: \`servicevm explain\` checks every single change`;
  return `no single spec change places it: it needs ${needed()}`;
}

/** `a`, `a or b`, `a, b or c` (`word` "or"; likewise "and"). */
function listOf(items: string[], word: "or" | "and"): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} ${word} ${items[items.length - 1]}`;
}

/**
 * What the closest device (fewest reasons to refuse, first in the planner's order) lacks, as a
 * noun phrase: "a device free of other tenants and a demand that `stepSize` 10 accepts".
 */
function need(view: PlannerView, a: Alloc): string {
  const ctx = { a, refusal: (d: Dev, x: Alloc) => view.refusal(d, x), spec: view.spec() };
  let best: { dev: Dev; reasons: Set<Refusal> } | null = null;
  for (const pool of a.pools)
    for (const dev of pool.devices) {
      const reasons = blockersOf(ctx, dev);
      if (best === null || reasons.size < best.reasons.size) best = { dev, reasons };
    }
  if (best === null) return "devices in its pools";
  const dev = best.dev;
  const attributes: string[] = [];
  let demand: string | null = null;
  for (const r of best.reasons) {
    switch (r) {
      case Refusal.Unhealthy:
        attributes.push("healthy");
        break;
      case Refusal.Retired:
        attributes.push(`in a zone of \`pools.${dev.pool.name}.zones\``);
        break;
      case Refusal.Drained:
        attributes.push("not in `drain`");
        break;
      case Refusal.Traits:
        attributes.push(traitGap(dev, a, "with trait", "without trait", "with one of"));
        break;
      case Refusal.Zone:
        attributes.push(`in zone ${bt(a.zone ?? "")}`);
        break;
      case Refusal.Group:
        attributes.push(`without another member of anti-affinity group ${bt(a.group ?? "")}`);
        break;
      case Refusal.Dedicated:
        attributes.push("free of other tenants");
        break;
      case Refusal.Contexts:
        attributes.push("with a free isolation context");
        break;
      case Refusal.Capacity:
        attributes.push("with room for the demand");
        break;
      case Refusal.MissingClass:
      case Refusal.Units:
        demand = unitNeed(dev, a);
        break;
      case Refusal.OK:
        break;
    }
  }
  const device = attributes.length === 0 ? null : `a device ${listOf(attributes, "and")}`;
  return [device, demand].filter((x): x is string => x !== null).join(" and ") || "room in its pools";
}

/** What the demand needs of a device's inventory: a class it lacks, or an amount its unit rules take. */
function unitNeed(dev: Dev, a: Alloc): string {
  for (const [rc, amount] of a.demand) {
    const inv = dev.inv[dev.pool.classIndex.get(rc) ?? -1];
    if (inv === undefined) return `a device with ${rc} inventory`;
    const unit = unitViolation(inv, amount);
    const rule =
      unit === "min_unit"
        ? `\`minUnit\` ${inv.minUnit}`
        : unit === "max_unit"
          ? `\`maxUnit\` ${inv.maxUnit}`
          : unit === "step_size"
            ? `\`stepSize\` ${inv.stepSize}`
            : null;
    if (rule !== null)
      return `an amount of ${rc} that ${rule} of template ${bt(dev.pool.templateName)} accepts (not ${amount})`;
  }
  return "a demand the inventory accepts";
}

/** Why no pool is eligible, naming what is missing; `need` is null when no single edit applies. */
function noPool(a: Alloc, ownedPools: number): { text: string; need: string | null } {
  const type = a.spec.serviceType;
  if (ownedPools === 0)
    return { need: null, text: "the fleet has no pool of its own; add one under `pools`" };
  if (type === undefined) {
    return {
      need: null,
      text: `none of its pools ${(a.spec.pools ?? []).map(bt).join(", ")} is owned by this fleet; list a pool this fleet owns in \`allocations.${a.name}.pools\``,
    };
  }
  const text =
    a.spec.pools !== undefined
      ? `none of its pools ${a.spec.pools.map(bt).join(", ")} hosts service type ${bt(type)}`
      : `no pool's template lists service type ${bt(type)}`;
  return { need: `a template that hosts ${bt(type)}`, text };
}

/**
 * When the demand exceeds what any device of the eligible pools could hold even empty, raising
 * `max` cannot help: say so and name the largest capacity.
 */
function largestCapacity(a: Alloc): { text: string; need: string } | null {
  for (const [rc, amount] of a.demand) {
    let best = -Infinity;
    let bestTemplate = "";
    for (const pool of a.pools) {
      for (const dev of pool.uniform ? pool.devices.slice(0, 1) : pool.devices) {
        const inv = dev.inv[pool.classIndex.get(rc) ?? -1];
        if (inv === undefined) continue;
        const cap = capacityOf(inv);
        if (cap > best) [best, bestTemplate] = [cap, pool.templateName];
      }
    }
    if (best !== -Infinity && best < amount) {
      return {
        need: `a template with more ${rc} in \`allocations.${a.name}.pools\``,
        text: `the largest device of its pools holds ${fmtNum(best)} ${rc} (template ${bt(bestTemplate)}), less than the ${amount} demanded even when empty`,
      };
    }
  }
  return null;
}
