/**
 * The Ledger's `placement` state and the inputs placement mode passes from `check` to
 * `create`/`update` (ledgerPlacement.ts): their shapes, and when an applied state no longer matches
 * the inputs. Pure.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../core/canonical";
import type { BackendSpec, FleetSpec, TemplateSources } from "../core/types";
import type { PlacementDifference } from "./placement/reconcile";
import type { SyncState } from "./placement/sync";

export type PlacementBackend = Extract<BackendSpec, { kind: "placement" }>;

/** A claim granted on a pool another fleet owns. */
export interface LedgerClaim {
  /** The owning fleet. */
  fleet: string;
  /** The pool's name in this spec. */
  pool: string;
  /** The owning fleet's device. */
  device: string;
}

/** Counts of what the last successful apply wrote. */
export interface PlacementApplyCounts {
  providers: { created: number; updated: number; deleted: number; unchanged: number };
  consumers: { written: number; deleted: number; unchanged: number };
  claims: { granted: number; kept: number; released: number };
}

/** The Ledger's `placement` output. */
export interface LedgerPlacementState {
  fleet: string;
  endpoint: string | null;
  cloud: string | null;
  /** Digest of the planner's spec that was applied: a spec change is an update even when the plan is not. */
  specDigest: string;
  /** The last sync's state, passed as `previous` to the next one. */
  sync: SyncState;
  /** Allocation -> device of the owning fleet, for allocations claimed from external pools. */
  claims: Record<string, LedgerClaim>;
  /** Where Placement put an allocation elsewhere than the plan (sorted by allocation). */
  differences: PlacementDifference[];
  lastApply: PlacementApplyCounts;
  /**
   * This Ledger instance's token: made at its first sync and kept for its life (a rename too), never
   * shared with the Ledger that replaces it. Each create/update records it in Placement as the fleet's
   * owner, and `delete` removes the fleet only while that record names it (`placement/owner.ts`).
   * Absent in a state written before owner records: such a Ledger takes ownership at its next
   * update, and its delete removes the fleet when no owner record exists.
   */
  owner?: string;
}

/** What the placement mode needs besides the planner's state; `check` passes it to `create`/`update`. */
export interface PlacementInputs {
  fleet: string;
  backend: PlacementBackend;
  spec: FleetSpec;
  /**
   * What each template's devices are created from, as `check` planned with it (so `create`/`update`
   * plan the same again). Absent when the program passed none (the planner reads the spec).
   */
  sources?: TemplateSources;
}

export function backendOf(spec: FleetSpec | undefined): PlacementBackend | null {
  const b = spec?.backend;
  if (b === undefined || b.kind !== "placement") return null;
  return {
    kind: "placement",
    ...(b.endpoint !== undefined ? { endpoint: b.endpoint } : {}),
    ...(b.cloud !== undefined ? { cloud: b.cloud } : {}),
  };
}

export function specDigest(spec: FleetSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 32);
}

export function isPlacementState(value: unknown): value is LedgerPlacementState {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v.fleet === "string" && typeof v.sync === "object" && typeof v.claims === "object";
}

/** True when the applied placement state no longer matches the inputs (so `diff` reports a change). */
export function placementChanged(old: unknown, news: Partial<PlacementInputs>): boolean {
  const backend = backendOf(news.spec);
  if (backend === null) return isPlacementState(old);
  if (!isPlacementState(old)) return true;
  return (
    old.fleet !== news.fleet ||
    old.endpoint !== (backend.endpoint ?? null) ||
    old.cloud !== (backend.cloud ?? null) ||
    old.specDigest !== specDigest(news.spec!)
  );
}
