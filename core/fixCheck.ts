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
import { capacityOf, unitViolation } from "./inventory";
import { type Alloc, bt, type Dev, type Pool, Refusal } from "./planModel";
import type {
  AllocationSpec,
  DeclaredDeviceSpec,
  FleetSpec,
  OwnedPoolSpec,
  PlanOptions,
  PlanResult,
  TemplateSpec,
} from "./types";
import { validateSpec } from "./validate";

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

/** A single spec change offered as a fix. */
export interface FixCandidate {
  /** What to change, in words, with every number of the edit: "raise `pools.fw.max` from 2 to 3". */
  change: string;
  /** The spec path it changes (dot-separated). */
  path: string;
  /** How big the change is (devices or contexts added; 1 for a relaxed constraint): fixes sort by it. */
  size: number;
  /** The changed spec; the input is not mutated. */
  edit: (spec: FleetSpec) => FleetSpec;
}

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

// ---- the candidates ---------------------------------------------------------------------------

/** What the candidates are made from: the spec, the allocation as the planner sees it, the board's refusal. */
export interface FixContext {
  spec: FleetSpec;
  a: Alloc;
  refusal: (dev: Dev, a: Alloc) => Refusal;
}

/** One candidate, or a family of growing ones (`make(k)`, k devices or contexts more). */
export type FixFamily =
  { kind: "one"; fix: FixCandidate } | { kind: "growth"; make: (k: number) => FixCandidate; most: number };

/** Largest number of devices or contexts a fix adds. */
export const MAX_GROWTH = 1024;

/**
 * Every reason `dev` refuses `a`, found by lifting each reason the board names in turn (the
 * board's own checks, in its order); a capacity or unit refusal comes last and ends the search.
 */
export function blockersOf(ctx: FixContext, dev: Dev): Set<Refusal> {
  const out = new Set<Refusal>();
  const saved = { drained: dev.drained, healthy: dev.healthy, retired: dev.retired };
  let b: Alloc = ctx.a;
  try {
    for (;;) {
      const r = ctx.refusal(dev, b);
      if (r === Refusal.OK) return out;
      out.add(r);
      switch (r) {
        case Refusal.Unhealthy:
          dev.healthy = true;
          break;
        case Refusal.Retired:
          dev.retired = false;
          break;
        case Refusal.Drained:
          dev.drained = false;
          break;
        case Refusal.Traits:
          b = { ...b, forbid: [], require: [], requireAny: [] };
          break;
        case Refusal.Zone:
          b = { ...b, zone: null };
          break;
        case Refusal.Group:
          b = { ...b, group: null };
          break;
        case Refusal.Dedicated:
        case Refusal.Contexts:
          b = { ...b, tenant: [...dev.tenants.keys()][0] ?? b.tenant };
          break;
        default:
          return out;
      }
    }
  } finally {
    dev.healthy = saved.healthy;
    dev.retired = saved.retired;
    dev.drained = saved.drained;
  }
}

/** Whether some device of the allocation's pools refuses only for reasons in `lifted`. */
function someDevice(blockers: Map<Dev, Set<Refusal>>, lifted: Refusal[], where = (_: Dev) => true): boolean {
  for (const [dev, b] of blockers) {
    if (!where(dev) || b.size === 0) continue;
    if ([...b].every((r) => lifted.includes(r))) return true;
  }
  return false;
}

function withAllocation(spec: FleetSpec, name: string, edit: (a: AllocationSpec) => void): FleetSpec {
  const a = structuredClone(spec.allocations![name]);
  edit(a);
  return { ...spec, allocations: { ...spec.allocations, [name]: a } };
}

function withPool(spec: FleetSpec, pool: string, edit: (p: OwnedPoolSpec) => void): FleetSpec {
  const p = structuredClone(spec.pools[pool] as OwnedPoolSpec);
  edit(p);
  return { ...spec, pools: { ...spec.pools, [pool]: p } };
}

function withTemplate(spec: FleetSpec, name: string, edit: (t: TemplateSpec) => void): FleetSpec {
  const t = structuredClone(spec.templates[name]);
  edit(t);
  return { ...spec, templates: { ...spec.templates, [name]: t } };
}

function traitsOf(template: TemplateSpec, a: Alloc): boolean {
  const has = new Set(template.traits ?? []);
  return (
    a.require.every((t) => has.has(t)) &&
    !a.forbid.some((t) => has.has(t)) &&
    a.requireAny.every((set) => set.some((t) => has.has(t)))
  );
}

/**
 * Whether an empty new device of `pool` would take the allocation: its template has the traits,
 * every demanded class with room for the amount when empty and unit rules that accept it, and
 * (`zone`) the pool creates devices in the allocation's zone.
 */
