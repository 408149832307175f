/**
 * The planner: previous ledger + spec -> next ledger + changes (DESIGN §3). Pure and
 * deterministic: it decides and never acts, and the same input gives byte-identical output.
 *
 * Order of work:
 *  1. validate the spec (collected errors end the plan early);
 *  2. build every pool's devices: recorded ones keep their zone, free slots up to `max` or `size`
 *     go to the least-populated zones (`planPools.ts`);
 *  3. keep previous placements that still fit and whose constraints hold (stickiness): first the
 *     allocations whose own spec is unchanged, then the changed ones, so when co-located
 *     allocations no longer fit together the changed one moves, with a reason naming the cause;
 *  4. place new and moved allocations, pinned ones first, then largest demand first, ties by
 *     name, each pool by its strategy (`board.ts`); a changed allocation that fits nowhere else
 *     may stay where it was by moving unchanged neighbours that fit elsewhere;
 *  5. size pools (`planPools.ts`) and account for every difference (`changes.ts`).
 */
import { Board } from "./board";
import { compareNatural } from "./order";
import { account } from "./changes";
import { deviceResult, failed, sortKeys } from "./planResult";
import { unplaceable } from "./explain";
import { EMPTY_LEDGER, upgradeLedger } from "./ledger";
import { drainedDevices, isExternalPool } from "./model";
import { type Alloc, bt, type Dev, type Pool, Refusal } from "./planModel";
import { breakerOf, buildPool, sizePool } from "./planPools";
import { buildAllocs } from "./planAllocs";
import { consolidate, evenOut } from "./rebalance";
import { poolSource, templateSource } from "./sources";
import type {
  ClaimTarget,
  DeviceResult,
  FleetSpec,
  Isolation,
  Ledger,
  LedgerPlacement,
  PlacementResult,
  PlanError,
  PlanOptions,
  PlanResult,
  PoolResult,
} from "./types";
import { checkFleetSpec } from "./specCheck";
import { describeRefusal } from "./explain";

export { EMPTY_LEDGER };

/**
 * Plans `spec` (DESIGN §3). The spec is checked first, schema and semantic rules, as the planner's
 * view (`core/specCheck.ts`); a CheckedSpec (from the loader, the Fleet) is not checked again, and
 * the caller's own object is checked every time (it may have changed since).
 */
export function plan(spec: FleetSpec, opts: PlanOptions = {}): PlanResult {
  const checked = checkFleetSpec(spec, { remember: false, view: "plan" });
  if (!checked.ok) return failed(checked.errors, upgradeLedger(opts.previous ?? EMPTY_LEDGER, spec), spec);
  const planner = new Planner(checked.spec, opts);
  const result = planner.run();
  // A breaker is decided on a base the plan cannot move: when the devices the pool has after this
  // plan (the next plan's base) decide otherwise, plan again with that decision, so the next plan
  // with the same inputs decides alike (growing for a move that must happen can release it).
  if (planner.breakersAfter.size === 0) return result;
  return new Planner(checked.spec, opts, planner.breakersAfter).run();
}

/** The allocation's demand grew in some class since the previous ledger (a new class counts). */
function grew(a: Alloc): boolean {
  const before = a.prev?.demand;
  if (before === undefined) return false;
  return a.demand.some(([rc, amount]) => amount > (before[rc] ?? 0));
}

class Planner {
  private readonly pools = new Map<string, Pool>();
  /** Pools other fleets own: no devices here; allocations only they can take are claims. */
  private readonly externals = new Map<string, ClaimTarget>();
  private readonly sources = new Map<string, Record<string, string | null>>();
  private readonly allocs: Alloc[] = [];
  private readonly errors: PlanError[] = [];
  private readonly refCap = new Map<string, number>();
  private readonly board = new Board();
  private readonly previous: Ledger;
  /** Allocations on retired or drained devices: they leave when another device takes them. */
  private readonly leavers: { a: Alloc; reason: string }[] = [];
  /** Moves not made in this plan (no room, a pin, the budget, the breaker): `defer` changes. */
  private readonly deferred: { allocation: string; device: string; reason: string }[] = [];
  /** Devices to drain (`drain`), name -> remove once idle. */
  private readonly drained: Map<string, boolean>;

