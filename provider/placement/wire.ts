/**
 * Placement's wire forms (JSON as microversion 1.39 sends and takes it), and the conversion of
 * servicevm's inventory to and from it. Type-only apart from the two converters; client.ts
 * re-exports everything here.
 */
import type { Inventory } from "../../core/types";

/** A resource provider as Placement lists it. */
export interface ProviderRecord {
  uuid: string;
  name: string;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
}

/** Placement's wire form of one inventory record. */
export interface InventoryRecord {
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
}

export interface ConsumerAllocations {
  /** Provider uuid -> resources. Empty when the consumer does not exist. */
  allocations: Record<string, { resources: Record<string, number>; generation?: number }>;
  /** `null` when the consumer does not exist (write with `consumer_generation: null` to create it). */
  consumer_generation: number | null;
  project_id?: string;
  user_id?: string;
  consumer_type?: string;
}

export interface ProviderAllocations {
  resource_provider_generation: number;
  allocations: Record<string, { resources: Record<string, number>; consumer_generation: number | null }>;
}

/** One consumer's allocation write, as `PUT /allocations/{c}` and `POST /allocations` take it. */
export interface AllocationWrite {
  allocations: Record<string, { resources: Record<string, number> }>;
  project_id: string;
  user_id: string;
  consumer_generation: number | null;
  consumer_type: string;
}

export interface AllocationCandidates {
  allocation_requests: {
    allocations: Record<string, { resources: Record<string, number> }>;
    mappings?: Record<string, string[]>;
  }[];
  provider_summaries: Record<
    string,
    {
      resources: Record<string, { capacity: number; used: number }>;
      traits: string[];
      parent_provider_uuid: string | null;
      root_provider_uuid: string;
    }
  >;
}

/** Query parameters; an array value repeats the parameter (`required`, `member_of`). */
export type Query = Record<string, string | number | (string | number)[] | undefined>;

/** Core inventory -> Placement wire form, every field sent (`max_unit` too). */
export function toInventoryRecord(inv: Inventory): InventoryRecord {
  return {
    total: inv.total,
    reserved: inv.reserved,
    min_unit: inv.minUnit,
    max_unit: inv.maxUnit,
    step_size: inv.stepSize,
    allocation_ratio: inv.allocationRatio,
  };
}

/** Placement wire form -> core inventory. */
export function fromInventoryRecord(rec: InventoryRecord): Inventory {
  return {
    total: rec.total,
    reserved: rec.reserved,
    minUnit: rec.min_unit,
    maxUnit: rec.max_unit,
    stepSize: rec.step_size,
    allocationRatio: rec.allocation_ratio,
  };
}

/** A request's query string, keys sorted (so identical requests have identical URLs). */
export function queryString(query: Query | undefined): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}
