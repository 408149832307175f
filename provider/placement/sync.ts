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
 * 5. Providers of removed devices are deleted, unless something still allocates from them: that
 *    is an error naming the consumers; no allocation is ever dropped silently.
 *
 * Nothing is written when nothing differs. When a request fails for good (Placement gone), the
 * sync stops issuing new work and throws `SyncError` naming every change not made; running it
 * again converges because every step is a diff against what Placement holds.
 */
import type { FleetSpec, PlanResult } from "../../core/types";
import type { AllocationWrite, InventoryRecord, PlacementClient, ProviderRecord } from "./client";
import {
  desiredFleet,
  mapLimit,
  providerDigest,
  sameInventories,
  sameResources,
  sameSet,
  type DesiredConsumer,
  type DesiredProvider,
} from "./desired";
import { PlacementError, isTransient } from "./errors";
import { CONSUMER_TYPE, fleetUserId, ownedDevice, providerUuid } from "./ids";

/** What a sync remembers for the next one (keep it in the Ledger's state); see `SyncOptions.previous`. */
export interface SyncState {
  version: 1;
  fleet: string;
  /** Per device: its provider's generation after the sync and the digest of what was synced. */
  providers: Record<string, { generation: number; digest: string }>;
}

export interface SyncProgress {
  phase: "read" | "classes" | "providers" | "allocations" | "delete";
  done: number;
  total: number;
}

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
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncReport {
  fleet: string;
  providers: { created: string[]; updated: string[]; deleted: string[]; unchanged: number };
  consumers: { written: string[]; deleted: string[]; unchanged: number };
  /** Consumers of other fleets or services on this fleet's providers, by device. */
  foreign: Record<string, string[]>;
  state: SyncState;
}

/** One change the sync meant to make. */
export interface SyncStep {
  /** e.g. `create provider \`fw-3\``, `write allocation \`tenant-a-fw\` on \`fw-0\``. */
  what: string;
  error?: string;
}

export class SyncError extends Error {
  constructor(
    message: string,
    /** Changes that failed, with their error. */
    readonly failed: SyncStep[],
    /** Changes not attempted because the sync stopped. */
    readonly notDone: SyncStep[],
    /** What was done before it stopped. */
    readonly partial: Omit<SyncReport, "state">,
  ) {
    super(message);
    this.name = "SyncError";
  }
}

interface ProviderState {
  record: ProviderRecord;
  device: string;
  generation: number;
  inventories: Record<string, InventoryRecord>;
  traits: string[];
  aggregates: string[];
  allocations: Record<string, { resources: Record<string, number>; consumer_generation: number | null }>;
}

function list(names: string[], max = 20): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}

