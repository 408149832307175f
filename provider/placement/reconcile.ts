/**
 * One call for the Ledger's `create`/`update` with `backend: { kind: placement }`: sync the pools the
 * fleet owns, claim the allocations that go to pools other fleets own, and report every allocation
 * Placement did not put where the plan said (another stack took the capacity between preview and
 * apply), so the Ledger can show the difference and store what Placement decided.
 */
import type { FleetSpec, PlanResult } from "../../core/types";
import { claimAllocations, type ClaimReport } from "./claim";
import type { PlacementClient } from "./client";
import { externalPoolOf } from "./desired";
import { syncFleet, type SyncProgress, type SyncReport, type SyncState } from "./sync";

export interface ReconcileOptions {
  fleet: string;
  spec: FleetSpec;
  result: PlanResult;
  /** The previous report's `sync.state`. */
  previous?: SyncState;
  /** Allocations removed since the last apply whose claims on external pools are to be released. */
  release?: string[];
  /** @default 8 */
  concurrency?: number;
  onProgress?: (progress: SyncProgress | { phase: "claims"; done: number; total: number }) => void;
}

export interface PlacementDifference {
  allocation: string;
  /** The plan's device, `null` when the plan had none (allocations on external pools only). */
  planned: string | null;
  /** Where Placement put it, `null` when it was refused. */
  placed: string | null;
  reason: string;
}

export interface ReconcileReport {
  sync: SyncReport;
  claims: ClaimReport;
  /** Sorted by allocation. */
  differences: PlacementDifference[];
}

/** Allocations to claim: those that may use an external pool and that the plan did not put on an owned pool. */
export function claimRequests(spec: FleetSpec, result: PlanResult): string[] {
  const out: string[] = [];
  for (const [name, alloc] of Object.entries(spec.allocations ?? {})) {
    const pools = alloc.pools ?? Object.keys(spec.pools);
    if (!pools.some((p) => externalPoolOf(spec.pools[p]) !== null)) continue;
    const placed = result.placements[name];
    if (placed !== undefined && externalPoolOf(spec.pools[placed.pool]) === null) continue;
    out.push(name);
  }
  return out.sort();
}

export async function reconcileFleet(
  client: PlacementClient,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const { fleet, spec, result } = options;
  const sync = await syncFleet(client, {
    fleet,
    spec,
    result,
    concurrency: options.concurrency,
    previous: options.previous,
    onProgress: options.onProgress,
  });
  const requests = claimRequests(spec, result);
  const planned: Record<string, string> = {};
  for (const name of requests) {
    const p = result.placements[name];
    if (p !== undefined) planned[name] = p.device;
  }
  const claims = await claimAllocations(client, {
    fleet,
    spec,
    requests,
    release: options.release,
    planned,
    onProgress: (done, total) => options.onProgress?.({ phase: "claims", done, total }),
  });
  const differences: PlacementDifference[] = [];
  for (const name of requests) {
    const grant = claims.granted[name];
    const plannedDevice = planned[name] ?? null;
    if (grant === undefined) {
      differences.push({
        allocation: name,
        planned: plannedDevice,
        placed: null,
        reason: claims.refused[name] ?? "not claimed",
      });
    } else if (plannedDevice !== null && grant.device !== plannedDevice) {
      differences.push({
        allocation: name,
        planned: plannedDevice,
        placed: grant.device,
        reason: `device \`${plannedDevice}\` of fleet \`${grant.fleet}\` no longer had room when applied (another stack or service took it); Placement granted \`${grant.device}\``,
      });
    }
  }
  return { sync, claims, differences };
}
