/**
 * Verifying consumers believed in place, per tenant: Placement's usage of this fleet's consumers of
 * a tenant (`GET /usages?project_id=&user_id=`) must equal what they should hold. This catches what
 * provider generations do not: Placement does not bump a provider's generation when a consumer is
 * deleted from it or moved away from it, so an unchanged generation does not prove the fleet's
 * consumers are still there, nor that they carry the right project. A tenant that differs has each
 * of its consumers re-read, and those that differ are rewritten.
 *
 * Pure: the executor asks Placement and hands the answers to `usageDrifted` and `rewriteIfDrifted`.
 */
import type { ConsumerAllocations } from "./client";
import { allocationWrite, sameResources, type DesiredConsumer, type DesiredFleet } from "./desired";
import { compareText } from "../../core/order";
import { capacityOf } from "./overcommit";
import type { ActionOf, ConsumerOwner, SeenConsumer } from "./syncPlan";

type WriteAllocation = ActionOf<"write-allocation">;
type CheckTenantUsage = ActionOf<"check-tenant-usage">;

function add(into: Record<string, number>, resources: Record<string, number>, sign = 1): void {
  for (const [rc, n] of Object.entries(resources)) into[rc] = (into[rc] ?? 0) + sign * n;
}

/**
 * One usage check per tenant that has a consumer not being written (on every provider with
 * `verifyAll`, else only on providers read this time), in tenant order. `want` is what Placement
 * should report before this sync's allocation writes: the desired usage, plus what removed
 * consumers of the tenant still hold, minus what pending writes add, plus what they replace.
 */
export function planUsageChecks(
  desired: DesiredFleet,
  context: {
    clean: ReadonlySet<string>;
    verifyAll: boolean;
    writes: readonly WriteAllocation[];
    removed: readonly string[];
    owners: ReadonlyMap<string, ConsumerOwner>;
    seen: ReadonlyMap<string, SeenConsumer>;
  },
): CheckTenantUsage[] {
  const { clean, verifyAll, writes, removed, owners, seen } = context;
  const writing = new Set(writes.map((w) => w.consumer.uuid));
  const tenants = new Set<string>();
  for (const c of desired.consumers) {
    if (!writing.has(c.uuid) && (verifyAll || !clean.has(c.device))) tenants.add(c.tenant);
  }
  return [...tenants].sort(compareText).map((tenant): CheckTenantUsage => {
    const projectId = desired.consumers.find((c) => c.tenant === tenant)!.projectId;
    const want: Record<string, number> = {};
    for (const c of desired.consumers) if (c.tenant === tenant) add(want, c.resources);
    for (const c of removed)
      if (owners.get(c)!.projectId === projectId)
        for (const r of Object.values(seen.get(c)!.allocations)) add(want, r);
    for (const w of writes) {
      if (w.consumer.tenant !== tenant) continue;
      add(want, w.consumer.resources, -1);
      for (const r of Object.values(seen.get(w.consumer.uuid)?.allocations ?? {})) add(want, r);
    }
    for (const rc of Object.keys(want)) if (want[rc] === 0) delete want[rc];
    return { kind: "check-tenant-usage", tenant, projectId, want };
  });
}

/** True when Placement's usages (`GET /usages`, by consumer type) differ from the check's `want`. */
export function usageDrifted(
  check: CheckTenantUsage,
  usages: Record<string, Record<string, number>>,
): boolean {
  const got: Record<string, number> = {};
  for (const byType of Object.values(usages))
    for (const [rc, n] of Object.entries(byType)) if (rc !== "consumer_count") got[rc] = (got[rc] ?? 0) + n;
  return !sameResources(got, check.want);
}

/** Consumers of drifted tenants that are not being written anyway: each is re-read. */
export function planRereads(
  desired: DesiredFleet,
  drifted: ReadonlySet<string>,
  writes: readonly WriteAllocation[],
): ActionOf<"re-read-allocation">[] {
  const writing = new Set(writes.map((w) => w.consumer.uuid));
  return desired.consumers
    .filter((c) => drifted.has(c.tenant) && !writing.has(c.uuid))
    .map((consumer) => ({ kind: "re-read-allocation" as const, consumer }));
}

