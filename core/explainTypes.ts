/** What `servicevm explain` answers (explainAllocation.ts): the explanation's shapes. */
import type { Isolation, PlanError } from "./types";

/** What happened to the allocation in this plan. */
export type ExplainStatus = "kept" | "deferred" | "moved" | "placed" | "unplaceable" | "claimed";

/** Where a device stands against the chosen one. */
export type Verdict = "chosen" | "before" | "after" | "refused" | "unused";

/** One device the planner considers, in its order. */
export interface CandidateView {
  device: string;
  pool: string;
  zone: string | null;
  /** 1-based position in the order the planner considers devices. */
  rank: number;
  /** Preference tier: 1 for the first (pools that list the service type), 2 for templates that host any. */
  tier: number;
  verdict: Verdict;
  /** Whether the device takes the allocation with everything else where the plan puts it. */
  fits: boolean;
  /** The constraint that excludes it (`null` when it fits), as counted in `excluded`. */
  constraint: string | null;
  /** Why it stands where it does: the refusal, or what put it before or after the chosen device. */
  reason: string;
  /** Dominant share of its most used class, 0..1 (what `spread` compares). */
  load: number;
  /** The device exists after this plan (else it is a slot the pool may still create, up to `max`). */
  exists: boolean;
}

/** Devices excluded by one constraint (Nomad's "dimension exhausted on N nodes"). */
export interface ConstraintCount {
  constraint: string;
  devices: number;
}

/** A single spec change that places the allocation, checked by re-planning. */
export interface ExplainFix {
  /** What to change, in words: "raise `pools.fw.max` from 2 to 3". */
  change: string;
  /** The spec path it changes. */
  path: string;
  /** How big the change is (devices or contexts added; 1 for a relaxed constraint): fixes sort by it. */
  size: number;
  /** Where the re-plan puts the allocation. */
  device: string;
}

/** A pool the allocation may use, with how the planner orders its devices. */
export interface PoolView {
  pool: string;
  template: string;
  tier: number;
  strategy: "pack" | "spread";
  zones: string[];
  /** Devices the pool may have (`max`, `size` or the declared ones). */
  limit: number;
}

export interface AllocationExplanation {
  allocation: string;
  tenant: string;
  demand: Record<string, number>;
  /** Who needs what, where and with which traits (the opening of the planner's error). */
  needs: string;
  status: ExplainStatus;
  /** One sentence: what the plan does with it and why. */
  summary: string;
  device: string | null;
  pool: string | null;
  isolation: Isolation | null;
  /** The device the previous ledger has it on. */
  previous: string | null;
  /** The move's reason, from the plan's changes. */
  moveReason: string | null;
  /**
   * Deferred only: why the plan leaves it on a drained, retired or unhealthy device for now (the
   * reason of the plan's `defer` change).
   */
  deferReason: string | null;
  pools: PoolView[];
  candidates: CandidateView[];
  /** Constraints excluding devices, most devices first. */
  excluded: ConstraintCount[];
  /** Unplaceable only: the planner's error for it. */
  error: string | null;
  /** Unplaceable only: single changes that place it, smallest first. */
  fixes: ExplainFix[];
  /** Other allocations of its part of the fleet that fit nowhere (left out to explain this one). */
  unplaceableNeighbours: string[];
  /** The planner's choice function picks the same device on the board shown (see the module doc). */
  consistent: boolean;
}

export type ExplainResult =
  | { ok: true; explanation: AllocationExplanation }
  | { ok: false; kind: "invalid"; errors: PlanError[] }
  | { ok: false; kind: "unknown"; allocation: string; known: string[] };
