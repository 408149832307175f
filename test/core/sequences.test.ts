/**
 * A model-based property over many applies (issue 17, deliverable 9; STYLE points 13 and 20): random
 * fleets and random sequences of day-2 operations (drains with and without `remove`, undrains,
 * health flips, budgets including 0, breaker thresholds, pack and spread rebalancing, `max` lowered,
 * zones removed and added, demands grown and shrunk, allocations added and released, several at
 * once), each plan's ledger fed as `previous` into the next with the health carried along. After
 * every plan the checks below hold; at the end the unchanged spec and health converge.
 *
 * Each check has an id, printed in its failure (`[budget] ...`). While hunting defects, a check can
 * be relaxed locally with `SEQUENCES_RELAX=id,id npx vitest run test/core/sequences.test.ts`; the
 * suite itself relaxes nothing. A failure prints fast-check's seed and path (re-run with them) and
 * the shrunk fleet and steps as JSON; `SEQUENCES_TRACE=1` also prints each plan's changes,
 * `SEQUENCES_REPLAY='{"fleet":...,"steps":[...]}'` runs one sequence with its trace, `SEQUENCES_RUNS=n`
 * runs fewer sequences (the suite then fails its count) and `SEQUENCES_STATS=1` prints the coverage and CPU time.
 *
 * What it does not prove: the fleets are small (1-3 docker pools of at most 6 devices), so large
 * fleets' sharding and the Placement backend are not exercised; the convergence bound allows
 * rebalancing one apply per allocation it could move.
 */
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { explainAllocation } from "../../core/explainAllocation";
import { ledgerHeadroom, specShapes } from "../../core/headroom";
import { checkInvariants } from "../../core/invariants";
import { applyChanges, EMPTY_LEDGER } from "../../core/ledger";
import { ledgerView } from "../../core/ledgerView";
import { plan } from "../../core/plan";
import { poolUsage } from "../../core/report";
import type {
  AllocationSpec,
  Change,
  FleetSpec,
  HealthMap,
  Ledger,
  OwnedPoolSpec,
  PlanResult,
} from "../../core/types";
import { validateSpec } from "../../core/validate";
import { applyOp, drainName, fleet, type Step, step } from "./sequences.arbitraries";

/** The checks, by id (see each `check` call for its statement). */
const CHECKS = [
  "failed-plan",
  "drainable",
  "stable-ok",
  "invariants",
  "invariants-deferred",
  "replay",
  "budget",
  "reason",
  "defer",
  "defer-unhealthy",
  "defer-once",
  "defer-device",
  "breaker",
  "breaker-mixed",
  "target",
  "standby",
  "rebalance-growth",
  "headroom-fit",
  "headroom-over",
  "explain",
  "explain-deferred",
  "explain-throws",
  "explain-hangs",
  "churn",
  "converge",
  "converge-stay",
] as const;
type CheckId = (typeof CHECKS)[number];

const RELAXED = new Set((process.env.SEQUENCES_RELAX ?? "").split(",").filter((s) => s !== ""));
for (const id of RELAXED)
  if (!(CHECKS as readonly string[]).includes(id)) throw new Error(`unknown check ${id}`);

class Violation extends Error {}

/** Fails the run with the check's id, unless the check is relaxed. */
function check(id: CheckId, ok: boolean, message: () => string): void {
  if (ok || RELAXED.has(id)) return;
  throw new Violation(`[${id}] ${message()}`);
}

const json = (v: unknown): string => JSON.stringify(v);

/** Most allocations one headroom check adds (keeps the property fast). */
const MOST = 24;
/** Most allocations explained per plan. */
const EXPLAINED = 3;