  /** Pools whose breaker the devices after this plan decide otherwise: pool -> why it holds, or null. */
  readonly breakersAfter = new Map<string, string | null>();

  constructor(
    private readonly spec: FleetSpec,
    private readonly opts: PlanOptions,
    /** Breaker decisions taken from a first pass (pool -> why it holds, or null: it evacuates). */
    private readonly breakers: ReadonlyMap<string, string | null> = new Map(),
  ) {
    for (const name of Object.keys(spec.pools).sort()) {
      const pool = spec.pools[name];
      if (isExternalPool(pool)) continue;
      const template = spec.templates[pool.template];
      if (template.driver === "physical" || pool.devices !== undefined) continue;
      const fromCaller = opts.sources?.[pool.template];
      this.sources.set(name, poolSource(pool, template, fromCaller ?? templateSource(template)));
    }
    this.previous = upgradeLedger(opts.previous ?? EMPTY_LEDGER, spec, this.sources);
    this.drained = drainedDevices(spec);
  }

  run(): PlanResult {
    this.buildPools();
    for (const [name, breaker] of this.breakers) this.pools.get(name)!.breaker = breaker;
    this.checkDrain();
    this.allocs.push(...buildAllocs(this.spec, this.previous, this.pools, this.externals, this.refCap));
    this.board.deferTrees = true;
    const queue = this.keepSticky();
    this.board.deferTrees = false;
    for (const pool of this.pools.values()) for (const shard of pool.shardList) shard.rebuild();
    // Pinned allocations first (they have one option), then largest demand first; the sort is
    // stable and the allocations are in name order, so ties stay by name.
    queue.sort((a, b) => Number(b.pin !== null) - Number(a.pin !== null) || b.weight - a.weight);
    this.sizeSpreadPools(queue);
    for (const a of queue) this.placeNew(a);
    for (const { a, reason } of this.urgentFirst(this.leavers)) this.leave(a, reason);
    for (const pool of this.pools.values()) {
      if ((pool.spec.rebalance ?? 0) <= 0 || pool.declared) continue;
      if (pool.strategy === "pack") consolidate(this.board, pool);
      else evenOut(this.board, pool);
    }
    return this.result();
  }

  /**
   * A spread pool has the size packing would give it: pack the queued allocations that may land
   * in spread pools, note how many devices each spread pool used, and take them back out.
   */
  private sizeSpreadPools(queue: Alloc[]): void {
    const spread = [...this.pools.values()].filter((p) => p.strategy === "spread");
    if (spread.length === 0) return;
    const movers = queue.filter((a) => a.pools.some((p) => p.strategy === "spread"));
    this.board.packOnly = true;
    for (const a of movers) {
      const dev = this.board.choose(a);
      if (dev !== null) this.board.assign(a, dev, null);
    }
    for (const pool of spread) {
      let highest = -1;
      for (const dev of pool.busy) if (dev.index > highest) highest = dev.index;
      this.board.spreadWidths.set(pool, highest + 1);
      for (const dev of pool.busy) this.board.spreadUsed.add(dev);
    }
    for (let i = movers.length - 1; i >= 0; i--)
      if (movers[i].device !== null) this.board.unassign(movers[i]);
    this.board.packOnly = false;
  }

  private buildPools(): void {
    for (const name of Object.keys(this.spec.pools).sort()) {
      const spec = this.spec.pools[name];
      if (isExternalPool(spec)) {
        this.externals.set(name, { fleet: spec.external.fleet, pool: spec.external.pool ?? name });
        continue;
      }
      const pool = buildPool(
        this.spec,
        name,
        this.previous.pools[name],
        this.opts.health ?? {},
        this.refCap,
        this.drained,
      );
      for (const dev of pool.devices) {
        this.board.devByName.set(dev.name, dev);
        this.board.refresh(dev);
      }
      this.pools.set(name, pool);
    }
  }

