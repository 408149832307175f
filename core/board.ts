/**
 * The planner's board: devices with what they host, the checks that decide whether a device takes
 * an allocation (Placement's arithmetic, traits, zone, group, tenancy), the moves that put an
 * allocation on a device or take it off, and the search for the best device (`pack`: lowest
 * index; `spread`: least loaded). Searches use one segment tree per (pool, zone) (`shard.ts`).
 */
import { unitViolation } from "./inventory";
import { type Alloc, bt, type Dev, type Pool, Refusal, TOLERANCE } from "./planModel";

export class Board {
  readonly devByName = new Map<string, Dev>();
  /** Devices a spread pool spreads over: what packing its allocations would use. */
  readonly spreadWidths = new Map<Pool, number>();
  /** Devices busy when the spread pools were packed: a new device below the width counts only if packing used it. */
  readonly spreadUsed = new Set<Dev>();
  /** While true, every pool packs (the pre-pass that sizes spread pools). */
  packOnly = false;
  /** While true, device updates skip the segment trees, which are rebuilt once afterwards. */
  deferTrees = false;
  private readonly scratch: number[] = [];

  refresh(dev: Dev): void {
    const free = this.scratch;
    const usable = dev.healthy && !dev.retired && !dev.drained;
    free.length = dev.cap.length;
    for (let i = 0; i < dev.cap.length; i++) {
      free[i] = usable && dev.inv[i] !== undefined ? dev.cap[i] - dev.used[i] : -Infinity;
    }
    const idle = usable && dev.tenants.size === 0;
    const open =
      usable &&
      (dev.pool.tenancy.mode === "dedicated"
        ? dev.tenants.size === 0
        : dev.contexts.size < dev.pool.contextCount);
    dev.shard.set(dev.slot, { free, open, idle }, this.deferTrees);
  }

  // ---- checks ---------------------------------------------------------------------------

  traitsHold(dev: Dev, a: Alloc): boolean {
    for (const t of a.require) if (!dev.traits.has(t)) return false;
    for (const t of a.forbid) if (dev.traits.has(t)) return false;
    for (const set of a.requireAny) if (!set.some((t) => dev.traits.has(t))) return false;
    return true;
  }

  /**
   * The first reason `dev` refuses `a`, or OK. `a` must not be on `dev`. `uniform`: the caller has
   * checked traits and unit rules for the whole pool (`need`), so they are skipped.
   */
  refusal(dev: Dev, a: Alloc, uniform = false): Refusal {
    if (!dev.healthy) return Refusal.Unhealthy;
    if (dev.retired) return Refusal.Retired;
    if (dev.drained) return Refusal.Drained;
    if (!uniform && !this.traitsHold(dev, a)) return Refusal.Traits;
    if (a.zone !== null && dev.zone !== a.zone) return Refusal.Zone;
    if (a.group !== null && dev.groups.has(a.group)) return Refusal.Group;
    if (!dev.tenants.has(a.tenant)) {
      if (dev.pool.tenancy.mode === "dedicated") {
        if (dev.tenants.size > 0) return Refusal.Dedicated;
      } else if (dev.contexts.size >= dev.pool.contextCount) return Refusal.Contexts;
    }
    return this.capacityRefusal(dev, a, uniform);
  }