/** Moves that are discretionary: out of a drained or retired device, or rebalancing. */
const DISCRETIONARY = /drained|was removed from `pools\.|^consolidate|^rebalance/;
const REBALANCING = /^consolidate|^rebalance/;
const BREAKER = /circuit breaker/;
/** Defers no later plan makes with the same inputs: the breaker, a pin, a budget of 0, no room. */
const PERMANENT =
  /circuit breaker|pinned there|`disruptionBudget` 0, so no plan moves it|no other device takes it/;

/** How often the property met each situation: the suite asserts each was exercised. */
interface Stats {
  sequences: number;
  plans: number;
  failed: number;
  defers: number;
  breakerHeld: number;
  discretionaryMoves: number;
  rebalanceMoves: number;
  headroomChecks: number;
  /** Headroom checks with moves pending where n new allocations landed elsewhere or delayed a move (a known limit). */
  headroomDelays: number;
  explained: number;
  converged: number;
}

const newStats = (): Stats => ({
  breakerHeld: 0,
  converged: 0,
  defers: 0,
  discretionaryMoves: 0,
  explained: 0,
  failed: 0,
  headroomChecks: 0,
  headroomDelays: 0,
  plans: 0,
  rebalanceMoves: 0,
  sequences: 0,
});

/** One plan with its inputs. */
interface Planned {
  spec: FleetSpec;
  health: HealthMap;
  previous: Ledger;
  result: PlanResult;
  /** The inputs as text: two plans with the same key had the same spec and health. */
  key: string;
}

const inputKey = (spec: FleetSpec, health: HealthMap): string =>
  json([
    spec,
    Object.keys(health)
      .sort()
      .map((d) => [d, health[d]]),
  ]);

const pool = (spec: FleetSpec, name: string): OwnedPoolSpec => spec.pools[name] as OwnedPoolSpec;

/** The device -> pool map of a ledger. */
function poolsOfDevices(ledger: Ledger): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, lp] of Object.entries(ledger.pools)) for (const d of Object.keys(lp.devices)) out.set(d, p);
  return out;
}

/** A device of a created pool whose zone left the pool's `zones` (retired: takes nothing, moves out). */
function retired(spec: FleetSpec, result: PlanResult, device: string): boolean {
  const d = result.devices[device];
  if (d === undefined) return false;
  const zones = pool(spec, d.pool).zones ?? [];
  return zones.length > 0 && d.zone !== null && !zones.includes(d.zone);
}

/** The pools whose allocations on unhealthy devices stay (the breaker's decision, as the plan shows it). */
function held(result: PlanResult, health: HealthMap): string[] {
  const pools = new Set<string>();
  for (const p of Object.values(result.placements)) if (health[p.device] === false) pools.add(p.pool);
  return [...pools].sort();
}

/** Checks of one plan against its inputs and the plan before it. */
function checkPlan(now: Planned, before: Planned | null, probe: number, stats: Stats, at: string): void {
  const { spec, health, previous, result } = now;
  const same = before !== null && before.key === now.key;
  stats.plans++;
  if (!result.ok) {
    stats.failed++;
    check(
      "failed-plan",
      result.changes.length === 0 && isDeepStrictEqual(result.ledger, previous),
      () =>
        `${at}: a failed plan has changes ${json(result.changes)} or a ledger other than the previous one`,
    );
    checkDrainable(spec, previous, result.errors, at);
    check(
      "stable-ok",
      !(same && before.result.ok),
      () => `${at}: the same spec and health planned ok, and now fail: ${json(result.errors)}`,
    );
    return;
  }
  const problems = checkInvariants(spec, result);
  // Split for hunting: a broken invariant on a device where the plan defers a move, or elsewhere.
  const deferredOn = new Set(
    result.changes.flatMap((c) => (c.op === "defer" ? [c.device, c.allocation] : [])),
  );
  const onDeferred = problems.filter((m) => [...deferredOn].some((d) => m.startsWith(`${d} `)));
  check("invariants-deferred", onDeferred.length === 0, () => `${at}: checkInvariants: ${json(problems)}`);
  check(
    "invariants",
    problems.length === onDeferred.length,
    () => `${at}: checkInvariants: ${json(problems)}`,
  );
  const replayed = applyChanges(previous, result.changes);
  check(
    "replay",
    isDeepStrictEqual(replayed, result.ledger),
    () =>
      `${at}: applyChanges(previous, changes) = ${json(replayed)}, the plan's ledger is ${json(result.ledger)}`,
  );
  checkBudgets(now, stats, at);
  checkDefers(now, stats, at);
  checkTargets(now, at);
  checkStandby(now, at);
  // A pool at `max` that just removed a device (retired, or drained with `remove`) makes its
  // replacement one apply later: its base, and so the breaker's decision, may change once then.
  const settling = before?.result.changes.some((c) => c.op === "shrink") ?? false;
  if (same && before.result.ok && !settling) {
    const was = held(before.result, health);
    const is = held(result, health);
    check(
      "breaker",
      isDeepStrictEqual(was, is),
      () =>
        `${at}: with the same spec and health, pools holding allocations on unhealthy devices were ${json(was)}, now ${json(is)}`,
    );
  }
  if (same && before.result.ok) {
    // Nothing moves (allocations stay, only lasting defers): then no pool swaps devices, growing
    // some while it shrinks others. A pool may still finish what the last plan could not do yet
    // (a standby made once a retired device at `max` is gone): that is progress, not churn.
    const devicesOnly = result.changes.every(
      (c) => c.op === "grow" || c.op === "shrink" || (c.op === "defer" && PERMANENT.test(c.reason)),
    );
    const grown = new Set(result.changes.flatMap((c) => (c.op === "grow" ? [c.pool] : [])));
    const churn = result.changes.filter((c) => c.op === "shrink" && grown.has(c.pool));
    check(
      "churn",
      !devicesOnly || churn.length === 0,
      () =>
        `${at}: the same spec and health, no allocation moves, yet a pool swaps devices: ${json(result.changes.filter((c) => c.op === "grow" || c.op === "shrink"))}`,
    );
  }
  checkRebalanceGrowth(now, at);
  checkHeadroom(now, probe, stats, at);
  checkExplain(now, probe, stats, at);
}

