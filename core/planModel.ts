/**
 * The planner's working model: mutable devices, pools and allocations, shared by the planner
 * (`plan.ts`), pool building (`planPools.ts`), the explanations (`explain.ts`) and the change
 * accounting (`changes.ts`). Internal to core/; nothing here is exported from the package.
 */
import type { Shard } from "./shard";
import type {
  AllocationSpec,
  ClaimTarget,
  Inventory,
  LedgerPlacement,
  OwnedPoolSpec,
  TemplateSpec,
  TenancySpec,
} from "./types";

export interface TenantSlot {
  context: number | null;
  count: number;
}

export interface Dev {
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
  /** The device exists in the previous ledger. */
  existing: boolean;
  /** Its zone left the pool's `zones`: it takes nothing new and is removed once idle. */
  retired: boolean;
  /** Listed in `drain`: it takes nothing new, its allocations leave, it is not standby. */
  drained: boolean;
  /** Drained with `remove: true`: removed once idle (created devices only). */
  removing: boolean;
  shard: Shard<Dev>;
  slot: number;
  allocs: Alloc[];
  tenants: Map<string, TenantSlot>;
  contexts: Set<number>;
  groups: Map<string, number>;
}

export interface Pool {
  name: string;
  spec: OwnedPoolSpec;
  templateName: string;
  template: TemplateSpec;
  tenancy: TenancySpec;
  contextCount: number;
  strategy: "pack" | "spread";
  declared: boolean;
  /** Every device of the pool has the template's traits and inventory. */
  uniform: boolean;
  classes: string[];
  classIndex: Map<string, number>;
  /** Every device the pool may have, by index (created pools: slots up to `max` or `size`). */
  devices: Dev[];
  /** The highest index of a device the previous ledger records (-1: none); free numbers below it are holes. */
  highestExisting: number;
  limit: number;
  /** Devices the previous ledger records, name -> zone. */
  previous: Record<string, string | null>;
  shards: Map<string | null, Shard<Dev>>;
  shardList: Shard<Dev>[];
  tenantDevices: Map<string, Set<Dev>>;
  busy: Set<Dev>;
  /** Discretionary moves out of the pool still allowed in this plan (`disruptionBudget`). */
  budget: number;
  /**
   * Why allocations on unhealthy devices stay instead of being evacuated (the circuit breaker,
   * `maxUnhealthyShare`, tripped); `null` when evacuation proceeds.
   */
  breaker: string | null;
}

export interface Alloc {
  name: string;
  spec: AllocationSpec;
  tenant: string;
  demand: [string, number][];
  weight: number;
  /** Eligible pools in preference order. */
  pools: Pool[];
  /**
   * The same pools in preference tiers: pools whose template lists the allocation's service type,
   * then templates that host any. A device of an earlier tier always wins.
   */
  tiers: Pool[][];
  /** The external pool to claim from when every eligible pool is external; the planner leaves it alone. */
  claim: ClaimTarget | null;
  require: string[];
  forbid: string[];
  requireAny: string[][];
  zone: string | null;
  group: string | null;
  pin: string | null;
  /** Its placement in the previous ledger. */
  prev: LedgerPlacement | undefined;
  /** Its own spec changed since the previous ledger (demand or tenant). */
  changed: boolean;
  device: Dev | null;
  context: number | null;
  /** Previous device and the reason it had to leave it. */
  movedFrom: { device: string; reason: string } | null;
}

/** Why a device refuses an allocation; `OK` when it takes it. */
export const enum Refusal {
  OK,
  Unhealthy,
  Retired,
  Drained,
  Traits,
  Zone,
  Group,
  Dedicated,
  Contexts,
  MissingClass,
  Units,
  Capacity,
}

export const TOLERANCE = 1e-9;

/** A name or number as a Markdown code span, as every message writes field and object names. */
export function bt(s: string | number): string {
  return `\`${s}\``;
}

export function fmtDemand(demand: [string, number][]): string {
  return demand.map(([rc, n]) => `${n} ${rc}`).join(", ");
}

export function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
