/**
 * `servicevm explain`: why one allocation is where the planner puts it, or why it fits nowhere and
 * which single spec change would place it. Pure and deterministic, like `plan`.
 *
 * The planner stays the one source of every decision: the allocation's device, whether it stayed
 * and a move's reason come from `plan()` itself; each device's refusal comes from the planner's
 * own `Board.refusal` on a board that holds every other allocation where that plan put it; every
 * fix is checked by planning the changed spec with the same previous ledger.
 *
 * Only the allocation's part of the fleet is planned (`componentOf`): the pools it may use and,
 * transitively, every allocation that may use one of them or was on one of them. Nothing outside
 * that part can reach those pools, so the decisions inside it are the whole plan's; the other
 * pools stay in the spec with one device each, so each allocation's weight (its demand over the
 * largest device of each class, which orders new placements) is the same. Other allocations of the
 * part that fit nowhere are left out, so one unplaceable neighbour does not hide where this one
 * goes (a failed plan decides nothing); the explanation names them. On the 10,000-device,
 * 100,000-allocation benchmark fleet this makes an explanation about a third of one plan.
 *
 * What the board does not replay: the planner places new allocations one by one (largest first),
 * and the board shows the devices as the plan leaves them, after later (smaller) allocations took
 * their places too. `consistent` says whether the planner's own choice function, asked again on
 * that board, picks the same device (it does for `pack` as long as nothing moved off a device).
 */
import { Board } from "./board";
import { intro } from "./explain";
import { upgradeLedger } from "./ledger";
import { drainedDevices, isDeclaredPool, isExternalPool } from "./model";
import { plan } from "./plan";
import { type Alloc, bt, type Dev, plural, type Pool } from "./planModel";
import { buildPool } from "./planPools";
import type {
  AllocationSpec,
  FleetSpec,
  Ledger,
  OwnedPoolSpec,
  PlanError,
  PlanOptions,
  PlanResult,
} from "./types";
import { explainFixes } from "./explainFixes";
import { checkFleetSpec } from "./specCheck";
import { CHECKING_FIX, type CheckOptions } from "./fixCheck";
import { candidatesOf, countConstraints, type Scene } from "./explainCandidates";

export type { Scene } from "./explainCandidates";

import type { AllocationExplanation, ExplainResult, ExplainStatus, PoolView } from "./explainTypes";

export type {
  AllocationExplanation,
  CandidateView,
  ConstraintCount,
  ExplainFix,
  ExplainResult,
  ExplainStatus,
  PoolView,
  Verdict,
} from "./explainTypes";

export { MAX_GROWTH } from "./fixCheck";

/** Explains one allocation of `spec` (see the module doc). */
export function explainAllocation(spec: FleetSpec, name: string, opts: PlanOptions = {}): ExplainResult {
  const checked = checkFleetSpec(spec, { remember: false, view: "plan" });
  if (!checked.ok) return { errors: checked.errors, kind: "invalid", ok: false };
  const allocations = spec.allocations ?? {};
  if (!Object.hasOwn(allocations, name))
    return { allocation: name, known: Object.keys(allocations).sort(), kind: "unknown", ok: false };
  const previous = upgradeLedger(opts.previous ?? { placements: {}, pools: {}, version: 2 }, spec);
  const part = componentOf(spec, name, previous);
  const partOpts = { ...opts, previous: part.previous };
  const settled = settle(part.spec, name, partOpts);
  if (settled.invalid !== undefined) return { errors: settled.invalid, kind: "invalid", ok: false };
  return { explanation: explainIn(settled, name, partOpts), ok: true };
}

// ---- the allocation's part of the fleet ----------------------------------------------------------

/** Owned pools an allocation may use (its `pools`, else every pool whose template hosts its service type). */
function eligiblePools(spec: FleetSpec, a: AllocationSpec): string[] {
  const owned = (n: string): boolean => spec.pools[n] !== undefined && !isExternalPool(spec.pools[n]);
  const hosts = (n: string): boolean => {
    const t = spec.templates[(spec.pools[n] as OwnedPoolSpec).template];
    return (
      a.serviceType === undefined || t.serviceTypes === undefined || t.serviceTypes.includes(a.serviceType)
    );
  };
  return (a.pools ?? Object.keys(spec.pools).sort()).filter((n) => owned(n) && hosts(n));
}