/** Every device the previous ledger records can be drained: no error on a `drain` entry naming one. */
function checkDrainable(
  spec: FleetSpec,
  previous: Ledger,
  errors: readonly { path: string; message: string }[],
  at: string,
): void {
  const recorded = poolsOfDevices(previous);
  for (const e of errors) {
    const m = /^drain\[(\d+)\]/.exec(e.path);
    if (m === null) continue;
    const entry = spec.drain?.[Number(m[1])];
    const name = entry === undefined ? "" : drainName(entry);
    check(
      "drainable",
      !recorded.has(name),
      () =>
        `${at}: draining \`${name}\`, which the previous ledger records, is refused: ${e.path}: ${e.message}`,
    );
  }
}

/**
 * Discretionary moves out of each pool (off drained or retired devices, rebalancing) stay within its
 * `disruptionBudget`, rebalancing moves within its `rebalance`; a move's reason says what it is.
 */
function checkBudgets({ spec, health, previous, result }: Planned, stats: Stats, at: string): void {
  const poolOf = poolsOfDevices(previous);
  const drained = new Set((spec.drain ?? []).map(drainName));
  const moves = new Map<string, { all: Change[]; rebalancing: number }>();
  for (const c of result.changes) {
    if (c.op !== "move") continue;
    if (c.reason === "device unhealthy")
      check(
        "reason",
        health[c.from] === false,
        () => `${at}: ${json(c)} says unhealthy, the device is healthy`,
      );
    if (/drained$/.test(c.reason))
      check(
        "reason",
        drained.has(c.from),
        () => `${at}: ${json(c)} says drained, the device is not in \`drain\``,
      );
    if (!DISCRETIONARY.test(c.reason)) continue;
    stats.discretionaryMoves++;
    const p = poolOf.get(c.from) ?? "?";
    const m = moves.get(p) ?? { all: [], rebalancing: 0 };
    m.all.push(c);
    if (REBALANCING.test(c.reason)) {
      m.rebalancing++;
      stats.rebalanceMoves++;
    }
    moves.set(p, m);
  }
  for (const [p, m] of moves) {
    const budget = spec.pools[p] === undefined ? Infinity : (pool(spec, p).disruptionBudget ?? Infinity);
    check(
      "budget",
      m.all.length <= budget,
      () =>
        `${at}: ${m.all.length} discretionary moves out of pool \`${p}\` with \`disruptionBudget\` ${budget}: ${json(m.all)}`,
    );
    const rebalance = spec.pools[p] === undefined ? 0 : (pool(spec, p).rebalance ?? 0);
    check(
      "budget",
      m.rebalancing <= rebalance,
      () => `${at}: ${m.rebalancing} rebalancing moves out of pool \`${p}\` with \`rebalance\` ${rebalance}`,
    );
  }
}

