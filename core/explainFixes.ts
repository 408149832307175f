/**
 * The fixes `servicevm explain` offers for an allocation that fits nowhere: each a single spec
 * change (more devices in a pool, wider isolation contexts, a trait, zone, group or pin relaxed),
 * kept only when re-planning the changed spec with the same previous ledger places it; smallest first.
 */
import type { ExplainFix, Scene, Settled } from "./explainAllocation";
import { MAX_GROWTH } from "./explainAllocation";
import { capacityOf, unitViolation } from "./inventory";
import { plan } from "./plan";
import { bt, type Pool, Refusal } from "./planModel";
import type { AllocationSpec, FleetSpec, OwnedPoolSpec, PlanOptions, TemplateSpec } from "./types";
// ---- fixes -----------------------------------------------------------------------------------------

interface Candidate {
  change: string;
  path: string;
  size: number;
  spec: FleetSpec;
}

/** Where the re-planned spec puts `name`, or null when it still fits nowhere. */
function placesIt(spec: FleetSpec, name: string, opts: PlanOptions): string | null {
  const r = plan(spec, opts); // validates the changed spec first
  return r.ok ? (r.placements[name]?.device ?? null) : null;
}

function withAllocation(spec: FleetSpec, name: string, edit: (a: AllocationSpec) => void): FleetSpec {
  const a = structuredClone(spec.allocations![name]);
  edit(a);
  return { ...spec, allocations: { ...spec.allocations, [name]: a } };
}

function withPool(spec: FleetSpec, pool: string, edit: (p: OwnedPoolSpec) => void): FleetSpec {
  const p = { ...(spec.pools[pool] as OwnedPoolSpec) };
  edit(p);
  return { ...spec, pools: { ...spec.pools, [pool]: p } };
}

function withTemplate(spec: FleetSpec, name: string, edit: (t: TemplateSpec) => void): FleetSpec {
  const t = structuredClone(spec.templates[name]);
  edit(t);
  return { ...spec, templates: { ...spec.templates, [name]: t } };
}

/**
 * The smallest `k` in 1..MAX_GROWTH for which `make(k)` places the allocation (more devices or
 * contexts never hurt, so the search doubles, then bisects; the answer is itself re-planned).
 */
function smallestGrowth(
  make: (k: number) => FleetSpec,
  name: string,
  opts: PlanOptions,
): { k: number; device: string } | null {
  let lo = 0;
  let hi = 1;
  let found: string | null = null;
  while (hi <= MAX_GROWTH && (found = placesIt(make(hi), name, opts)) === null) {
    lo = hi;
    hi *= 2;
  }
  if (found === null) return null;
  let best = { device: found, k: hi };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const d = placesIt(make(mid), name, opts);
    if (d !== null) {
      hi = mid;
      best = { device: d, k: mid };
    } else lo = mid;
  }
  return best;
}

/**
 * Whether a new device of `pool` could ever take the allocation: a created pool whose template
 * has its traits, every demanded class with room for the amount when empty and unit rules that
 * accept it, in a zone the pool creates devices in. Otherwise more devices cannot help and no
 * re-plan is spent on them.
 */
function growthMayHelp(scene: Scene, pool: Pool): boolean {
  const a = scene.target;
  const sample = pool.devices[0];
  if (pool.declared || sample === undefined) return false;
  if (!scene.board.traitsHold(sample, a)) return false;
  if (a.zone !== null && !(pool.spec.zones ?? []).includes(a.zone)) return false;
  return a.demand.every(([rc, amount]) => {
    const inv = sample.inv[pool.classIndex.get(rc) ?? -1];
    return inv !== undefined && unitViolation(inv, amount) === null && capacityOf(inv) >= amount;
  });
}

