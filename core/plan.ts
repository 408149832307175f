/**
 * The planner: previous ledger + spec -> next ledger + changes (DESIGN §3). Pure and
 * deterministic: it decides and never acts, and the same input gives byte-identical output.
 *
 * Order of work:
 *  1. validate the spec (collected errors end the plan early);
 *  2. build every pool's device universe (created pools: slots up to `max` or `size`);
 *  3. keep previous placements that still fit and whose constraints hold (stickiness), recording
 *     a reason for every one that must move;
 *  4. place new and moved allocations, pinned ones first, then largest demand first, ties by
 *     name, each pool by its
 *     strategy (`pack`: lowest-numbered device; `spread`: least-loaded of the devices a pack
 *     pass would use, so a spread pool has exactly the size a packed one would);
 *  5. size pools: busy + standby (+ unhealthy), clamped to [min, max], never below the highest
 *     busy device, so shrinking only removes idle devices at the top.
 */
import { capacityOf, unitViolation } from "./inventory";
import { isDeclaredPool, isExternalPool, poolDevices, POOL_DEFAULTS, tenancyOf } from "./model";
import { Shard } from "./shard";
import type {
  AllocationSpec,
  Change,
  ClaimTarget,
  DeviceResult,
  FleetSpec,
  Inventory,
  Isolation,
  Ledger,
  LedgerPlacement,
  PlacementResult,
  PlanError,
  PlanOptions,
  PlanResult,
  PoolResult,
  OwnedPoolSpec,
  TemplateSpec,
  TenancySpec,
} from "./types";
import { validateSpec } from "./validate";

export const EMPTY_LEDGER: Ledger = Object.freeze({ version: 1, pools: {}, placements: {} });

const TOLERANCE = 1e-9;

interface TenantSlot {
  context: number | null;
  count: number;
}

interface Dev {
  name: string;
  pool: Pool;
  index: number;
  zone: string | null;
  traits: Set<string>;
  /** Inventory per pool class index (undefined where the device has none of that class). */
  inv: (Inventory | undefined)[];
  cap: number[];
  used: number[];
  healthy: boolean;
  shard: Shard<Dev>;
  slot: number;
  allocs: Alloc[];
  tenants: Map<string, TenantSlot>;
  contexts: Set<number>;
  groups: Map<string, number>;
}

interface Pool {
  name: string;
  spec: OwnedPoolSpec;
  templateName: string;
  template: TemplateSpec;
  tenancy: TenancySpec;
  contextCount: number;
  strategy: "pack" | "spread";
  declared: boolean;
  /** Every device of a declared pool has the template's traits and inventory. */
  uniform: boolean;
  classes: string[];
  classIndex: Map<string, number>;
  devices: Dev[];
  limit: number;
  prevSize: number;
  shards: Map<string | null, Shard<Dev>>;
  shardList: Shard<Dev>[];
  tenantDevices: Map<string, Set<Dev>>;
  busy: Set<Dev>;
}

interface Alloc {
  name: string;
  spec: AllocationSpec;
  tenant: string;
  demand: [string, number][];
  weight: number;
  /** Eligible pools in preference order. */
  pools: Pool[];
  /** The external pool to claim from when every eligible pool is external; the planner leaves it alone. */
  claim: ClaimTarget | null;
  require: string[];
  forbid: string[];
  requireAny: string[][];
  zone: string | null;
  group: string | null;
  pin: string | null;
  device: Dev | null;
  context: number | null;
  /** Previous device and the reason it had to leave it. */
  movedFrom: { device: string; reason: string } | null;
}

/** Why a device refuses an allocation; `OK` when it takes it. */
const enum Refusal {
  OK,
  Unhealthy,
  Traits,
  Zone,
  Group,
  Dedicated,
  Contexts,
  MissingClass,
  Units,
  Capacity,
}

export function plan(spec: FleetSpec, opts: PlanOptions = {}): PlanResult {
  const previous = opts.previous ?? EMPTY_LEDGER;
  const errors = validateSpec(spec);
  if (errors.length > 0) return failed(errors, previous);
  return new Planner(spec, previous, opts.health ?? {}).run();
}

function failed(errors: PlanError[], previous: Ledger): PlanResult {
  return {
    changes: [],
    claims: {},
    devices: {},
    errors,
    ledger: previous,
    ok: false,
    placements: {},
    pools: {},
  };
}

