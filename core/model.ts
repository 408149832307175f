/**
 * The device model: what each device of a fleet is, derived from the spec and the pool sizes.
 * Shared by the planner, the Pulumi components and the Placement sync, so all three agree on
 * names, zones, inventories and traits.
 */
import { normalizeInventory } from "./inventory";
import type {
  DeclaredDeviceSpec,
  HealthMap,
  Driver,
  ExternalPoolSpec,
  FleetSpec,
  Inventory,
  InventorySpec,
  Ledger,
  OwnedPoolSpec,
  PoolSpec,
  ResourceClass,
  TemplateSpec,
  TenancySpec,
  Trait,
} from "./types";

/** Pool defaults from DESIGN §2. */
export const POOL_DEFAULTS = Object.freeze({
  standby: 0,
  min: 0,
  max: 100,
  strategy: "pack",
  antiAffinity: "none",
});

export interface DeviceModel {
  name: string;
  pool: string;
  /** Position in the pool: `<pool>-<index>` for created pools, declaration order for physical ones. */
  index: number;
  zone: string | null;
  driver: Driver;
  inventory: Record<ResourceClass, Inventory>;
  /** Sorted, without duplicates. */
  traits: Trait[];
  tenancy: TenancySpec;
}

/** True for a pool another fleet owns (`external`): it has no devices in this fleet. */
export function isExternalPool(pool: PoolSpec | undefined): pool is ExternalPoolSpec {
  return pool?.external !== undefined;
}

/** True when the pool's devices are declared appliances rather than created ones. */
export function isDeclaredPool(pool: PoolSpec, template: TemplateSpec | undefined): boolean {
  return template?.driver === "physical" || pool.devices !== undefined;
}

/**
 * Name of the `index`-th device of a created pool: `<pool>-<index>`. Pool names match
 * `^[a-z][a-z0-9-]{0,62}$`, so the text after the last `-` is always the index and two pools never
 * produce the same name (validation also refuses a declared device named like a created one).
 */
export function deviceName(pool: string, index: number): string {
  return `${pool}-${index}`;
}

/**
 * Zone of the `index`-th device of a created pool under servicevm 0.1's round-robin, which the
 * upgrade of a 0.1 ledger uses to recover the zones its devices were created in.
 */
export function createdDeviceZone(pool: PoolSpec, index: number): string | null {
  const zones = pool.zones ?? [];
  return zones.length === 0 ? null : zones[index % zones.length];
}

export function tenancyOf(template: TemplateSpec): TenancySpec {
  return template.tenancy ?? { mode: "dedicated" };
}

/** A template's own inventory, normalized once per capacity object (devices without overrides share it). */
const templateInventories = new WeakMap<object, Record<ResourceClass, Inventory>>();

function inventories(
  base: Record<ResourceClass, InventorySpec>,
  override: Record<ResourceClass, InventorySpec> | undefined,
): Record<ResourceClass, Inventory> {
  if (override === undefined) {
    let shared = templateInventories.get(base);
    if (shared === undefined) templateInventories.set(base, (shared = inventories(base, {})));
    return shared;
  }
  const merged = { ...base, ...(override ?? {}) };
  const out: Record<ResourceClass, Inventory> = {};
  for (const rc of Object.keys(merged).sort()) out[rc] = normalizeInventory(merged[rc]);
  return out;
}

function sortedTraits(...lists: (Trait[] | undefined)[]): Trait[] {
  return [...new Set(lists.flatMap((l) => l ?? []))].sort();
}

const sharedTraits = new WeakMap<TemplateSpec, Trait[]>();

/** A template's traits, sorted once per template (devices without extra traits share the list). */
function templateTraits(template: TemplateSpec): Trait[] {
  let traits = sharedTraits.get(template);
  if (traits === undefined) sharedTraits.set(template, (traits = sortedTraits(template.traits)));
  return traits;
}

/** The model of one device of an owned pool: its template's inventory and traits, the given zone. */
function model(
  spec: FleetSpec,
  poolName: string,
  index: number,
  name: string,
  zone: string | null,
  declared?: DeclaredDeviceSpec,
): DeviceModel {
  const pool = spec.pools[poolName] as OwnedPoolSpec;
  const template = spec.templates[pool.template];
  return {
    name,
    pool: poolName,
    index,
    zone,
    driver: template.driver,
    inventory: inventories(template.capacity, declared?.capacity),
    traits:
      declared?.traits === undefined
        ? templateTraits(template)
        : sortedTraits(template.traits, declared.traits),
    tenancy: tenancyOf(template),
  };
}

/** The index of a created device from its name (`fw-12` -> 12); see {@link deviceName}. */
export function deviceIndex(name: string): number {
  return Number(name.slice(name.lastIndexOf("-") + 1));
}

/** The declared (physical) devices of a pool, in declaration order; `[]` for other pools. */
export function declaredDevices(spec: FleetSpec, poolName: string): DeviceModel[] {
  const pool = spec.pools[poolName];
  if (pool === undefined || isExternalPool(pool) || !isDeclaredPool(pool, spec.templates[pool.template]))
    return [];
  return (pool.devices ?? []).map((d, index) => model(spec, poolName, index, d.name, d.zone ?? null, d));
}

/**
 * A created device of a pool, by index, in the zone the ledger recorded (devices keep their zone
 * for life: DESIGN §3).
 */
export function createdDevice(
  spec: FleetSpec,
  poolName: string,
  index: number,
  zone: string | null,
): DeviceModel {
  return model(spec, poolName, index, deviceName(poolName, index), zone);
}

/**
 * Every device of the fleet as a ledger records it, pools in name order, devices in index order:
 * created devices with their recorded zones, declared devices as the spec declares them. Pools the
 * spec no longer has (or that became external) are left out.
 */
export function ledgerDevices(spec: FleetSpec, ledger: Ledger): DeviceModel[] {
  const out: DeviceModel[] = [];
  for (const name of Object.keys(spec.pools).sort()) {
    const pool = spec.pools[name];
    if (isExternalPool(pool)) continue;
    if (isDeclaredPool(pool, spec.templates[pool.template])) {
      out.push(...declaredDevices(spec, name));
      continue;
    }
    const devices = ledger.pools[name]?.devices ?? {};
    const models = Object.keys(devices).map((d) => createdDevice(spec, name, deviceIndex(d), devices[d]));
    out.push(...models.sort((x, y) => x.index - y.index));
  }
  return out;
}

/**
 * Resolves the health inputs: booleans stay, anything else (unknown in preview, or missing from a
 * mock's outputs) is healthy.
 */
export function resolveHealth(health: unknown): HealthMap {
  const out: HealthMap = {};
  if (health === null || typeof health !== "object") return out;
  const record = health as Record<string, unknown>;
  for (const device of Object.keys(record).sort()) out[device] = record[device] !== false;
  return out;
}

/** The spec's `drain` as the planner reads it: device name -> remove once idle. */
export function drainedDevices(spec: FleetSpec): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const entry of spec.drain ?? []) {
    if (typeof entry === "string") out.set(entry, false);
    else out.set(entry.device, entry.remove === true);
  }
  return out;
}
