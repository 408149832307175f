/**
 * The fleet spec, the ledger and the plan result: plain data shared by every layer.
 *
 * Spec types are generic over `S`, the type of values that are only passed through to child
 * resources (network ids, image names, user data, management URLs). The core reads none of them,
 * so `FleetSpec` uses plain strings and the Pulumi components use `pulumi.Input<string>`.
 */

/** An OpenStack Placement resource class: a standard name (`VCPU`) or `CUSTOM_[A-Z0-9_]+`. */
export type ResourceClass = string;
/** An OpenStack Placement trait: a standard name (`HW_NIC_SRIOV`) or `CUSTOM_[A-Z0-9_]+`. */
export type Trait = string;

/** One inventory record, with Placement's field meanings. */
export interface Inventory {
  total: number;
  /** @default 0 */
  reserved: number;
  /** @default 1 */
  minUnit: number;
  /** @default 2147483647 */
  maxUnit: number;
  /** @default 1 */
  stepSize: number;
  /** @default 1.0 */
  allocationRatio: number;
}

/** A capacity entry in the spec: a bare total, or an inventory with Placement's defaults for what is left out. */
export type InventorySpec = number | ({ total: number } & Partial<Omit<Inventory, "total">>);

export type Driver = "openstack" | "docker" | "physical";
export type IsolationKind = "vrf" | "vlan" | "namespace";

export type TenancySpec =
  | { mode: "dedicated" }
  | { mode: "shared"; isolation: IsolationKind; contexts: { first: number; last: number } };

/** An image reference: by name, by id, or uploaded from a URL. */
export type ImageRefSpec<S = string> =
  { name: S } | { id: S } | { source: S; diskFormat?: string; containerFormat?: string };

/** A flavor reference: by name, by id, or created from sizes. */
export type FlavorRefSpec<S = string> =
  | { name: S }
  | { id: S }
  | { vcpus: number; ramMb: number; diskGb: number; extraSpecs?: Record<string, string> };

export interface OpenStackTemplateSpec<S = string> {
  image: ImageRefSpec<S>;
  flavor: FlavorRefSpec<S>;
  /** Management network(s), by name or id. */
  networks: S[];
  keyPair?: S;
  securityGroups?: S[];
  userData?: S;
  metadata?: Record<string, S>;
}

export interface DockerTemplateSpec<S = string> {
  image: S;
  /** CPU limit in cores. */
  cpus?: number;
  memoryMb?: number;
  networks?: S[];
  env?: Record<string, S>;
  command?: string[];
  ports?: { internal: number; external?: number; protocol?: "tcp" | "udp" }[];
  healthcheck?: { test: string[]; intervalSeconds?: number; timeoutSeconds?: number; retries?: number };
}

export interface TemplateSpec<S = string> {
  driver: Driver;
  /** Service types the template can host; absent means any. */
  serviceTypes?: string[];
  capacity: Record<ResourceClass, InventorySpec>;
  traits?: Trait[];
  /** @default { mode: "dedicated" } */
  tenancy?: TenancySpec;
  bootSeconds?: number;
  openstack?: OpenStackTemplateSpec<S>;
  docker?: DockerTemplateSpec<S>;
  physical?: Record<string, never>;
}

export interface DeclaredDeviceSpec<S = string> {
  name: string;
  management?: { url: S; caFile?: string; insecure?: boolean; timeoutMs?: number };
  credentials?: { username: S; passwordConfig: string };
  serial?: string;
  zone?: string;
  capacity?: Record<ResourceClass, InventorySpec>;
  traits?: Trait[];
}

export type Strategy = "pack" | "spread";
export type AntiAffinity = "none" | "soft" | "hard";

/** A pool this fleet owns: it creates the devices (or declares its appliances). */
export interface OwnedPoolSpec<S = string> {
  template: string;
  /** @default 0 */
  standby?: number;
  /** @default 0 */
  min?: number;
  /** @default 100 */
  max?: number;
  size?: number;
  /** @default "pack" */
  strategy?: Strategy;
  zones?: string[];
  /** @default "none" */
  antiAffinity?: AntiAffinity;
  devices?: DeclaredDeviceSpec<S>[];
  /**
   * Discretionary moves out of this pool per plan (drains, devices of a removed zone): the most
   * urgent within the budget, the rest deferred to the next plan. Moves that must happen (an
   * allocation no longer fits, its device is gone or unhealthy) are never deferred.
   * @default unlimited
   */
  disruptionBudget?: number;
  /**
   * The circuit breaker: when more than this share (0 to 1) of the pool's devices is unhealthy at
   * once, allocations on unhealthy devices stay where they are (reported as deferred) instead of
   * being evacuated: a monitoring outage does not move the whole pool. @default 1 (never trips)
   */
  maxUnhealthyShare?: number;
  /**
   * Rebalancing, opt-in: at most this many moves per plan (within `disruptionBudget`) that free a
   * device (`strategy: pack`: consolidate onto busy devices) or even out the load (`spread`: from
   * the most to the least loaded device). @default 0 (never)
   */
  rebalance?: number;
  /** Only on {@link ExternalPoolSpec}. */
  external?: never;
}

