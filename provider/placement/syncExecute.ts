/**
 * The acting half of a fleet sync: each function applies one phase's actions (syncPlan.ts) to
 * Placement with bounded concurrency, through the run's journal, so a sync that stops can name
 * every change not made. The bulk allocation writes are in syncAllocations.ts.
 */
import type { PlacementClient } from "./client";
import { mapLimit, sameInventories, sameSet, type DesiredProvider } from "./desired";
import { PlacementError } from "./errors";
import { compareText } from "../../core/order";
import type { SyncJournal, PartialSyncReport, SyncProgress } from "./syncReport";
import type { ActionOf, ConsumerOwner, ObservedProvider, SyncAction } from "./syncPlan";
import { rewriteIfDrifted, usageDrifted } from "./syncVerify";

/** Everything the executor shares across phases. */
export interface SyncRun {
  client: PlacementClient;
  fleet: string;
  /** This fleet's `user_id` (ids.ts `fleetUserId`). */
  userId: string;
  concurrency: number;
  batchSize: number;
  progress: (progress: SyncProgress) => void;
  journal: SyncJournal;
  report: PartialSyncReport;
  /** Provider uuid -> the generation it should have after this sync's own provider writes. */
  expected: Map<string, number>;
  /** Provider uuid -> bulk allocation requests that named it (Placement bumps it once per request). */
  bumps: Map<string, number>;
  /** Providers this sync created (not found existing): nothing but this sync's writes was on them. */
  created: Set<string>;
}