function newDeviceMayTake(pool: Pool, a: Alloc, zone: boolean): boolean {
  const sample = pool.devices[0];
  if (sample === undefined || !traitsOf(pool.template, a)) return false;
  if (zone && a.zone !== null && !(pool.spec.zones ?? []).includes(a.zone)) return false;
  return a.demand.every(([rc, amount]) => {
    const inv = sample.inv[pool.classIndex.get(rc) ?? -1];
    return inv !== undefined && unitViolation(inv, amount) === null && capacityOf(inv) >= amount;
  });
}

/** The isolation a template shared for a fix gets: what its driver supports best. */
function isolationFor(t: TemplateSpec): "vrf" | "vlan" | "namespace" {
  return t.driver === "physical" ? "vlan" : t.driver === "docker" ? "namespace" : "vrf";
}

/** A demand amount of `rc` near `amount` that a device's free room and unit rules accept, or null. */
function amountThatFits(dev: Dev, rc: string, amount: number, up: boolean): number | null {
  const i = dev.pool.classIndex.get(rc);
  const inv = i === undefined ? undefined : dev.inv[i];
  if (inv === undefined) return null;
  const free = dev.cap[i!] - dev.used[i!];
  const step = inv.stepSize;
  let v = up ? Math.ceil(amount / step) * step : Math.floor(Math.min(amount, free) / step) * step;
  if (!up && v === amount) v -= step;
  v = Math.min(v, inv.maxUnit);
  if (v < inv.minUnit || v <= 0 || v > free || v % step !== 0 || v === amount) return null;
  return v;
}

/** Whether every other demanded class fits `dev` as demanded. */
function othersFit(dev: Dev, a: Alloc, rc: string): boolean {
  return a.demand.every(([c, amount]) => {
    if (c === rc) return true;
    const i = dev.pool.classIndex.get(c);
    const inv = i === undefined ? undefined : dev.inv[i];
    return inv !== undefined && unitViolation(inv, amount) === null && dev.cap[i!] - dev.used[i!] >= amount;
  });
}

/** The fleet's device names, so a device declared for a check gets a name of its own. */
function usedNames(spec: FleetSpec, pools: readonly Pool[]): Set<string> {
  const names = new Set<string>(Object.keys(spec.pools));
  for (const p of pools) for (const d of p.devices) names.add(d.name);
  for (const p of Object.values(spec.pools))
    for (const d of (p as OwnedPoolSpec).devices ?? []) names.add(d.name);
  return names;
}

/**
 * Every single spec change that may place `ctx.a`, in the order they are checked: one-re-plan
 * candidates first (relaxations, a demand that fits, shared tenancy, undraining), then growth,
 * which needs a search. Each is screened on the board; the re-plan decides.
 */
