/**
 * The owner record: which Ledger instance owns fleet `f` in Placement. Pulumi replaces a resource
 * create-then-delete, so a replaced Ledger's delete runs after its replacement synced the same fleet
 * (same provider and consumer uuids); without the record that delete would remove what the new Ledger
 * just wrote, and the next `up`, seeing no diff, would leave Placement empty.
 *
 * The record is one resource provider per fleet: uuid `ownerProviderUuid(f)`, name
 * `ownerProviderName(f)` (`servicevm:owner:<f>`, never a device's name, see ids.ts), no inventory (so
 * never an allocation candidate), no traits, and exactly one aggregate, `ownerAggregate(f, token)`,
 * where `token` is the owning Ledger's random token (its state's `placement.owner`). Placement checks
 * the provider's generation on every aggregate write, so a write is a compare-and-set.
 *
 * - Taking ownership: every create/update, once the sync and the claims succeeded; nothing is written
 *   when the record already names the Ledger (one `GET`).
 * - The delete's check (`ownerVerdict`): the fleet is removed only when the record names this Ledger
 *   (`this`) or nobody (`none`: no owner provider, or one without an aggregate, as for a fleet synced
 *   by a servicevm older than owner records); when it names another Ledger (`other`), nothing is.
 * - `removeFleet` deletes the owner provider last, after the fleet's consumers and providers.
 *
 * Decide, then act: `ownerVerdict` and `planOwnership` are pure; `readOwner`, `takeOwnership` and
 * `deleteOwnerProvider` do the requests.
 *
 * Not guarded: the delete's check and the removal are two steps, so a Ledger taking ownership between
 * them would lose its fleet. Pulumi runs a replacement's create to the end before the delete it
 * replaces, so one stack never does this; two stacks syncing one fleet at once are not supported.
 */
import type { PlacementClient } from "./client";
import { PlacementError } from "./errors";
import { ownerAggregate, ownerProviderName, ownerProviderUuid } from "./ids";

/** The owner provider as Placement holds it. */
export interface OwnerRecord {
  /** The owner provider's generation (for the compare-and-set). */
  generation: number;
  /** Its aggregates: `[ownerAggregate(fleet, token)]` of the owning Ledger. */
  aggregates: string[];
}

/**
 * Whom the record names, as seen by the Ledger holding `token`: `this` Ledger, `none` (no owner
 * provider, or one without an aggregate), or an `other` Ledger. A state without a token (written
 * before owner records) is never `this`: such a Ledger never wrote a record, so any record is another's.
 */
export type OwnerVerdict = "this" | "none" | "other";

export function ownerVerdict(
  fleet: string,
  token: string | undefined,
  record: OwnerRecord | null,
): OwnerVerdict {
  if (record === null || record.aggregates.length === 0) return "none";
  const mine =
    token !== undefined &&
    record.aggregates.length === 1 &&
    record.aggregates[0] === ownerAggregate(fleet, token);
  return mine ? "this" : "other";
}

/** True when a Ledger may remove the fleet from Placement: the record names it, or nobody. */
export function mayRemove(verdict: OwnerVerdict): boolean {
  return verdict !== "other";
}

/** The one step that makes the record name a Ledger. */
export type OwnershipStep =
  | { kind: "keep" }
  | { kind: "create-owner"; uuid: string; name: string; aggregates: string[] }
  | { kind: "set-owner"; uuid: string; generation: number; aggregates: string[] };

/** What to write so that the record names the Ledger holding `token` (pure). */
export function planOwnership(fleet: string, token: string, record: OwnerRecord | null): OwnershipStep {
  if (ownerVerdict(fleet, token, record) === "this") return { kind: "keep" };
  const uuid = ownerProviderUuid(fleet);
  const aggregates = [ownerAggregate(fleet, token)];
  if (record === null) return { kind: "create-owner", uuid, name: ownerProviderName(fleet), aggregates };
  return { kind: "set-owner", uuid, generation: record.generation, aggregates };
}

/** Reads fleet `fleet`'s owner record; `null` when it has no owner provider. One `GET`. */
export async function readOwner(client: PlacementClient, fleet: string): Promise<OwnerRecord | null> {
  try {
    const { generation, aggregates } = await client.getAggregates(ownerProviderUuid(fleet));
    return { generation, aggregates };
  } catch (err) {
    if (err instanceof PlacementError && err.kind === "not-found") return null;
    throw err;
  }
}

/**
 * Makes the record name the Ledger holding `token`: read, decide, write. A write that lost a race
 * (generation conflict, or a create another writer or a lost answer already made) reads and decides
 * again, up to `attempts` times. Returns the step taken last.
 */
export async function takeOwnership(
  client: PlacementClient,
  fleet: string,
  token: string,
  attempts = 3,
): Promise<OwnershipStep["kind"]> {
  for (let attempt = 1; ; attempt++) {
    const step = planOwnership(fleet, token, await readOwner(client, fleet));
    try {
      await applyOwnership(client, step);
      return step.kind;
    } catch (err) {
      const raced =
        err instanceof PlacementError && (err.kind === "generation-conflict" || err.kind === "duplicate");
      if (!raced || attempt >= attempts) throw err;
      if (
        step.kind === "create-owner" &&
        err.kind === "duplicate" &&
        (await client.getProvider(step.uuid)) === null
      )
        throw new Error(
          `the owner provider name \`${step.name}\` of fleet \`${fleet}\` is taken by another provider (not uuid ${step.uuid}); ` +
            `rename or delete that provider`,
          { cause: err },
        );
    }
  }
}

async function applyOwnership(client: PlacementClient, step: OwnershipStep): Promise<void> {
  if (step.kind === "keep") return;
  if (step.kind === "set-owner") {
    await client.putAggregates(step.uuid, step.generation, step.aggregates);
    return;
  }
  const created = await client.createProvider(step.uuid, step.name);
  await client.putAggregates(step.uuid, created.generation, step.aggregates);
}

/** Deletes fleet `fleet`'s owner provider; false when it had none. */
export async function deleteOwnerProvider(client: PlacementClient, fleet: string): Promise<boolean> {
  try {
    await client.deleteProvider(ownerProviderUuid(fleet));
    return true;
  } catch (err) {
    if (err instanceof PlacementError && err.kind === "not-found") return false;
    throw err;
  }
}
