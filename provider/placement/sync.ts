/**
 * Fleet -> Placement sync: diff-based, idempotent, bounded-concurrent, bulk allocation writes.
 *
 * 1. Read: one `GET /resource_providers`; the fleet's providers are recognised by recomputing
 *    their uuid from their name (ids.ts `ownedDevice`). A provider whose generation and desired
 *    digest equal the `previous` sync state is unchanged since the last sync and is not read
 *    further; every other one is read (inventories, traits, aggregates, allocations).
 * 2. `CUSTOM_*` resource classes and traits that are missing are created.
 * 3. Providers: created, or inventories/traits/aggregates replaced where they differ.
 * 4. Consumers of removed allocations (consumers on the fleet's providers whose `user_id` is the
 *    fleet's) are deleted, then new, moved and changed allocations are written with bulk
 *    `POST /allocations` carrying consumer generations.
 * 5. Every provider allocations were written to is checked for over-commit (Placement under
 *    several workers on REPEATABLE-READ lets concurrent writes through its capacity check): this
 *    sync's consumers beyond the capacity by the rule of overcommit.ts are undone, and each is a
 *    failed change naming the device, class, usage and capacity. Pending claims of other fleets
 *    beyond the capacity are undone by their claimers; the sync waits for that (bounded).
 * 6. Providers of removed devices are deleted, unless something still allocates from them: that
 *    is an error naming the consumers; no allocation is ever dropped silently.
 *
 * Nothing is written when nothing differs. When a request fails for good (Placement gone), the
 * sync stops issuing new work and throws `SyncError` naming every change not made; running it
 * again converges because every step is a diff against what Placement holds.
 *
 * Decide, then act: syncPlan.ts (`planSync`: every action once Placement has been read),
 * syncVerify.ts and syncState.ts decide, without I/O; syncExecute.ts and syncAllocations.ts act;
 * `syncFleet` below only strings the phases together.
 */
import type { FleetSpec, PlanResult } from "../../core/types";
import type { PlacementClient, ProviderRecord } from "./client";
import { desiredFleet, mapLimit, type DesiredFleet } from "./desired";
import { observeProvider, pause, reapAbandoned, undoConsumer } from "./observe";
import { CONSUMER_TYPE, fleetUserId } from "./ids";
import { VERIFY_TIMEOUT_MS, holdersOf, judge, syncUndone, type ConsumerInfo } from "./overcommit";
import { compareText } from "../../core/order";
import { writeAllocations } from "./syncAllocations";
import {
  checkTenantUsage,
  createClassesAndTraits,
  deleteProviders,
  readConsumers,
  readProviders,
  rereadAllocations,
  updateInventoriesLater,
  writeProviders,
  type SyncRun,
} from "./syncExecute";
import {
  classifyConsumers,
  foreignByDevice,
  orderWrites,
  planSync,
  seenConsumers,
  unknownConsumers,
} from "./syncPlan";
import { SyncJournal, emptyReport, type SyncProgress, type SyncReport } from "./syncReport";
import { nextSyncState, ownedProviders, providerDigests, splitByPrevious, type SyncState } from "./syncState";
import { capacityChecksToRead, planCapacityChecks, planRereads, type CapacityCheck } from "./syncVerify";

export { SyncError, type SyncProgress, type SyncReport, type SyncStep } from "./syncReport";
export type { SyncState } from "./syncState";

export interface SyncOptions {
  fleet: string;
  spec: FleetSpec;
  result: PlanResult;
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Consumers per `POST /allocations`. @default 250 */
  batchSize?: number;
  /** The previous report's `state`: providers unchanged since then are not read again. */
  previous?: SyncState;
  /**
   * Verify consumers on unchanged providers too, one `GET /usages` per tenant. Placement leaves a
   * provider's generation alone when a consumer is deleted from it or moves away from it, so without
   * this a consumer someone deleted behind the fleet's back since the last sync is only put back
   * once its provider changes for another reason (`placementStatus` always sees it).
   * @default true
   */
  verifyConsumers?: boolean;
  /**
   * How long the over-commit check of a provider waits for other fleets' pending claims beyond its
   * capacity to be undone; one seen unchanged for half of it is removed as abandoned. @default 10000 (`VERIFY_TIMEOUT_MS`)
   */
  verifyTimeoutMs?: number;
  onProgress?: (progress: SyncProgress) => void;
}

