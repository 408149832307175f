/**
 * Headroom (issue 11, point 4): per pool and zone, how many more allocations of a shape fit on the
 * devices that exist (standby included) and on every device the pool may have (up to `max`), and
 * which limit binds first. Pure and deterministic; the numbers are the planner's own:
 *
 *  - the devices are the planner's (`buildPool`, from the ledger a plan wrote): the same slots up to
 *    `max` (or `size`, or the declared devices), the same zones for the devices not created yet
 *    (least-populated first), the same retired devices (their zone left `zones`: they take nothing);
 *  - a device takes `k` more of a shape when Placement's rule holds for each (`used + k * amount <=
 *    (total - reserved) * allocationRatio`, `minUnit <= amount <= maxUnit`, `amount % stepSize == 0`)
 *    and its tenancy allows them. Demands are integers, so the planner's running sum of amounts is
 *    exact and `k` is found exactly with one division and a check of its neighbours.
 *
 * A shape is a demand and, optionally, a tenant. With a tenant, every new allocation is that
 * tenant's: on a shared device where it is present it needs no new isolation context, elsewhere
 * one; a dedicated device takes it when it hosts nobody else. Without a tenant, every new
 * allocation is a new tenant's (the case of onboarding): each needs its own context on a shared
 * device, and a dedicated device takes one, when idle. Traits, zones, service types and
 * anti-affinity are not part of a shape: every pool with an inventory of each demanded class counts.
 *
 * Why the numbers are exact: allocations of one shape compete for nothing but each device's own
 * room (no group, no zone, no pin), so the planner, which always takes a device that has room,
 * places exactly the sum of the per-device counts; and on the devices that exist first, because a
 * pool's existing devices hold its lowest numbers and both strategies prefer them (the property
 * test in test/core/headroom.test.ts checks both numbers against the real planner).
 */
import { holdPendingMoves, pendingMoves } from "./headroomPending";
import { unitViolation } from "./inventory";
import { drainedDevices, isExternalPool, ledgerDevices } from "./model";
import type { Dev, Pool } from "./planModel";
import { buildPool } from "./planPools";
import type { FleetSpec, HealthMap, Ledger, PlanResult, ResourceClass } from "./types";

/**
 * A shape to measure: a demand per resource class, and the tenant of every new allocation
 * (`null`: each new allocation is a new tenant's).
 */
export interface HeadroomShape {
  demand: Record<ResourceClass, number>;
  /** @default null: each new allocation belongs to a new tenant */
  tenant?: string | null;
  /** How many of the spec's allocations have this demand, shown with the result. @default 0 */
  allocations?: number;
}

/**
 * What stops a count, one string per kind of limit:
 * - a resource class name (`CUSTOM_SERVICE_SLOT`): its free capacity runs out first;
 * - `contexts`: the shared devices' isolation contexts run out;
 * - `dedicated`: a dedicated device takes one tenant;
 * - `<CLASS>:minUnit`, `<CLASS>:maxUnit`, `<CLASS>:stepSize`: the inventory refuses the amount itself;
 * - `<CLASS>:missing`: the device has no inventory of the class;
 * - `unhealthy`: the device takes nothing new;
 * - `zone`: the device's zone left the pool's `zones`: it takes nothing new;
 * - `drained`: the device is listed in `drain`: it takes nothing new;
 * - `max`, `size`, `devices`: the pool may have no more devices (`max`, a fixed `size`, its
 *   declared devices), and a new device would take the shape;
 * - `none`: there is no device to count (an empty pool, a zone with no device yet).
 */
export type HeadroomLimit = string;

/** How many more fit, and what stops the next one. */
export interface HeadroomCount {
  fits: number;
  limit: HeadroomLimit;
}