/**
 * A `defer` is a discretionary move not made: the allocation stays on a drained or retired device,
 * or on an unhealthy one only while the pool's breaker is tripped. A move that must happen (an
 * unhealthy device without the breaker, a device removed, a demand that no longer fits) is never
 * deferred. Within a pool, the breaker holds all its unhealthy devices or none.
 */
function checkDefers({ spec, health, result }: Planned, stats: Stats, at: string): void {
  const drained = new Set((spec.drain ?? []).map(drainName));
  const breakerPools = new Set<string>();
  const seen = new Set<string>();
  const byBreaker = new Set(
    result.changes.flatMap((c) => (c.op === "defer" && BREAKER.test(c.reason) ? [c.allocation] : [])),
  );
  for (const c of result.changes) {
    if (c.op !== "defer") continue;
    stats.defers++;
    check(
      "defer-once",
      !seen.has(c.allocation),
      () =>
        `${at}: \`${c.allocation}\` is deferred twice: ${json(result.changes.filter((d) => d.op === "defer" && d.allocation === c.allocation))}`,
    );
    seen.add(c.allocation);
    const placed = result.placements[c.allocation];
    check(
      "defer-device",
      placed?.device === c.device && result.devices[c.device] !== undefined,
      () => `${at}: ${json(c)} but the plan has it on ${json(placed ?? null)}`,
    );
    if (placed === undefined) continue;
    if (health[c.device] === false) {
      check(
        "defer-unhealthy",
        byBreaker.has(c.allocation),
        () => `${at}: ${json(c)}: an allocation on an unhealthy device must move unless the breaker holds it`,
      );
      breakerPools.add(placed.pool);
      stats.breakerHeld++;
    } else {
      check(
        "defer",
        drained.has(c.device) || retired(spec, result, c.device),
        () => `${at}: ${json(c)}: \`${c.device}\` is neither drained nor retired, so the move must happen`,
      );
    }
  }
  for (const c of result.changes) {
    if (c.op !== "move" || c.reason !== "device unhealthy") continue;
    const from = result.placements[c.allocation] === undefined ? undefined : poolOfPrevious(result, c.from);
    check(
      "breaker-mixed",
      from === undefined || !breakerPools.has(from),
      () => `${at}: pool \`${from}\` both holds allocations on unhealthy devices and evacuates ${json(c)}`,
    );
  }
}

/** The pool of a device a move leaves (the pool of a `<pool>-<n>` name). */
function poolOfPrevious(result: PlanResult, device: string): string | undefined {
  return result.devices[device]?.pool ?? device.slice(0, device.lastIndexOf("-"));
}

/** Nothing is placed or moved onto an unhealthy, drained or retired device. */
function checkTargets({ spec, health, result }: Planned, at: string): void {
  const drained = new Set((spec.drain ?? []).map(drainName));
  for (const c of result.changes) {
    if (c.op !== "place" && c.op !== "move") continue;
    check(
      "target",
      health[c.to] !== false && !drained.has(c.to) && !retired(spec, result, c.to),
      () => `${at}: ${json(c)} lands on an unhealthy, drained or retired device`,
    );
  }
}

/**
 * Standby devices are healthy, idle, neither drained nor retired, and every summary counts them
 * alike: the plan's `pools`, `poolUsage` (text and Markdown) and the Ledger's `capacity` output.
 */
function checkStandby({ spec, health, result }: Planned, at: string): void {
  const drained = new Set((spec.drain ?? []).map(drainName));
  const usage = new Map(poolUsage(result).map((u) => [u.pool, u.standby]));
  const view = ledgerView(spec, result.ledger, health).capacity.pools;
  for (const [p, r] of Object.entries(result.pools)) {
    const model = r.devices.filter(
      (d) =>
        health[d] !== false &&
        !drained.has(d) &&
        !retired(spec, result, d) &&
        (result.devices[d]?.allocations.length ?? 0) === 0,
    ).length;
    const shown = { capacity: view[p]?.standby ?? 0, plan: r.standby, poolUsage: usage.get(p) };
    check(
      "standby",
      shown.plan === model && shown.poolUsage === model && shown.capacity === model,
      () => `${at}: pool \`${p}\` has ${model} standby devices; the summaries say ${json(shown)}`,
    );
  }
}

