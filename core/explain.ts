/**
 * Explanations of the planner's refusals: why a device refuses an allocation (a move's reason),
 * and the error for an allocation no device can take, with a fix checked against the numbers
 * (STYLE 4): a bigger template when no device could ever hold the demand, more devices only where
 * a new device would take it, shared tenancy or a smaller group where those are the cause.
 */
import { capacityOf, unitViolation } from "./inventory";
import { type Alloc, bt, type Dev, fmtDemand, fmtNum, plural, type Pool, Refusal } from "./planModel";

/** What the explanations need of the planner. */
export interface PlannerView {
  refusal(dev: Dev, a: Alloc): Refusal;
  device(name: string): Dev | undefined;
  /** How many pools this fleet owns. */
  ownedPools(): number;
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
 * CUSTOM_SERVICE_SLOT; `fw-0` has 1 free".
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
      return `${bt(a.name)} grew from ${before} to ${amount} ${rc}; ${bt(dev.name)} has ${fmtNum(free - before)} free`;
    }
    return `demand no longer fits on ${bt(dev.name)}: needs ${amount} ${rc}, ${fmtNum(free)} free`;
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

/** The error for an allocation no device can take: each excluding constraint with its device count, then a fix that works. */
export function unplaceable(view: PlannerView, a: Alloc): string {
  const head = intro(a);
  if (a.pools.length === 0) return `${head}; ${noPool(a, view.ownedPools())}`;
  if (a.pin !== null) {
    const dev = view.device(a.pin);
    if (dev === undefined) {
      return `${head} on pinned device ${bt(a.pin)}, which does not exist within its pool's \`max\`; raise the pool's \`max\` or pin another device`;
    }
    const why = describeRefusal(dev, a, view.refusal(dev, a));
    return `${head} on pinned device ${bt(a.pin)}, but ${why}; unpin it (\`allocations.${a.name}.device\`) or free the device`;
  }
  const largest = largestCapacity(a);
  if (largest !== null) return `${head}; ${largest}`;
  const parts: string[] = [];
  const fixes = new Set<string>();
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
      const fix = fixFor(pool, a, r);
      if (fix !== null) fixes.add(fix);
    }
    const groups = [...counts.entries()].map(([why, n]) =>
      why === "capacity" && maxFree !== null
        ? `${plural(n, "device has", "devices have")} at most ${a.demand.map(([rc], k) => `${fmtNum(maxFree[k])} ${rc}`).join(", ")} free`
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
    if (pool.devices.length === 0) fixes.add(moreDevices(pool));
  }
  const fix = [...fixes].join(", or ");
  return `${head}; ${parts.join(". ")}; ${fix === "" ? `lower \`allocations.${a.name}.demand\`` : fix}`;
}

/** Why no pool is eligible, naming what is missing. */
function noPool(a: Alloc, ownedPools: number): string {
  const type = a.spec.serviceType;
  if (ownedPools === 0) return "the fleet has no pool of its own; add one under `pools`";
  if (type === undefined) {
    return `none of its pools ${(a.spec.pools ?? []).map(bt).join(", ")} is owned by this fleet; list a pool this fleet owns in \`allocations.${a.name}.pools\``;
  }
  const why =
    a.spec.pools !== undefined
      ? `none of its pools ${a.spec.pools.map(bt).join(", ")} hosts service type ${bt(type)}`
      : `no pool's template lists service type ${bt(type)}`;
  return `${why}; add ${bt(type)} to a template's \`serviceTypes\` or change \`allocations.${a.name}.serviceType\``;
}

/**
 * When the demand exceeds what any device of the eligible pools could hold even empty, raising
 * `max` cannot help: say so and name the largest capacity.
 */
function largestCapacity(a: Alloc): string | null {
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
      return `the largest device of its pools holds ${fmtNum(best)} ${rc} (template ${bt(bestTemplate)}), less than the ${amount} demanded even when empty; use a template with more ${rc} in \`allocations.${a.name}.pools\` or lower \`allocations.${a.name}.demand.${rc}\``;
    }
  }
  return null;
}

/** The fix that gives a pool more devices, or null when it already may have more. */
function moreDevices(pool: Pool): string {
  if (pool.declared) return `declare more devices in \`pools.${pool.name}.devices\``;
  return pool.spec.size !== undefined
    ? `raise \`pools.${pool.name}.size\` (${pool.limit})`
    : `raise \`pools.${pool.name}.max\` (${pool.limit})`;
}

function fixFor(pool: Pool, a: Alloc, r: Refusal): string | null {
  switch (r) {
    case Refusal.Capacity:
    case Refusal.Unhealthy:
    case Refusal.Retired:
      return `${moreDevices(pool)} or lower \`allocations.${a.name}.demand\``;
    case Refusal.Drained:
      return `${moreDevices(pool)}, or take ${bt(pool.name)}'s drained devices out of \`drain\``;
    case Refusal.Group:
      return `${moreDevices(pool)} or make anti-affinity group ${bt(a.group ?? "")} smaller`;
    case Refusal.Dedicated:
      return `${moreDevices(pool)} or make template ${bt(pool.templateName)} shared (\`templates.${pool.templateName}.tenancy.mode: shared\`)`;
    case Refusal.Contexts:
      return `widen \`templates.${pool.templateName}.tenancy.contexts\``;
    case Refusal.Traits:
      return `adjust the traits of template ${bt(pool.templateName)} or the allocation's \`require\`/\`forbid\`/\`requireAny\``;
    case Refusal.Zone:
      return `add zone ${bt(a.zone ?? "")} to \`pools.${pool.name}.zones\` or change \`allocations.${a.name}.zone\``;
    case Refusal.MissingClass:
    case Refusal.Units:
      return `change \`allocations.${a.name}.demand\` to fit the inventory of template ${bt(pool.templateName)}`;
    case Refusal.OK:
      return null;
  }
}