/** Where an external pool lives: a pool of another fleet, shared through OpenStack Placement. */
export interface ExternalPoolRef {
  /** The owning fleet's name (its Ledger's `fleet`). */
  fleet: string;
  /** The pool's name in that fleet. @default this pool's name */
  pool?: string;
}

/**
 * A pool another fleet owns: it has no devices here, the planner skips it, and allocations that
 * can only use external pools are claimed from Placement (`PlanResult.claims`). `external`
 * excludes every other pool field.
 */
export interface ExternalPoolSpec {
  external: ExternalPoolRef;
  template?: never;
  standby?: never;
  min?: never;
  max?: never;
  size?: never;
  strategy?: never;
  zones?: never;
  antiAffinity?: never;
  devices?: never;
  disruptionBudget?: never;
  maxUnhealthyShare?: never;
  rebalance?: never;
}

export type PoolSpec<S = string> = OwnedPoolSpec<S> | ExternalPoolSpec;

/**
 * A device to drain: by name (a created device `<pool>-<n>` or a declared one), or as an object
 * that also removes a created device once it is empty. A drained device receives nothing new, its
 * allocations move (discretionary moves, within the pool's `disruptionBudget`), it is not standby,
 * and its name is not reused while it is listed.
 */
export type DrainSpec = string | { device: string; remove?: boolean };

export interface TenantNetworkSpec<S = string> {
  network: S;
  subnet?: S;
  fixedIp?: S;
}

export interface AllocationSpec<S = string> {
  tenant: string;
  serviceType?: string;
  pools?: string[];
  demand: Record<ResourceClass, number>;
  require?: Trait[];
  forbid?: Trait[];
  requireAny?: Trait[][];
  zone?: string;
  antiAffinityGroup?: string;
  device?: string;
  networks?: TenantNetworkSpec<S>[];
}

export type BackendSpec = { kind: "state" } | { kind: "placement"; endpoint?: string; cloud?: string };

export interface FleetSpecOf<S> {
  templates: Record<string, TemplateSpec<S>>;
  pools: Record<string, PoolSpec<S>>;
  allocations?: Record<string, AllocationSpec<S>>;
  /** @default { kind: "state" } */
  backend?: BackendSpec;
  /** Devices to drain for maintenance or retirement. @default [] */
  drain?: DrainSpec[];
}

/** A fleet spec with plain values, as read from YAML or JSON. */
export type FleetSpec = FleetSpecOf<string>;

/** Isolation context of a tenant on a shared device; `null` on dedicated devices. */
export interface Isolation {
  kind: IsolationKind;
  id: number;
}

/** One placement in the compact ledger. */
export interface LedgerPlacement {
  device: string;
  tenant: string;
  /** Isolation context id on shared devices, `null` on dedicated ones. */
  context: number | null;
  /** The demand it was placed with, so the next plan can tell what changed (absent in v1 ledgers). */
  demand?: Record<ResourceClass, number>;
}

/**
 * A pool's devices as the ledger records them. A created device keeps its name and zone until it
 * is removed; `source` is what the pool's devices were created from, one digest per field
 * ({@link SourceField}), so the next plan can name what changed and which devices it replaces.
 */
export interface LedgerPool {
  /** Digest of each field the devices are created from; empty for declared (physical) pools. */
  source: Record<string, string>;
  /** Device name -> the zone it was created in (`null`: no zone). */
  devices: Record<string, string | null>;
}

/**
 * The compact state one plan hands to the next: each pool's devices (with their zones and what
 * they were created from) and the placements. A pool with no devices has no entry. Everything else
 * is derived from the spec.
 */
export interface Ledger {
  version: 2;
  pools: Record<string, LedgerPool>;
  placements: Record<string, LedgerPlacement>;
}

/** The ledger of servicevm 0.1: created-pool sizes only (zones followed the spec round-robin). */
export interface LedgerV1 {
  version: 1;
  pools: Record<string, number>;
  placements: Record<string, { device: string; tenant: string; context: number | null }>;
}

export interface PlanError {
  /** Dotted JSON path into the spec, e.g. `allocations.tenant-b-fw.demand.VCPU`. */
  path: string;
  message: string;
}

export interface PoolResult {
  template: string;
  devices: string[];
  /** Devices that host at least one allocation. */
  needed: number;
  /** Healthy devices that host nothing. */
  standby: number;
}