/** Headroom of a shape in one zone of a pool. */
export interface ZoneHeadroom {
  /** Devices in the zone now. */
  devices: number;
  /** Devices the zone has when the pool is at `max` (or `size`). */
  maxDevices: number;
  /**
   * On the devices that exist (standby included). The limit is the one that stops the most of
   * them (ties: resource classes in name order, then `contexts`, `dedicated`, unit rules, missing
   * inventory, `unhealthy`, `zone`); `none` without devices.
   */
  existing: HeadroomCount;
  /**
   * On every device the pool may have. The limit is `max` (`size`, `devices`) when an empty device
   * would take the shape, else what stops an empty device.
   */
  upToMax: HeadroomCount;
}

/** Headroom of a shape in one pool: its totals and, for a pool with zones, each zone's share. */
export interface PoolHeadroom extends ZoneHeadroom {
  template: string;
  /** By zone; devices without a zone count in the pool's totals only. `{}` for a pool without zones. */
  zones: Record<string, ZoneHeadroom>;
}

/** Headroom of one shape, per pool. */
export interface ShapeHeadroom {
  demand: Record<ResourceClass, number>;
  tenant: string | null;
  /** How many of the spec's allocations have this demand (0 for a shape given on the command line). */
  allocations: number;
  /** Owned pools with an inventory of every demanded class, by name. */
  pools: Record<string, PoolHeadroom>;
}

export interface HeadroomOptions {
  /** Health of devices by name; a device not listed is healthy. */
  health?: HealthMap;
}

/** A shape of the spec: a distinct demand and the allocations that have it (names sorted). */
export interface SpecShape {
  demand: Record<ResourceClass, number>;
  allocations: string[];
}

/** A demand with its classes in code-unit order, as a key and as the canonical record. */
function canonicalDemand(demand: Record<ResourceClass, number>): {
  key: string;
  demand: Record<string, number>;
} {
  const classes = Object.keys(demand).sort();
  const sorted: Record<string, number> = {};
  for (const rc of classes) sorted[rc] = demand[rc];
  return { key: classes.map((rc) => `${rc}=${demand[rc]}`).join(","), demand: sorted };
}

/**
 * The distinct demands of the spec's allocations, in the order of their first allocation (names in
 * code-unit order), each with the allocations that have it.
 */
export function specShapes(spec: FleetSpec): SpecShape[] {
  const allocations = spec.allocations ?? {};
  const byKey = new Map<string, SpecShape>();
  for (const name of Object.keys(allocations).sort()) {
    const { key, demand } = canonicalDemand(allocations[name].demand);
    const shape = byKey.get(key);
    if (shape === undefined) byKey.set(key, { demand, allocations: [name] });
    else shape.allocations.push(name);
  }
  return [...byKey.values()];
}

/**
 * Headroom on the devices of a plan: `result` is `plan(spec, { previous, health })`, and the devices
 * and placements are its ledger's. A failed plan's ledger is the previous one.
 */
export function headroom(
  spec: FleetSpec,
  result: Pick<PlanResult, "ledger" | "devices">,
  shapes: readonly HeadroomShape[],
  opts: HeadroomOptions = {},
): ShapeHeadroom[] {
  const health: HealthMap = {};
  for (const [name, d] of Object.entries(result.devices)) if (!d.healthy) health[name] = false;
  return ledgerHeadroom(spec, result.ledger, { ...health, ...opts.health }, shapes);
}

/** Headroom on the devices and placements a ledger records (what the Fleet's `capacity` shows). */
export function ledgerHeadroom(
  spec: FleetSpec,
  ledger: Ledger,
  health: HealthMap,
  shapes: readonly HeadroomShape[],
): ShapeHeadroom[] {
  const pools = occupiedPools(spec, ledger, health);
  const pending = pendingMoves(spec, ledger, pools);
  return shapes.map((shape) => {
    const { demand } = canonicalDemand(shape.demand);
    const need = Object.entries(demand);
    const tenant = shape.tenant ?? null;
    const undo = holdPendingMoves(pending, pools, (d) => deviceFit(d, need, tenant).fits);
    const out: Record<string, PoolHeadroom> = {};
    for (const pool of pools) {
      if (!need.every(([rc]) => pool.devices.some((d) => d.inv[pool.classIndex.get(rc) ?? -1] !== undefined)))
        continue;
      out[pool.name] = poolHeadroom(pool, need, tenant);
    }
    undo();
    return { allocations: shape.allocations ?? 0, demand, pools: out, tenant };
  });
}