/** Syncs one fleet's devices and allocations of owned pools into Placement. See the file comment. */
export async function syncFleet(client: PlacementClient, options: SyncOptions): Promise<SyncReport> {
  const { fleet } = options;
  const desired = desiredFleet(fleet, options.spec, options.result);
  const report = emptyReport(fleet);
  const run: SyncRun = {
    client,
    fleet,
    userId: fleetUserId(fleet),
    concurrency: options.concurrency ?? 8,
    batchSize: options.batchSize ?? 250,
    progress: options.onProgress ?? (() => undefined),
    journal: new SyncJournal(fleet, report),
    report,
    expected: new Map(),
    bumps: new Map(),
    created: new Set(),
  };
  const { journal } = run;

  // 1. read
  const { owned, digests, clean, observed, seen, removed, owners } = await readFleet(
    run,
    desired,
    options.previous,
  );

  // 2. resource classes and traits
  const [classes, traits] = await Promise.all([
    desired.customResourceClasses.length > 0 ? client.listResourceClasses() : Promise.resolve([]),
    desired.customTraits.length > 0 ? client.listTraits({ name: "startswith:CUSTOM_" }) : Promise.resolve([]),
  ]);
  const plan = planSync(
    desired,
    { owned, clean, providers: observed, seen, removed, owners, classes, traits },
    options.verifyConsumers ?? true,
  );
  await createClassesAndTraits(run, plan.classesAndTraits);
  journal.check("creating resource classes and traits");
  // The allocation and deletion work is known now, so a sync that stops early can name all of it.
  for (const action of [...plan.deletes, ...plan.writes, ...plan.removedDevices]) journal.plan(action);

  // 3. providers
  for (const [device, rec] of owned)
    run.expected.set(rec.uuid, observed.get(device)?.generation ?? rec.generation);
  for (const action of plan.providers) journal.plan(action);
  const deferred = await writeProviders(run, plan.providers);
  journal.check("writing providers");

  // 4. allocations, after verifying those believed in place (syncVerify.ts)
  const drifted = await checkTenantUsage(run, plan.usageChecks);
  journal.check("checking tenant usage");
  const repairs = await rereadAllocations(run, planRereads(desired, drifted, plan.writes));
  journal.check("re-reading allocations");
  const writes = orderWrites([...plan.writes, ...repairs]);
  await writeAllocations(run, plan.deletes, writes);
  const checks = await capacityChecksAfter(
    run,
    planCapacityChecks(desired, writes, new Set(report.consumers.written)),
  );
  await mapLimit(checks, run.concurrency, (c) =>
    verifyCapacity(run, c, options.verifyTimeoutMs ?? VERIFY_TIMEOUT_MS),
  );
  report.consumers.unchanged =
    desired.consumers.length - report.consumers.written.length - journal.notMade("write-allocation");
  report.consumers.written.sort(compareText);
  report.consumers.deleted.sort(compareText);
  await updateInventoriesLater(run, deferred);
  journal.check("writing allocations");

  // 5. removed devices
  await deleteProviders(run, plan.removedDevices, owners);
  report.providers.created.sort(compareText);
  report.providers.updated.sort(compareText);
  report.providers.unchanged =
    desired.providers.length - report.providers.created.length - report.providers.updated.length;
  report.providers.deleted.sort(compareText);
  journal.check("deleting removed devices");

  return { ...report, state: await stateAfter(run, desired, owned, digests, deferred.length) };
}

/**
 * Phase 1: the fleet's providers (those unchanged since `previous` are not read further), the
 * consumers on them, and who wrote the consumers the fleet does not expect; foreign ones go into
 * the report, the fleet's own are `removed` (to delete).
 */
