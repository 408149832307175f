/**
 * The deciding half of a fleet sync: pure functions from what the fleet should be (`DesiredFleet`)
 * and what Placement was seen to hold to the typed actions that close the difference. Nothing here
 * does I/O; `syncExecute.ts` applies the actions and `sync.ts` strings the phases together.
 *
 * A sync decides in phases because each phase needs what the previous one read: which providers to
 * read (syncState.ts), which unknown consumers to ask about, then, with everything read, which
 * classes, traits, providers, consumers and devices to write or delete.
 */
import type { AllocationWrite, InventoryRecord, ProviderRecord } from "./client";
import {
  allocationWrite,
  sameInventories,
  sameResources,
  sameSet,
  type DesiredConsumer,
  type DesiredFleet,
  type DesiredProvider,
} from "./desired";
import { CONSUMER_TYPE } from "./ids";
import { compareText } from "../../core/order";
import { planUsageChecks } from "./syncVerify";

/** One change (or read) a sync makes; `describeAction` is how errors name it. */
export type SyncAction =
  | { kind: "read-provider"; device: string; record: ProviderRecord }
  | { kind: "read-consumer"; consumer: string }
  | { kind: "create-resource-class"; name: string }
  | { kind: "create-trait"; name: string }
  | { kind: "create-provider"; provider: DesiredProvider }
  | { kind: "update-provider"; provider: DesiredProvider; current: ObservedProvider }
  | { kind: "check-tenant-usage"; tenant: string; projectId: string; want: Record<string, number> }
  | { kind: "re-read-allocation"; consumer: DesiredConsumer }
  /** Empties a removed allocation's consumer; `from` are the providers it held (Placement bumps them). */
  | { kind: "delete-consumer"; consumer: string; write: AllocationWrite; from: string[] }
  /** `move`: the consumer holds allocations elsewhere and none on its target (moves go first). */
  | { kind: "write-allocation"; consumer: DesiredConsumer; write: AllocationWrite; move: boolean }
  /** An inventory change Placement refused while allocations used it, retried after they moved. */
  | { kind: "update-inventories-later"; provider: DesiredProvider }
  | { kind: "delete-provider"; device: string; record: ProviderRecord };

/** The actions of the given kinds. */
export type ActionOf<K extends SyncAction["kind"]> = Extract<SyncAction, { kind: K }>;

/** A bulk `POST /allocations` entry. */
export type AllocationAction = ActionOf<"delete-consumer" | "write-allocation">;

/** How errors and `SyncError.notDone` name an action; also the journal's key (never parsed back). */
export function describeAction(a: SyncAction): string {
  switch (a.kind) {
    case "read-provider":
      return `read provider \`${a.device}\``;
    case "read-consumer":
      return `read consumer ${a.consumer}`;
    case "create-resource-class":
      return `create resource class \`${a.name}\``;
    case "create-trait":
      return `create trait \`${a.name}\``;
    case "create-provider":
      return `create provider \`${a.provider.device}\``;
    case "update-provider":
      return `update provider \`${a.provider.device}\``;
    case "check-tenant-usage":
      return `check usage of tenant \`${a.tenant}\``;
    case "re-read-allocation":
      return `re-read allocation \`${a.consumer.allocation}\``;
    case "delete-consumer":
      return `delete consumer ${a.consumer} (a removed allocation of this fleet)`;
    case "write-allocation":
      return `write allocation \`${a.consumer.allocation}\` on \`${a.consumer.device}\``;
    case "update-inventories-later":
      return `update inventories of provider \`${a.provider.device}\` (after allocations moved)`;
    case "delete-provider":
      return `delete provider \`${a.device}\``;
  }
}

/** One of the fleet's providers as read from Placement. */
export interface ObservedProvider {
  record: ProviderRecord;
  device: string;
  /** The highest generation of the four reads. */
  generation: number;
  inventories: Record<string, InventoryRecord>;
  traits: string[];
  aggregates: string[];
  allocations: Record<string, { resources: Record<string, number>; consumer_generation: number | null }>;
}

/** A consumer seen on read providers: its allocations there (provider uuid -> resources). */
export interface SeenConsumer {
  allocations: Record<string, Record<string, number>>;
  generation: number | null;
}