/** Syncs one fleet's devices and allocations of owned pools into Placement. See the file comment. */
export async function syncFleet(client: PlacementClient, options: SyncOptions): Promise<SyncReport> {
  const { fleet } = options;
  const concurrency = options.concurrency ?? 8;
  const batchSize = options.batchSize ?? 250;
  const desired = desiredFleet(fleet, options.spec, options.result);
  const userId = fleetUserId(fleet);
  const progress = options.onProgress ?? (() => undefined);
  const report: Omit<SyncReport, "state"> = {
    fleet,
    providers: { created: [], updated: [], deleted: [], unchanged: 0 },
    consumers: { written: [], deleted: [], unchanged: 0 },
    foreign: {},
  };
  const failed: SyncStep[] = [];
  const pending = new Map<string, SyncStep>();
  let fatal: PlacementError | null = null;
  const stopped = (): boolean => fatal !== null;

  const plan = (what: string): string => {
    pending.set(what, { what });
    return what;
  };
  /** Runs one step; a transient failure (after the client's retries) stops the whole sync. */
  const step = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    if (stopped()) return false;
    try {
      await fn();
      pending.delete(what);
      return true;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      pending.delete(what);
      failed.push({ what, error: err.message });
      if (err instanceof PlacementError && isTransient(err)) fatal ??= err;
      return false;
    }
  };
  const fail = (stage: string): SyncError => {
    const notDone = [...pending.values()];
    const cause =
      fatal !== null ? `Placement stopped answering (${fatal.message})` : `${failed.length} change(s) failed`;
    const lines = [
      `sync of fleet \`${fleet}\` into Placement did not finish (${stage}): ${cause}.`,
      failed.length > 0
        ? `Failed: ${list(
            failed.map((f) => `${f.what}: ${f.error ?? ""}`),
            10,
          )}.`
        : "",
      notDone.length > 0 ? `Not done: ${list(notDone.map((s) => s.what))}.` : "",
      "Fix the cause and run the sync again: it re-reads Placement and does only what is missing.",
    ];
    return new SyncError(lines.filter((l) => l !== "").join("\n"), failed, notDone, report);
  };
  const check = (stage: string): void => {
    if (failed.length > 0 || fatal !== null) throw fail(stage);
  };

  // ---- 1. read ----
  const all = await client.listProviders();
  const owned = new Map<string, ProviderRecord>(); // device -> record
  for (const rec of all) {
    const device = ownedDevice(fleet, rec);
    if (device !== null) owned.set(device, rec);
  }
  const desiredByDevice = new Map(desired.providers.map((p) => [p.device, p]));
  const consumersOn = new Map<string, DesiredConsumer[]>();
  for (const c of desired.consumers) {
    const list = consumersOn.get(c.provider) ?? [];
    list.push(c);
    consumersOn.set(c.provider, list);
  }
  const digests = new Map(
    desired.providers.map((p) => [p.device, providerDigest(p, consumersOn.get(p.uuid) ?? [])]),
  );
  const previous = options.previous?.fleet === fleet ? options.previous.providers : {};
  const clean = new Set<string>();
  const toRead: string[] = [];
  for (const [device, rec] of owned) {
    const prev = previous[device];
    if (prev !== undefined && prev.generation === rec.generation && prev.digest === digests.get(device))
      clean.add(device);
    else toRead.push(device);
  }
  toRead.sort();
  const state = new Map<string, ProviderState>();
  let read = 0;
  progress({ phase: "read", done: 0, total: toRead.length });
  await mapLimit(
    toRead,
    concurrency,
    async (device) => {
      const rec = owned.get(device)!;
      await step(plan(`read provider \`${device}\``), async () => {
        const [inv, traits, aggs, allocs] = await Promise.all([
          client.getInventories(rec.uuid),
          client.getTraits(rec.uuid),
          client.getAggregates(rec.uuid),
          client.getProviderAllocations(rec.uuid),
        ]);
        state.set(device, {
          record: rec,
          device,
          generation: Math.max(
            inv.generation,
            traits.generation,
            aggs.generation,
            allocs.resource_provider_generation,
          ),
          inventories: inv.inventories,
          traits: traits.traits,
          aggregates: aggs.aggregates,
          allocations: allocs.allocations,
        });
      });
      progress({ phase: "read", done: ++read, total: toRead.length });
    },
    stopped,
  );
  check("reading Placement");

  // Current allocations of every consumer seen on a read provider.
  const seen = new Map<
    string,
    { allocations: Record<string, Record<string, number>>; generation: number | null }
  >();
  for (const ps of state.values()) {
    for (const [consumer, a] of Object.entries(ps.allocations)) {
      const entry = seen.get(consumer) ?? { allocations: {}, generation: a.consumer_generation };
      entry.allocations[ps.record.uuid] = a.resources;
      seen.set(consumer, entry);
    }
  }
  const desiredConsumers = new Map(desired.consumers.map((c) => [c.uuid, c]));
  // Consumers we do not expect: removed allocations of this fleet, or foreign. Ask who wrote them.
  const unknown = [...seen.keys()].filter((c) => !desiredConsumers.has(c)).sort();
  const owners = new Map<string, { projectId: string; userId: string; generation: number | null }>();
  await mapLimit(
    unknown,
    concurrency,
    async (consumer) => {
      await step(plan(`read consumer ${consumer}`), async () => {
        const a = await client.getConsumerAllocations(consumer);
        owners.set(consumer, {
          projectId: a.project_id ?? "",
          userId: a.user_id ?? "",
          generation: a.consumer_generation,
        });
      });
    },
    stopped,
  );
  check("reading consumers");
  const removedConsumers = unknown.filter((c) => owners.get(c)?.userId === userId);
  const foreignConsumers = new Set(unknown.filter((c) => owners.get(c)?.userId !== userId));
  const deviceOf = new Map([...owned].map(([d, r]) => [r.uuid, d]));
  for (const c of foreignConsumers) {
    for (const rp of Object.keys(seen.get(c)!.allocations)) {
      const d = deviceOf.get(rp)!;
      (report.foreign[d] ??= []).push(c);
    }
  }
  for (const d of Object.keys(report.foreign)) report.foreign[d].sort();

  // ---- 2. resource classes and traits ----
  const [classes, traits] = await Promise.all([
    desired.customResourceClasses.length > 0 ? client.listResourceClasses() : Promise.resolve([]),
    desired.customTraits.length > 0 ? client.listTraits({ name: "startswith:CUSTOM_" }) : Promise.resolve([]),
  ]);
  const missingClasses = desired.customResourceClasses.filter((rc) => !classes.includes(rc));
  const missingTraits = desired.customTraits.filter((t) => !traits.includes(t));
  progress({ phase: "classes", done: 0, total: missingClasses.length + missingTraits.length });
  await mapLimit(
    [...missingClasses.map((n) => ({ n, rc: true })), ...missingTraits.map((n) => ({ n, rc: false }))],
    concurrency,
    async ({ n, rc }) => {
      const what = plan(`create ${rc ? "resource class" : "trait"} \`${n}\``);
      await step(what, () => (rc ? client.ensureResourceClass(n) : client.ensureTrait(n)));
    },
    stopped,
  );
  check("creating resource classes and traits");

  // The allocation and deletion work, known now, so a sync that stops early can name all of it.
  const deletes: Record<string, AllocationWrite> = {};
  for (const c of removedConsumers) {
    const o = owners.get(c)!;
    deletes[c] = {
      allocations: {},
      project_id: o.projectId,
      user_id: o.userId,
      consumer_generation: o.generation,
      consumer_type: CONSUMER_TYPE,
    };
  }
  const writes: { consumer: DesiredConsumer; write: AllocationWrite; move: boolean }[] = [];
  for (const c of desired.consumers) {
    const deviceClean = clean.has(c.device);
    const cur = seen.get(c.uuid);
    if (deviceClean && cur === undefined) continue; // in place since the last sync
    const rps = Object.keys(cur?.allocations ?? {});
    if (
      cur !== undefined &&
      rps.length === 1 &&
      rps[0] === c.provider &&
      sameResources(cur.allocations[c.provider], c.resources)
    )
      continue;
    writes.push({
      consumer: c,
      move: cur !== undefined && !(c.provider in cur.allocations),
      write: {
        allocations: { [c.provider]: { resources: c.resources } },
        project_id: c.projectId,
        user_id: c.userId,
        consumer_generation: cur?.generation ?? null,
        consumer_type: CONSUMER_TYPE,
      },
    });
  }
  const writeLabel = (c: DesiredConsumer): string =>
    `write allocation \`${c.allocation}\` on \`${c.device}\``;
  const deleteLabel = (c: string): string => `delete consumer ${c} (a removed allocation of this fleet)`;
  for (const c of removedConsumers) plan(deleteLabel(c));
  for (const w of writes) plan(writeLabel(w.consumer));
  const removed = [...owned.keys()].filter((d) => !desiredByDevice.has(d)).sort();
  const deleteProviderLabel = (device: string): string => `delete provider \`${device}\``;
  for (const d of removed) plan(deleteProviderLabel(d));

  // ---- 3. providers ----
  // The generation each provider should have after our own writes; the state records a provider
  // only when Placement shows exactly that, so a change someone else made meanwhile is re-read next time.
  const expected = new Map<string, number>();
  const bumps = new Map<string, number>();
  for (const [device, rec] of owned) expected.set(rec.uuid, state.get(device)?.generation ?? rec.generation);
  const deferredInventories: DesiredProvider[] = [];
  const providerWork = desired.providers.filter((p) => !clean.has(p.device));
  const labels = new Map<string, string>();
  for (const p of providerWork) {
    const current = state.get(p.device);
    if (current === undefined) labels.set(p.device, plan(`create provider \`${p.device}\``));
    else if (
      !sameInventories(current.inventories, p.inventories) ||
      !sameSet(current.traits, p.traits) ||
      !sameSet(current.aggregates, p.aggregates)
    )
      labels.set(p.device, plan(`update provider \`${p.device}\``));
  }
  let providersDone = 0;
  const changedProviders = providerWork.filter((p) => labels.has(p.device));
  progress({ phase: "providers", done: 0, total: changedProviders.length });
  await mapLimit(
    changedProviders,
    concurrency,
    async (p) => {
      const current = state.get(p.device);
      await step(labels.get(p.device)!, async () => {
        if (current === undefined) {
          let gen: number;
          try {
            gen = (await client.createProvider(p.uuid, p.name)).generation;
          } catch (err) {
            // A create whose answer was lost and then retried, or a provider named like ours by someone else.
            if (!(err instanceof PlacementError && err.kind === "duplicate")) throw err;
            const existing = await client.getProvider(p.uuid);
            if (existing === null)
              throw new Error(
                `provider name \`${p.name}\` is taken by another provider (not uuid ${p.uuid}); rename or delete it`,
                { cause: err },
              );
            gen = existing.generation;
          }
          gen = await client.putInventories(p.uuid, gen, p.inventories);
          if (p.traits.length > 0) gen = await client.putTraits(p.uuid, gen, p.traits);
          expected.set(p.uuid, await client.putAggregates(p.uuid, gen, p.aggregates));
          report.providers.created.push(p.device);
          return;
        }
        // Someone else may change the provider between our read and our write (generation
        // conflict): re-read what differs and write again, a bounded number of times.
        let gen = current.generation;
        for (let attempt = 1; ; attempt++) {
          try {
            if (!sameSet(current.traits, p.traits)) gen = await client.putTraits(p.uuid, gen, p.traits);
            current.traits = p.traits;
            if (!sameSet(current.aggregates, p.aggregates))
              gen = await client.putAggregates(p.uuid, gen, p.aggregates);
            current.aggregates = p.aggregates;
            if (!sameInventories(current.inventories, p.inventories)) {
              try {
                gen = await client.putInventories(p.uuid, gen, p.inventories);
              } catch (err) {
                // Removing a resource class that allocations still use: retried after allocations moved.
                if (!(err instanceof PlacementError && err.kind === "inventory-in-use")) throw err;
                deferredInventories.push(p);
              }
            }
            break;
          } catch (err) {
            if (!(err instanceof PlacementError && err.kind === "generation-conflict") || attempt >= 3)
              throw err;
            const [inv, traits, aggs] = await Promise.all([
              client.getInventories(p.uuid),
              client.getTraits(p.uuid),
              client.getAggregates(p.uuid),
            ]);
            current.inventories = inv.inventories;
            current.traits = traits.traits;
            current.aggregates = aggs.aggregates;
            gen = Math.max(inv.generation, traits.generation, aggs.generation);
          }
        }
        current.generation = gen;
        expected.set(p.uuid, gen);
        report.providers.updated.push(p.device);
      });
      progress({ phase: "providers", done: ++providersDone, total: changedProviders.length });
    },
    stopped,
  );
  check("writing providers");

  // ---- 4. allocations ----
  // Consumers believed in place are verified per tenant: Placement's usage of this fleet's consumers
  // of a tenant (`GET /usages?project_id=&user_id=`) must equal what they should hold. This catches
  // what provider generations do not: Placement does not bump a provider's generation when a
  // consumer is deleted from it or moved away from it, so an unchanged generation does not prove
  // our consumers are still there, nor that they carry the right project. A tenant that differs has
  // each of its consumers re-read, and those that differ are rewritten.
  const writing = new Set(writes.map((w) => w.consumer.uuid));
  const tenantsToCheck = new Set<string>();
  const verifyAll = options.verifyConsumers ?? true;
  for (const c of desired.consumers) {
    if (!writing.has(c.uuid) && (verifyAll || !clean.has(c.device))) tenantsToCheck.add(c.tenant);
  }
  const driftTenants = new Set<string>();
  await mapLimit(
    [...tenantsToCheck].sort(),
    concurrency,
    async (tenant) => {
      const project = desired.consumers.find((c) => c.tenant === tenant)!.projectId;
      await step(plan(`check usage of tenant \`${tenant}\``), async () => {
        const usages = await client.usages(project, userId);
        const got: Record<string, number> = {};
        for (const byType of Object.values(usages))
          for (const [rc, n] of Object.entries(byType))
            if (rc !== "consumer_count") got[rc] = (got[rc] ?? 0) + n;
        const want: Record<string, number> = {};
        for (const c of desired.consumers)
          if (c.tenant === tenant)
            for (const [rc, n] of Object.entries(c.resources)) want[rc] = (want[rc] ?? 0) + n;
        // Removed consumers of this tenant and pending writes still count in Placement; allow for them.
        for (const c of removedConsumers)
          if (owners.get(c)!.projectId === project)
            for (const r of Object.values(seen.get(c)!.allocations))
              for (const [rc, n] of Object.entries(r)) want[rc] = (want[rc] ?? 0) + n;
        for (const w of writes) {
          if (w.consumer.tenant !== tenant) continue;
          for (const [rc, n] of Object.entries(w.consumer.resources)) want[rc] = (want[rc] ?? 0) - n;
          const cur = seen.get(w.consumer.uuid);
          for (const r of Object.values(cur?.allocations ?? {}))
            for (const [rc, n] of Object.entries(r)) want[rc] = (want[rc] ?? 0) + n;
        }
        for (const rc of Object.keys(want)) if (want[rc] === 0) delete want[rc];
        if (!sameResources(got, want)) driftTenants.add(tenant);
      });
    },
    stopped,
  );
  check("checking tenant usage");
  const recheck = desired.consumers.filter((c) => driftTenants.has(c.tenant) && !writing.has(c.uuid));
  await mapLimit(
    recheck,
    concurrency,
    async (c) => {
      await step(plan(`re-read allocation \`${c.allocation}\``), async () => {
        const a = await client.getConsumerAllocations(c.uuid);
        const rps = Object.keys(a.allocations);
        if (
          a.project_id === c.projectId &&
          rps.length === 1 &&
          rps[0] === c.provider &&
          sameResources(a.allocations[c.provider].resources, c.resources)
        )
          return;
        const w = {
          consumer: c,
          move: rps.length > 0 && !rps.includes(c.provider),
          write: {
            allocations: { [c.provider]: { resources: c.resources } },
            project_id: c.projectId,
            user_id: c.userId,
            consumer_generation: a.consumer_generation,
            consumer_type: CONSUMER_TYPE,
          },
        };
        writes.push(w);
        plan(writeLabel(c));
      });
    },
    stopped,
  );
  check("re-reading allocations");
  // Moves first (they free capacity others may need), then the rest, in name order.
  writes.sort(
    (a, b) => Number(b.move) - Number(a.move) || a.consumer.allocation.localeCompare(b.consumer.allocation),
  );
  const totalAllocationWork = removedConsumers.length + writes.length;
  let allocationsDone = 0;
  progress({ phase: "allocations", done: 0, total: totalAllocationWork });

  /** Writes one batch; on refusal splits it to find the refused consumers, each reported on its own. */
  const writeBatch = async (
    entries: [string, AllocationWrite, string][],
    retryConflict: boolean,
  ): Promise<void> => {
    if (entries.length === 0 || stopped()) return;
    try {
      await client.postAllocations(Object.fromEntries(entries.map(([c, w]) => [c, w])));
      // Placement bumps, once per request, the generation of every provider named in it: targets,
      // and the current providers of consumers whose allocations are emptied.
      const touched = new Set<string>();
      for (const [c, w] of entries) {
        const targets = Object.keys(w.allocations);
        for (const rp of targets.length > 0 ? targets : Object.keys(seen.get(c)?.allocations ?? {}))
          touched.add(rp);
      }
      for (const rp of touched) bumps.set(rp, (bumps.get(rp) ?? 0) + 1);
      for (const [c, , label] of entries) {
        pending.delete(label);
        if (label.startsWith("delete")) report.consumers.deleted.push(c);
        else report.consumers.written.push(/`([^`]+)`/.exec(label)![1]);
      }
      allocationsDone += entries.length;
      progress({ phase: "allocations", done: allocationsDone, total: totalAllocationWork });
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err;
      if (isTransient(err)) {
        fatal ??= err;
        return;
      }
      if (err.kind === "generation-conflict" && retryConflict) {
        // Someone wrote one of these consumers since we read it: re-read their generations once.
        const fresh: [string, AllocationWrite, string][] = [];
        for (const [c, w, label] of entries) {
          const a = await client.getConsumerAllocations(c);
          fresh.push([c, { ...w, consumer_generation: a.consumer_generation }, label]);
        }
        await writeBatch(fresh, false);
        return;
      }
      if (entries.length === 1) {
        const [, , label] = entries[0];
        pending.delete(label);
        failed.push({ what: label, error: err.message });
        return;
      }
      const half = Math.ceil(entries.length / 2);
      await writeBatch(entries.slice(0, half), retryConflict);
      await writeBatch(entries.slice(half), retryConflict);
    }
  };
  const chunks = <T>(xs: T[]): T[][] =>
    Array.from({ length: Math.ceil(xs.length / batchSize) }, (_, i) =>
      xs.slice(i * batchSize, (i + 1) * batchSize),
    );
  await mapLimit(
    chunks(removedConsumers.map((c): [string, AllocationWrite, string] => [c, deletes[c], deleteLabel(c)])),
    2,
    (b) => writeBatch(b, true),
    stopped,
  );
  const writeEntries = writes.map((w): [string, AllocationWrite, string] => [
    w.consumer.uuid,
    w.write,
    writeLabel(w.consumer),
  ]);
  await mapLimit(chunks(writeEntries), 2, (b) => writeBatch(b, true), stopped);
  // A refused write may have waited on capacity another write freed: try the refused ones once more.
  const refused = failed.filter((f) => f.what.startsWith("write allocation"));
  if (refused.length > 0 && !stopped()) {
    const again = writeEntries.filter(([, , label]) => refused.some((f) => f.what === label));
    for (const f of refused) failed.splice(failed.indexOf(f), 1);
    for (const [, , label] of again) pending.set(label, { what: label });
    await mapLimit(again, 1, (e) => writeBatch([e], true), stopped);
  }
  report.consumers.unchanged =
    desired.consumers.length -
    report.consumers.written.length -
    failed.filter((f) => f.what.startsWith("write allocation")).length -
    [...pending.keys()].filter((k) => k.startsWith("write allocation")).length;
  report.consumers.written.sort();
  report.consumers.deleted.sort();
  await mapLimit(
    deferredInventories,
    concurrency,
    async (p) => {
      await step(
        plan(`update inventories of provider \`${p.device}\` (after allocations moved)`),
        async () => {
          const inv = await client.getInventories(p.uuid);
          expected.set(p.uuid, await client.putInventories(p.uuid, inv.generation, p.inventories));
        },
      );
    },
    stopped,
  );
  check("writing allocations");

  // ---- 5. removed devices ----
  const blocked: string[] = [];
  progress({ phase: "delete", done: 0, total: removed.length });
  let deletedCount = 0;
  await mapLimit(
    removed,
    concurrency,
    async (device) => {
      const rec = owned.get(device)!;
      const what = deleteProviderLabel(device);
      await step(what, async () => {
        const allocs = await client.getProviderAllocations(rec.uuid);
        const holders = Object.keys(allocs.allocations).sort();
        if (holders.length > 0) {
          const described = holders.map((c) => {
            const o = owners.get(c);
            return o === undefined
              ? c
              : `${c} (project ${o.projectId}, user ${o.userId}${o.userId === userId ? ", this fleet" : ""})`;
          });
          blocked.push(device);
          throw new Error(
            `device \`${device}\` was removed from the fleet but Placement still has allocations on its provider ${rec.uuid} ` +
              `from consumer(s) ${described.join(", ")}; release them (or keep the device) and sync again`,
          );
        }
        try {
          await client.deleteProvider(rec.uuid);
        } catch (err) {
          if (!(err instanceof PlacementError && err.kind === "not-found")) throw err;
        }
        report.providers.deleted.push(device);
      });
      progress({ phase: "delete", done: ++deletedCount, total: removed.length });
    },
    stopped,
  );
  report.providers.created.sort();
  report.providers.updated.sort();
  report.providers.unchanged =
    desired.providers.length - report.providers.created.length - report.providers.updated.length;
  report.providers.deleted.sort();
  check("deleting removed devices");

  // ---- state for the next sync ----
  const wrote =
    report.providers.created.length +
    report.providers.updated.length +
    report.providers.deleted.length +
    report.consumers.written.length +
    report.consumers.deleted.length +
    deferredInventories.length;
  const after =
    wrote === 0
      ? owned
      : new Map(
          (await client.listProviders()).flatMap((r) => {
            const d = ownedDevice(fleet, r);
            return d === null ? [] : [[d, r] as const];
          }),
        );
  const providers: SyncState["providers"] = {};
  for (const p of desired.providers) {
    const rec = after.get(p.device);
    if (rec === undefined || rec.uuid !== providerUuid(fleet, p.device)) continue;
    if (rec.generation === (expected.get(rec.uuid) ?? -1) + (bumps.get(rec.uuid) ?? 0))
      providers[p.device] = { generation: rec.generation, digest: digests.get(p.device)! };
  }
  return { ...report, state: { version: 1, fleet, providers } };
}