  private capacityRefusal(dev: Dev, a: Alloc, uniform: boolean): Refusal {
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc);
      const inv = i === undefined ? undefined : dev.inv[i];
      if (inv === undefined) return Refusal.MissingClass;
      if (!uniform && unitViolation(inv, amount) !== null) return Refusal.Units;
      if (dev.cap[i!] < dev.used[i!] + amount) return Refusal.Capacity;
    }
    return Refusal.OK;
  }

  // ---- mutations ------------------------------------------------------------------------

  private lowestFreeContext(dev: Dev): number | null {
    const t = dev.pool.tenancy;
    if (t.mode !== "shared") return null;
    for (let id = t.contexts.first; id <= t.contexts.last; id++) if (!dev.contexts.has(id)) return id;
    return null;
  }

  /** Puts `a` on `dev`; `context` is the id to claim when the tenant is new on the device. */
  assign(a: Alloc, dev: Dev, context: number | null): void {
    let slot = dev.tenants.get(a.tenant);
    if (slot === undefined) {
      const ctx = dev.pool.tenancy.mode === "shared" ? (context ?? this.lowestFreeContext(dev)) : null;
      slot = { context: ctx, count: 0 };
      dev.tenants.set(a.tenant, slot);
      if (ctx !== null) dev.contexts.add(ctx);
      let owned = dev.pool.tenantDevices.get(a.tenant);
      if (owned === undefined) dev.pool.tenantDevices.set(a.tenant, (owned = new Set()));
      owned.add(dev);
    }
    slot.count++;
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc)!;
      dev.used[i] = dev.used[i] + amount;
    }
    if (a.group !== null) dev.groups.set(a.group, (dev.groups.get(a.group) ?? 0) + 1);
    dev.allocs.push(a);
    dev.pool.busy.add(dev);
    a.device = dev;
    a.context = slot.context;
    this.refresh(dev);
  }

  /** Takes `a` off its device, restoring the device exactly. */
  unassign(a: Alloc): void {
    const dev = a.device!;
    const slot = dev.tenants.get(a.tenant)!;
    slot.count--;
    if (slot.count === 0) {
      dev.tenants.delete(a.tenant);
      if (slot.context !== null) dev.contexts.delete(slot.context);
      dev.pool.tenantDevices.get(a.tenant)!.delete(dev);
    }
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc)!;
      dev.used[i] = dev.used[i] - amount;
    }
    if (a.group !== null) {
      const n = dev.groups.get(a.group)! - 1;
      if (n === 0) dev.groups.delete(a.group);
      else dev.groups.set(a.group, n);
    }
    dev.allocs.splice(dev.allocs.indexOf(a), 1);
    if (dev.allocs.length === 0) dev.pool.busy.delete(dev);
    a.device = null;
    a.context = null;
    this.refresh(dev);
  }

  /** The device `a` goes to, or null: the pinned device, else the best of the first tier that has one. */
  choose(a: Alloc): Dev | null {
    if (a.pin !== null) {
      const dev = this.devByName.get(a.pin);
      return dev !== undefined && a.pools.includes(dev.pool) && this.refusal(dev, a) === Refusal.OK
        ? dev
        : null;
    }
    for (const tier of a.tiers) {
      let best: Dev | null = null;
      for (const pool of tier) {
        const dev = this.bestIn(pool, a);
        if (dev === null) continue;
        // A device already busy is preferred to growing a pool; then the pools' order decides.
        if (dev.allocs.length > 0) return dev;
        best ??= dev;
      }
      if (best !== null) return best;
    }
    return null;
  }

  /** Demand as a vector over the pool's classes, or null when the pool lacks a class or a unit rule fails. */
  private need(pool: Pool, a: Alloc): number[] | null {
    const need = new Array<number>(pool.classes.length).fill(-Infinity);
    for (const [rc, amount] of a.demand) {
      const i = pool.classIndex.get(rc);
      if (i === undefined) return null;
      need[i] = amount;
    }
    if (pool.uniform) {
      const first = pool.devices[0];
      if (first === undefined || !this.traitsHold(first, a)) return null;
      for (const [rc, amount] of a.demand) {
        const inv = first.inv[pool.classIndex.get(rc)!];
        if (inv === undefined || unitViolation(inv, amount) !== null) return null;
      }
    }
    return need;
  }

  private bestIn(pool: Pool, a: Alloc): Dev | null {
    const need = this.need(pool, a);
    if (need === null) return null;
    const uniform = pool.uniform;
    const accept = (d: Dev): boolean => this.refusal(d, a, uniform) === Refusal.OK;
    if (pool.strategy === "spread" && !this.packOnly) {
      const dev = this.leastLoaded(pool, a, need, accept);
      if (dev !== null) return dev;
    }
    let best: Dev | null = null;
    const owned = pool.tenantDevices.get(a.tenant);
    if (owned !== undefined) {
      for (const dev of owned) {
        if (
          (best === null || dev.index < best.index) &&
          (a.zone === null || dev.zone === a.zone) &&
          roomFor(dev, need) &&
          accept(dev)
        )
          best = dev;
      }
    }
    const found = this.leftmost(pool, a, need, "open", accept);
    if (found !== null && (best === null || (!isNew(found) && found.index < best.index))) best = found;
    return best;
  }

  /**
   * The lowest-numbered device of the pool (in `a`'s zone) that `accept`s `a`, a device that exists
   * or is busy before a new one: a free number below the highest existing device (a hole a drain or
   * a retired zone left) is taken only when the pool needs a new device, and then it is the lowest.
   */
  private leftmost(
    pool: Pool,
    a: Alloc,
    need: number[],
    mode: "open" | "idle",
    accept: (d: Dev) => boolean,
  ): Dev | null {
    const shards = a.zone === null ? pool.shardList : [pool.shards.get(a.zone)];
    const search = (ok: (d: Dev) => boolean): Dev | null => {
      let best: Dev | null = null;
      for (const shard of shards) {
        const dev = shard?.leftmost(need, mode, ok) ?? null;
        if (dev !== null && (best === null || dev.index < best.index)) best = dev;
      }
      return best;
    };
    if (pool.highestExisting < 0) return search(accept);
    const first = search((d) => !(isNew(d) && d.index < pool.highestExisting) && accept(d));
    return first !== null && !isNew(first) ? first : search(accept);
  }

  /**
   * Spread: the least-loaded device (ties by index) among those packing would use that the
   * tenant may take: its own devices, and devices open to a new tenant (idle ones on dedicated
   * pools, ones with a free context on shared pools).
   */
  private leastLoaded(pool: Pool, a: Alloc, need: number[], accept: (d: Dev) => boolean): Dev | null {
    const width = this.spreadWidths.get(pool) ?? 0;
    let best: Dev | null = null;
    let bestKey = Infinity;
    const consider = (dev: Dev): void => {
      if (dev.index >= width || (a.zone !== null && dev.zone !== a.zone)) return;
      if (isNew(dev) && !this.spreadUsed.has(dev)) return; // a hole packing did not need
      const key = this.load(dev);
      // Ties: a device that exists or is busy before a new one, then the lowest number.
      const better =
        key < bestKey - TOLERANCE ||
        (key <= bestKey + TOLERANCE &&
          best !== null &&
          (Number(isNew(dev)) - Number(isNew(best)) || dev.index - best.index) < 0);
      if (better && accept(dev)) {
        best = dev;
        bestKey = key;
      }
    };
    for (const dev of pool.tenantDevices.get(a.tenant) ?? []) consider(dev);
    if (pool.tenancy.mode === "dedicated") {
      // Idle devices all have load 0: the lowest-numbered fitting one is the best of them.
      const dev = this.leftmost(pool, a, need, "idle", accept);
      if (dev !== null) consider(dev);
    } else {
      for (const dev of pool.devices) {
        if (dev.index >= width) break;
        if (!dev.tenants.has(a.tenant) && dev.contexts.size < pool.contextCount) consider(dev);
      }
    }
    return best;
  }

  /** Dominant share: the most used fraction of any class on the device. */
  private load(dev: Dev): number {
    let share = 0;
    for (let i = 0; i < dev.cap.length; i++) {
      if (dev.inv[i] === undefined) continue;
      const cap = dev.cap[i];
      const s = cap > 0 ? dev.used[i] / cap : 1;
      if (s > share) share = s;
    }
    return share;
  }

  /**
   * A changed allocation that fits on no other device stays on its previous one when moving some of
   * its unchanged neighbours (smallest first) makes room and each of them fits elsewhere; else
   * nothing moves.
   */
  stayByMovingNeighbours(a: Alloc): boolean {
    const dev = this.devByName.get(a.prev!.device);
    if (dev === undefined || !dev.healthy || dev.retired || dev.drained || !a.pools.includes(dev.pool))
      return false;
    const neighbours = dev.allocs
      .filter((n) => !n.changed && n.pin === null)
      .sort((x, y) => x.weight - y.weight || (x.name < y.name ? -1 : 1));
    const evicted: { n: Alloc; context: number | null }[] = [];
    const restore = (): false => {
      for (const { n, context } of evicted) {
        if (n.device !== null) this.unassign(n);
        this.assign(n, dev, context);
      }
      return false;
    };
    for (const n of neighbours) {
      if (this.refusal(dev, a) === Refusal.OK) break;
      evicted.push({ n, context: n.context });
      this.unassign(n);
    }
    if (this.refusal(dev, a) !== Refusal.OK) return restore();
    this.assign(a, dev, a.prev!.tenant === a.tenant ? a.prev!.context : null);
    for (const { n } of evicted) {
      const to = this.choose(n);
      if (to === null) {
        this.unassign(a);
        return restore();
      }
      this.assign(n, to, null);
    }
    const growth = a.demand.find(([rc, amount]) => (a.prev!.demand?.[rc] ?? amount) < amount);
    const what =
      growth !== undefined
        ? `${bt(a.name)} grew from ${a.prev!.demand![growth[0]]} to ${growth[1]} ${growth[0]} on ${bt(dev.name)}`
        : `${bt(a.name)} changed on ${bt(dev.name)}`;
    for (const { n } of evicted) {
      if (n.device !== dev) n.movedFrom = { device: dev.name, reason: `${what} and fits on no other device` };
    }
    a.movedFrom = null;
    return true;
  }
}

/** A device the plan would create: neither recorded in the previous ledger nor given an allocation yet. */
function isNew(dev: Dev): boolean {
  return !dev.existing && dev.allocs.length === 0;
}

/**
 * A cheap first look before the exact check: the device has at least `need` free in every class
 * (`-Infinity` for classes not demanded). Devices a tenant fills are skipped without `refusal`.
 */
function roomFor(dev: Dev, need: number[]): boolean {
  for (let i = 0; i < need.length; i++) if (dev.cap[i] - dev.used[i] < need[i] - TOLERANCE) return false;
  return true;
}
