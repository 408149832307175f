/**
 * The planner's pools: every device a pool may have, with its identity (DESIGN §3, "Devices keep
 * their identity"), and the pool's size after placement.
 *
 * A created pool's slots are `<pool>-0` up to its `max` (or `size`). A slot the previous ledger
 * records keeps its recorded zone; a free slot gets the least-populated zone of `zones` (ties by
 * list order), counted over the devices that stay, so adding a zone never re-zones a device. A
 * device whose zone left `zones` is retired: it takes nothing new and is removed once idle. A
 * drained device (`drain`) takes nothing new either, is not standby, and stays while it is listed
 * (removed once idle with `remove: true`); a drained name is never given to a new device.
 */
import { capacityOf } from "./inventory";
import {
  createdDevice,
  declaredDevices,
  deviceIndex,
  deviceName,
  isDeclaredPool,
  POOL_DEFAULTS,
  tenancyOf,
} from "./model";
import { type Dev, plural, type Pool } from "./planModel";
import { Shard } from "./shard";
import type { DeviceModel } from "./model";
import type { FleetSpec, HealthMap, LedgerPool, OwnedPoolSpec } from "./types";

/**
 * The slots of a created pool, in index order: the recorded devices (the lowest-numbered ones up
 * to the limit, and retired ones until they are idle), then free numbers, lowest first, while the
 * pool has fewer than `limit` devices (retired ones count: `max` is never exceeded to drain a zone).
 * A free slot goes to the least-populated zone of `zones` (ties by list order), counted over the
 * devices that stay.
 */
function createdSlots(
  spec: FleetSpec,
  name: string,
  pool: OwnedPoolSpec,
  limit: number,
  previous: Record<string, string | null>,
  drained: ReadonlyMap<string, boolean>,
): DeviceModel[] {
  const zones = pool.zones ?? [];
  const retired = (zone: string | null): boolean =>
    zones.length > 0 && zone !== null && !zones.includes(zone);
  const count = new Map(zones.map((z) => [z, 0]));
  const slots = new Map<number, string | null>();
  let kept = 0;
  const recorded = Object.keys(previous)
    .map((d): [number, string | null] => [deviceIndex(d), previous[d]])
    .sort((x, y) => x[0] - y[0]);
  for (const [index, zone] of recorded) {
    // A recorded device past the limit (`max` lowered) stays while `drain` lists it, so it can be
    // drained like any other; it still counts, so no new device is made in its place.
    if (retired(zone) || (kept >= limit && !drained.has(deviceName(name, index)))) continue;
    slots.set(index, zone);
    kept++;
    if (zone !== null) count.set(zone, count.get(zone)! + 1);
  }
  for (const [index, zone] of recorded) {
    if (!retired(zone)) continue;
    slots.set(index, zone);
    kept++;
  }
  for (let index = 0; kept < limit; index++) {
    if (slots.has(index) || drained.has(deviceName(name, index))) continue;
    let zone: string | null = null;
    for (const z of zones) if (zone === null || count.get(z)! < count.get(zone)!) zone = z;
    if (zone !== null) count.set(zone, count.get(zone)! + 1);
    slots.set(index, zone);
    kept++;
  }
  return [...slots.keys()]
    .sort((x, y) => x - y)
    .map((index) => createdDevice(spec, name, index, slots.get(index)!));
}

/** A device of `pool` from its model, empty; its shard and slot are set by the caller. */
function makeDevice(
  pool: Pool,
  m: DeviceModel,
  health: HealthMap,
  drained: ReadonlyMap<string, boolean>,
): Dev {
  const inv = pool.classes.map((c) => m.inventory[c]);
  const existing = Object.hasOwn(pool.previous, m.name);
  const zones = pool.spec.zones ?? [];
  return {
    name: m.name,
    pool,
    index: m.index,
    zone: m.zone,
    traits: new Set(m.traits),
    inv,
    cap: inv.map((i) => (i === undefined ? 0 : capacityOf(i))),
    used: pool.classes.map(() => 0),
    healthy: health[m.name] !== false,
    existing,
    retired: !pool.declared && existing && zones.length > 0 && m.zone !== null && !zones.includes(m.zone),
    drained: drained.has(m.name),
    removing: !pool.declared && drained.get(m.name) === true,
    shard: undefined as unknown as Shard<Dev>,
    slot: 0,
    allocs: [],
    tenants: new Map(),
    contexts: new Set(),
    groups: new Map(),
  };
}