/** Rebalancing never grows a pool: each pool has at most the devices the same plan without rebalancing gives it. */
function checkRebalanceGrowth({ spec, health, previous, result }: Planned, at: string): void {
  const rebalancing = Object.keys(spec.pools).filter((p) => (pool(spec, p).rebalance ?? 0) > 0);
  if (rebalancing.length === 0) return;
  const without = structuredClone(spec);
  for (const p of rebalancing) delete pool(without, p).rebalance;
  const cf = plan(without, { health, previous });
  if (!cf.ok) return;
  for (const [p, r] of Object.entries(result.pools)) {
    const bound = cf.pools[p]?.devices.length ?? 0;
    check(
      "rebalance-growth",
      r.devices.length <= bound,
      () =>
        `${at}: pool \`${p}\` has ${r.devices.length} devices with rebalancing, ${bound} without: ${json(result.changes)}`,
    );
  }
}

/** The spec with `n` more allocations of `demand` in `poolName`, each a new tenant's. */
function withMore(spec: FleetSpec, poolName: string, demand: Record<string, number>, n: number): FleetSpec {
  const allocations: Record<string, AllocationSpec> = { ...spec.allocations };
  for (let i = 0; i < n; i++) {
    const name = `zz-more-${String(i).padStart(3, "0")}`;
    allocations[name] = { demand: { ...demand }, pools: [poolName], tenant: `zz-t-${i}` };
  }
  return { ...spec, allocations };
}

/**
 * `capacity`'s "now" (the Fleet's `capacity.headroom`, `servicevm capacity`) is what the next plan
 * accepts (DESIGN §5: "that many fit, one more does not"): with n = existing fits of a spec shape
 * in a pool, n more allocations (new tenants) plan ok on devices the ledger has, and without
 * delaying a move the next plan would make (deferred moves count against it); n + 1 do not, unless
 * moves are pending (then "now" is a lower bound).
 */
function checkHeadroom({ spec, health, result }: Planned, probe: number, stats: Stats, at: string): void {
  const shapes = specShapes(spec);
  if (shapes.length === 0) return;
  const shape = shapes[probe % shapes.length];
  const [h] = ledgerHeadroom(spec, result.ledger, health, [{ demand: shape.demand }]);
  const pools = Object.keys(h.pools).sort();
  if (pools.length === 0) return;
  const p = pools[Math.floor(probe / 7) % pools.length];
  const n = h.pools[p].existing.fits;
  if (n + 1 > MOST) return;
  // Not modelled by `capacity`: new allocations that grow a pool can make its circuit breaker let
  // go, and the evacuation that follows may then fail (a pin, a zone with no room) or take room.
  if (result.changes.some((c) => c.op === "defer" && BREAKER.test(c.reason))) return;
  stats.headroomChecks++;
  const opts = { health, previous: result.ledger };
  const existing = new Set(Object.keys(result.ledger.pools[p]?.devices ?? {}));
  const deferred = (r: PlanResult): Set<string> =>
    new Set(r.changes.filter((c) => c.op === "defer").map((c) => (c.op === "defer" ? c.allocation : "")));
  const base = deferred(plan(spec, opts));
  const outcome = (r: PlanResult) => ({
    delayed: [...deferred(r)].filter((a) => !base.has(a)),
    elsewhere: Object.entries(r.placements)
      .filter(([a, pl]) => a.startsWith("zz-more-") && !existing.has(pl.device))
      .map(([a, pl]) => `${a}@${pl.device}`),
    errors: r.errors.map((e) => e.message),
    ok: r.ok,
  });
  const fit = outcome(plan(withMore(spec, p, shape.demand, n), opts));
  // While moves are pending (off drained or retired devices, or held by the breaker; a move may
  // land in any of its pools), "now" holds room for each where it costs the shape most. Where the
  // move lands depends on where the new allocations go first, so then "now" is an estimate: only
  // that the n plan ok is asserted, and a plan that puts one on a new device or delays a pending
  // move is counted (`stats.headroomDelays`), a limit the closing note names.
  const pending = result.changes.filter(
    (c) => c.op === "defer" && !/pinned there|`disruptionBudget` 0/.test(c.reason),
  ).length;
  const exact = fit.elsewhere.length === 0 && fit.delayed.length === 0;
  if (!exact && pending > 0) stats.headroomDelays++;
  check(
    "headroom-fit",
    fit.ok && (exact || pending > 0),
    () =>
      `${at}: headroom says ${n} of ${json(shape.demand)} fit now in pool \`${p}\`; adding ${n}: ${json(fit)}`,
  );
  // With moves pending, "now" is a lower bound (where a move lands depends on where the new
  // allocations go first): n + 1 may fit too; without pending moves, n + 1 must not.
  const over = outcome(plan(withMore(spec, p, shape.demand, n + 1), opts));
  check(
    "headroom-over",
    pending > 0 || !over.ok || over.elsewhere.length > 0 || over.delayed.length > 0,
    () =>
      `${at}: headroom says ${n} of ${json(shape.demand)} fit now in pool \`${p}\`, but ${n + 1} fit on existing devices`,
  );
}

