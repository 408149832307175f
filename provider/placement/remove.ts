/**
 * Removing a fleet from Placement, for the Ledger's `delete` with `backend: { kind: placement }`:
 * its claims on pools other fleets own are released, then a sync towards an empty fleet deletes
 * every consumer of the fleet's own allocations and every provider of its devices, then the fleet's
 * owner provider goes (owner.ts), last, so a removal that fails keeps the record of who owns it.
 *
 * It does not read the owner record: the Ledger asks `ownerVerdict` first (ledgerPlacement.ts
 * `removePlacement`), so a replaced Ledger never removes what its replacement synced.
 *
 * Nothing foreign is dropped: a device of this fleet on which another fleet or service (Nova) still
 * allocates is kept and the sync fails naming the consumers (`SyncError`), like any sync would.
 * Running it again after a failure converges: every step is a diff against what Placement holds.
 */
import { plan } from "../../core/plan";
import type { FleetSpec } from "../../core/types";
import type { PlacementClient } from "./client";
import { consumerUuid } from "./ids";
import { deleteOwnerProvider } from "./owner";
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
  /** True when the fleet had an owner provider, now deleted. */
  ownerRemoved: boolean;
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
  const ownerRemoved = await deleteOwnerProvider(client, fleet);
  return { sync, released, ownerRemoved };
}