export function fixFamilies(ctx: FixContext): FixFamily[] {
  const { spec, a } = ctx;
  const name = a.name;
  const path = (p: string): string => `allocations.${name}.${p}`;
  const out: FixFamily[] = [];
  const one = (fix: FixCandidate): void => void out.push({ fix, kind: "one" });
  const own = spec.allocations![name];
  if (a.pools.length === 0) {
    // No pool is eligible: the service type is what keeps it out.
    const type = own.serviceType;
    if (type === undefined) return out;
    one({
      change: `drop \`${path("serviceType")}\` (${bt(type)})`,
      edit: (s) => withAllocation(s, name, (x) => delete x.serviceType),
      path: path("serviceType"),
      size: 1,
    });
    const templates = new Set<string>();
    for (const p of own.pools ?? Object.keys(spec.pools).sort()) {
      const pool = spec.pools[p] as OwnedPoolSpec | undefined;
      if (pool?.template !== undefined) templates.add(pool.template);
    }
    for (const t of [...templates].sort()) {
      const types = spec.templates[t].serviceTypes;
      if (types === undefined) continue;
      one({
        change: `add ${bt(type)} to \`templates.${t}.serviceTypes\``,
        edit: (s) =>
          withTemplate(
            s,
            t,
            (x) =>
              (x.serviceTypes = x.serviceTypes?.includes(type)
                ? x.serviceTypes
                : [...(x.serviceTypes ?? []), type]),
          ),
        path: `templates.${t}.serviceTypes`,
        size: 1,
      });
    }
    return out;
  }
  const all = new Map<Dev, Set<Refusal>>();
  for (const p of a.pools) for (const d of p.devices) all.set(d, blockersOf(ctx, d));
  // A pinned allocation goes to its pin or nowhere: relaxations are screened on that device.
  const blockers = a.pin === null ? all : new Map([...all].filter(([d]) => d.name === a.pin));
  if (a.pin !== null) {
    const pin = a.pin;
    if ([...all].some(([d, b]) => d.name !== pin && b.size === 0))
      one({
        change: `unpin it (\`${path("device")}\`)`,
        edit: (s) => withAllocation(s, name, (x) => delete x.device),
        path: path("device"),
        size: 1,
      });
    // The pinned device is a created pool's slot past its `max`: a larger `max` makes it.
    for (const p of a.pools) {
      const n = pin.startsWith(`${p.name}-`) ? Number(pin.slice(p.name.length + 1)) : NaN;
      if (p.declared || p.spec.size !== undefined || !Number.isInteger(n) || n < p.limit) continue;
      if (!newDeviceMayTake(p, a, false)) continue;
      one({
        change: `raise \`pools.${p.name}.max\` from ${p.limit} to ${n + 1} (${n + 1 - p.limit === 1 ? "1 device" : `${n + 1 - p.limit} devices`} more)`,
        edit: (s) => withPool(s, p.name, (x) => (x.max = n + 1)),
        path: `pools.${p.name}.max`,
        size: n + 1 - p.limit,
      });
    }
  }
  // Relaxations of the allocation's own constraints.
  if (someDevice(blockers, [Refusal.Traits])) {
    for (const t of a.require)
      one({
        change: `drop trait ${bt(t)} from \`${path("require")}\``,
        edit: (s) => withAllocation(s, name, (x) => (x.require = (x.require ?? []).filter((y) => y !== t))),
        path: path("require"),
        size: 1,
      });
    for (const t of a.forbid)
      one({
        change: `drop trait ${bt(t)} from \`${path("forbid")}\``,
        edit: (s) => withAllocation(s, name, (x) => (x.forbid = (x.forbid ?? []).filter((y) => y !== t))),
        path: path("forbid"),
        size: 1,
      });
    a.requireAny.forEach((set, i) =>
      one({
        change: `drop ${set.map(bt).join("/")} from \`${path("requireAny")}\``,
        edit: (s) =>
          withAllocation(s, name, (x) => (x.requireAny = (x.requireAny ?? []).filter((_, j) => j !== i))),
        path: path("requireAny"),
        size: 1,
      }),
    );
  }
  if (a.zone !== null) {
    const zone = a.zone;
    const zones = new Set<string>();
    for (const [d, b] of blockers)
      if (d.zone !== null && d.zone !== zone && [...b].every((r) => r === Refusal.Zone)) zones.add(d.zone);
    for (const z of [...zones].sort())
      one({
        change: `change \`${path("zone")}\` from ${bt(zone)} to ${bt(z)}`,
        edit: (s) => withAllocation(s, name, (x) => (x.zone = z)),
        path: path("zone"),
        size: 1,
      });
    if (someDevice(blockers, [Refusal.Zone]))
      one({
        change: `drop \`${path("zone")}\` (any zone)`,
        edit: (s) => withAllocation(s, name, (x) => delete x.zone),
        path: path("zone"),
        size: 1,
      });
    for (const p of a.pools) {
      const zs = p.spec.zones ?? [];
      // A declared device's zone is its own; a created pool lists where new devices go.
      if (p.declared || zs.length === 0 || !newDeviceMayTake(p, a, false)) continue;
      one({
        change: `add zone ${bt(zone)} to \`pools.${p.name}.zones\``,
        edit: (s) =>
          withPool(
            s,
            p.name,
            (x) => (x.zones = (x.zones ?? []).includes(zone) ? x.zones : [...(x.zones ?? []), zone]),
          ),
        path: `pools.${p.name}.zones`,
        size: 1,
      });
    }
  }
  if (a.group !== null && someDevice(blockers, [Refusal.Group])) {
    const group = a.group;
    one({
      change: `leave anti-affinity group ${bt(group)} (\`${path("antiAffinityGroup")}\`)`,
      edit: (s) => withAllocation(s, name, (x) => delete x.antiAffinityGroup),
      path: path("antiAffinityGroup"),
      size: 1,
    });
  }
  // A demand that fits: lower a class to what a device has free, or onto the unit rules' step.
  for (const [rc, amount] of a.demand) {
    let down: number | null = null;
    let up: number | null = null;
    for (const [d, b] of blockers) {
      if (![...b].every((r) => r === Refusal.Capacity || r === Refusal.Units) || !othersFit(d, a, rc))
        continue;
      const lower = amountThatFits(d, rc, amount, false);
      if (lower !== null && (down === null || lower > down)) down = lower;
      if (b.has(Refusal.Units)) {
        const higher = amountThatFits(d, rc, amount, true);
        if (higher !== null && (up === null || higher < up)) up = higher;
      }
    }
    for (const v of [down, up]) {
      if (v === null) continue;
      one({
        change: `${v < amount ? "lower" : "raise"} \`${path(`demand.${rc}`)}\` from ${amount} to ${v}`,
        edit: (s) => withAllocation(s, name, (x) => (x.demand[rc] = v)),
        path: path(`demand.${rc}`),
        size: 1,
      });
    }
  }
  // Shared tenancy where dedicated devices are the cause.
  const templates = [...new Set(a.pools.map((p) => p.templateName))];
  for (const t of templates) {
    const template = spec.templates[t];
    if ((template.tenancy?.mode ?? "dedicated") !== "dedicated") continue;
    if (!someDevice(blockers, [Refusal.Dedicated], (d) => d.pool.templateName === t)) continue;
    const isolation = isolationFor(template);
    const tenants = new Set(Object.values(spec.allocations ?? {}).map((x) => x.tenant)).size;
    const last = Math.max(1, Math.min(tenants, 4094));
    one({
      change: `make template ${bt(t)} shared (\`templates.${t}.tenancy\`: mode \`shared\`, isolation \`${isolation}\`, contexts 1-${last})`,
      edit: (s) =>
        withTemplate(s, t, (x) => (x.tenancy = { contexts: { first: 1, last }, isolation, mode: "shared" })),
      path: `templates.${t}.tenancy`,
      size: 1,
    });
  }
  // Drained devices taken out of `drain`, each on its own.
  for (const [d, b] of blockers) {
    if (!d.drained || ![...b].every((r) => r === Refusal.Drained)) continue;
    const listed = (e: NonNullable<FleetSpec["drain"]>[number]): boolean =>
      (typeof e === "string" ? e : e.device) === d.name;
    one({
      change: `take ${bt(d.name)} out of \`drain\``,
      edit: (s) => ({ ...s, drain: (s.drain ?? []).filter((e) => !listed(e)) }),
      path: "drain",
      size: 1,
    });
  }
  // Growth: isolation contexts of shared templates, devices of the pools.
  for (const t of templates) {
    const tenancy = spec.templates[t].tenancy;
    if (tenancy?.mode !== "shared") continue;
    if (!someDevice(blockers, [Refusal.Contexts], (d) => d.pool.templateName === t)) continue;
    const { first, last } = tenancy.contexts;
    const most = Math.min(MAX_GROWTH, (tenancy.isolation === "vlan" ? 4094 : Number.MAX_SAFE_INTEGER) - last);
    out.push({
      kind: "growth",
      make: (k) => ({
        change: `widen \`templates.${t}.tenancy.contexts\` to ${first}-${last + k} (${k} more)`,
        edit: (s) =>
          withTemplate(s, t, (x) => {
            if (x.tenancy?.mode === "shared") x.tenancy.contexts.last = last + k;
          }),
        path: `templates.${t}.tenancy.contexts.last`,
        size: k,
      }),
      most,
    });
  }
  let names: Set<string> | null = null;
  for (const p of a.pin === null ? a.pools : []) {
    if (!newDeviceMayTake(p, a, !p.declared)) continue;
    const more = (k: number): string => (k === 1 ? "1 device" : `${k} devices`);
    if (!p.declared) {
      const field = p.spec.size !== undefined ? "size" : "max";
      const limit = p.limit;
      out.push({
        kind: "growth",
        make: (k) => ({
          change: `raise \`pools.${p.name}.${field}\` from ${limit} to ${limit + k} (${more(k)} more)`,
          edit: (s) => withPool(s, p.name, (x) => (x[field] = limit + k)),
          path: `pools.${p.name}.${field}`,
          size: k,
        }),
        most: MAX_GROWTH,
      });
      continue;
    }
    // A declared pool's size is its `devices` list: another appliance like its template.
    const zones = p.spec.zones ?? [];
    if (a.zone !== null && zones.length > 0 && !zones.includes(a.zone)) continue;
    names ??= usedNames(spec, a.pools);
    const taken = names;
    const fresh = (k: number): string[] => {
      const out: string[] = [];
      for (let i = 1; out.length < k; i++)
        if (!taken.has(`${p.name}-new-${i}`)) out.push(`${p.name}-new-${i}`);
      return out;
    };
    const where = a.zone !== null ? ` in zone ${bt(a.zone)}` : "";
    out.push({
      kind: "growth",
      make: (k) => ({
        change: `declare ${k === 1 ? "another device" : `${k} more devices`}${where} in \`pools.${p.name}.devices\` (as template ${bt(p.templateName)})`,
        edit: (s) =>
          withPool(s, p.name, (x) => {
            const added: DeclaredDeviceSpec[] = fresh(k).map((n) =>
              a.zone !== null ? { name: n, zone: a.zone } : { name: n },
            );
            x.devices = [...(x.devices ?? []), ...added];
          }),
        path: `pools.${p.name}.devices`,
        size: k,
      }),
      most: 64,
    });
  }
  return out;
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