class Watchdog extends Error {}

/** Reads of a spec's `templates` one call may make before it counts as not ending (every plan reads them). */
const READS = 20_000;

/**
 * The spec with its `templates` behind a counter: copies of the spec (`{ ...spec }`) share the
 * object, so a loop that plans again and again throws a Watchdog instead of hanging the suite.
 */
function watched(spec: FleetSpec): FleetSpec {
  let left = READS;
  const templates = new Proxy(spec.templates, {
    get(target, key, receiver) {
      if (--left < 0) throw new Watchdog("too many reads of the spec");
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { ...spec, templates };
}

/** The status `explain` should report for an allocation of an ok plan, from the plan's changes. */
function plannedStatus(result: PlanResult, name: string): string {
  if (result.claims?.[name] !== undefined) return "claimed";
  const mine = result.changes.filter((c) => "allocation" in c && c.allocation === name).map((c) => c.op);
  if (mine.includes("defer")) return "deferred";
  if (mine.includes("move")) return "moved";
  if (mine.includes("place")) return "placed";
  return "kept";
}

/** `explain` agrees with the plan: the allocation's device, and its status (placed, kept, moved, deferred). */
function checkExplain(
  { spec, health, previous, result }: Planned,
  probe: number,
  stats: Stats,
  at: string,
): void {
  const names = Object.keys(spec.allocations ?? {}).sort();
  if (names.length === 0) return;
  const touched = new Set(
    result.changes.flatMap((c) =>
      c.op === "defer" || c.op === "move" || c.op === "place" ? [c.allocation] : [],
    ),
  );
  const chosen = [...new Set([...names.filter((n) => touched.has(n)), names[probe % names.length]])];
  for (const name of chosen.slice(0, EXPLAINED)) {
    stats.explained++;
    let x: ReturnType<typeof explainAllocation>;
    try {
      x = explainAllocation(watched(spec), name, { health, previous });
    } catch (e) {
      check(
        e instanceof Watchdog ? "explain-hangs" : "explain-throws",
        false,
        () => `${at}: explain \`${name}\` ${e instanceof Watchdog ? "does not end" : `throws ${String(e)}`}`,
      );
      continue;
    }
    const expected = { device: result.placements[name]?.device ?? null, status: plannedStatus(result, name) };
    const actual = x.ok
      ? { device: x.explanation.device, status: x.explanation.status as string }
      : { device: null, status: x.kind };
    check(
      expected.status === "deferred" ? "explain-deferred" : "explain",
      isDeepStrictEqual(actual, expected),
      () =>
        `${at}: explain \`${name}\` says ${json(actual)}${x.ok ? ` ("${x.explanation.summary}")` : ""}, the plan ${json(expected)}`,
    );
  }
}

/** Plans `spec` from `before`'s ledger and checks the result. */
function step1(
  spec: FleetSpec,
  health: HealthMap,
  before: Planned | null,
  probe: number,
  stats: Stats,
  at: string,
  trace: string[] | null,
): Planned {
  const previous = before?.result.ledger ?? EMPTY_LEDGER;
  const h = { ...health };
  const result = plan(spec, { health: h, previous });
  const now: Planned = { health: h, key: inputKey(spec, h), previous, result, spec };
  trace?.push(
    `${at}: ${result.ok ? "ok" : `failed ${json(result.errors)}`}; changes ${json(result.changes)}; pools ${json(
      Object.fromEntries(Object.entries(result.pools).map(([p, r]) => [p, r.devices])),
    )}`,
  );
  checkPlan(now, before, probe, stats, at);
  return now;
}

/** Applies that an unchanged spec and health may take to settle, from a plan: deferred moves per budget + 2. */
function settleBound({ spec, result }: Planned): number {
  const poolOf = new Map(Object.entries(result.placements).map(([a, p]) => [a, p.pool]));
  const deferred = new Map<string, number>();
  for (const c of result.changes)
    if (c.op === "defer" && !PERMANENT.test(c.reason)) {
      const p = poolOf.get(c.allocation) ?? "?";
      deferred.set(p, (deferred.get(p) ?? 0) + 1);
    }
  let drains = 0;
  for (const [p, n] of deferred) {
    const budget = spec.pools[p] === undefined ? Infinity : (pool(spec, p).disruptionBudget ?? Infinity);
    drains = Math.max(drains, budget === Infinity ? 1 : Math.ceil(n / Math.max(budget, 1)));
  }
  let rebalancing = 0;
  for (const [p, r] of Object.entries(result.pools)) {
    const per = Math.min(pool(spec, p).rebalance ?? 0, pool(spec, p).disruptionBudget ?? Infinity);
    if (per <= 0) continue;
    const allocations = r.devices.reduce((s, d) => s + (result.devices[d]?.allocations.length ?? 0), 0);
    rebalancing += Math.ceil(allocations / per);
  }
  // A retired device (its zone left `zones`) or one drained with `remove` counts toward `max` until
  // it is gone: a pool at `max` makes the device it still needs one apply after each removal.
  const removing = new Set(
    (spec.drain ?? []).flatMap((e) => (typeof e === "object" && e.remove === true ? [e.device] : [])),
  );
  let leaving = 0;
  for (const [p, r] of Object.entries(result.pools)) {
    const zones = spec.pools[p] === undefined ? undefined : pool(spec, p).zones;
    const retired = (d: string): boolean => {
      const zone = result.devices[d]?.zone ?? null;
      return zones !== undefined && zone !== null && !zones.includes(zone);
    };
    leaving += r.devices.filter((d) => retired(d) || removing.has(d)).length;
  }
  if (result.changes.some((c) => c.op === "shrink")) leaving++; // removed just now, at `max`
  return drains + rebalancing + leaving + 2;
}

/** Settled: nothing to do but report defers no later plan resolves. */
const settled = (r: PlanResult): boolean =>
  r.ok && r.changes.every((c) => c.op === "defer" && PERMANENT.test(c.reason));

/**
 * With the spec and health unchanged, the plans reach "no changes" (only the defers DESIGN keeps
 * reporting: the breaker, a pin, a budget of 0, no room) within the bound, and stay there for 2
 * more applies with the same changes.
 */
function converge(last: Planned, stats: Stats, trace: string[] | null): void {
  if (!last.result.ok) return;
  const bound = settleBound(last);
  let now = last;
  let applies = 0;
  while (!settled(now.result) && applies < bound) {
    applies++;
    now = step1(now.spec, now.health, now, applies, stats, `converge ${applies}`, trace);
  }
  check(
    "converge",
    settled(now.result),
    () =>
      `unchanged spec and health: still changing after ${applies} applies (bound ${bound}): ${json(now.result.ok ? now.result.changes : now.result.errors)}`,
  );
  if (!settled(now.result)) return;
  const at = now;
  for (let i = 1; i <= 2; i++) {
    now = step1(now.spec, now.health, now, applies + i, stats, `converge ${applies + i}`, trace);
    check(
      "converge-stay",
      now.result.ok && isDeepStrictEqual(now.result.changes, at.result.changes),
      () =>
        `unchanged spec and health settled after ${applies} applies, then apply ${applies + i} has ${json(now.result.changes)}`,
    );
  }
  stats.converged++;
}

/** Runs one sequence: the first plan, one plan per step, then convergence. Throws a Violation. */
function run(initial: FleetSpec, steps: readonly Step[], stats: Stats, trace: string[] | null = null): void {
  stats.sequences++;
  let spec = initial;
  let health: HealthMap = {};
  let last = step1(spec, health, null, 0, stats, "plan 0", trace);
  steps.forEach((s, i) => {
    for (const o of s.ops) {
      const h = { ...health };
      const next = applyOp(spec, h, last.result.ledger, o);
      const errors = validateSpec(next);
      if (errors.length > 0) {
        checkDrainable(next, last.result.ledger, errors, `step ${i + 1} (${json(o)}, validate)`);
        continue;
      }
      spec = next;
      health = h;
    }
    // Health is recorded for the devices the ledger has (as the Ledger records it): a device that
    // was removed takes its entry along, and one created later under its name starts healthy.
    const recorded = new Set(Object.values(last.result.ledger.pools).flatMap((p) => Object.keys(p.devices)));
    health = Object.fromEntries(Object.entries(health).filter(([d]) => recorded.has(d)));
    trace?.push(`step ${i + 1}: ${json(s.ops)} -> drain ${json(spec.drain ?? [])}, health ${json(health)}`);
    last = step1(spec, health, last, s.probe, stats, `plan ${i + 1}`, trace);
  });
  converge(last, stats, trace);
}

describe("many applies in a row (model-based)", () => {
  it("every plan of 1,000 random day-2 sequences fails cleanly or is sound, replays, keeps budgets, defers only discretionary moves, keeps the breaker's decision, promises only what the next plan accepts, is explained as planned, and an unchanged input converges", () => {
    const stats = newStats();
    const replay = process.env.SEQUENCES_REPLAY;
    if (replay !== undefined) {
      // One sequence given as JSON (`{"fleet": ..., "steps": [...]}`), with its trace.
      const { fleet: given, steps } = JSON.parse(replay) as { fleet: FleetSpec; steps: Step[] };
      const trace: string[] = [];
      try {
        run(given, steps, stats, trace);
      } finally {
        console.log(trace.join("\n"));
      }
      return;
    }
    const property = fc.property(fleet, fc.array(step, { minLength: 1, maxLength: 8 }), (initial, steps) => {
      try {
        run(initial, steps, stats);
      } catch (e) {
        if (!(e instanceof Violation)) throw e;
        const repro = `\nfleet: ${json(initial)}\nsteps: ${json(steps)}`;
        throw new Violation(`${e.message}${repro}`);
      }
    });
    const cpu0 = process.cpuUsage();
    const details = fc.check(property, { numRuns: Number(process.env.SEQUENCES_RUNS ?? 1000) });
    if (details.failed && process.env.SEQUENCES_TRACE !== undefined && details.counterexample !== null) {
      const trace: string[] = [];
      try {
        run(details.counterexample[0], details.counterexample[1], newStats(), trace);
      } catch {
        // the trace up to the violation is what we want
      }
      console.log(trace.join("\n"));
    }
    if (process.env.SEQUENCES_STATS !== undefined)
      console.log(json(stats), `cpu ${process.cpuUsage(cpu0).user / 1000} ms`);
    if (details.failed)
      throw new Error(
        `${fc.defaultReportMessage(details)}\n${details.errorInstance instanceof Error ? (details.errorInstance.stack ?? "") : String(details.errorInstance)}`,
      );
    expect(stats.sequences).toBeGreaterThanOrEqual(1000);
    // The situations the checks are about all happened, often.
    expect(stats.defers).toBeGreaterThan(200);
    expect(stats.breakerHeld).toBeGreaterThan(50);
    expect(stats.discretionaryMoves).toBeGreaterThan(200);
    expect(stats.rebalanceMoves).toBeGreaterThan(20);
    expect(stats.headroomChecks).toBeGreaterThan(1000);
    expect(stats.explained).toBeGreaterThan(1000);
    expect(stats.converged).toBeGreaterThan(500);
    expect(stats.failed).toBeLessThan(stats.plans / 3);
  }, 600_000);
});
