/**
 * Rebalancing (`pools.<p>.rebalance`), the planner's last step: opt-in moves within the pool's
 * disruption budget. A pack pool frees its highest busy devices onto other busy devices; a spread
 * pool moves load from the most to the least loaded device while that lowers the highest load.
 * Each move is recorded on the allocation (`movedFrom`) with its reason, and accounted like any move.
 */
import type { Board } from "./board";
import { type Alloc, bt, type Dev, type Pool, Refusal } from "./planModel";
import { sizePool } from "./planPools";

/** Moves rebalancing may still make in `pool`: its `rebalance`, within the disruption budget. */
function rebalanceLeft(pool: Pool, used: number): number {
  return Math.min(pool.spec.rebalance ?? 0, pool.budget) - used;
}

function usable(dev: Dev): boolean {
  return dev.healthy && !dev.retired && !dev.drained;
}

/**
 * A pack pool frees devices: from the highest-numbered busy device down, each whose allocations
 * all fit on other busy devices is emptied (never onto an idle device, so the pool never needs
 * more devices), within `rebalance` and the budget. Each move says which device it frees and
 * how far the pool is from its lower bound (`ceil(demand / capacity)` per class) before and after.
 */
export function consolidate(board: Board, pool: Pool): void {
  const before = [...pool.busy].filter((d) => usable(d)).length;
  const moved: { a: Alloc; from: Dev }[] = [];
  const busy = [...pool.busy].filter((d) => usable(d)).sort((x, y) => y.index - x.index);
  for (const dev of busy) {
    const left = rebalanceLeft(pool, moved.length);
    const allocs = [...dev.allocs].sort((x, y) => y.weight - x.weight || (x.name < y.name ? -1 : 1));
    if (allocs.length === 0 || allocs.length > left || allocs.some((a) => a.pin !== null)) continue;
    dev.drained = true; // refuses the allocations it hosts while they look for another device
    board.refresh(dev);
    const trial: { a: Alloc; context: number | null }[] = [];
    let ok = true;
    for (const a of allocs) {
      const context = a.context;
      board.unassign(a);
      const to = board.choose(a);
      if (to === null || to.allocs.length === 0) {
        board.assign(a, dev, context);
        ok = false;
        break;
      }
      board.assign(a, to, null);
      trial.push({ a, context });
    }
    if (!ok) {
      for (const { a, context } of trial.reverse()) {
        board.unassign(a);
        board.assign(a, dev, context);
      }
    }
    dev.drained = false;
    board.refresh(dev);
    if (ok) for (const { a } of trial) moved.push({ a, from: dev });
  }
  const after = [...pool.busy].filter((d) => usable(d)).length;
  const bound = lowerBound(pool);
  for (const { a, from } of moved) {
    pool.budget--;
    if (a.movedFrom === null && a.prev !== undefined)
      a.movedFrom = {
        device: from.name,
        reason: `consolidate: frees ${bt(from.name)} (pool ${bt(pool.name)}: ${before} -> ${after} busy devices, lower bound ${bound})`,
      };
  }
}

/** The fewest devices a pool's allocations could fill: `ceil(demand / capacity)`, the largest per class. */
function lowerBound(pool: Pool): number {
  let bound = 0;
  for (const [rc, i] of pool.classIndex) {
    let demand = 0;
    for (const dev of pool.busy)
      for (const a of dev.allocs) for (const [c, n] of a.demand) if (c === rc) demand += n;
    const cap = Math.max(0, ...pool.devices.map((d) => d.cap[i]));
    if (cap > 0) bound = Math.max(bound, Math.ceil(demand / cap - 1e-9));
  }
  return bound;
}

/** Load of a device: the largest share of any class it uses. */
function load(dev: Dev): number {
  let share = 0;
  for (let i = 0; i < dev.cap.length; i++)
    if (dev.cap[i] > 0) share = Math.max(share, dev.used[i] / dev.cap[i]);
  return share;
}

/**
 * A spread pool evens out: while `rebalance` and the budget allow, the smallest allocation of
 * the most loaded device moves to the least loaded one when that lowers the highest load. An idle
 * device takes load only while the pool keeps its size with it busy (an idle device beyond
 * `standby`, kept by `min`): rebalancing never grows a pool.
 */
export function evenOut(board: Board, pool: Pool): void {
  const pct = (n: number): string => `${Math.round(n * 100)}%`;
  const size = (): number => sizePool(pool).live.length;
  const growing = new Set<Dev>();
  let used = 0;
  while (rebalanceLeft(pool, used) > 0) {
    const devs = pool.devices.filter(
      (d) => usable(d) && (d.existing || d.allocs.length > 0) && !growing.has(d),
    );
    if (devs.length < 2) break;
    devs.sort((x, y) => load(y) - load(x) || x.index - y.index);
    const hi = devs[0];
    const lo = devs[devs.length - 1];
    const before = load(hi);
    const sizeBefore = lo.allocs.length === 0 ? size() : 0;
    const candidates = hi.allocs
      .filter((a) => a.pin === null)
      .sort((x, y) => x.weight - y.weight || (x.name < y.name ? -1 : 1));
    let outcome: "moved" | "none" | "grows" = "none";
    for (const a of candidates) {
      if (board.refusal(lo, a) !== Refusal.OK) continue;
      const context = a.context;
      board.unassign(a);
      board.assign(a, lo, null);
      if (sizeBefore > 0 && size() > sizeBefore) outcome = "grows";
      else if (Math.max(load(hi), load(lo)) < before - 1e-9) {
        if (a.prev !== undefined && a.movedFrom === null)
          a.movedFrom = {
            device: hi.name,
            reason: `rebalance: ${bt(hi.name)} at ${pct(before)} -> ${bt(lo.name)} (now ${pct(load(hi))} and ${pct(load(lo))})`,
          };
        outcome = "moved";
        break;
      }
      board.unassign(a);
      board.assign(a, hi, context);
      if (outcome === "grows") break;
    }
    if (outcome === "grows") growing.add(lo);
    else if (outcome === "moved") used++;
    else break;
  }
  pool.budget -= used;
}