/** Who wrote a consumer the fleet does not expect (from `GET /allocations/{consumer}`). */
export interface ConsumerOwner {
  projectId: string;
  userId: string;
  generation: number | null;
}

/** Every consumer on the read providers, with its allocations there. */
export function seenConsumers(observed: Iterable<ObservedProvider>): Map<string, SeenConsumer> {
  const seen = new Map<string, SeenConsumer>();
  for (const ps of observed) {
    for (const [consumer, a] of Object.entries(ps.allocations)) {
      const entry = seen.get(consumer) ?? { allocations: {}, generation: a.consumer_generation };
      entry.allocations[ps.record.uuid] = a.resources;
      seen.set(consumer, entry);
    }
  }
  return seen;
}

/** Consumers seen that the fleet does not expect, sorted: removed allocations of this fleet, or foreign. */
export function unknownConsumers(desired: DesiredFleet, seen: ReadonlyMap<string, SeenConsumer>): string[] {
  const expected = new Set(desired.consumers.map((c) => c.uuid));
  return [...seen.keys()].filter((c) => !expected.has(c)).sort(compareText);
}

/** Unknown consumers split by who wrote them: this fleet (`removed`, to delete) or anyone else. */
export function classifyConsumers(
  unknown: readonly string[],
  owners: ReadonlyMap<string, ConsumerOwner>,
  userId: string,
): { removed: string[]; foreign: string[] } {
  return {
    removed: unknown.filter((c) => owners.get(c)?.userId === userId),
    foreign: unknown.filter((c) => owners.get(c)?.userId !== userId),
  };
}

/** Foreign consumers by the device they allocate from, each list sorted. */
export function foreignByDevice(
  foreign: readonly string[],
  seen: ReadonlyMap<string, SeenConsumer>,
  owned: ReadonlyMap<string, ProviderRecord>,
): Record<string, string[]> {
  const deviceOf = new Map([...owned].map(([d, r]) => [r.uuid, d]));
  const out: Record<string, string[]> = {};
  for (const c of foreign) {
    for (const rp of Object.keys(seen.get(c)!.allocations)) (out[deviceOf.get(rp)!] ??= []).push(c);
  }
  for (const d of Object.keys(out)) out[d].sort(compareText);
  return out;
}

/** The `CUSTOM_*` resource classes, then traits, the fleet uses and Placement does not have. */
export function planClassesAndTraits(
  desired: DesiredFleet,
  classes: readonly string[],
  traits: readonly string[],
): ActionOf<"create-resource-class" | "create-trait">[] {
  return [
    ...desired.customResourceClasses
      .filter((name) => !classes.includes(name))
      .map((name) => ({ kind: "create-resource-class" as const, name })),
    ...desired.customTraits
      .filter((name) => !traits.includes(name))
      .map((name) => ({ kind: "create-trait" as const, name })),
  ];
}

/**
 * The bulk allocation work: removed consumers of this fleet emptied, in the given order, then every
 * desired consumer that is not exactly in place, in desired order. A consumer on an unchanged
 * (`clean`) provider that was not seen is in place since the last sync (verified in syncVerify.ts).
 */
export function planAllocations(
  desired: DesiredFleet,
  clean: ReadonlySet<string>,
  seen: ReadonlyMap<string, SeenConsumer>,
  removed: readonly string[],
  owners: ReadonlyMap<string, ConsumerOwner>,
): { deletes: ActionOf<"delete-consumer">[]; writes: ActionOf<"write-allocation">[] } {
  const deletes = removed.map((c): ActionOf<"delete-consumer"> => {
    const o = owners.get(c)!;
    return {
      kind: "delete-consumer",
      consumer: c,
      from: Object.keys(seen.get(c)?.allocations ?? {}),
      write: {
        allocations: {},
        project_id: o.projectId,
        user_id: o.userId,
        consumer_generation: o.generation,
        consumer_type: CONSUMER_TYPE,
      },
    };
  });
  const writes: ActionOf<"write-allocation">[] = [];
  for (const c of desired.consumers) {
    const cur = seen.get(c.uuid);
    if (clean.has(c.device) && cur === undefined) continue; // in place since the last sync
    const rps = Object.keys(cur?.allocations ?? {});
    const inPlace =
      cur !== undefined &&
      rps.length === 1 &&
      rps[0] === c.provider &&
      sameResources(cur.allocations[c.provider], c.resources);
    if (inPlace) continue;
    writes.push({
      kind: "write-allocation",
      consumer: c,
      move: cur !== undefined && !(c.provider in cur.allocations),
      write: allocationWrite(c, cur?.generation ?? null),
    });
  }
  return { deletes, writes };
}