/** Reads each provider's inventories, traits, aggregates and allocations (four requests at once). */
export async function readProviders(
  run: SyncRun,
  reads: readonly ActionOf<"read-provider">[],
): Promise<Map<string, ObservedProvider>> {
  const { client, journal } = run;
  const observed = new Map<string, ObservedProvider>();
  let done = 0;
  run.progress({ phase: "read", done: 0, total: reads.length });
  await mapLimit(
    reads,
    run.concurrency,
    async (action) => {
      const { record, device } = action;
      journal.plan(action);
      await journal.run(action, async () => {
        const [inv, traits, aggs, allocs] = await Promise.all([
          client.getInventories(record.uuid),
          client.getTraits(record.uuid),
          client.getAggregates(record.uuid),
          client.getProviderAllocations(record.uuid),
        ]);
        observed.set(device, {
          record,
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
      run.progress({ phase: "read", done: ++done, total: reads.length });
    },
    () => journal.stopped(),
  );
  return observed;
}

/** Asks Placement who wrote each consumer (`GET /allocations/{consumer}`). */
export async function readConsumers(
  run: SyncRun,
  reads: readonly ActionOf<"read-consumer">[],
): Promise<Map<string, ConsumerOwner>> {
  const owners = new Map<string, ConsumerOwner>();
  await mapLimit(
    reads,
    run.concurrency,
    async (action) => {
      run.journal.plan(action);
      await run.journal.run(action, async () => {
        const a = await run.client.getConsumerAllocations(action.consumer);
        owners.set(action.consumer, {
          projectId: a.project_id ?? "",
          userId: a.user_id ?? "",
          generation: a.consumer_generation,
        });
      });
    },
    () => run.journal.stopped(),
  );
  return owners;
}

/**
 * Creates the missing `CUSTOM_*` resource classes and traits one at a time, each checked by a read.
 * Placement numbers a new custom resource class max(id) + 1, so two created at once (by this sync
 * or by another) collide on MySQL; the loser's duplicate-key error is taken for "already exists" and
 * answered 204 with nothing created. Sequential creation avoids the collision within one sync; the
 * read catches one with another client, and the class is asked for again (up to 5 times).
 */
export async function createClassesAndTraits(
  run: SyncRun,
  actions: readonly ActionOf<"create-resource-class" | "create-trait">[],
): Promise<void> {
  run.progress({ phase: "classes", done: 0, total: actions.length });
  let done = 0;
  for (const action of actions) run.journal.plan(action);
  for (const action of actions) {
    if (run.journal.stopped()) break;
    await run.journal.run(action, () => createChecked(run.client, action));
    run.progress({ phase: "classes", done: ++done, total: actions.length });
  }
}

const CREATE_ATTEMPTS = 5;

async function createChecked(
  client: PlacementClient,
  action: ActionOf<"create-resource-class" | "create-trait">,
): Promise<void> {
  const isClass = action.kind === "create-resource-class";
  for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
    await (isClass ? client.ensureResourceClass(action.name) : client.ensureTrait(action.name));
    if (await (isClass ? client.hasResourceClass(action.name) : client.hasTrait(action.name))) return;
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
  const what = isClass ? "resource class" : "trait";
  const path = isClass ? `/resource_classes/${action.name}` : `/traits/${action.name}`;
  throw new Error(
    `${what} \`${action.name}\` was not created: Placement answered PUT ${path} ${CREATE_ATTEMPTS} times as done, ` +
      `but GET ${path} still answers 404 (concurrent creations of custom ${what}s lose each other on MySQL); ` +
      `re-run the sync, or create it once with \`openstack ${isClass ? "resource class" : "trait"} create ${action.name}\``,
  );
}

/**
 * Creates and updates providers (their actions already planned in the journal). Returns the
 * inventory changes Placement refused while allocations still used them, to retry after the
 * allocations moved (`updateInventoriesLater`).
 */
export async function writeProviders(
  run: SyncRun,
  actions: readonly ActionOf<"create-provider" | "update-provider">[],
): Promise<DesiredProvider[]> {
  const deferred: DesiredProvider[] = [];
  let done = 0;
  run.progress({ phase: "providers", done: 0, total: actions.length });
  await mapLimit(
    actions,
    run.concurrency,
    async (action) => {
      await run.journal.run(action, async () => {
        if (action.kind === "create-provider") {
          await createProvider(run, action.provider, deferred);
          run.report.providers.created.push(action.provider.device);
        } else {
          await updateProvider(run, action, deferred);
          run.report.providers.updated.push(action.provider.device);
        }
      });
      run.progress({ phase: "providers", done: ++done, total: actions.length });
    },
    () => run.journal.stopped(),
  );
  return deferred;
}

/**
 * Creates a provider and writes its inventories, traits and aggregates. When it already exists (a
 * create whose answer was lost and retried, or another sync of the same fleet creating it at the
 * same time) or someone writes it between the create and the writes (a generation conflict), it is
 * read and brought to the desired state as an update, so two syncs racing both end with it right.
 */
async function createProvider(run: SyncRun, p: DesiredProvider, deferred: DesiredProvider[]): Promise<void> {
  const { client } = run;
  try {
    let gen = (await client.createProvider(p.uuid, p.name)).generation;
    gen = await client.putInventories(p.uuid, gen, p.inventories);
    if (p.traits.length > 0) gen = await client.putTraits(p.uuid, gen, p.traits);
    run.expected.set(p.uuid, await client.putAggregates(p.uuid, gen, p.aggregates));
    run.created.add(p.uuid);
    return;
  } catch (err) {
    if (!(err instanceof PlacementError && (err.kind === "duplicate" || err.kind === "generation-conflict")))
      throw err;
  }
  const record = await client.getProvider(p.uuid);
  if (record === null)
    throw new Error(
      `provider name \`${p.name}\` is taken by another provider (not uuid ${p.uuid}); rename or delete it`,
    );
  const [inv, traits, aggs] = await Promise.all([
    client.getInventories(p.uuid),
    client.getTraits(p.uuid),
    client.getAggregates(p.uuid),
  ]);
  const current: ObservedProvider = {
    record,
    device: p.device,
    generation: Math.max(record.generation, inv.generation, traits.generation, aggs.generation),
    inventories: inv.inventories,
    traits: traits.traits,
    aggregates: aggs.aggregates,
    allocations: {},
  };
  await updateProvider(run, { kind: "update-provider", provider: p, current }, deferred);
}

/**
 * Writes what differs: traits, aggregates, inventories. Someone else may change the provider
 * between the read and the write (generation conflict): what differs is re-read and written again,
 * at most three times. Inventories refused as in use are added to `deferred`.
 */
async function updateProvider(
  run: SyncRun,
  action: ActionOf<"update-provider">,
  deferred: DesiredProvider[],
): Promise<void> {
  const { client } = run;
  const p = action.provider;
  const current = { ...action.current };
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
          deferred.push(p);
        }
      }
      break;
    } catch (err) {
      if (!(err instanceof PlacementError && err.kind === "generation-conflict") || attempt >= 3) throw err;
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
  run.expected.set(p.uuid, gen);
}

/** Runs the per-tenant usage checks (syncVerify.ts); returns the tenants whose usage differs. */
export async function checkTenantUsage(
  run: SyncRun,
  checks: readonly ActionOf<"check-tenant-usage">[],
): Promise<Set<string>> {
  const drifted = new Set<string>();
  await mapLimit(
    checks,
    run.concurrency,
    async (check) => {
      run.journal.plan(check);
      await run.journal.run(check, async () => {
        if (usageDrifted(check, await run.client.usages(check.projectId, run.userId)))
          drifted.add(check.tenant);
      });
    },
    () => run.journal.stopped(),
  );
  return drifted;
}

/** Re-reads consumers of drifted tenants; returns (and plans) the writes that repair them. */
export async function rereadAllocations(
  run: SyncRun,
  rereads: readonly ActionOf<"re-read-allocation">[],
): Promise<ActionOf<"write-allocation">[]> {
  const repairs: ActionOf<"write-allocation">[] = [];
  await mapLimit(
    rereads,
    run.concurrency,
    async (action) => {
      run.journal.plan(action);
      await run.journal.run(action, async () => {
        const repair = rewriteIfDrifted(
          action.consumer,
          await run.client.getConsumerAllocations(action.consumer.uuid),
        );
        if (repair === null) return;
        repairs.push(repair);
        run.journal.plan(repair);
      });
    },
    () => run.journal.stopped(),
  );
  return repairs;
}

/** Writes the inventories `writeProviders` deferred, over a fresh generation. */
export async function updateInventoriesLater(
  run: SyncRun,
  providers: readonly DesiredProvider[],
): Promise<void> {
  await mapLimit(
    providers,
    run.concurrency,
    async (provider) => {
      const action: SyncAction = { kind: "update-inventories-later", provider };
      run.journal.plan(action);
      await run.journal.run(action, async () => {
        const inv = await run.client.getInventories(provider.uuid);
        run.expected.set(
          provider.uuid,
          await run.client.putInventories(provider.uuid, inv.generation, provider.inventories),
        );
      });
    },
    () => run.journal.stopped(),
  );
}

/**
 * Deletes the providers of removed devices (already planned), unless something still allocates from
 * them: that fails the action, naming the consumers; no allocation is ever dropped silently.
 */
export async function deleteProviders(
  run: SyncRun,
  actions: readonly ActionOf<"delete-provider">[],
  owners: ReadonlyMap<string, ConsumerOwner>,
): Promise<void> {
  let done = 0;
  run.progress({ phase: "delete", done: 0, total: actions.length });
  await mapLimit(
    actions,
    run.concurrency,
    async (action) => {
      const { device, record } = action;
      await run.journal.run(action, async () => {
        const allocs = await run.client.getProviderAllocations(record.uuid);
        const holders = Object.keys(allocs.allocations).sort(compareText);
        if (holders.length > 0) {
          const described = holders.map((c) => {
            const o = owners.get(c);
            return o === undefined
              ? c
              : `${c} (project ${o.projectId}, user ${o.userId}${o.userId === run.userId ? ", this fleet" : ""})`;
          });
          throw new Error(
            `device \`${device}\` was removed from the fleet but Placement still has allocations on its provider ${record.uuid} ` +
              `from consumer(s) ${described.join(", ")}; release them (or keep the device) and sync again`,
          );
        }
        try {
          await run.client.deleteProvider(record.uuid);
        } catch (err) {
          if (!(err instanceof PlacementError && err.kind === "not-found")) throw err;
        }
        run.report.providers.deleted.push(device);
      });
      run.progress({ phase: "delete", done: ++done, total: actions.length });
    },
    () => run.journal.stopped(),
  );
}