/** {@link eligiblePools}, computed once per (service type, pools) pair: large fleets repeat them. */
function eligibleCache(spec: FleetSpec): (a: AllocationSpec) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  return (a) => {
    const key = `${a.serviceType ?? ""}|${a.pools?.join(",") ?? "*"}`;
    let pools = cache.get(key);
    if (pools === undefined) cache.set(key, (pools = eligiblePools(spec, a)));
    return pools;
  };
}

/**
 * `name`'s part of the fleet: a walk from its pools over the allocations that may use them or were
 * on them, and their pools. The spec keeps only those allocations, and every other created pool
 * shrinks to one device (its template's capacity still counts in the allocations' weights); the
 * previous ledger keeps only their placements (the others could only be released).
 */
function componentOf(spec: FleetSpec, name: string, previous: Ledger): { spec: FleetSpec; previous: Ledger } {
  const poolOfDevice = new Map<string, string>();
  for (const [pool, p] of Object.entries(previous.pools))
    for (const d of Object.keys(p.devices)) poolOfDevice.set(d, pool);
  const allocations = spec.allocations ?? {};
  const eligible = eligibleCache(spec);
  const names = Object.keys(allocations);
  const poolsByAlloc = new Map<string, readonly string[]>();
  const allocsOf = new Map<string, string[]>();
  for (const n of names) {
    let pools = eligible(allocations[n]);
    const prev = previous.placements[n];
    const prevPool = prev === undefined ? undefined : poolOfDevice.get(prev.device);
    if (prevPool !== undefined && !pools.includes(prevPool)) pools = [...pools, prevPool];
    poolsByAlloc.set(n, pools);
    for (const p of pools) {
      let list = allocsOf.get(p);
      if (list === undefined) allocsOf.set(p, (list = []));
      list.push(n);
    }
  }
  const poolsOf = (n: string): readonly string[] => poolsByAlloc.get(n)!;
  const reached = new Set<string>([name]);
  const seen = new Set<string>();
  const todo = [...poolsOf(name)];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const n of allocsOf.get(p) ?? []) {
      if (reached.has(n)) continue;
      reached.add(n);
      for (const q of poolsOf(n)) if (!seen.has(q)) todo.push(q);
    }
  }
  const kept: Record<string, AllocationSpec> = {};
  for (const n of names) if (reached.has(n)) kept[n] = allocations[n];
  const pools: FleetSpec["pools"] = {};
  for (const [p, pool] of Object.entries(spec.pools)) {
    if (seen.has(p) || isExternalPool(pool) || isDeclaredPool(pool, spec.templates[pool.template])) {
      pools[p] = pool;
    } else {
      pools[p] = { ...pool, max: 1, min: 0, size: undefined, standby: 0 };
    }
  }
  const placements: Ledger["placements"] = {};
  for (const n of Object.keys(previous.placements))
    if (reached.has(n)) placements[n] = previous.placements[n];
  return { previous: { ...previous, placements }, spec: { ...spec, allocations: kept, pools } };
}

export interface Settled {
  spec: FleetSpec;
  result: PlanResult;
  /** Neighbours left out because they fit nowhere. */
  dropped: string[];
  /** The planner's error for `name`, when it fits nowhere. */
  error: string | null;
  /** Errors that name no allocation (a `drain` entry of a device that does not exist): no plan at all. */
  invalid?: PlanError[];
}

/**
 * Plans the part, leaving out other allocations that fit nowhere until only `name` may fail; when it
 * fails, the board is the plan of the part without it (an allocation that fits nowhere takes nothing).
 */
/** The allocations a failed plan names (each in the spec), or null when an error names none. */
function failingAllocations(spec: FleetSpec, errors: readonly { path: string }[]): string[] | null {
  const names: string[] = [];
  for (const e of errors) {
    const [head, n] = e.path.split(".");
    if (head !== "allocations" || n === undefined || !Object.hasOwn(spec.allocations ?? {}, n)) return null;
    names.push(n);
  }
  return names;
}