  /**
   * A created device in `drain` must exist (a typo would drain nothing); one drained with
   * `remove: true` may be gone already: it was removed once empty.
   */
  private checkDrain(): void {
    (this.spec.drain ?? []).forEach((entry, i) => {
      const name = typeof entry === "string" ? entry : entry.device;
      if (this.drained.get(name) === true || this.board.devByName.has(name)) return;
      const pool = [...this.pools.values()].find((p) => !p.declared && name.startsWith(`${p.name}-`));
      if (pool === undefined) return; // validation names the unknown ones
      const existing = Object.keys(pool.previous).sort(compareNatural);
      this.errors.push({
        path: `drain[${i}]`,
        message:
          `pool ${bt(pool.name)} has no device ${bt(name)} to drain ` +
          `(${existing.length === 0 ? "it has no devices yet" : `its devices: ${existing.map((d) => bt(d)).join(", ")}`}): ` +
          `remove it from \`drain\``,
      });
    });
  }

  /**
   * Leavers in the order their moves are made within a disruption budget: devices with the fewest
   * allocations first (their drain completes soonest), then by device and allocation name.
   */
  private urgentFirst(leavers: { a: Alloc; reason: string }[]): { a: Alloc; reason: string }[] {
    const load = (x: { a: Alloc }): number => x.a.device!.allocs.length;
    return [...leavers].sort(
      (x, y) =>
        load(x) - load(y) ||
        (x.a.device!.name < y.a.device!.name ? -1 : x.a.device!.name > y.a.device!.name ? 1 : 0) ||
        (x.a.name < y.a.name ? -1 : x.a.name > y.a.name ? 1 : 0),
    );
  }

  // ---- stickiness -----------------------------------------------------------------------

  /** Keeps what may stay, unchanged allocations first; returns the allocations still to place. */
  private keepSticky(): Alloc[] {
    const queue: Alloc[] = [];
    const kept: Alloc[] = [];
    const placed = this.allocs.filter((a) => a.claim === null);
    // Unchanged allocations claim their room first, then changed ones that grew in no class, then
    // those that grew: when co-located allocations no longer fit together, one that grew moves.
    const order = [
      ...placed.filter((x) => !x.changed),
      ...placed.filter((x) => x.changed && !grew(x)),
      ...placed.filter((x) => x.changed && grew(x)),
    ];
    for (const a of order) {
      const prev = a.prev;
      if (prev === undefined) {
        queue.push(a);
        continue;
      }
      const dev = this.board.devByName.get(prev.device);
      const reason = this.stayRefusal(a, prev, dev);
      if (reason !== null) {
        a.movedFrom = { device: prev.device, reason };
        queue.push(a);
        continue;
      }
      // Claim the previous context when it is still this tenant's and in range; else lowest free.
      this.board.assign(a, dev!, this.previousContext(dev!, a, prev));
      kept.push(a);
      // On an unhealthy device the circuit breaker holds, the breaker alone decides (one defer);
      // off a healthy retired or drained device the allocation leaves when it can.
      if (!dev!.healthy && dev!.pool.breaker !== null)
        this.deferred.push({ allocation: a.name, device: dev!.name, reason: dev!.pool.breaker });
      else if (dev!.retired) this.leavers.push({ a, reason: describeRefusal(dev!, a, Refusal.Retired) });
      else if (dev!.drained) this.leavers.push({ a, reason: describeRefusal(dev!, a, Refusal.Drained) });
    }
    // A tenant that had to take a new context on a shared device where none is left cannot stay.
    for (const a of kept) {
      if (a.device !== null && a.device.pool.tenancy.mode === "shared" && a.context === null) {
        const from = a.device.name;
        this.board.unassign(a);
        a.movedFrom = { device: from, reason: `no free isolation context on ${bt(from)}` };
        queue.push(a);
      }
    }
    return queue;
  }

