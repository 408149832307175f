/**
 * The fleet spec, the ledger and the plan result: plain data shared by every layer. The spec's
 * types live in specTypes.ts and are re-exported here.
 */
import type { ResourceClass, IsolationKind } from "./specTypes";

export * from "./specTypes";

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
  /** Listed in `drain`: takes nothing new and is not standby (absent when not drained). */
  drained?: true;
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
 * or removed, with the reason), `remove` (a pool that left the spec, with its devices and the
 * allocations and tenants they hosted), `replace` (what a device is created from changed: the
 * driver destroys and re-creates it) and `update` (a change the driver makes in place; a declared
 * device's `zone` with its `fromZone`).
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
  | {
      op: "remove";
      pool: string;
      devices: string[];
      reason: string;
      /** The allocations its devices hosted (each moves or is released), sorted. */
      allocations: string[];
      /** Their tenants, sorted: their services stop when the devices are deleted. */
      tenants: string[];
    }
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
      /** A declared device's new zone (update of a physical appliance's declaration): it is re-racked. */
      zone?: string | null;
      /** The zone it was in, beside `zone`. */
      fromZone?: string | null;
    } & DeviceImpact);

/**
 * A change that deletes or reboots a device hosting allocations: their tenants' services go down.
 * `replace` (re-created), `remove` (its pool left the spec: deleted), `update` of a declared
 * device's zone (re-racked) or of a flavor (a resize reboots the server). Derived from `changes`
 * (`changeWarnings`); `applyChanges` does not read it.
 */
export interface PlanWarning {
  op: "replace" | "remove" | "update";
  pool: string;
  /** The devices it names: the one replaced or updated, or every device of a removed pool. */
  devices: string[];
  /** The allocations on them, sorted. */
  allocations: string[];
  /** Their tenants, sorted. */
  tenants: string[];
  /** One sentence naming the devices, why, and who is hosted (as the Pulumi preview logs it). */
  message: string;
}

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
