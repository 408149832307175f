/**
 * The devices an allocation could use, as `servicevm explain` shows them (explainAllocation.ts):
 * each with its load, the planner's verdict on it and the constraint that refused it, and how often
 * each constraint refused. Pure.
 */
import { Board } from "./board";
import { describeRefusal, refusalGroup } from "./explain";
import type { CandidateView, ConstraintCount, Verdict } from "./explainTypes";
import { type Alloc, bt, type Dev, fmtNum, plural, type Pool, Refusal } from "./planModel";

/** The allocation and the devices it may use, with every other placement of the plan on them. */
export interface Scene {
  board: Board;
  pools: Map<string, Pool>;
  target: Alloc;
  /** Devices that exist after the plan. */
  live: Set<string>;
}

/** Dominant share: the most used fraction of any class on the device (what `spread` compares). */
function loadOf(dev: Dev): number {
  let share = 0;
  for (let i = 0; i < dev.cap.length; i++) {
    if (dev.inv[i] === undefined) continue;
    const s = dev.cap[i] > 0 ? dev.used[i] / dev.cap[i] : 1;
    if (s > share) share = s;
  }
  return share;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** The constraint a refusal names, as devices are counted by it. */
function constraintOf(dev: Dev, a: Alloc, r: Refusal): string {
  if (r === Refusal.Capacity) {
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc)!;
      if (dev.cap[i] < dev.used[i] + amount) return `${rc} exhausted`;
    }
  }
  if (r === Refusal.Contexts) return "isolation contexts exhausted";
  if (r === Refusal.Dedicated) return "dedicated to another tenant";
  return refusalGroup(dev, a, r);
}

/** Why a device refuses, for its row: the capacity case with both numbers, else the move reason's words. */
function refusalText(dev: Dev, a: Alloc, r: Refusal): string {
  if (r === Refusal.Capacity) {
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc)!;
      const free = dev.cap[i] - dev.used[i];
      if (free < amount) return `capacity of ${rc}: needs ${amount}, has ${fmtNum(Math.max(0, free))} free`;
    }
  }
  return describeRefusal(dev, a, r);
}

// ---- candidates ------------------------------------------------------------------------------------

/** Every device of the allocation's pools, in the order the planner considers them, with its verdict. */
export function candidatesOf(
  scene: Scene,
  chosen: Dev | null,
  sticky: boolean,
  deferred = false,
): CandidateView[] {
  const { board, target: a } = scene;
  const out: CandidateView[] = [];
  const pinned = a.pin === null ? null : (board.devByName.get(a.pin) ?? null);
  a.tiers.forEach((tier, t) => {
    for (const pool of tier) {
      const width = board.spreadWidths.get(pool) ?? 0;
      const devices =
        pool.strategy === "spread"
          ? [...pool.devices].sort(
              (x, y) =>
                Number(x.index >= width) - Number(y.index >= width) ||
                loadOf(x) - loadOf(y) ||
                x.index - y.index,
            )
          : pool.devices;
      for (const dev of devices) {
        const r = board.refusal(dev, a);
        const fits = r === Refusal.OK;
        const base = {
          constraint: fits ? null : constraintOf(dev, a, r),
          device: dev.name,
          exists: scene.live.has(dev.name),
          fits,
          load: Math.round(loadOf(dev) * 1e6) / 1e6,
          pool: pool.name,
          rank: 0,
          tier: t + 1,
          zone: dev.zone,
        };
        out.push({
          ...base,
          ...verdictOf(
            dev,
            fits,
            fits ? "" : refusalText(dev, a, r),
            chosen,
            pinned,
            width,
            sticky,
            deferred,
          ),
        });
      }
    }
  });
  // Tiers, then pools in preference order, then each pool's device order (`pack`: index; `spread`: load).
  return out.map((c, i) => ({ ...c, rank: i + 1 }));
}

function verdictOf(
  dev: Dev,
  fits: boolean,
  refusal: string,
  chosen: Dev | null,
  pinned: Dev | null,
  width: number,
  sticky: boolean,
  deferred: boolean,
): { verdict: Verdict; reason: string } {
  if (chosen === dev && !fits)
    // It stays on a device that takes nothing new (drained, retired, unhealthy): a deferred move.
    return { reason: `${refusal}; it stays here until its deferred move is made`, verdict: "chosen" };
  if (chosen === dev)
    return { reason: sticky ? "fits: it stays here" : "fits: the planner's choice", verdict: "chosen" };
  if (!fits) return { reason: refusal, verdict: "refused" };
  if (pinned !== null)
    return { reason: `fits, but the allocation is pinned to ${bt(pinned.name)}`, verdict: "unused" };
  if (deferred && chosen !== null)
    return { reason: `fits, but the move off ${bt(chosen.name)} is deferred`, verdict: "unused" };
  if (sticky && chosen !== null)
    return { reason: `fits, but the allocation stays on ${bt(chosen.name)} (sticky)`, verdict: "unused" };
  if (chosen === null) return { reason: "fits", verdict: "unused" };
  if (chosen.pool !== dev.pool)
    return { reason: `fits, but pool ${bt(chosen.pool.name)} was preferred`, verdict: "after" };
  if (dev.pool.strategy === "spread") {
    if (dev.index >= width)
      return {
        reason: `fits, but spread uses only the ${plural(width, "device")} packing would use`,
        verdict: "after",
      };
    const [l, c] = [loadOf(dev), loadOf(chosen)];
    if (l > c)
      return {
        reason: `fits, but is fuller (${pct(l)} vs ${pct(c)}): spread takes the least loaded`,
        verdict: "after",
      };
    return l === c && dev.index > chosen.index
      ? {
          reason: `fits, as loaded as ${bt(chosen.name)} (${pct(l)}), which is lower-numbered`,
          verdict: "after",
        }
      : {
          reason: `fits now, at ${pct(l)} against ${pct(c)}; it was fuller when the allocation was placed`,
          verdict: "before",
        };
  }
  return dev.index > chosen.index
    ? {
        reason: `fits, but pack fills the lowest-numbered device first (${bt(chosen.name)})`,
        verdict: "after",
      }
    : { reason: `fits now; it was fuller when the allocation was placed`, verdict: "before" };
}

export function countConstraints(candidates: readonly CandidateView[]): ConstraintCount[] {
  const counts = new Map<string, number>();
  for (const c of candidates)
    if (c.constraint !== null) counts.set(c.constraint, (counts.get(c.constraint) ?? 0) + 1);
  return [...counts.entries()]
    .map(([constraint, devices]) => ({ constraint, devices }))
    .sort(
      (x, y) =>
        y.devices - x.devices || (x.constraint < y.constraint ? -1 : x.constraint > y.constraint ? 1 : 0),
    );
}