  private previousContext(dev: Dev, a: Alloc, prev: LedgerPlacement): number | null {
    const t = dev.pool.tenancy;
    if (t.mode !== "shared" || dev.tenants.has(a.tenant)) return null;
    const id = prev.context;
    if (
      prev.tenant === a.tenant &&
      id !== null &&
      id >= t.contexts.first &&
      id <= t.contexts.last &&
      !dev.contexts.has(id)
    ) {
      return id;
    }
    return this.reservedContextFree(dev);
  }

  /** Lowest free context that no previous placement on the device still claims. */
  private reservedContextFree(dev: Dev): number | null {
    const t = dev.pool.tenancy;
    if (t.mode !== "shared") return null;
    const claimed = new Set<number>();
    for (const [name, p] of Object.entries(this.previous.placements)) {
      if (p.device === dev.name && p.context !== null && this.spec.allocations?.[name]?.tenant === p.tenant) {
        claimed.add(p.context);
      }
    }
    for (let id = t.contexts.first; id <= t.contexts.last; id++) {
      if (!dev.contexts.has(id) && !claimed.has(id)) return id;
    }
    return null;
  }

  /**
   * Why `a` may not stay where the previous ledger put it, or null when it stays. The device is
   * judged as if it took new work: a drained or retired device, or one the circuit breaker holds,
   * keeps only what still fits on it by every rule (capacity, units, traits...), so a move that
   * must happen is never left to the discretionary moves off such devices, which may be deferred.
   */
  private stayRefusal(a: Alloc, prev: LedgerPlacement, dev: Dev | undefined): string | null {
    if (dev === undefined) return `device ${bt(prev.device)} removed`;
    // A tripped circuit breaker keeps allocations on unhealthy devices (reported as deferred).
    const held = !dev.healthy && dev.pool.breaker !== null;
    if (!dev.healthy && !held) return "device unhealthy";
    if (!a.pools.includes(dev.pool))
      return `pool ${bt(dev.pool.name)} is no longer eligible for the allocation`;
    if (a.pin !== null && a.pin !== dev.name) return `pinned to ${bt(a.pin)}`;
    const r = this.refusalInPlace(dev, a);
    // Contexts are settled after every stayer has claimed its own.
    if (r === Refusal.Contexts || r === Refusal.OK) return null;
    return describeRefusal(dev, a, r);
  }

  /**
   * The board's refusal of `dev` for `a` as if the device were open to new work: healthy (a device
   * the circuit breaker holds), neither drained nor retired. What it still refuses, `a` cannot keep.
   */
  private refusalInPlace(dev: Dev, a: Alloc): Refusal {
    const { healthy, drained, retired } = dev;
    dev.healthy = true;
    dev.drained = false;
    dev.retired = false;
    try {
      return this.board.refusal(dev, a);
    } finally {
      dev.healthy = healthy;
      dev.drained = drained;
      dev.retired = retired;
    }
  }

  // ---- placement ------------------------------------------------------------------------

  private placeNew(a: Alloc): void {
    const dev = this.board.choose(a);
    if (dev !== null) this.board.assign(a, dev, null);
    else if (!(a.changed && this.board.stayByMovingNeighbours(a))) {
      this.errors.push({ path: `allocations.${a.name}`, message: unplaceable(this.view, a) });
    }
  }

  private readonly view = {
    refusal: (dev: Dev, a: Alloc): Refusal => this.board.refusal(dev, a),
    device: (name: string): Dev | undefined => this.board.devByName.get(name),
    ownedPools: (): number => this.pools.size,
    spec: (): FleetSpec => this.spec,
    options: (): PlanOptions => this.opts,
    replan: plan,
  };

