/**
 * The planner's allocations (`plan.ts`): each spec allocation as the board sees it — its demand in
 * code-unit order, its weight (demand relative to the largest device of each class), the pools it
 * may use in preference tiers, the external pool it is claimed from, and whether its own spec
 * changed since the previous ledger.
 */
import { sameDemand } from "./changes";
import type { Alloc, Pool } from "./planModel";
import type { AllocationSpec, ClaimTarget, FleetSpec, Ledger } from "./types";

const NONE: string[] = [];
const NONE_SETS: string[][] = [];

/** The keys of a record in code-unit order; a spec's keys usually are already (no sort then). */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
  return keys;
}

/**
 * The allocations of `fleet` in name order. `pools` are the owned pools (name order), `externals`
 * the pools other fleets own, `refCap` the largest capacity per class (for the weights).
 */
export function buildAllocs(
  fleet: FleetSpec,
  previous: Ledger,
  pools: ReadonlyMap<string, Pool>,
  externals: ReadonlyMap<string, ClaimTarget>,
  refCap: ReadonlyMap<string, number>,
): Alloc[] {
  const eligibleCache = new Map<string, { tiers: Pool[][]; pools: Pool[] }>();

  /**
   * Pools an allocation may use, in preference tiers; allocations with the same lists share one
   * array. Its own `pools` order is kept; without it, pools whose template lists the service type
   * come before templates that host any.
   */
  const eligibleTiers = (spec: AllocationSpec): { tiers: Pool[][]; pools: Pool[] } => {
    const key = `${spec.serviceType ?? ""}|${spec.pools?.join(",") ?? "*"}`;
    const cached = eligibleCache.get(key);
    if (cached !== undefined) return cached;
    let tiers: Pool[][];
    const type = spec.serviceType;
    const hosts = (p: Pool): boolean =>
      type === undefined || p.template.serviceTypes === undefined || p.template.serviceTypes.includes(type);
    if (spec.pools !== undefined) {
      tiers = [spec.pools.map((n) => pools.get(n)).filter((p): p is Pool => p !== undefined && hosts(p))];
    } else {
      const all = [...pools.values()].filter(hosts);
      const explicit = all.filter((p) => p.template.serviceTypes !== undefined);
      tiers =
        type === undefined ? [all] : [explicit, all.filter((p) => p.template.serviceTypes === undefined)];
    }
    tiers = tiers.filter((t) => t.length > 0);
    const entry = { pools: tiers.length === 1 ? tiers[0] : tiers.flat(), tiers };
    eligibleCache.set(key, entry);
    return entry;
  };

  /**
   * The external pool an allocation is claimed from: the first external pool in preference order,
   * when no pool this fleet owns is eligible (external pools host any service type: Placement decides).
   */
  const claimOf = (spec: AllocationSpec, owned: Pool[]): ClaimTarget | null => {
    if (owned.length > 0 || externals.size === 0) return null;
    for (const n of spec.pools ?? Object.keys(fleet.pools).sort()) {
      const target = externals.get(n);
      if (target !== undefined) return target;
    }
    return null;
  };

  const out: Alloc[] = [];
  const allocations = fleet.allocations ?? {};
  for (const name of sortedKeys(allocations)) {
    const spec = allocations[name];
    const demand = Object.keys(spec.demand)
      .sort()
      .map((rc): [string, number] => [rc, spec.demand[rc]]);
    const eligible = eligibleTiers(spec);
    const prev = previous.placements[name];
    out.push({
      name,
      spec,
      tenant: spec.tenant,
      demand,
      weight: demand.reduce((s, [rc, n]) => s + n / (refCap.get(rc) || n || 1), 0),
      pools: eligible.pools,
      tiers: eligible.tiers,
      claim: claimOf(spec, eligible.pools),
      require: spec.require ?? NONE,
      forbid: spec.forbid ?? NONE,
      requireAny: spec.requireAny ?? NONE_SETS,
      zone: spec.zone ?? null,
      group: spec.antiAffinityGroup ?? null,
      pin: spec.device ?? null,
      prev,
      changed:
        prev !== undefined &&
        (prev.tenant !== spec.tenant || (prev.demand !== undefined && !sameDemand(prev.demand, spec.demand))),
      device: null,
      context: null,
      movedFrom: null,
    });
  }
  return out;
}