/** Moves first (they free capacity others may need), then the rest, each in allocation name order. */
export function orderWrites<T extends { consumer: DesiredConsumer; move: boolean }>(writes: T[]): T[] {
  return [...writes].sort(
    (a, b) => Number(b.move) - Number(a.move) || compareText(a.consumer.allocation, b.consumer.allocation),
  );
}

/** Providers to create (not read: absent) or update (read, and something differs), in desired order. */
export function planProviders(
  desired: DesiredFleet,
  clean: ReadonlySet<string>,
  observed: ReadonlyMap<string, ObservedProvider>,
): ActionOf<"create-provider" | "update-provider">[] {
  const out: ActionOf<"create-provider" | "update-provider">[] = [];
  for (const p of desired.providers) {
    if (clean.has(p.device)) continue;
    const current = observed.get(p.device);
    if (current === undefined) out.push({ kind: "create-provider", provider: p });
    else if (
      !sameInventories(current.inventories, p.inventories) ||
      !sameSet(current.traits, p.traits) ||
      !sameSet(current.aggregates, p.aggregates)
    )
      out.push({ kind: "update-provider", provider: p, current });
  }
  return out;
}

/** Providers of devices no longer in the fleet, in device (code-unit) order. */
export function planRemovedDevices(
  desired: DesiredFleet,
  owned: ReadonlyMap<string, ProviderRecord>,
): ActionOf<"delete-provider">[] {
  const wanted = new Set(desired.providers.map((p) => p.device));
  return [...owned.keys()]
    .filter((d) => !wanted.has(d))
    .sort(compareText)
    .map((device) => ({ kind: "delete-provider" as const, device, record: owned.get(device)! }));
}

/** Everything a sync decides once Placement has been read, by phase, in execution order. */
export interface SyncPlan {
  classesAndTraits: ActionOf<"create-resource-class" | "create-trait">[];
  providers: ActionOf<"create-provider" | "update-provider">[];
  /** Checks of consumers believed in place (syncVerify.ts), before any allocation is written. */
  usageChecks: ActionOf<"check-tenant-usage">[];
  deletes: ActionOf<"delete-consumer">[];
  /** Not yet in write order (`orderWrites`): repairs found by the usage checks join them first. */
  writes: ActionOf<"write-allocation">[];
  removedDevices: ActionOf<"delete-provider">[];
}

/** What Placement was seen to hold, as the read phase of a sync gathers it. */
export interface Observed {
  /** The fleet's providers by device (ids.ts `ownedDevice`). */
  owned: ReadonlyMap<string, ProviderRecord>;
  /** Devices unchanged since the previous sync (not read). */
  clean: ReadonlySet<string>;
  /** The other providers, read. */
  providers: ReadonlyMap<string, ObservedProvider>;
  seen: ReadonlyMap<string, SeenConsumer>;
  /** Consumers this fleet wrote for allocations no longer desired. */
  removed: readonly string[];
  owners: ReadonlyMap<string, ConsumerOwner>;
  /** Resource classes and `CUSTOM_*` traits Placement has. */
  classes: readonly string[];
  traits: readonly string[];
}

/** The sync's decision: from the desired fleet and what was read to the actions, without I/O. */
export function planSync(desired: DesiredFleet, observed: Observed, verifyAll: boolean): SyncPlan {
  const { clean, seen, removed, owners } = observed;
  const { deletes, writes } = planAllocations(desired, clean, seen, removed, owners);
  return {
    classesAndTraits: planClassesAndTraits(desired, observed.classes, observed.traits),
    providers: planProviders(desired, clean, observed.providers),
    usageChecks: planUsageChecks(desired, { clean, verifyAll, writes, removed, owners, seen }),
    deletes,
    writes,
    removedDevices: planRemovedDevices(desired, observed.owned),
  };
}