function settle(part: FleetSpec, name: string, opts: PlanOptions): Settled {
  let spec = part;
  const dropped: string[] = [];
  const without = (s: FleetSpec, names: readonly string[]): FleetSpec => {
    const allocations = { ...s.allocations };
    for (const n of names) delete allocations[n];
    return { ...s, allocations };
  };
  // These plans only decide who fits: their errors need no fixes (fixCheck.ts).
  const quick: CheckOptions = { ...opts, [CHECKING_FIX]: true };
  // Each round leaves out at least one allocation, so this ends.
  for (;;) {
    const result = plan(spec, quick);
    if (result.ok) return { dropped: dropped.sort(), error: null, result, spec };
    const failing = failingAllocations(spec, result.errors);
    // An error that names no allocation (a `drain` entry the part cannot honour) leaves nothing to drop.
    if (failing === null)
      return { dropped: dropped.sort(), error: null, invalid: result.errors, result, spec };
    const others = failing.filter((n) => n !== name);
    if (others.length === 0) {
      // The planner's own error for it, with the fixes the plan offers.
      const error = plan(spec, opts).errors.find((e) => e.path === `allocations.${name}`)?.message ?? null;
      let rest = without(spec, [name]);
      for (;;) {
        const r = plan(rest, quick);
        const more = failingAllocations(rest, r.errors) ?? [];
        if (r.ok || more.length === 0) return { dropped: dropped.sort(), error, result: r, spec };
        dropped.push(...more);
        spec = without(spec, more);
        rest = without(rest, more);
      }
    }
    dropped.push(...others);
    spec = without(spec, others);
  }
}

// ---- the board the explanation reads ------------------------------------------------------------

/** The planner's view of an allocation, built from its spec (as `plan.ts` builds it). */
function allocOf(name: string, spec: AllocationSpec, tiers: Pool[][], previous: Ledger): Alloc {
  const demand = Object.keys(spec.demand)
    .sort()
    .map((rc): [string, number] => [rc, spec.demand[rc]]);
  return {
    changed: false,
    claim: null,
    context: null,
    demand,
    device: null,
    forbid: spec.forbid ?? [],
    group: spec.antiAffinityGroup ?? null,
    movedFrom: null,
    name,
    pin: spec.device ?? null,
    pools: tiers.flat(),
    prev: previous.placements[name],
    require: spec.require ?? [],
    requireAny: spec.requireAny ?? [],
    spec,
    tenant: spec.tenant,
    tiers,
    weight: 0,
    zone: spec.zone ?? null,
  };
}

/** Preference tiers of the pools an allocation may use (`plan.ts`, `eligibleTiers`). */
function tiersOf(spec: AllocationSpec, pools: Map<string, Pool>): Pool[][] {
  const type = spec.serviceType;
  const hosts = (p: Pool): boolean =>
    type === undefined || p.template.serviceTypes === undefined || p.template.serviceTypes.includes(type);
  let tiers: Pool[][];
  if (spec.pools !== undefined) {
    tiers = [spec.pools.map((n) => pools.get(n)).filter((p): p is Pool => p !== undefined && hosts(p))];
  } else {
    const all = [...pools.values()].filter(hosts);
    tiers =
      type === undefined
        ? [all]
        : [
            all.filter((p) => p.template.serviceTypes !== undefined),
            all.filter((p) => p.template.serviceTypes === undefined),
          ];
  }
  return tiers.filter((t) => t.length > 0);
}

/**
 * A board with every placement of `result` but `name`'s (devices as `plan` builds them from the
 * previous ledger), and `name` as the planner sees it.
 */
function sceneOf(
  spec: FleetSpec,
  name: string,
  result: PlanResult,
  opts: PlanOptions & { previous: Ledger },
): Scene {
  const board = new Board();
  const pools = new Map<string, Pool>();
  const refCap = new Map<string, number>();
  // Drained devices take nothing new, as in the plan.
  const drained = drainedDevices(spec);
  // Only the pools the allocation may use: the board shows their devices, nothing else decides here.
  for (const p of [...eligiblePools(spec, spec.allocations![name])].sort()) {
    const pool = buildPool(spec, p, opts.previous.pools[p], opts.health ?? {}, refCap, drained);
    for (const dev of pool.devices) {
      board.devByName.set(dev.name, dev);
      board.refresh(dev);
    }
    pools.set(p, pool);
  }
  const allocations = spec.allocations ?? {};
  for (const [n, placed] of Object.entries(result.placements)) {
    const dev = board.devByName.get(placed.device);
    if (n === name || dev === undefined || allocations[n] === undefined) continue;
    const a = allocOf(n, allocations[n], [[dev.pool]], opts.previous);
    board.assign(a, dev, placed.isolation?.id ?? null);
  }
  for (const pool of pools.values()) {
    let highest = -1;
    for (const dev of pool.busy) if (dev.index > highest) highest = dev.index;
    board.spreadWidths.set(pool, Math.max(highest + 1, 1));
  }
  const target = allocOf(name, allocations[name], tiersOf(allocations[name], pools), opts.previous);
  const live = new Set(Object.keys(result.devices));
  return { board, live, pools, target };
}

