/**
 * Removing a fleet from Placement, for the Ledger's `delete` with `backend: { kind: placement }`:
 * its claims on pools other fleets own are released, then a sync towards an empty fleet deletes
 * every consumer of the fleet's own allocations and every provider of its devices.
 *
 * Nothing foreign is dropped: a device of this fleet on which another fleet or service (Nova) still
 * allocates is kept and the sync fails naming the consumers (`SyncError`), like any sync would.
 * Running it again after a failure converges: every step is a diff against what Placement holds.
 */
import { plan } from "../../core/plan";
import type { FleetSpec } from "../../core/types";
import type { PlacementClient } from "./client";
import { consumerUuid } from "./ids";
import { syncFleet, type SyncReport } from "./sync";

export interface RemoveFleetOptions {
  fleet: string;
  /** Allocations of this fleet holding claims on external pools (their consumers are deleted). */
  release?: string[];
  /** @default 8 */
  concurrency?: number;
}

export interface RemoveFleetReport {
  /** The sync towards an empty fleet: `providers.deleted` and `consumers.deleted` say what went. */
  sync: SyncReport;
  /** Claims released (those that existed). */
  released: string[];
}

const EMPTY_FLEET: FleetSpec = { templates: {}, pools: {}, allocations: {} };

export async function removeFleet(
  client: PlacementClient,
  options: RemoveFleetOptions,
): Promise<RemoveFleetReport> {
  const { fleet } = options;
  const released: string[] = [];
  for (const name of [...(options.release ?? [])].sort()) {
    if (await client.deleteAllocations(consumerUuid(fleet, name))) released.push(name);
  }
  const sync = await syncFleet(client, {
    fleet,
    spec: EMPTY_FLEET,
    result: plan(EMPTY_FLEET),
    concurrency: options.concurrency,
  });
  return { sync, released };
}