/**
 * Why the pool's circuit breaker holds allocations on unhealthy devices, or `null`: more than
 * `maxUnhealthyShare` (`share`) of `devices` (or of `total`) unhealthy at once. The planner judges it
 * on the devices that exist, then again on the devices the pool has after the plan, counting the
 * size it aims at (the next plan's base, also while a device at `max` is being removed).
 */
export function breakerOf(
  name: string,
  share: number | undefined,
  devices: readonly Dev[],
  total = devices.length,
): string | null {
  if (share === undefined) return null;
  const unhealthy = devices.filter((d) => !d.healthy).length;
  if (total === 0 || unhealthy / total <= share) return null;
  const pct = (n: number): string => `${Math.round(n * 1000) / 10}%`;
  return (
    `circuit breaker of pool \`${name}\`: ${unhealthy} of ${total} devices unhealthy ` +
    `(${pct(unhealthy / total)}, above \`maxUnhealthyShare\` ${pct(share)}): not evacuating`
  );
}

/**
 * Builds an owned pool and its devices; `refCap` collects the largest capacity per class, `drained`
 * names the devices to drain (true: remove once idle).
 */
export function buildPool(
  spec: FleetSpec,
  name: string,
  recorded: LedgerPool | undefined,
  health: HealthMap,
  refCap: Map<string, number>,
  drained: ReadonlyMap<string, boolean> = new Map(),
): Pool {
  const poolSpec = spec.pools[name] as OwnedPoolSpec;
  const template = spec.templates[poolSpec.template];
  const declared = isDeclaredPool(poolSpec, template);
  const tenancy = tenancyOf(template);
  const previous = recorded?.devices ?? {};
  const limit = declared
    ? (poolSpec.devices ?? []).length
    : (poolSpec.size ?? poolSpec.max ?? POOL_DEFAULTS.max);
  const models = declared
    ? declaredDevices(spec, name)
    : createdSlots(spec, name, poolSpec, limit, previous, drained);
  const classes = [...new Set(models.flatMap((m) => Object.keys(m.inventory)))].sort();
  if (classes.length === 0) classes.push(...Object.keys(template.capacity).sort());
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const pool: Pool = {
    name,
    spec: poolSpec,
    templateName: poolSpec.template,
    template,
    tenancy,
    contextCount: tenancy.mode === "shared" ? tenancy.contexts.last - tenancy.contexts.first + 1 : 1,
    strategy: poolSpec.strategy ?? "pack",
    declared,
    uniform:
      !declared || (poolSpec.devices ?? []).every((d) => d.capacity === undefined && d.traits === undefined),
    classes,
    classIndex,
    devices: [],
    highestExisting: -1,
    limit,
    previous,
    shards: new Map(),
    shardList: [],
    tenantDevices: new Map(),
    busy: new Set(),
    budget: poolSpec.disruptionBudget ?? Infinity,
    breaker: null,
  };
  const byZone = new Map<string | null, Dev[]>();
  for (const m of models) {
    const dev = makeDevice(pool, m, health, drained);
    pool.devices.push(dev);
    if (dev.existing && dev.index > pool.highestExisting) pool.highestExisting = dev.index;
    let list = byZone.get(dev.zone);
    if (list === undefined) byZone.set(dev.zone, (list = []));
    dev.slot = list.length;
    list.push(dev);
    for (const [c, i] of classIndex) {
      if (dev.inv[i] !== undefined && dev.cap[i] > (refCap.get(c) ?? 0)) refCap.set(c, dev.cap[i]);
    }
  }
  for (const [zone, list] of byZone) {
    const shard = new Shard<Dev>(list, classes.length);
    pool.shards.set(zone, shard);
    pool.shardList.push(shard);
    for (const dev of list) dev.shard = shard;
  }
  pool.breaker = breakerOf(
    name,
    poolSpec.maxUnhealthyShare,
    pool.devices.filter((d) => d.existing || declared),
  );
  return pool;
}