// ---- the explanation ------------------------------------------------------------------------------

function explainIn(
  s: Settled,
  name: string,
  opts: PlanOptions & { previous: Ledger },
): AllocationExplanation {
  const a0 = s.spec.allocations![name];
  const placed = s.error === null ? s.result.placements[name] : undefined;
  const claim = s.error === null ? s.result.claims?.[name] : undefined;
  const prev = opts.previous.placements[name];
  // An allocation that fits nowhere is shown on the board of the plan without it (`settle`).
  const scene = sceneOf(s.spec, name, s.result, opts);
  const a = scene.target;
  const chosen = placed === undefined ? null : (scene.board.devByName.get(placed.device) ?? null);
  const sticky = prev !== undefined && placed !== undefined && prev.device === placed.device;
  const deferChange = s.result.changes.find((c) => c.op === "defer" && c.allocation === name);
  const deferReason = deferChange?.op === "defer" ? deferChange.reason : null;
  const candidates =
    claim !== undefined ? [] : candidatesOf(scene, chosen, sticky, sticky && deferReason !== null);
  const excluded = countConstraints(candidates);
  const pools: PoolView[] = a.tiers.flatMap((tier, t) =>
    tier.map((p) => ({
      limit: p.limit,
      pool: p.name,
      strategy: p.strategy,
      template: p.templateName,
      tier: t + 1,
      zones: p.spec.zones ?? [],
    })),
  );
  const moveChange = s.result.changes.find((c) => c.op === "move" && c.allocation === name);
  const moveReason = moveChange?.op === "move" ? moveChange.reason : null;
  let status: ExplainStatus;
  let summary: string;
  if (claim !== undefined) {
    status = "claimed";
    summary = `claimed from pool ${bt(claim.pool)} of fleet ${bt(claim.fleet)}: every pool it may use is external, Placement decides`;
  } else if (placed === undefined) {
    status = "unplaceable";
    summary = `no device of its pools takes it (${plural(candidates.length, "device")} considered)`;
  } else if (sticky && deferReason !== null) {
    // On a drained, retired or unhealthy device whose move the plan deferred (`defer` change).
    status = "deferred";
    summary = `stays on ${bt(placed.device)} for now, its move deferred: ${deferReason}`;
  } else if (sticky) {
    status = "kept";
    summary = `kept on ${bt(placed.device)} since the previous ledger: it still fits and its constraints hold`;
  } else if (prev !== undefined) {
    status = "moved";
    summary = `moved from ${bt(prev.device)} to ${bt(placed.device)}: ${moveReason ?? `device ${bt(prev.device)} removed`}`;
  } else {
    status = "placed";
    summary = `placed on ${bt(placed.device)} this plan: ${placementWhy(scene, chosen!)}`;
  }
  const consistent =
    chosen === null || status === "kept" || status === "deferred" || status === "claimed"
      ? true
      : scene.board.choose(a) === chosen;
  return {
    allocation: name,
    candidates,
    consistent,
    deferReason,
    demand: { ...a0.demand },
    device: placed?.device ?? null,
    error: status === "unplaceable" ? s.error : null,
    excluded,
    fixes: status === "unplaceable" ? explainFixes(s, scene, opts) : [],
    isolation: placed?.isolation ?? null,
    moveReason,
    needs: intro(a),
    pool: placed?.pool ?? null,
    pools,
    previous: prev?.device ?? null,
    status,
    summary,
    tenant: a0.tenant,
    unplaceableNeighbours: s.dropped,
  };
}

function placementWhy(scene: Scene, chosen: Dev): string {
  const a = scene.target;
  if (a.pin !== null) return `pinned to ${bt(a.pin)}`;
  const pool = chosen.pool;
  if (pool.strategy === "spread")
    return `the least loaded device of pool ${bt(pool.name)} that fits (spread)`;
  return `the lowest-numbered device of pool ${bt(pool.name)} that fits (pack)`;
}