/** Headroom of the spec's own shapes on a ledger (the Fleet's `capacity.headroom`). */
export function specHeadroom(spec: FleetSpec, ledger: Ledger, health: HealthMap): ShapeHeadroom[] {
  const shapes = specShapes(spec).map((s) => ({ demand: s.demand, allocations: s.allocations.length }));
  return ledgerHeadroom(spec, ledger, health, shapes);
}

/**
 * The owned pools as the planner builds them from the ledger (every slot up to `max`, in its zone),
 * with each recorded placement's demand, tenant and context on its device.
 */
function occupiedPools(spec: FleetSpec, ledger: Ledger, health: HealthMap): Pool[] {
  const pools: Pool[] = [];
  const devices = new Map<string, Dev>();
  for (const name of Object.keys(spec.pools).sort()) {
    if (isExternalPool(spec.pools[name])) continue;
    const pool = buildPool(spec, name, ledger.pools[name], health, new Map(), drainedDevices(spec));
    for (const dev of pool.devices) devices.set(dev.name, dev);
    pools.push(pool);
  }
  // Declared devices exist as the spec declares them; created ones as the ledger records them.
  const recorded = new Set(ledgerDevices(spec, ledger).map((m) => m.name));
  for (const pool of pools) for (const dev of pool.devices) dev.existing = recorded.has(dev.name);
  for (const name of Object.keys(ledger.placements).sort()) {
    const p = ledger.placements[name];
    const dev = devices.get(p.device);
    if (dev === undefined) continue;
    const demand = p.demand ?? spec.allocations?.[name]?.demand ?? {};
    const group = spec.allocations?.[name]?.antiAffinityGroup;
    if (group !== undefined) dev.groups.set(group, (dev.groups.get(group) ?? 0) + 1);
    for (const rc of Object.keys(demand)) {
      const i = dev.pool.classIndex.get(rc);
      if (i !== undefined) dev.used[i] += demand[rc];
    }
    if (!dev.tenants.has(p.tenant)) {
      dev.tenants.set(p.tenant, { context: p.context, count: 0 });
      if (p.context !== null && dev.pool.tenancy.mode === "shared") dev.contexts.add(p.context);
    }
    dev.tenants.get(p.tenant)!.count++;
  }
  return pools;
}

/** The most `k` with `used + k * amount <= capacity` (Placement's comparison, exact for integer amounts). */
function fitting(capacity: number, used: number, amount: number): number {
  if (capacity < used + amount) return 0;
  let k = Math.max(1, Math.floor((capacity - used) / amount));
  while (k > 1 && capacity < used + k * amount) k--;
  while (!(capacity < used + (k + 1) * amount)) k++;
  return k;
}

/** Limit precedence among equally common limits: classes (by name) first, then these, in order. */
const ORDER = [
  "contexts",
  "dedicated",
  ":minUnit",
  ":maxUnit",
  ":stepSize",
  ":missing",
  "unhealthy",
  "zone",
  "drained",
];

function rank(limit: HeadroomLimit): [number, string] {
  const i = ORDER.findIndex((k) => (k.startsWith(":") ? limit.endsWith(k) : limit === k));
  return [i < 0 ? -1 : i, limit];
}

/**
 * How many more of the shape one device takes and what stops the next one. `fresh`: the device as
 * if empty, healthy and in a zone of the pool (what a new device would take).
 */