/** The write that repairs a re-read consumer, or `null` when it holds exactly what it should. */
export function rewriteIfDrifted(c: DesiredConsumer, current: ConsumerAllocations): WriteAllocation | null {
  const rps = Object.keys(current.allocations);
  if (
    current.project_id === c.projectId &&
    rps.length === 1 &&
    rps[0] === c.provider &&
    sameResources(current.allocations[c.provider].resources, c.resources)
  )
    return null;
  return {
    kind: "write-allocation",
    consumer: c,
    move: rps.length > 0 && !rps.includes(c.provider),
    write: allocationWrite(c, current.consumer_generation),
  };
}

/** A provider this sync wrote allocations to, to check for over-commit after the writes (overcommit.ts). */
export interface CapacityCheck {
  provider: string;
  device: string;
  /** Capacity per class of the inventories this sync wanted on it (`capacityOf`): the first, cheap check. */
  capacity: Record<string, number>;
  /** The writes that landed on it, by consumer uuid. */
  writes: Map<string, WriteAllocation>;
}

/**
 * The providers the landed `writes` target, in device order, each with its writes and the capacity
 * its desired inventories give. A usage within that capacity needs no further look (one
 * `GET /usages` per provider); beyond it, the provider is observed in full (overcommit.ts).
 */
export function planCapacityChecks(
  desired: DesiredFleet,
  writes: readonly WriteAllocation[],
  written: ReadonlySet<string>,
): CapacityCheck[] {
  const inventories = new Map(desired.providers.map((p) => [p.uuid, p.inventories]));
  const checks = new Map<string, CapacityCheck>();
  for (const w of writes) {
    if (!written.has(w.consumer.allocation)) continue;
    const check = checks.get(w.consumer.provider) ?? {
      provider: w.consumer.provider,
      device: w.consumer.device,
      capacity: capacityOf(inventories.get(w.consumer.provider) ?? {}),
      writes: new Map<string, WriteAllocation>(),
    };
    check.writes.set(w.consumer.uuid, w);
    checks.set(w.consumer.provider, check);
  }
  return [...checks.values()].sort((a, b) => compareText(a.device, b.device));
}

/**
 * The capacity checks that still need Placement's usage after the writes. A provider this sync
 * created held nothing but this sync's writes, and every write anyone makes bumps its generation;
 * so when its generation is exactly what this sync's own writes made it (`expected` after the
 * provider writes, plus one per bulk request that named it) nobody else allocated on it, and its
 * usage is the sum of this sync's writes on it, known here. Such a provider is skipped when that
 * sum is within capacity; every other one is checked (one `GET .../usages` each). Only when no
 * allocation write of the sync failed (a failed one may have left allocations unaccounted).
 */
export function capacityChecksToRead(
  checks: readonly CapacityCheck[],
  known: {
    created: ReadonlySet<string>;
    /** Generations listed after the writes, by provider uuid. */
    listed: ReadonlyMap<string, number>;
    expected: ReadonlyMap<string, number>;
    bumps: ReadonlyMap<string, number>;
    failedWrites: number;
  },
): CapacityCheck[] {
  if (known.failedWrites > 0) return [...checks];
  return checks.filter((check) => {
    const uuid = check.provider;
    if (!known.created.has(uuid)) return true;
    const own = (known.expected.get(uuid) ?? -1) + (known.bumps.get(uuid) ?? 0);
    if (known.listed.get(uuid) !== own) return true;
    const usage: Record<string, number> = {};
    for (const w of check.writes.values()) add(usage, w.consumer.resources);
    return Object.keys(usage).some((rc) => usage[rc] > (check.capacity[rc] ?? 0));
  });
}
