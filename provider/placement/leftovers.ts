/**
 * Consumer records an interrupted allocation write left behind, and how a write gets past them.
 *
 * Placement creates the record of a new consumer in a transaction of its own (handlers/
 * allocation.py `inspect_consumers`), writes the allocations in a second one, and deletes the
 * record again when the second fails. A worker that dies between the two (killed, crashed) leaves
 * the record behind at generation 0 with no allocations. `GET /allocations/{c}` shows that
 * consumer as absent (no allocations, no `consumer_generation`), yet from microversion 1.28 every
 * write calling it absent (`consumer_generation: null`) is refused ("consumer generation conflict -
 * expected 0 but got None"): re-reading never finds the generation, and the consumer could never be
 * written again. Found by killing a uwsgi worker in a bulk write (test/production/faults.test.ts).
 *
 * A record without allocations is always at generation 0: a consumer's generation moves only in
 * the transaction that writes its allocations, and a consumer left without any is deleted in that
 * same transaction. So when a write is refused because a consumer is at generation 0 and not
 * absent (`isLeftoverConflict`), the consumers it wrote as new that `GET` shows without allocations
 * are asked whether a record exists: an empty write at
 * generation 0 is accepted for a leftover record (and changes nothing) and refused for a consumer
 * that does not exist (the records of one write are created one by one, so a write killed among
 * them leaves some). The write is sent once more, with generation 0 for the leftovers.
 */
import type { AllocationWrite, PlacementClient } from "./client";
import { mapLimit } from "./desired";
import { PlacementError, isLeftoverConflict } from "./errors";

type Writes = Record<string, AllocationWrite>;

/** Runs `write(writes)`; after a conflict on a leftover record, once more over the leftovers (see the file comment). */
export async function writeOverLeftovers(
  client: PlacementClient,
  writes: Writes,
  write: (writes: Writes) => Promise<void>,
): Promise<void> {
  try {
    await write(writes);
  } catch (err) {
    if (!isLeftoverConflict(err)) throw err;
    const leftovers = await findLeftovers(client, writes);
    if (leftovers.length === 0) throw err;
    const again = { ...writes };
    for (const c of leftovers) again[c] = { ...writes[c], consumer_generation: 0 };
    await write(again);
  }
}

/** The consumers `writes` creates (generation `null`) that have a record and no allocations. */
async function findLeftovers(client: PlacementClient, writes: Writes): Promise<string[]> {
  const empty: string[] = [];
  await mapLimit(
    Object.keys(writes).filter((c) => writes[c].consumer_generation === null),
    4,
    async (c) => {
      const current = await client.getConsumerAllocations(c);
      if (Object.keys(current.allocations).length === 0) empty.push(c);
    },
  );
  empty.sort();
  if (empty.length === 0) return [];
  if (await recordsExist(client, writes, empty)) return empty;
  // Some do not exist (a worker killed while creating the records one by one): ask each.
  const leftovers: string[] = [];
  await mapLimit(empty, 4, async (c) => {
    if (await recordsExist(client, writes, [c])) leftovers.push(c);
  });
  return leftovers.sort();
}

/** An empty write at generation 0 to `consumers`: accepted when each has a record, refused when one has none. */
async function recordsExist(client: PlacementClient, writes: Writes, consumers: string[]): Promise<boolean> {
  const probe: Writes = {};
  for (const c of consumers) probe[c] = { ...writes[c], allocations: {}, consumer_generation: 0 };
  try {
    await client.request("POST", "/allocations", { body: probe, idempotent: true });
    return true;
  } catch (err) {
    if (err instanceof PlacementError && err.kind === "generation-conflict") return false;
    throw err;
  }
}
