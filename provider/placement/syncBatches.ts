/**
 * How a sync's bulk allocation writes are cut into `POST /allocations` batches (pure; acted on by
 * syncAllocations.ts).
 *
 * Placement bumps the generation of every provider a bulk write names, as a compare-and-set at the
 * end of the write's transaction (placement/objects/allocation.py `_set_allocations`). Two batches
 * in flight that name one provider in common therefore fight: the later one finds the generation
 * moved, Placement rolls the whole batch back and replays it (up to
 * `allocation_conflict_retry_count`, 10) and then answers 409 `placement.concurrent_update`; under
 * MariaDB's REPEATABLE-READ the failed compare-and-set also keeps the provider's row locked until
 * the batch ends, so the other batch waits or deadlocks. Every replay costs Placement the whole
 * batch again (~5 ms of server CPU per consumer).
 *
 * So the entries are split into lanes whose provider sets are disjoint: providers named together by
 * one entry (a removed consumer held on several) stay in one lane, lanes are balanced by entry
 * count, and each lane's entries, in their given order, are cut into batches of at most
 * `batchSize`, of sizes differing by at most one. Lanes run at once, each one batch after another,
 * so no two batches in flight ever name the same provider.
 */

/** Batches written one after another. */
export type Lane<T> = T[][];

export interface BatchShape {
  /** Entries per batch, at most. */
  batchSize: number;
  /** Lanes (batches in flight at once), at most. */
  lanes: number;
}

/**
 * Splits `entries` into at most `shape.lanes` non-empty lanes whose provider sets (`touched`) are
 * disjoint, each cut into batches of at most `shape.batchSize`; entries that fit in one batch stay
 * one batch. Same input, same output: components
 * go, largest first (then by first appearance), to the least-loaded lane (then the lowest).
 * An entry that touches no provider is a component of its own.
 */
export function shapeBatches<T>(
  entries: readonly T[],
  touched: (entry: T) => readonly string[],
  shape: BatchShape,
): Lane<T>[] {
  if (!(shape.batchSize >= 1) || !(shape.lanes >= 1))
    throw new Error(
      `batch shape: \`batchSize\` (${shape.batchSize}) and \`lanes\` (${shape.lanes}) must be at least 1`,
    );
  const parent = new Map<string, string>();
  const find = (p: string): string => {
    let root = p;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let q = p; q !== root;) {
      const up = parent.get(q)!;
      parent.set(q, root);
      q = up;
    }
    return root;
  };
  const keys = entries.map((e, i) => {
    const ps = touched(e);
    if (ps.length === 0) return `\u0000${i}`; // no provider: not a provider name (ids are uuids)
    for (const p of ps) if (!parent.has(p)) parent.set(p, p);
    for (const p of ps.slice(1)) {
      const a = find(ps[0]);
      const b = find(p);
      if (a !== b) parent.set(b, a);
    }
    return ps[0];
  });
  const component = keys.map((k) => (parent.has(k) ? find(k) : k));

  // Components in first-appearance order with their sizes, then placed largest first.
  const sizes = new Map<string, number>();
  for (const c of component) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const order = [...sizes.keys()];
  const rank = new Map(order.map((c, i) => [c, i]));
  order.sort((a, b) => sizes.get(b)! - sizes.get(a)! || rank.get(a)! - rank.get(b)!);
  // No more lanes than batches are needed: splitting one batch adds a request and saves no work.
  const laneCount = Math.min(shape.lanes, order.length, Math.ceil(entries.length / shape.batchSize));
  const loads = Array.from({ length: laneCount }, () => 0);
  const laneOf = new Map<string, number>();
  for (const c of order) {
    const lane = loads.indexOf(Math.min(...loads));
    laneOf.set(c, lane);
    loads[lane] += sizes.get(c)!;
  }

  const lanes: T[][] = loads.map(() => []);
  entries.forEach((e, i) => lanes[laneOf.get(component[i])!].push(e));
  return lanes.map((lane) => evenBatches(lane, shape.batchSize));
}

/** `xs` in order, cut into the fewest batches of at most `size`; sizes differ by at most one. */
export function evenBatches<T>(xs: readonly T[], size: number): T[][] {
  const count = Math.ceil(xs.length / size);
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = Math.floor(xs.length / count) + (i < xs.length % count ? 1 : 0);
    out.push(xs.slice(at, at + n));
    at += n;
  }
  return out;
}

/**
 * The bulk writes in the order they must be made: removed consumers emptied, then moves (they free
 * capacity the other writes may need), then the other writes; each phase ends before the next
 * starts, and empty phases are left out. `writes` are in write order (syncPlan.ts `orderWrites`).
 */
export function allocationPhases<D, W extends { move: boolean }>(
  deletes: readonly D[],
  writes: readonly W[],
): (D | W)[][] {
  return [[...deletes], writes.filter((w) => w.move), writes.filter((w) => !w.move)].filter(
    (phase) => phase.length > 0,
  );
}
