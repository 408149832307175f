/**
 * Observing a provider for the over-commit check, and the writes that act on the rule's answer
 * (overcommit.ts): claims (claim.ts) and syncs (sync.ts) share them.
 */
import type { PlacementClient } from "./client";
import { lostRace } from "./claimPlan";
import { PENDING_CONSUMER_TYPE } from "./ids";
import { capacityOf, judge, type ConsumerInfo, type ProviderView } from "./overcommit";
import { compareText } from "../../core/order";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads a provider's inventories and allocations and, when it is over capacity, the type of each
 * consumer on it (`GET /allocations/{c}`, cached in `seen` by consumer generation, which every write
 * bumps; within capacity the rule keeps every holder whatever its type, and an unknown type is
 * `""`). A consumer that changed between the reads makes the view be read again (up to 5 times).
 */
export async function observeProvider(
  client: PlacementClient,
  provider: string,
  seen: Map<string, ConsumerInfo>,
): Promise<ProviderView> {
  for (let attempt = 1; ; attempt++) {
    const [inv, allocs] = await Promise.all([
      client.getInventories(provider),
      client.getProviderAllocations(provider),
    ]);
    const capacity = capacityOf(inv.inventories);
    const consumers = Object.keys(allocs.allocations).sort(compareText);
    const listed = (c: string): number | null => allocs.allocations[c].consumer_generation;
    const over =
      judge(
        capacity,
        consumers.map((c) => ({
          consumer: c,
          resources: allocs.allocations[c].resources,
          standing: "fixed",
          generation: null,
        })),
      ).exceeded.length > 0;
    const stale = over ? consumers.filter((c) => seen.get(c)?.generation !== listed(c)) : [];
    await Promise.all(
      stale.map(async (c) => {
        const a = await client.getConsumerAllocations(c);
        seen.set(c, {
          generation: a.consumer_generation,
          type: a.consumer_type ?? "",
          projectId: a.project_id ?? "",
          userId: a.user_id ?? "",
        });
      }),
    );
    const known = (c: string): ConsumerInfo | undefined =>
      seen.get(c)?.generation === listed(c) ? seen.get(c) : undefined;
    const holders = consumers.map((c) => ({
      consumer: c,
      resources: allocs.allocations[c].resources,
      type: "",
      projectId: "",
      userId: "",
      ...known(c),
      generation: listed(c),
    }));
    if (!over || consumers.every((c) => known(c) !== undefined) || attempt >= 5) return { capacity, holders };
  }
}

/** Empties a consumer's allocations, guarded by its generation; false when it changed meanwhile. */
export async function undoConsumer(
  client: PlacementClient,
  consumer: string,
  info: ConsumerInfo,
): Promise<boolean> {
  try {
    await client.putAllocations(consumer, {
      allocations: {},
      project_id: info.projectId,
      user_id: info.userId,
      consumer_generation: info.generation,
      consumer_type: info.type === "" ? PENDING_CONSUMER_TYPE : info.type,
    });
    return true;
  } catch (err) {
    if (lostRace(err) && err.kind === "generation-conflict") return false;
    throw err;
  }
}

/**
 * Removes pending claims beyond the capacity (`over`) seen unchanged (same consumer generation) for
 * `staleMs` since `firstSeen` recorded them: their claimers stopped. Answers how many it removed.
 */
export async function reapAbandoned(
  client: PlacementClient,
  view: ProviderView,
  over: readonly string[],
  firstSeen: Map<string, number>,
  staleMs: number,
): Promise<number> {
  const now = Date.now();
  let reaped = 0;
  for (const h of view.holders) {
    if (h.type !== PENDING_CONSUMER_TYPE || !over.includes(h.consumer)) continue;
    const key = `${h.consumer}@${h.generation}`;
    const since = firstSeen.get(key) ?? now;
    firstSeen.set(key, since);
    if (now - since >= staleMs && (await undoConsumer(client, h.consumer, h))) reaped++;
  }
  return reaped;
}

/** A jittered pause between observations of a provider, growing with `round` up to 200 ms. */
export function pause(round: number): Promise<void> {
  return sleep(10 + Math.floor(Math.random() * Math.min(200, 10 * 2 ** Math.min(round, 5))));
}
