/**
 * The device model: what each device of a fleet is, derived from the spec and the pool sizes.
 * Shared by the planner, the Pulumi components and the Placement sync, so all three agree on
 * names, zones, inventories and traits.
 */
import { normalizeInventory } from "./inventory";
import type {
  Driver,
  ExternalPoolSpec,
  FleetSpec,
  Inventory,
  InventorySpec,
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

/** Name of the `index`-th device of a created pool. */
export function deviceName(pool: string, index: number): string {
  return `${pool}-${index}`;
}

/** Zone of the `index`-th device of a created pool: round-robin over the pool's zones. */
export function createdDeviceZone(pool: PoolSpec, index: number): string | null {
  const zones = pool.zones ?? [];
  return zones.length === 0 ? null : zones[index % zones.length];
}

export function tenancyOf(template: TemplateSpec): TenancySpec {
  return template.tenancy ?? { mode: "dedicated" };
}

function inventories(
  base: Record<ResourceClass, InventorySpec>,
  override: Record<ResourceClass, InventorySpec> | undefined,
): Record<ResourceClass, Inventory> {
  const merged = { ...base, ...(override ?? {}) };
  const out: Record<ResourceClass, Inventory> = {};
  for (const rc of Object.keys(merged).sort()) out[rc] = normalizeInventory(merged[rc]);
  return out;
}

function sortedTraits(...lists: (Trait[] | undefined)[]): Trait[] {
  return [...new Set(lists.flatMap((l) => l ?? []))].sort();
}

/**
 * The devices of one pool, in index order. `size` is the device count of a created pool and is
 * ignored for declared (physical) pools, whose devices are the declared ones. External pools
 * have none here.
 */
export function poolDevices(spec: FleetSpec, poolName: string, size: number): DeviceModel[] {
  const pool = spec.pools[poolName];
  if (isExternalPool(pool)) return [];
  const template = spec.templates[pool.template];
  const tenancy = tenancyOf(template);
  if (isDeclaredPool(pool, template)) {
    return (pool.devices ?? []).map((d, index) => ({
      name: d.name,
      pool: poolName,
      index,
      zone: d.zone ?? null,
      driver: template.driver,
      inventory: inventories(template.capacity, d.capacity),
      traits: sortedTraits(template.traits, d.traits),
      tenancy,
    }));
  }
  const inventory = inventories(template.capacity, undefined);
  const traits = sortedTraits(template.traits);
  const out: DeviceModel[] = [];
  for (let index = 0; index < size; index++) {
    out.push({
      name: deviceName(poolName, index),
      pool: poolName,
      index,
      zone: createdDeviceZone(pool, index),
      driver: template.driver,
      inventory,
      traits,
      tenancy,
    });
  }
  return out;
}

/** Every device of the fleet for the given created-pool sizes, pools in name order. */
export function buildDevices(spec: FleetSpec, poolSizes: Record<string, number>): DeviceModel[] {
  return Object.keys(spec.pools)
    .sort()
    .flatMap((p) => poolDevices(spec, p, poolSizes[p] ?? 0));
}
