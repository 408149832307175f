/**
 * The bulk allocation writes of a sync: removed consumers emptied, then moved allocations written,
 * then new and changed ones (syncBatches.ts `allocationPhases`), at most `batchSize` consumers per
 * `POST /allocations`, two requests in flight, and never two in flight that name the same provider
 * (syncBatches.ts `shapeBatches`: Placement would roll one back and replay it).
 *
 * A refused batch is split in halves until the refused consumers stand alone, each then reported on
 * its own; a generation conflict (someone wrote one of the consumers since it was read) re-reads the
 * batch's consumer generations once. A refused write may have waited on capacity another write
 * freed, so the refused writes are tried once more, one by one, at the end.
 */
import type { AllocationWrite } from "./client";
import { mapLimit } from "./desired";
import { PlacementError, isTransient } from "./errors";
import type { SyncRun } from "./syncExecute";
import { allocationPhases, shapeBatches } from "./syncBatches";
import type { ActionOf, AllocationAction } from "./syncPlan";

/** Bulk writes in flight at once, each in its own lane of providers. */
export const ALLOCATION_LANES = 2;

function consumerOf(a: AllocationAction): string {
  return a.kind === "delete-consumer" ? a.consumer : a.consumer.uuid;
}

/**
 * The providers Placement bumps the generation of, once per request, for this entry: its targets,
 * or the providers a consumer held when its allocations are emptied.
 */
function touchedBy(a: AllocationAction): string[] {
  const targets = Object.keys(a.write.allocations);
  return targets.length > 0 || a.kind !== "delete-consumer" ? targets : a.from;
}

/** Applies `deletes` then `writes` (both already planned in the journal, `writes` in write order). */
export async function writeAllocations(
  run: SyncRun,
  deletes: readonly AllocationAction[],
  writes: readonly ActionOf<"write-allocation">[],
): Promise<void> {
  const { journal } = run;
  const stopped = (): boolean => journal.stopped();
  const total = deletes.length + writes.length;
  let done = 0;
  run.progress({ phase: "allocations", done: 0, total });

  /** Writes one batch; on refusal splits it to find the refused consumers. */
  const writeBatch = async (entries: AllocationAction[], retryConflict: boolean): Promise<void> => {
    if (entries.length === 0 || stopped()) return;
    try {
      const body: Record<string, AllocationWrite> = Object.fromEntries(
        entries.map((a) => [consumerOf(a), a.write]),
      );
      await run.client.postAllocations(body);
      const touched = new Set(entries.flatMap(touchedBy));
      for (const rp of touched) run.bumps.set(rp, (run.bumps.get(rp) ?? 0) + 1);
      for (const a of entries) {
        journal.done(a);
        if (a.kind === "delete-consumer") run.report.consumers.deleted.push(a.consumer);
        else run.report.consumers.written.push(a.consumer.allocation);
      }
      done += entries.length;
      run.progress({ phase: "allocations", done, total });
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err;
      if (isTransient(err)) {
        journal.stop(err);
        return;
      }
      if (err.kind === "generation-conflict" && retryConflict) {
        // Someone wrote one of these consumers since we read it: re-read their generations once.
        const fresh: AllocationAction[] = [];
        for (const a of entries) {
          const current = await run.client.getConsumerAllocations(consumerOf(a));
          fresh.push({ ...a, write: { ...a.write, consumer_generation: current.consumer_generation } });
        }
        await writeBatch(fresh, false);
        return;
      }
      if (entries.length === 1) {
        journal.failed(entries[0], err.message);
        return;
      }
      const half = Math.ceil(entries.length / 2);
      await writeBatch(entries.slice(0, half), retryConflict);
      await writeBatch(entries.slice(half), retryConflict);
    }
  };

  // A refused batch is bisected within its lane, so the halves stay clear of the other lanes.
  for (const phase of allocationPhases(deletes, writes)) {
    const lanes = shapeBatches(phase, touchedBy, { batchSize: run.batchSize, lanes: ALLOCATION_LANES });
    await mapLimit(
      lanes,
      lanes.length,
      (lane) => mapLimit(lane, 1, (b) => writeBatch(b, true), stopped),
      stopped,
    );
    if (stopped()) return;
  }
  const refused = new Set(journal.takeFailed("write-allocation").map((a) => a.consumer.uuid));
  const again = writes.filter((w) => refused.has(w.consumer.uuid));
  for (const w of again) journal.plan(w);
  await mapLimit(again, 1, (w) => writeBatch([w], true), stopped);
}