export interface DeviceResult {
  pool: string;
  index: number;
  zone: string | null;
  healthy: boolean;
  capacity: Record<ResourceClass, number>;
  used: Record<ResourceClass, number>;
  free: Record<ResourceClass, number>;
  tenants: string[];
  allocations: string[];
}

export interface PlacementResult {
  device: string;
  pool: string;
  tenant: string;
  isolation: Isolation | null;
}

/** A device that is replaced or updated, with what it hosts. */
export interface DeviceImpact {
  device: string;
  allocations: string[];
  tenants: string[];
}

/** A device a pool gains, with the zone it is created in. */
export interface AddedDevice {
  name: string;
  zone: string | null;
}

/**
 * One difference between the previous ledger and the next one. Applying every change of a plan to
 * its previous ledger (`applyChanges`) gives the next ledger exactly: nothing the apply does to a
 * device or a tenant's service is missing.
 *
 * Allocation changes: `place`, `move`, `release`, `retenant` (its tenant changed, same device),
 * `reisolate` (its isolation context changed, same device and tenant), `resize` (its demand
 * changed; alone when it still fits where it is), `defer` (a move the plan does not make yet: a
 * drain with no room, a disruption budget used up, a tripped circuit breaker; the allocation stays
 * and the ledger does not change). Device changes: `grow`/`shrink` (devices added
 * or removed, with the reason), `remove` (a pool that left the spec, with its devices), `replace`
 * (what a device is created from changed: the driver destroys and re-creates it) and `update` (a
 * change the driver makes in place).
 */
export type Change =
  | {
      op: "place";
      allocation: string;
      tenant: string;
      to: string;
      isolation: Isolation | null;
      demand: Record<ResourceClass, number>;
    }
  | {
      op: "move";
      allocation: string;
      from: string;
      to: string;
      reason: string;
      isolation: { from: Isolation | null; to: Isolation | null };
    }
  | { op: "release"; allocation: string; from: string; reason: string }
  | { op: "defer"; allocation: string; device: string; reason: string }
  | {
      op: "retenant";
      allocation: string;
      device: string;
      from: string;
      to: string;
      isolation: { from: Isolation | null; to: Isolation | null };
    }
  | {
      op: "reisolate";
      allocation: string;
      device: string;
      reason: string;
      isolation: { from: Isolation | null; to: Isolation | null };
    }
  | {
      op: "resize";
      allocation: string;
      device: string;
      from: Record<ResourceClass, number>;
      to: Record<ResourceClass, number>;
    }
  | {
      op: "grow";
      pool: string;
      from: number;
      to: number;
      devices: AddedDevice[];
      reason: string;
      /** What the new devices are created from. */
      source: Record<string, string>;
    }
  | { op: "shrink"; pool: string; from: number; to: number; devices: string[]; reason: string }
  | { op: "remove"; pool: string; devices: string[]; reason: string }
  | ({
      op: "replace";
      pool: string;
      /** Fields whose value changed (`image`, `flavor`, `networks`...). */
      changed: string[];
      /** Fields whose value is not known at plan time (wired from a resource not created yet). */
      unknown: string[];
      source: Record<string, string>;
    } & DeviceImpact)
  | ({
      op: "update";
      pool: string;
      changed: string[];
      unknown: string[];
      source: Record<string, string>;
      /** A declared device's new zone (update of a physical appliance's declaration). */
      zone?: string | null;
    } & DeviceImpact);

/** An allocation the planner leaves to Placement: the external pool it is claimed from. */
export interface ClaimTarget {
  /** The owning fleet. */
  fleet: string;
  /** The pool's name in the owning fleet. */
  pool: string;
}

export interface PlanResult {
  ok: boolean;
  errors: PlanError[];
  /**
   * Allocations whose eligible pools are all external, by name (sorted): the first external pool
   * in preference order, to claim from Placement. `plan()` always sets it (`{}` when none).
   */
  claims?: Record<string, ClaimTarget>;
  pools: Record<string, PoolResult>;
  devices: Record<string, DeviceResult>;
  placements: Record<string, PlacementResult>;
  changes: Change[];
  ledger: Ledger;
}

/** Health of devices by name; a device not listed is healthy. */
export type HealthMap = Record<string, boolean>;

/**
 * What each template's devices are created from, one digest per field, when the caller computed it
 * (the Pulumi Fleet does, from resolved inputs); `null` marks a value not known at plan time.
 * Without it the planner computes the digests from the spec's driver blocks.
 */
export type TemplateSources = Record<string, Record<string, string | null>>;

export interface PlanOptions {
  /** The previous ledger; a servicevm 0.1 (`version: 1`) ledger is upgraded first. */
  previous?: Ledger | LedgerV1;
  health?: HealthMap;
  sources?: TemplateSources;
}