export function findFixes(s: Settled, name: string, scene: Scene, opts: PlanOptions): ExplainFix[] {
  const a = scene.target;
  const base = s.spec;
  const fixes: ExplainFix[] = [];
  const tried: Candidate[] = [];
  const path = (p: string): string => `allocations.${name}.${p}`;
  // Growth: a pool's devices, a template's isolation contexts.
  for (const pool of a.pools) {
    if (!growthMayHelp(scene, pool)) continue;
    const field = pool.spec.size !== undefined ? "size" : "max";
    const grown = smallestGrowth(
      (k) => withPool(base, pool.name, (p) => (p[field] = pool.limit + k)),
      name,
      opts,
    );
    if (grown !== null)
      fixes.push({
        change: `raise \`pools.${pool.name}.${field}\` from ${pool.limit} to ${pool.limit + grown.k} (${grown.k === 1 ? "1 device" : `${grown.k} devices`} more)`,
        device: grown.device,
        path: `pools.${pool.name}.${field}`,
        size: grown.k,
      });
  }
  const templates = [...new Set(a.pools.map((p) => p.templateName))];
  const short = new Set(
    a.pools
      .filter((p) => p.devices.some((d) => scene.board.refusal(d, a) === Refusal.Contexts))
      .map((p) => p.templateName),
  );
  for (const t of templates) {
    const tenancy = base.templates[t].tenancy;
    if (tenancy === undefined || tenancy.mode !== "shared" || !short.has(t)) continue;
    const grown = smallestGrowth(
      (k) =>
        withTemplate(base, t, (x) => {
          if (x.tenancy?.mode === "shared") x.tenancy.contexts.last = tenancy.contexts.last + k;
        }),
      name,
      opts,
    );
    if (grown !== null)
      fixes.push({
        change: `widen \`templates.${t}.tenancy.contexts\` to ${tenancy.contexts.first}-${tenancy.contexts.last + grown.k} (${grown.k} more)`,
        device: grown.device,
        path: `templates.${t}.tenancy.contexts.last`,
        size: grown.k,
      });
  }
  // Relaxations: one constraint of the allocation at a time.
  const spec = base.allocations![name];
  for (const t of spec.require ?? [])
    tried.push({
      change: `drop trait ${bt(t)} from \`${path("require")}\``,
      path: path("require"),
      size: 1,
      spec: withAllocation(base, name, (x) => (x.require = x.require!.filter((y) => y !== t))),
    });
  for (const t of spec.forbid ?? [])
    tried.push({
      change: `drop trait ${bt(t)} from \`${path("forbid")}\``,
      path: path("forbid"),
      size: 1,
      spec: withAllocation(base, name, (x) => (x.forbid = x.forbid!.filter((y) => y !== t))),
    });
  (spec.requireAny ?? []).forEach((set, i) =>
    tried.push({
      change: `drop ${set.map(bt).join("/")} from \`${path("requireAny")}\``,
      path: `${path("requireAny")}.${i}`,
      size: 1,
      spec: withAllocation(base, name, (x) => (x.requireAny = x.requireAny!.filter((_, j) => j !== i))),
    }),
  );
  if (spec.zone !== undefined) {
    const zones = new Set<string>();
    for (const p of a.pools)
      for (const d of p.devices) if (d.zone !== null && d.zone !== spec.zone) zones.add(d.zone);
    for (const z of [...zones].sort())
      tried.push({
        change: `change \`${path("zone")}\` from ${bt(spec.zone)} to ${bt(z)}`,
        path: path("zone"),
        size: 1,
        spec: withAllocation(base, name, (x) => (x.zone = z)),
      });
    tried.push({
      change: `drop \`${path("zone")}\` (any zone)`,
      path: path("zone"),
      size: 1,
      spec: withAllocation(base, name, (x) => delete x.zone),
    });
    for (const p of a.pools) {
      const zs = p.spec.zones ?? [];
      if (p.declared || zs.length === 0 || zs.includes(spec.zone)) continue;
      tried.push({
        change: `add zone ${bt(spec.zone)} to \`pools.${p.name}.zones\``,
        path: `pools.${p.name}.zones`,
        size: 1,
        spec: withPool(base, p.name, (x) => (x.zones = [...zs, spec.zone!])),
      });
    }
  }
  if (spec.antiAffinityGroup !== undefined)
    tried.push({
      change: `leave anti-affinity group ${bt(spec.antiAffinityGroup)} (\`${path("antiAffinityGroup")}\`)`,
      path: path("antiAffinityGroup"),
      size: 1,
      spec: withAllocation(base, name, (x) => delete x.antiAffinityGroup),
    });
  if (spec.device !== undefined)
    tried.push({
      change: `unpin it (\`${path("device")}\`)`,
      path: path("device"),
      size: 1,
      spec: withAllocation(base, name, (x) => delete x.device),
    });
  for (const c of tried) {
    const device = placesIt(c.spec, name, opts);
    if (device !== null) fixes.push({ change: c.change, device, path: c.path, size: c.size });
  }
  return fixes.sort((x, y) => x.size - y.size || (x.change < y.change ? -1 : x.change > y.change ? 1 : 0));
}
