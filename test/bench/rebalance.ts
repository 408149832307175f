/**
 * Rebalancing benchmark (issue 11, point 3): a fragmented 10,000-device pack pool (a large fleet
 * planned, then a seeded 40% of its allocations removed, so devices are partly empty) re-planned
 * from its ledger without rebalancing and with `rebalance: 100` (budget 100 moves), side by side.
 * Target: the rebalancing plan within 2x of the plan without; devices freed per move reported.
 */
import os from "node:os";
import { plan } from "../../core/plan";
import { isExternalPool } from "../../core/model";
import type { AllocationSpec, Change, FleetSpec, PlanResult } from "../../core/types";
import { largeFleet, prng } from "./fleets";
import { fmtMs, heading, line, peakRssMiB, timeRuns } from "./util";

const RUNS = 7;
const POOL = "p000";
const MOVES = 100;
/** Allocations that fill about 10,000 devices of `largeFleet`'s firewall template (16 slots, 1.5 per allocation). */
const ALLOCATIONS = 104_300;
const REMOVED_SHARE = 0.4;

/** The same fleet without a seeded `share` of its allocations. */
function withoutShare(spec: FleetSpec, share: number, seed: number): FleetSpec {
  const rand = prng(seed);
  const allocations: Record<string, AllocationSpec> = {};
  for (const [name, a] of Object.entries(spec.allocations ?? {})) if (rand() >= share) allocations[name] = a;
  return { ...spec, allocations };
}

function withRebalance(spec: FleetSpec, moves: number): FleetSpec {
  const pool = spec.pools[POOL];
  if (isExternalPool(pool)) throw new Error(`benchmark pool ${POOL} is external`);
  return {
    ...spec,
    pools: { ...spec.pools, [POOL]: { ...pool, rebalance: moves, disruptionBudget: moves } },
  };
}

/** Devices of the pool that host at least one allocation, counted from `devices`. */
function busyDevices(result: PlanResult): number {
  return result.pools[POOL].devices.filter((d) => result.devices[d].allocations.length > 0).length;
}

function planned(spec: FleetSpec, previous?: PlanResult): PlanResult {
  const result = plan(spec, previous === undefined ? {} : { previous: previous.ledger });
  if (!result.ok) throw new Error(`benchmark fleet did not plan: ${result.errors[0]?.message}`);
  return result;
}

export function main(): void {
  const load0 = os.loadavg()[0];
  heading("rebalance: a fragmented 10,000-device pack pool (issue 11)");
  const full = largeFleet({ pools: 1, maxPerPool: 10_000, allocations: ALLOCATIONS, tenants: 5_000 });
  const fragmented = withoutShare(full, REMOVED_SHARE, 11);
  // The fragmented state: the full plan's placements stay where they are, 40% of them gone.
  const state = planned(fragmented, planned(full));
  const devices = state.pools[POOL].devices.length;
  const allocations = Object.keys(fragmented.allocations ?? {}).length;
  line(
    `pool ${POOL}: ${devices.toLocaleString("en-US")} devices, ${allocations.toLocaleString("en-US")} allocations`,
    `${busyDevices(state).toLocaleString("en-US")} busy`,
    `${Math.round(100 * REMOVED_SHARE)}% of the allocations removed (seeded)`,
  );

  const rebalancing = withRebalance(fragmented, MOVES);
  const a = timeRuns(RUNS, () => planned(fragmented, state));
  const b = timeRuns(RUNS, () => planned(rebalancing, state));
  line("(a) previous ledger, no rebalancing", fmtMs(a.median), `median of ${RUNS} after a warm-up`);
  const ratio = b.median / a.median;
  line(
    `(b) the same with \`rebalance: ${MOVES}\`, budget ${MOVES}`,
    fmtMs(b.median),
    `${ratio.toFixed(2)}x (a) (target <= 2x: ${ratio <= 2 ? "ok" : "MISSED"})`,
  );

  const moves = b.last.changes.filter(
    (c): c is Extract<Change, { op: "move" }> => c.op === "move" && c.reason.startsWith("consolidate:"),
  );
  const before = busyDevices(a.last);
  const after = busyDevices(b.last);
  const freed = before - after;
  line("    moves made (`move`, reason `consolidate: ...`)", String(moves.length), `of ${MOVES} allowed`);
  line(
    "    devices freed (busy devices (a) - (b))",
    String(freed),
    `${before} -> ${after}; \`needed\` ${a.last.pools[POOL].needed} -> ${b.last.pools[POOL].needed}`,
  );
  line("    devices freed per move", moves.length === 0 ? "-" : (freed / moves.length).toFixed(3));
  // The moves' reason names the pool's busy devices after and its lower bound ceil(demand / capacity).
  const reason = moves[0]?.reason ?? "";
  const stated = /(\d+) -> (\d+) busy devices, lower bound (\d+)\)$/.exec(reason);
  if (stated !== null) {
    const [busyBefore, busyAfter, bound] = [Number(stated[1]), Number(stated[2]), Number(stated[3])];
    const agrees = busyBefore === before && busyAfter === after;
    line(
      "    lower bound / busy devices after (from the reason)",
      `${bound} / ${busyAfter}`,
      `+${((100 * (busyAfter - bound)) / bound).toFixed(1)}% above the bound${agrees ? "" : ` (MISMATCH: the reason says ${busyBefore} -> ${busyAfter}, counted ${before} -> ${after})`}`,
    );
  } else line("    lower bound / busy devices after (from the reason)", "-", "no `consolidate:` move");
  line(
    "load average (1 min) at start, end / CPUs",
    `${load0.toFixed(2)}, ${os.loadavg()[0].toFixed(2)} / ${os.cpus().length}`,
  );
  line("peak RSS (this process)", `${peakRssMiB().toFixed(0)} MiB`);
}