  /**
   * An allocation on a retired or drained device moves when another device takes it and its pool's
   * disruption budget allows a move; otherwise it stays and the move is deferred, with the reason.
   */
  private leave(a: Alloc, reason: string): void {
    const from = a.device!;
    const pool = from.pool;
    const defer = (why: string): void => {
      this.deferred.push({ allocation: a.name, device: from.name, reason: `${reason}, ${why}` });
    };
    if (a.pin === from.name) return defer(`but it is pinned there (\`allocations.${a.name}.device\`)`);
    if (pool.spec.disruptionBudget === 0) {
      return defer(
        `but pool ${bt(pool.name)} has \`disruptionBudget\` 0, so no plan moves it: raise \`pools.${pool.name}.disruptionBudget\``,
      );
    }
    if (pool.budget <= 0) {
      return defer(
        `but the \`disruptionBudget\` of pool ${bt(pool.name)} (${pool.spec.disruptionBudget} per apply) is used: a later plan moves it`,
      );
    }
    const context = a.context;
    this.board.unassign(a);
    const to = this.board.choose(a);
    if (to === null) {
      this.board.assign(a, from, context);
      return defer(`but no other device takes it${this.roomNote(a)}`);
    }
    this.board.assign(a, to, null);
    a.movedFrom = { device: from.name, reason };
    pool.budget--;
  }

  /** Why there is no room: the pools at their `max` (they cannot grow). */
  private roomNote(a: Alloc): string {
    const full = a.pools.filter((p) => !p.declared && p.devices.length >= p.limit);
    return full.length === 0
      ? ""
      : ` (${full.map((p) => `pool ${bt(p.name)} is at \`max\` ${p.limit}`).join(", ")})`;
  }

  // ---- result ---------------------------------------------------------------------------

  private result(): PlanResult {
    if (this.errors.length > 0) return failed(this.errors, this.previous, this.spec);
    const pools: Record<string, PoolResult> = {};
    const devices: Record<string, DeviceResult> = {};
    const live = new Map<string, { live: Dev[]; reason: string }>();
    for (const pool of this.pools.values()) {
      const size = sizePool(pool);
      live.set(pool.name, size);
      if (pool.breaker !== null && !this.breakers.has(pool.name)) {
        const away = size.live.filter((d) => d.drained || d.retired).length;
        const total = Math.max(size.live.length, size.target + away);
        const after = breakerOf(pool.name, pool.spec.maxUnhealthyShare, size.live, total);
        if (after !== pool.breaker) this.breakersAfter.set(pool.name, after);
      }
      pools[pool.name] = {
        devices: size.live.map((d) => d.name),
        needed: size.live.filter((d) => d.allocs.length > 0).length,
        standby: size.live.filter((d) => d.healthy && !d.drained && !d.retired && d.allocs.length === 0)
          .length,
        template: pool.templateName,
      };
      for (const dev of size.live) devices[dev.name] = deviceResult(dev);
    }
    const isolations = new Map<string, Isolation>();
    const isolation = (a: Alloc): Isolation | null => {
      const tenancy = a.device!.pool.tenancy;
      if (tenancy.mode !== "shared") return null;
      const key = `${tenancy.isolation}:${a.context}`;
      let iso = isolations.get(key);
      if (iso === undefined)
        isolations.set(key, (iso = Object.freeze({ id: a.context!, kind: tenancy.isolation })));
      return iso;
    };
    const placements: Record<string, PlacementResult> = {};
    const claims: Record<string, ClaimTarget> = {};
    for (const a of this.allocs) {
      if (a.claim !== null) claims[a.name] = a.claim;
      else if (a.device !== null)
        placements[a.name] = {
          device: a.device.name,
          isolation: isolation(a),
          pool: a.device.pool.name,
          tenant: a.tenant,
        };
    }
    const { changes, ledger } = account({
      allocs: this.allocs,
      isolation,
      live,
      pools: this.pools,
      previous: this.previous,
      sources: this.sources,
      specAllocations: new Set(Object.keys(this.spec.allocations ?? {})),
      deferred: this.deferred,
    });
    return { changes, claims, devices: sortKeys(devices), errors: [], ledger, ok: true, placements, pools };
  }
}