/** The devices a pool keeps after placement, in index order, and the sizing behind them. */
export interface PoolSize {
  live: Dev[];
  /** How the size was reached, for grow and shrink reasons. */
  reason: string;
  /**
   * How many devices that take new work the pool aims at (its size without drained or retired
   * ones); one may be missing for an apply while a device at `max` is being removed.
   */
  target: number;
}

/**
 * The devices a pool has after placement. Declared pools: every declared device. Created pools
 * (unless `size` is fixed): busy devices, plus `standby` idle ones and one for each unhealthy
 * device, clamped to `[min, max]`. Busy devices always stay, and so does every device below the
 * highest busy one (shrinking removes idle devices from the top only); idle recorded devices are
 * kept before new ones are created; retired devices stay only while busy. Drained devices are
 * neither busy nor standby (the pool grows to keep its standby); they stay while listed, or, with
 * `remove: true`, while busy.
 */
export function sizePool(pool: Pool): PoolSize {
  if (pool.declared)
    return {
      live: pool.devices,
      reason: `declared in \`pools.${pool.name}.devices\``,
      target: pool.devices.filter((d) => !d.drained).length,
    };
  let highest = -1;
  let busy = 0;
  for (const dev of pool.busy) {
    if (dev.retired || dev.drained) continue;
    busy++;
    if (dev.index > highest) highest = dev.index;
  }
  // Unhealthy devices that host nothing (their allocations left) each get a healthy replacement;
  // one the circuit breaker holds is busy already and counted once, so a tripped breaker never
  // grows its pool (which would lower the unhealthy share and undo the breaker on the next plan).
  const unhealthy = pool.devices.filter(
    (d) => !d.healthy && d.existing && !d.retired && !d.drained && d.allocs.length === 0,
  ).length;
  const standby = pool.spec.standby ?? POOL_DEFAULTS.standby;
  const min = pool.spec.min ?? POOL_DEFAULTS.min;
  const wanted = busy + unhealthy + standby;
  let target: number;
  let reason: string;
  if (pool.spec.size !== undefined) {
    target = pool.spec.size;
    reason = `\`size\` ${target}`;
  } else {
    target = Math.min(pool.limit, Math.max(min, wanted));
    reason = `${plural(busy, "busy device")} + \`standby\` ${standby}${unhealthy > 0 ? ` + ${unhealthy} unhealthy` : ""}`;
    if (target > wanted) reason += `, raised to \`min\` ${min}`;
    if (target < wanted) reason += `, capped at \`max\` ${pool.limit}`;
  }
  const keep = new Set<Dev>();
  const away = (d: Dev): boolean => d.retired || d.drained;
  for (const dev of pool.devices) {
    // Idle devices below the highest busy one stay (a pool shrinks from the top); a free number
    // there is not filled unless the pool needs another device (holes stay holes).
    if (dev.allocs.length > 0 || (!away(dev) && dev.existing && dev.index <= highest)) keep.add(dev);
    else if (dev.drained && !dev.removing && dev.existing) keep.add(dev);
  }
  let count = [...keep].filter((d) => !away(d)).length;
  for (const pass of [true, false]) {
    for (const dev of pool.devices) {
      if (count >= target) break;
      if (keep.has(dev) || away(dev) || dev.existing !== pass) continue;
      keep.add(dev);
      count++;
    }
  }
  const removed = pool.devices
    .filter((d) => d.removing && d.existing && !keep.has(d))
    .map((d) => `\`${d.name}\``);
  if (removed.length > 0) reason += `; drained ${removed.join(", ")} removed`;
  return { live: pool.devices.filter((d) => keep.has(d)), reason, target };
}