function deviceFit(dev: Dev, need: [string, number][], tenant: string | null, fresh = false): HeadroomCount {
  if (!fresh && !dev.healthy) return { fits: 0, limit: "unhealthy" };
  if (!fresh && dev.retired) return { fits: 0, limit: "zone" };
  if (!fresh && dev.drained) return { fits: 0, limit: "drained" };
  const pool = dev.pool;
  let fits = Infinity;
  let limit = "";
  for (const [rc, amount] of need) {
    const i = pool.classIndex.get(rc);
    const inv = i === undefined ? undefined : dev.inv[i];
    if (inv === undefined) return { fits: 0, limit: `${rc}:missing` };
    const unit = unitViolation(inv, amount);
    if (unit !== null) return { fits: 0, limit: `${rc}:${UNIT_FIELD[unit]}` };
    const k = fitting(dev.cap[i!], fresh ? 0 : dev.used[i!], amount);
    if (k < fits) [fits, limit] = [k, rc];
  }
  const tenants = fresh ? 0 : dev.tenants.size;
  const contexts = fresh ? 0 : dev.contexts.size;
  const present = !fresh && tenant !== null && dev.tenants.has(tenant);
  let room: number;
  if (pool.tenancy.mode === "shared") {
    const free = pool.contextCount - contexts;
    room = present ? Infinity : tenant !== null ? (free > 0 ? Infinity : 0) : Math.max(0, free);
  } else {
    const others = tenants - (present ? 1 : 0);
    room = others > 0 ? 0 : tenant !== null ? Infinity : 1;
  }
  if (room < fits) return { fits: room, limit: pool.tenancy.mode === "shared" ? "contexts" : "dedicated" };
  return { fits, limit };
}

const UNIT_FIELD = { min_unit: "minUnit", max_unit: "maxUnit", step_size: "stepSize" } as const;

/** The limit that stops the most devices (ties by {@link ORDER}); `none` without devices. */
function commonLimit(limits: Map<HeadroomLimit, number>): HeadroomLimit {
  let best: HeadroomLimit = "none";
  let most = 0;
  for (const [limit, n] of limits) {
    if (n < most) continue;
    if (n > most) [best, most] = [limit, n];
    else {
      const [a, b] = [rank(limit), rank(best)];
      if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) best = limit;
    }
  }
  return best;
}

/** What stops the pool when every device it may have is full: its size, unless a new device would not help. */
function poolLimit(pool: Pool, need: [string, number][], tenant: string | null): HeadroomLimit {
  const empty = pool.devices[0];
  if (empty === undefined) return pool.declared ? "devices" : pool.spec.size !== undefined ? "size" : "max";
  const fresh = deviceFit(empty, need, tenant, true);
  if (fresh.fits === 0) return fresh.limit;
  return pool.declared ? "devices" : pool.spec.size !== undefined ? "size" : "max";
}

function tally(devices: readonly { dev: Dev; fit: HeadroomCount }[], upToMax: HeadroomLimit): ZoneHeadroom {
  const limits = new Map<HeadroomLimit, number>();
  let existing = 0;
  let all = 0;
  let count = 0;
  for (const { dev, fit } of devices) {
    all += fit.fits;
    if (!dev.existing) continue;
    count++;
    existing += fit.fits;
    limits.set(fit.limit, (limits.get(fit.limit) ?? 0) + 1);
  }
  return {
    devices: count,
    existing: { fits: existing, limit: commonLimit(limits) },
    maxDevices: devices.length,
    upToMax: { fits: all, limit: upToMax },
  };
}

function poolHeadroom(pool: Pool, need: [string, number][], tenant: string | null): PoolHeadroom {
  const fits = pool.devices.map((dev) => ({ dev, fit: deviceFit(dev, need, tenant) }));
  const limit = poolLimit(pool, need, tenant);
  const zones: Record<string, ZoneHeadroom> = {};
  const names = [...new Set(pool.devices.map((d) => d.zone).filter((z): z is string => z !== null))];
  const listed = pool.declared ? [] : (pool.spec.zones ?? []);
  for (const zone of [...new Set([...listed, ...names])].sort()) {
    zones[zone] = tally(
      fits.filter((f) => f.dev.zone === zone),
      limit,
    );
  }
  return { template: pool.templateName, ...tally(fits, limit), zones };
}
