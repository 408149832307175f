/**
 * The fleet spec: plain data shared by every layer (types.ts re-exports it with the ledger and the
 * plan result).
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