function bt(s: string | number): string {
  return `\`${s}\``;
}

function fmtDemand(demand: [string, number][]): string {
  return demand.map(([rc, n]) => `${n} ${rc}`).join(", ");
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

class Planner {
  private readonly pools = new Map<string, Pool>();
  /** Pools other fleets own: no devices here; allocations only they can take are claims. */
  private readonly externals = new Map<string, ClaimTarget>();
  private readonly devByName = new Map<string, Dev>();
  private readonly allocs: Alloc[] = [];
  private readonly errors: PlanError[] = [];
  private readonly refCap = new Map<string, number>();

  constructor(
    private readonly spec: FleetSpec,
    private readonly previous: Ledger,
    private readonly health: Record<string, boolean>,
  ) {}

  /** Devices a spread pool spreads over: what packing its allocations would use. */
  private readonly spreadWidths = new Map<Pool, number>();
  /** While true, every pool packs (the pre-pass that sizes spread pools). */
  private packOnly = false;
  /** While true, device updates skip the segment trees, which are rebuilt once afterwards. */
  private deferTrees = false;

  run(): PlanResult {
    this.buildPools();
    this.buildAllocs();
    this.deferTrees = true;
    const queue = this.keepSticky();
    this.deferTrees = false;
    for (const pool of this.pools.values()) for (const shard of pool.shardList) shard.rebuild();
    // Pinned allocations first (they have one option), then largest demand first; the sort is
    // stable and the allocations are in name order, so ties stay by name.
    queue.sort((a, b) => Number(b.pin !== null) - Number(a.pin !== null) || b.weight - a.weight);
    this.sizeSpreadPools(queue);
    for (const a of queue) this.placeNew(a);
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
    this.packOnly = true;
    for (const a of movers) {
      const dev = this.choose(a);
      if (dev !== null) this.assign(a, dev, null);
    }
    for (const pool of spread) {
      let highest = -1;
      for (const dev of pool.busy) if (dev.index > highest) highest = dev.index;
      this.spreadWidths.set(pool, highest + 1);
    }
    for (let i = movers.length - 1; i >= 0; i--) if (movers[i].device !== null) this.unassign(movers[i]);
    this.packOnly = false;
  }

  // ---- 1. pools and devices -------------------------------------------------------------

  private buildPools(): void {
    for (const name of Object.keys(this.spec.pools).sort()) {
      const spec = this.spec.pools[name];
      if (isExternalPool(spec)) {
        this.externals.set(name, { fleet: spec.external.fleet, pool: spec.external.pool ?? name });
        continue;
      }
      const template = this.spec.templates[spec.template];
      const declared = isDeclaredPool(spec, template);
      const tenancy = tenancyOf(template);
      const prevSize = declared ? 0 : (this.previous.pools[name] ?? 0);
      const limit = declared ? (spec.devices ?? []).length : (spec.size ?? spec.max ?? POOL_DEFAULTS.max);
      const models = poolDevices(this.spec, name, limit);
      const classes = [...new Set(models.flatMap((m) => Object.keys(m.inventory)))].sort();
      if (classes.length === 0) classes.push(...Object.keys(template.capacity).sort());
      const classIndex = new Map(classes.map((c, i) => [c, i]));
      const pool: Pool = {
        name,
        spec,
        templateName: spec.template,
        template,
        tenancy,
        contextCount: tenancy.mode === "shared" ? tenancy.contexts.last - tenancy.contexts.first + 1 : 1,
        strategy: spec.strategy ?? "pack",
        declared,
        uniform:
          !declared || (spec.devices ?? []).every((d) => d.capacity === undefined && d.traits === undefined),
        classes,
        classIndex,
        devices: [],
        limit,
        prevSize,
        shards: new Map(),
        shardList: [],
        tenantDevices: new Map(),
        busy: new Set(),
      };
      const byZone = new Map<string | null, Dev[]>();
      for (const m of models) {
        const inv = classes.map((c) => m.inventory[c]);
        const dev: Dev = {
          name: m.name,
          pool,
          index: m.index,
          zone: m.zone,
          traits: new Set(m.traits),
          inv,
          cap: inv.map((i) => (i === undefined ? 0 : capacityOf(i))),
          used: classes.map(() => 0),
          healthy: this.health[m.name] !== false,
          shard: undefined as unknown as Shard<Dev>,
          slot: 0,
          allocs: [],
          tenants: new Map(),
          contexts: new Set(),
          groups: new Map(),
        };
        pool.devices.push(dev);
        this.devByName.set(dev.name, dev);
        let list = byZone.get(dev.zone);
        if (list === undefined) byZone.set(dev.zone, (list = []));
        dev.slot = list.length;
        list.push(dev);
        for (const [c, i] of classIndex) {
          const cap = dev.cap[i];
          if (dev.inv[i] !== undefined && cap > (this.refCap.get(c) ?? 0)) this.refCap.set(c, cap);
        }
      }
      for (const [zone, list] of byZone) {
        const shard = new Shard<Dev>(list, classes.length);
        pool.shards.set(zone, shard);
        pool.shardList.push(shard);
        for (const dev of list) {
          dev.shard = shard;
          this.refresh(dev);
        }
      }
      this.pools.set(name, pool);
    }
  }

  private readonly scratch: number[] = [];

  private refresh(dev: Dev): void {
    const free = this.scratch;
    free.length = dev.cap.length;
    for (let i = 0; i < dev.cap.length; i++) {
      free[i] = dev.healthy && dev.inv[i] !== undefined ? dev.cap[i] - dev.used[i] : -Infinity;
    }
    const idle = dev.healthy && dev.tenants.size === 0;
    const open =
      dev.healthy &&
      (dev.pool.tenancy.mode === "dedicated"
        ? dev.tenants.size === 0
        : dev.contexts.size < dev.pool.contextCount);
    dev.shard.set(dev.slot, { free, open, idle }, this.deferTrees);
  }

  // ---- 2. allocations -------------------------------------------------------------------

  private readonly eligibleCache = new Map<string, Pool[]>();

  /** Pools an allocation may use, in preference order; allocations with the same lists share one array. */
  private eligiblePools(spec: AllocationSpec): Pool[] {
    const key = `${spec.serviceType ?? ""}|${spec.pools?.join(",") ?? "*"}`;
    let pools = this.eligibleCache.get(key);
    if (pools === undefined) this.eligibleCache.set(key, (pools = this.computeEligiblePools(spec)));
    return pools;
  }

  private computeEligiblePools(spec: AllocationSpec): Pool[] {
    const hosts = (p: Pool): boolean =>
      spec.serviceType === undefined ||
      p.template.serviceTypes === undefined ||
      p.template.serviceTypes.includes(spec.serviceType);
    if (spec.pools !== undefined) {
      return spec.pools.map((n) => this.pools.get(n)).filter((p): p is Pool => p !== undefined && hosts(p));
    }
    return [...this.pools.values()].filter(hosts);
  }

  /**
   * The external pool an allocation is claimed from: the first external pool in preference order,
   * when no pool this fleet owns is eligible (external pools host any service type: Placement decides).
   */
  private claimOf(spec: AllocationSpec, owned: Pool[]): ClaimTarget | null {
    if (owned.length > 0 || this.externals.size === 0) return null;
    const names = spec.pools ?? Object.keys(this.spec.pools).sort();
    for (const n of names) {
      const target = this.externals.get(n);
      if (target !== undefined) return target;
    }
    return null;
  }

  private buildAllocs(): void {
    const allocations = this.spec.allocations ?? {};
    for (const name of Object.keys(allocations).sort()) {
      const spec = allocations[name];
      const demand = Object.keys(spec.demand)
        .sort()
        .map((rc): [string, number] => [rc, spec.demand[rc]]);
      const pools = this.eligiblePools(spec);
      this.allocs.push({
        name,
        spec,
        tenant: spec.tenant,
        demand,
        weight: demand.reduce((s, [rc, n]) => s + n / (this.refCap.get(rc) || n || 1), 0),
        pools,
        claim: this.claimOf(spec, pools),
        require: spec.require ?? [],
        forbid: spec.forbid ?? [],
        requireAny: spec.requireAny ?? [],
        zone: spec.zone ?? null,
        group: spec.antiAffinityGroup ?? null,
        pin: spec.device ?? null,
        device: null,
        context: null,
        movedFrom: null,
      });
    }
  }

  // ---- checks ---------------------------------------------------------------------------

  private traitsHold(dev: Dev, a: Alloc): boolean {
    for (const t of a.require) if (!dev.traits.has(t)) return false;
    for (const t of a.forbid) if (dev.traits.has(t)) return false;
    for (const set of a.requireAny) if (!set.some((t) => dev.traits.has(t))) return false;
    return true;
  }

  /** The first reason `dev` refuses `a`, or OK. `a` must not be on `dev`. */
  private refusal(dev: Dev, a: Alloc): Refusal {
    if (!dev.healthy) return Refusal.Unhealthy;
    if (!this.traitsHold(dev, a)) return Refusal.Traits;
    if (a.zone !== null && dev.zone !== a.zone) return Refusal.Zone;
    if (a.group !== null && dev.groups.has(a.group)) return Refusal.Group;
    if (!dev.tenants.has(a.tenant)) {
      if (dev.pool.tenancy.mode === "dedicated") {
        if (dev.tenants.size > 0) return Refusal.Dedicated;
      } else if (dev.contexts.size >= dev.pool.contextCount) return Refusal.Contexts;
    }
    return this.capacityRefusal(dev, a);
  }

  private capacityRefusal(dev: Dev, a: Alloc): Refusal {
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc);
      const inv = i === undefined ? undefined : dev.inv[i];
      if (inv === undefined) return Refusal.MissingClass;
      if (unitViolation(inv, amount) !== null) return Refusal.Units;
      if (dev.cap[i!] < dev.used[i!] + amount) return Refusal.Capacity;
    }
    return Refusal.OK;
  }

  private describeRefusal(dev: Dev, a: Alloc, r: Refusal): string {
    switch (r) {
      case Refusal.Unhealthy:
        return "device unhealthy";
      case Refusal.Traits: {
        const missing = a.require.filter((t) => !dev.traits.has(t));
        if (missing.length > 0) return `${bt(dev.name)} lacks required trait ${missing.map(bt).join(", ")}`;
        const forbidden = a.forbid.filter((t) => dev.traits.has(t));
        if (forbidden.length > 0)
          return `${bt(dev.name)} has forbidden trait ${forbidden.map(bt).join(", ")}`;
        const unmet = a.requireAny.find((set) => !set.some((t) => dev.traits.has(t))) ?? [];
        return `${bt(dev.name)} has none of ${unmet.map(bt).join(", ")}`;
      }
      case Refusal.Zone:
        return `${bt(dev.name)} is in zone ${bt(dev.zone ?? "none")}, the allocation requires ${bt(a.zone ?? "")}`;
      case Refusal.Group:
        return `anti-affinity group ${bt(a.group ?? "")} already has a member on ${bt(dev.name)}`;
      case Refusal.Dedicated:
        return `${bt(dev.name)} is dedicated to tenant ${bt([...dev.tenants.keys()][0] ?? "")}`;
      case Refusal.Contexts:
        return `no free isolation context on ${bt(dev.name)}`;
      case Refusal.MissingClass:
      case Refusal.Units:
      case Refusal.Capacity:
        return this.capacityText(dev, a);
      case Refusal.OK:
        return "fits";
    }
  }

  private capacityText(dev: Dev, a: Alloc): string {
    for (const [rc, amount] of a.demand) {
      const i = dev.pool.classIndex.get(rc);
      const inv = i === undefined ? undefined : dev.inv[i];
      if (inv === undefined) return `${bt(dev.name)} has no ${rc} inventory`;
      const unit = unitViolation(inv, amount);
      if (unit === "min_unit")
        return `${amount} ${rc} is below \`minUnit\` ${inv.minUnit} on ${bt(dev.name)}`;
      if (unit === "max_unit")
        return `${amount} ${rc} is above \`maxUnit\` ${inv.maxUnit} on ${bt(dev.name)}`;
      if (unit === "step_size")
        return `${amount} ${rc} is not a multiple of \`stepSize\` ${inv.stepSize} on ${bt(dev.name)}`;
      const free = dev.cap[i!] - dev.used[i!];
      if (dev.cap[i!] < dev.used[i!] + amount) {
        return `demand no longer fits on ${bt(dev.name)}: needs ${amount} ${rc}, ${fmtNum(free)} free`;
      }
    }
    return "fits";
  }

  // ---- mutations ------------------------------------------------------------------------

  private lowestFreeContext(dev: Dev): number | null {
    const t = dev.pool.tenancy;
    if (t.mode !== "shared") return null;
    for (let id = t.contexts.first; id <= t.contexts.last; id++) if (!dev.contexts.has(id)) return id;
    return null;
  }

  /** Puts `a` on `dev`; `context` is the id to claim when the tenant is new on the device. */
  private assign(a: Alloc, dev: Dev, context: number | null): void {
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
  private unassign(a: Alloc): void {
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

  // ---- 3. stickiness --------------------------------------------------------------------

  /** Keeps what may stay; returns the allocations still to place. */
  private keepSticky(): Alloc[] {
    const queue: Alloc[] = [];
    const kept: Alloc[] = [];
    for (const a of this.allocs) {
      if (a.claim !== null) continue;
      const prev = this.previous.placements[a.name];
      if (prev === undefined) {
        queue.push(a);
        continue;
      }
      const reason = this.stayRefusal(a, prev);
      if (reason !== null) {
        a.movedFrom = { device: prev.device, reason };
        queue.push(a);
        continue;
      }
      const dev = this.devByName.get(prev.device)!;
      // Claim the previous context when it is still this tenant's and in range; else lowest free.
      const ctx = this.previousContext(dev, a, prev);
      this.assign(a, dev, ctx);
      kept.push(a);
    }
    // A tenant that had to take a new context on a shared device where none is left cannot stay.
    for (const a of kept) {
      if (a.device !== null && a.device.pool.tenancy.mode === "shared" && a.context === null) {
        const from = a.device.name;
        this.unassign(a);
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

  /** Why `a` may not stay where the previous ledger put it, or null when it stays. */
  private stayRefusal(a: Alloc, prev: LedgerPlacement): string | null {
    const dev = this.devByName.get(prev.device);
    if (dev === undefined) return `device ${bt(prev.device)} removed`;
    if (!dev.healthy) return "device unhealthy";
    if (!a.pools.includes(dev.pool))
      return `pool ${bt(dev.pool.name)} is no longer eligible for the allocation`;
    if (a.pin !== null && a.pin !== dev.name) return `pinned to ${bt(a.pin)}`;
    const r = this.refusal(dev, a);
    if (r === Refusal.Contexts) return null; // settled after every stayer has claimed its context
    return r === Refusal.OK ? null : this.describeRefusal(dev, a, r);
  }

  // ---- 4. placement ---------------------------------------------------------------------

  private placeNew(a: Alloc): void {
    const dev = this.choose(a);
    if (dev === null) {
      this.errors.push({ path: `allocations.${a.name}`, message: this.unplaceable(a) });
      return;
    }
    this.assign(a, dev, null);
  }

  private choose(a: Alloc): Dev | null {
    if (a.pin !== null) {
      const dev = this.devByName.get(a.pin);
      return dev !== undefined && a.pools.includes(dev.pool) && this.refusal(dev, a) === Refusal.OK
        ? dev
        : null;
    }
    let best: Dev | null = null;
    let bestBusy = false;
    for (const pool of a.pools) {
      const dev = this.bestIn(pool, a);
      if (dev === null) continue;
      const busy = dev.allocs.length > 0;
      if (best === null || (busy && !bestBusy)) {
        best = dev;
        bestBusy = busy;
        if (busy) break;
      }
    }
    return best;
  }

  /** Demand as a vector over the pool's classes, or null when the pool lacks a class or a unit rule fails. */
  private need(pool: Pool, a: Alloc): number[] | null {
    const need = pool.classes.map(() => -Infinity);
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
    const accept = (d: Dev): boolean => this.refusal(d, a) === Refusal.OK;
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
          accept(dev)
        )
          best = dev;
      }
    }
    const shards = a.zone === null ? pool.shardList : [pool.shards.get(a.zone)];
    for (const shard of shards) {
      const dev = shard?.leftmost(need, "open", accept) ?? null;
      if (dev !== null && (best === null || dev.index < best.index)) best = dev;
    }
    return best;
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
      const key = this.load(dev);
      const better =
        key < bestKey - TOLERANCE || (key <= bestKey + TOLERANCE && best !== null && dev.index < best.index);
      if (better && accept(dev)) {
        best = dev;
        bestKey = key;
      }
    };
    for (const dev of pool.tenantDevices.get(a.tenant) ?? []) consider(dev);
    if (pool.tenancy.mode === "dedicated") {
      // Idle devices all have load 0: the lowest-numbered fitting one is the best of them.
      for (const shard of a.zone === null ? pool.shardList : [pool.shards.get(a.zone)]) {
        const dev = shard?.leftmost(need, "idle", accept) ?? null;
        if (dev !== null) consider(dev);
      }
    } else {
      for (let i = 0; i < width && i < pool.devices.length; i++) {
        const dev = pool.devices[i];
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

  /** The error for an allocation no device can take: each excluding constraint with its device count, then the fix. */
  private unplaceable(a: Alloc): string {
    const head = `allocation ${bt(a.name)} (tenant ${bt(a.tenant)}) needs ${fmtDemand(a.demand)}`;
    const traits = [
      ...a.require.map((t) => `trait ${bt(t)}`),
      ...a.forbid.map((t) => `no ${bt(t)}`),
      ...a.requireAny.map((s) => `one of ${s.map(bt).join("/")}`),
    ];
    const where = [
      a.zone !== null ? `in zone ${bt(a.zone)}` : "",
      traits.length > 0 ? `with ${traits.join(", ")}` : "",
    ]
      .filter((s) => s !== "")
      .join(" ");
    const intro = where === "" ? head : `${head} ${where}`;
    if (a.pools.length === 0) {
      const why =
        a.spec.pools !== undefined
          ? `none of its pools ${a.spec.pools.map(bt).join(", ")} hosts service type ${bt(a.spec.serviceType ?? "")}`
          : `no pool's template lists service type ${bt(a.spec.serviceType ?? "")}`;
      return `${intro}; ${why}; add ${bt(a.spec.serviceType ?? "")} to a template's \`serviceTypes\` or change the allocation's \`serviceType\``;
    }
    if (a.pin !== null) {
      const dev = this.devByName.get(a.pin);
      if (dev === undefined) {
        return `${intro} on pinned device ${bt(a.pin)}, which does not exist within its pool's \`max\`; raise the pool's \`max\` or pin another device`;
      }
      const r = this.refusal(dev, a);
      return `${intro} on pinned device ${bt(a.pin)}, but ${this.describeRefusal(dev, a, r)}; unpin it (\`allocations.${a.name}.device\`) or free the device`;
    }
    const parts: string[] = [];
    const fixes = new Set<string>();
    for (const pool of a.pools) {
      const counts = new Map<string, number>();
      let maxFree: number[] | null = null;
      for (const dev of pool.devices) {
        const r = this.refusal(dev, a);
        const key = this.refusalGroup(dev, a, r);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (r === Refusal.Capacity) {
          const free = a.demand.map(([rc]) => {
            const i = pool.classIndex.get(rc)!;
            return dev.cap[i] - dev.used[i];
          });
          maxFree = maxFree === null ? free : maxFree.map((m, k) => Math.max(m, free[k]));
        }
        const fix = this.fixFor(pool, a, r);
        if (fix !== null) fixes.add(fix);
      }
      const groups = [...counts.entries()].map(([why, n]) =>
        why === "capacity" && maxFree !== null
          ? `${n} ${n === 1 ? "device has" : "devices have"} at most ${a.demand.map(([rc], k) => `${fmtNum(maxFree[k])} ${rc}`).join(", ")} free`
          : why === "unhealthy"
            ? `${n} unhealthy ${n === 1 ? "device" : "devices"}`
            : `${n} ${n === 1 ? "device" : "devices"} ${why}`,
      );
      const sizeNote = pool.declared
        ? `${pool.devices.length} declared ${pool.devices.length === 1 ? "device" : "devices"}`
        : `${pool.spec.size !== undefined ? "`size`" : "`max`"} ${pool.limit}`;
      parts.push(
        `pool ${bt(pool.name)} (${sizeNote}): ${groups.length > 0 ? groups.join("; ") : "no devices"}`,
      );
      if (pool.devices.length === 0) fixes.add(this.growFix(pool));
    }
    const fix = [...fixes].join(", or ");
    return `${intro}; ${parts.join(". ")}; ${fix === "" ? "lower the demand" : fix}`;
  }

  /** A noun phrase for a group of devices refused for the same reason: "3 devices without trait `X`". */
  private refusalGroup(dev: Dev, a: Alloc, r: Refusal): string {
    switch (r) {
      case Refusal.Capacity:
        return "capacity";
      case Refusal.Traits: {
        const missing = a.require.filter((t) => !dev.traits.has(t));
        if (missing.length > 0) return `without trait ${missing.map(bt).join(", ")}`;
        const forbidden = a.forbid.filter((t) => dev.traits.has(t));
        if (forbidden.length > 0) return `with forbidden trait ${forbidden.map(bt).join(", ")}`;
        const unmet = a.requireAny.find((set) => !set.some((t) => dev.traits.has(t))) ?? [];
        return `with none of ${unmet.map(bt).join(", ")}`;
      }
      case Refusal.Zone:
        return `in zone ${bt(dev.zone ?? "none")}`;
      case Refusal.Dedicated:
        return "dedicated to other tenants";
      case Refusal.Contexts:
        return "without a free isolation context";
      case Refusal.Group:
        return `already hosting anti-affinity group ${bt(a.group ?? "")}`;
      case Refusal.MissingClass: {
        const rc = a.demand.find(([c]) => dev.inv[dev.pool.classIndex.get(c) ?? -1] === undefined)?.[0] ?? "";
        return `without ${rc} inventory`;
      }
      case Refusal.Units: {
        for (const [rc, amount] of a.demand) {
          const inv = dev.inv[dev.pool.classIndex.get(rc)!]!;
          const unit = unitViolation(inv, amount);
          if (unit === "min_unit") return `whose \`minUnit\` ${inv.minUnit} refuses ${amount} ${rc}`;
          if (unit === "max_unit") return `whose \`maxUnit\` ${inv.maxUnit} refuses ${amount} ${rc}`;
          if (unit === "step_size") return `whose \`stepSize\` ${inv.stepSize} refuses ${amount} ${rc}`;
        }
        return "refusing the demand";
      }
      case Refusal.Unhealthy:
        return "unhealthy";
      case Refusal.OK:
        return "that fit";
    }
  }

  private growFix(pool: Pool): string {
    if (pool.declared) return `declare more devices in \`pools.${pool.name}.devices\``;
    return pool.spec.size !== undefined
      ? `raise \`pools.${pool.name}.size\` (${pool.limit})`
      : `raise \`pools.${pool.name}.max\` (${pool.limit})`;
  }

  private fixFor(pool: Pool, a: Alloc, r: Refusal): string | null {
    switch (r) {
      case Refusal.Capacity:
      case Refusal.Dedicated:
      case Refusal.Group:
      case Refusal.Unhealthy:
        return `${this.growFix(pool)} or lower \`allocations.${a.name}.demand\``;
      case Refusal.Contexts:
        return `widen \`templates.${pool.templateName}.tenancy.contexts\``;
      case Refusal.Traits:
        return `adjust the traits of template ${bt(pool.templateName)} or the allocation's \`require\`/\`forbid\`/\`requireAny\``;
      case Refusal.Zone:
        return `add zone ${bt(a.zone ?? "")} to \`pools.${pool.name}.zones\` or change \`allocations.${a.name}.zone\``;
      case Refusal.MissingClass:
      case Refusal.Units:
        return `change \`allocations.${a.name}.demand\` to fit the inventory of template ${bt(pool.templateName)}`;
      case Refusal.OK:
        return null;
    }
  }

  // ---- 5. sizing and result -------------------------------------------------------------

  private poolSize(pool: Pool): number {
    if (pool.declared) return pool.devices.length;
    if (pool.spec.size !== undefined) return pool.spec.size;
    let highest = -1;
    for (const dev of pool.busy) if (dev.index > highest) highest = dev.index;
    let unhealthy = 0;
    for (const dev of pool.devices)
      if (!dev.healthy && dev.index < Math.max(pool.prevSize, highest + 1)) unhealthy++;
    const min = pool.spec.min ?? POOL_DEFAULTS.min;
    const target = Math.min(
      pool.limit,
      Math.max(min, pool.busy.size + unhealthy + (pool.spec.standby ?? POOL_DEFAULTS.standby)),
    );
    return Math.max(target, highest + 1);
  }

  private result(): PlanResult {
    const ok = this.errors.length === 0;
    const pools: Record<string, PoolResult> = {};
    const devices: Record<string, DeviceResult> = {};
    const sizes: Record<string, number> = {};
    const poolChanges: Change[] = [];
    for (const pool of this.pools.values()) {
      const size = this.poolSize(pool);
      const live = pool.devices.slice(0, size);
      if (!pool.declared) {
        sizes[pool.name] = size;
        if (size > pool.prevSize)
          poolChanges.push({ op: "grow", pool: pool.name, from: pool.prevSize, to: size });
        if (size < pool.prevSize)
          poolChanges.push({ op: "shrink", pool: pool.name, from: pool.prevSize, to: size });
      }
      pools[pool.name] = {
        devices: live.map((d) => d.name),
        needed: live.filter((d) => d.allocs.length > 0).length,
        standby: live.filter((d) => d.healthy && d.allocs.length === 0).length,
        template: pool.templateName,
      };
      for (const dev of live) devices[dev.name] = this.deviceResult(dev);
    }
    const placements: Record<string, PlacementResult> = {};
    const ledgerPlacements: Record<string, LedgerPlacement> = {};
    const allocChanges: Change[] = [];
    const isolations = new Map<string, Isolation>();
    const claims: Record<string, ClaimTarget> = {};
    for (const a of this.allocs) {
      const prev = this.previous.placements[a.name];
      if (a.claim !== null) {
        claims[a.name] = a.claim;
        // It leaves this fleet's devices: its capacity now comes from another fleet's pool.
        if (prev !== undefined) allocChanges.push({ allocation: a.name, from: prev.device, op: "release" });
        continue;
      }
      if (a.device === null) continue;
      const tenancy = a.device.pool.tenancy;
      let isolation: Isolation | null = null;
      if (tenancy.mode === "shared") {
        const key = `${tenancy.isolation}:${a.context}`;
        isolation = isolations.get(key) ?? null;
        if (isolation === null)
          isolations.set(key, (isolation = Object.freeze({ id: a.context!, kind: tenancy.isolation })));
      }
      placements[a.name] = { device: a.device.name, isolation, pool: a.device.pool.name, tenant: a.tenant };
      // Unchanged entries are shared with the previous ledger (they are never mutated).
      ledgerPlacements[a.name] =
        prev !== undefined &&
        prev.device === a.device.name &&
        prev.tenant === a.tenant &&
        prev.context === a.context
          ? prev
          : { context: a.context, device: a.device.name, tenant: a.tenant };
      if (prev === undefined) allocChanges.push({ allocation: a.name, op: "place", to: a.device.name });
      else if (a.movedFrom !== null) {
        allocChanges.push({
          allocation: a.name,
          from: a.movedFrom.device,
          op: "move",
          reason: a.movedFrom.reason,
          to: a.device.name,
        });
      }
    }
    const specAllocs = this.spec.allocations ?? {};
    for (const name of Object.keys(this.previous.placements)) {
      if (specAllocs[name] === undefined) {
        allocChanges.push({ allocation: name, from: this.previous.placements[name].device, op: "release" });
      }
    }
    if (allocChanges.some((c) => c.op === "release")) {
      allocChanges.sort((x, y) => {
        const a = (x as { allocation: string }).allocation;
        const b = (y as { allocation: string }).allocation;
        return a < b ? -1 : a > b ? 1 : 0;
      });
    }
    // Allocations are visited in name order, so these maps are already sorted.
    const ledger: Ledger = ok ? { placements: ledgerPlacements, pools: sizes, version: 1 } : this.previous;
    return {
      changes: [...allocChanges, ...poolChanges],
      claims,
      devices: sortKeys(devices),
      errors: this.errors.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)),
      ledger,
      ok,
      placements,
      pools,
    };
  }

  private deviceResult(dev: Dev): DeviceResult {
    const capacity: Record<string, number> = {};
    const used: Record<string, number> = {};
    const free: Record<string, number> = {};
    dev.pool.classes.forEach((rc, i) => {
      if (dev.inv[i] === undefined) return;
      capacity[rc] = dev.cap[i]!;
      used[rc] = dev.used[i]!;
      free[rc] = dev.cap[i] - dev.used[i];
    });
    return {
      allocations: dev.allocs.map((a) => a.name).sort(),
      capacity,
      free,
      healthy: dev.healthy,
      index: dev.index,
      pool: dev.pool.name,
      tenants: [...dev.tenants.keys()].sort(),
      used,
      zone: dev.zone,
    };
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k]!;
  return out;
}
