/**
 * What one sync remembers for the next (kept in the Ledger's state), and the two pure decisions
 * made with it: which providers are unchanged since the last sync (not read again), and what the
 * next state is once the sync has written.
 */
import type { ProviderRecord } from "./client";
import { providerDigest, type DesiredConsumer, type DesiredFleet } from "./desired";
import { ownedDevice, providerUuid } from "./ids";
import { compareText } from "../../core/order";

/** What a sync remembers for the next one (keep it in the Ledger's state); see `SyncOptions.previous`. */
export interface SyncState {
  version: 1;
  fleet: string;
  /** Per device: its provider's generation after the sync and the digest of what was synced. */
  providers: Record<string, { generation: number; digest: string }>;
}

/** The fleet's providers among `records`, by device (recognised by their uuid, ids.ts `ownedDevice`). */
export function ownedProviders(
  fleet: string,
  records: readonly ProviderRecord[],
): Map<string, ProviderRecord> {
  const owned = new Map<string, ProviderRecord>();
  for (const rec of records) {
    const device = ownedDevice(fleet, rec);
    if (device !== null) owned.set(device, rec);
  }
  return owned;
}

/** Per device, the digest of everything a sync writes about its provider and the consumers on it. */
export function providerDigests(desired: DesiredFleet): Map<string, string> {
  const consumersOn = new Map<string, DesiredConsumer[]>();
  for (const c of desired.consumers) {
    const on = consumersOn.get(c.provider) ?? [];
    on.push(c);
    consumersOn.set(c.provider, on);
  }
  return new Map(desired.providers.map((p) => [p.device, providerDigest(p, consumersOn.get(p.uuid) ?? [])]));
}

/**
 * Owned providers whose generation and desired digest equal the previous state's are `clean`
 * (unchanged since the last sync, not read again); every other one is to read, in device order.
 * A previous state of another fleet counts as none.
 */
export function splitByPrevious(
  fleet: string,
  owned: ReadonlyMap<string, ProviderRecord>,
  digests: ReadonlyMap<string, string>,
  previous: SyncState | undefined,
): { clean: Set<string>; toRead: string[] } {
  const before = previous?.fleet === fleet ? previous.providers : {};
  const clean = new Set<string>();
  const toRead: string[] = [];
  for (const [device, rec] of owned) {
    const prev = before[device];
    if (prev !== undefined && prev.generation === rec.generation && prev.digest === digests.get(device))
      clean.add(device);
    else toRead.push(device);
  }
  return { clean, toRead: toRead.sort(compareText) };
}

/**
 * The state after a sync: a desired device is recorded only when Placement shows its provider at
 * exactly the generation the sync's own writes should have left (`expected`, plus one per bulk
 * allocation request that named it, `bumps`), so a change someone else made meanwhile is re-read
 * next time.
 */
export function nextSyncState(
  fleet: string,
  desired: DesiredFleet,
  after: ReadonlyMap<string, ProviderRecord>,
  generations: { expected: ReadonlyMap<string, number>; bumps: ReadonlyMap<string, number> },
  digests: ReadonlyMap<string, string>,
): SyncState {
  const providers: SyncState["providers"] = {};
  for (const p of desired.providers) {
    const rec = after.get(p.device);
    if (rec === undefined || rec.uuid !== providerUuid(fleet, p.device)) continue;
    const expected = (generations.expected.get(rec.uuid) ?? -1) + (generations.bumps.get(rec.uuid) ?? 0);
    if (rec.generation === expected)
      providers[p.device] = { generation: rec.generation, digest: digests.get(p.device)! };
  }
  return { version: 1, fleet, providers };
}