async function readFleet(run: SyncRun, desired: DesiredFleet, previous: SyncState | undefined) {
  const { fleet, journal } = run;
  const owned = ownedProviders(fleet, await run.client.listProviders());
  const digests = providerDigests(desired);
  const { clean, toRead } = splitByPrevious(fleet, owned, digests, previous);
  const observed = await readProviders(
    run,
    toRead.map((device) => ({ kind: "read-provider", device, record: owned.get(device)! })),
  );
  journal.check("reading Placement");
  const seen = seenConsumers(observed.values());
  const unknown = unknownConsumers(desired, seen);
  const owners = await readConsumers(
    run,
    unknown.map((consumer) => ({ kind: "read-consumer", consumer })),
  );
  journal.check("reading consumers");
  const { removed, foreign } = classifyConsumers(unknown, owners, run.userId);
  run.report.foreign = foreignByDevice(foreign, seen, owned);
  return { owned, digests, clean, observed, seen, removed, owners };
}

/**
 * The capacity checks to make after the writes (syncVerify.ts `capacityChecksToRead`): one listing
 * of the providers tells which of those this sync created nobody else has written to since.
 */
async function capacityChecksAfter(run: SyncRun, checks: CapacityCheck[]): Promise<CapacityCheck[]> {
  if (!checks.some((c) => run.created.has(c.provider))) return checks;
  const listed = new Map(
    [...ownedProviders(run.fleet, await run.client.listProviders()).values()].map((r) => [
      r.uuid,
      r.generation,
    ]),
  );
  return capacityChecksToRead(checks, {
    created: run.created,
    listed,
    expected: run.expected,
    bumps: run.bumps,
    failedWrites: run.journal.notMade("write-allocation"),
  });
}

/** The next sync's state; re-lists the providers only when this sync wrote anything. */
async function stateAfter(
  run: SyncRun,
  desired: DesiredFleet,
  owned: ReadonlyMap<string, ProviderRecord>,
  digests: ReadonlyMap<string, string>,
  deferredInventories: number,
): Promise<SyncState> {
  const { providers, consumers } = run.report;
  const wrote =
    providers.created.length +
    providers.updated.length +
    providers.deleted.length +
    consumers.written.length +
    consumers.deleted.length +
    deferredInventories;
  const after = wrote === 0 ? owned : ownedProviders(run.fleet, await run.client.listProviders());
  return nextSyncState(run.fleet, desired, after, run, digests);
}

/**
 * Phase 5 on one provider: when its usage exceeds what the desired inventories allow, observes it
 * until it is within capacity, undoing this sync's consumers that the rule (overcommit.ts) puts
 * beyond it; each undone write becomes a failed change. Waits at most `timeoutMs` for other fleets'
 * pending claims beyond the capacity, removing those that stay unchanged for half of it.
 */
async function verifyCapacity(run: SyncRun, check: CapacityCheck, timeoutMs: number): Promise<void> {
  const seen = new Map<string, ConsumerInfo>();
  const firstSeen = new Map<string, number>();
  const started = Date.now();
  const usage = (await run.client.getProviderUsages(check.provider)).usages;
  if (Object.keys(usage).every((rc) => usage[rc] <= (check.capacity[rc] ?? 0))) return;
  for (let round = 0; Date.now() - started < timeoutMs; round++) {
    const view = await observeProvider(run.client, check.provider, seen);
    const judgement = judge(view.capacity, holdersOf(view, new Set(check.writes.keys())));
    if (judgement.exceeded.length === 0) return;
    const undo = view.holders.filter(
      (h) => judgement.over.includes(h.consumer) && check.writes.has(h.consumer),
    );
    const names = undo.map((h) => check.writes.get(h.consumer)!.consumer.allocation);
    const why = syncUndone(check.device, judgement.exceeded, judgement.fixedExceeded, names);
    for (const h of undo) {
      const write = check.writes.get(h.consumer)!;
      const { project_id: projectId, user_id: userId } = write.write;
      const info = { generation: h.generation, type: CONSUMER_TYPE, projectId, userId };
      if (!(await undoConsumer(run.client, h.consumer, info))) continue;
      check.writes.delete(h.consumer);
      run.journal.failed(write, why);
      const written = run.report.consumers.written;
      written.splice(written.indexOf(write.consumer.allocation), 1);
    }
    if (undo.length > 0) continue;
    await reapAbandoned(run.client, view, judgement.over, firstSeen, timeoutMs / 2);
    await pause(round);
  }
}
