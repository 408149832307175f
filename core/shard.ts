/**
 * A segment tree over the device slots of one (pool, zone) shard. Each node keeps, per resource
 * class, the most free capacity of any leaf below it, and how many leaves below it can take a new
 * tenant (`open`) or host nothing (`idle`). A query walks left to right and skips every subtree
 * that cannot hold the demand, so finding the lowest-numbered fitting device costs O(K log n) in
 * the common case instead of a scan of the pool.
 *
 * Pruning is conservative (a small tolerance keeps rounding from hiding a device); the caller's
 * `accept` makes the exact Placement check at the leaf.
 */

export type SlotMode = "open" | "idle";

export interface SlotState {
  /** Free capacity per class (`-Infinity` for a class the device lacks or an unhealthy device). */
  free: ArrayLike<number>;
  open: boolean;
  idle: boolean;
}

const TOLERANCE = 1e-9;

export class Shard<T> {
  readonly items: T[];
  private readonly width: number;
  private readonly classes: number;
  private readonly maxFree: Float64Array;
  private readonly open: Int32Array;
  private readonly idle: Int32Array;

  constructor(items: T[], classes: number) {
    this.items = items;
    this.classes = classes;
    let width = 1;
    while (width < Math.max(1, items.length)) width *= 2;
    this.width = width;
    this.maxFree = new Float64Array(2 * width * classes).fill(-Infinity);
    this.open = new Int32Array(2 * width);
    this.idle = new Int32Array(2 * width);
  }

  /** Sets leaf `slot` and, unless `deferred`, refreshes its ancestors (call `rebuild` after deferred sets). */
  set(slot: number, state: SlotState, deferred = false): void {
    const k = this.classes;
    let node = this.width + slot;
    for (let c = 0; c < k; c++) this.maxFree[node * k + c] = state.free[c]!;
    this.open[node] = state.open ? 1 : 0;
    this.idle[node] = state.idle ? 1 : 0;
    if (deferred) return;
    node >>= 1;
    while (node >= 1) {
      this.pull(node);
      node >>= 1;
    }
  }

  /** Recomputes every inner node from the leaves: O(n), for after a batch of deferred sets. */
  rebuild(): void {
    for (let node = this.width - 1; node >= 1; node--) this.pull(node);
  }

  private pull(node: number): void {
    const k = this.classes;
    const l = 2 * node;
    const r = l + 1;
    for (let c = 0; c < k; c++) {
      const a = this.maxFree[l * k + c];
      const b = this.maxFree[r * k + c];
      this.maxFree[node * k + c] = a > b ? a : b;
    }
    this.open[node] = this.open[l] + this.open[r];
    this.idle[node] = this.idle[l] + this.idle[r];
  }

  /**
   * The lowest slot whose subtree passes the capacity and mode filters and whose item `accept`s.
   * `need[c]` is the demanded amount of class c, or `-Infinity` for classes not demanded.
   */
  leftmost(need: ArrayLike<number>, mode: SlotMode, accept: (item: T) => boolean): T | null {
    const counts = mode === "open" ? this.open : this.idle;
    const k = this.classes;
    const maxFree = this.maxFree;
    const width = this.width;
    const items = this.items;
    const visit = (node: number): T | null => {
      if (counts[node] === 0) return null;
      for (let c = 0; c < k; c++) {
        const n = need[c];
        if (n !== -Infinity && maxFree[node * k + c] < n - TOLERANCE * Math.max(1, n)) return null;
      }
      if (node >= width) {
        const item = items[node - width];
        return item !== undefined && accept(item) ? item : null;
      }
      return visit(2 * node) ?? visit(2 * node + 1);
    };
    return visit(1);
  }
}
