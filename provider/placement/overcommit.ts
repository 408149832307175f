/**
 * The over-commit guard's rule: who keeps their allocation when a provider holds more than its
 * capacity. Placement 8.0 under several workers on MariaDB's REPEATABLE-READ lets concurrent writes
 * through its capacity check (measured: 18 slots granted of 16), so claims and syncs check after
 * writing (claim.ts, sync.ts) and undo what made a provider over. Pure: plain data in, decisions out.
 *
 * The rule, which every racer computes the same way from what it observes:
 *
 * - Holders are ordered by standing, then consumer uuid (`compareText`): `fixed` first (settled
 *   claims, synced allocations of other fleets, foreign consumers such as Nova: never undone here),
 *   then `own` (the consumers the deciding sync just wrote), then `pending` (claims written as
 *   `PENDING_CONSUMER_TYPE` and not yet settled).
 * - In that order every holder that still fits every class it uses, on top of the holders kept
 *   before it, is kept (first fit); the others are `over`. Fixed holders are always kept.
 *
 * A holder's fate depends only on the holders before it in the order, so two racers that observe
 * the same holders before theirs agree on it. First fit rather than the longest fitting prefix: a
 * small claim after a big one that does not fit is still kept, so the capacity stays granted when
 * demands differ; with equal demands both rules keep the same holders.
 */
import { PENDING_CONSUMER_TYPE } from "./ids";
import type { InventoryRecord } from "./wire";
import { compareText } from "../../core/order";

/** How a holder ranks in the order: `fixed` holders are never undone. */
export type Standing = "fixed" | "own" | "pending";

/** One consumer's allocation on the provider being checked. */
export interface Holder {
  consumer: string;
  resources: Record<string, number>;
  standing: Standing;
  /** The consumer generation observed (guards the undo). */
  generation: number | null;
}

/** Who wrote a consumer and as what, at the generation it was read. */
export interface ConsumerInfo {
  generation: number | null;
  type: string;
  projectId: string;
  userId: string;
}

/** A provider as the over-commit check sees it (claim.ts `observeProvider`): capacity per class, and every consumer on it. */
export interface ProviderView {
  capacity: Record<string, number>;
  holders: (ConsumerInfo & { consumer: string; resources: Record<string, number> })[];
}

/**
 * The holders of an observed provider as the rule ranks them: `own` the consumers in `own` (those
 * the deciding sync just wrote; none for a claim), `pending` the claims not yet settled, `fixed`
 * everything else (a consumer whose type was not read, `""`, counts as fixed).
 */
export function holdersOf(view: ProviderView, own: ReadonlySet<string>): Holder[] {
  return view.holders.map((h) => ({
    consumer: h.consumer,
    resources: h.resources,
    generation: h.generation,
    standing: own.has(h.consumer) ? "own" : h.type === PENDING_CONSUMER_TYPE ? "pending" : "fixed",
  }));
}

/** Per class, how much a provider holds and may hold. */
export interface ClassOver {
  resourceClass: string;
  usage: number;
  capacity: number;
}

export interface Judgement {
  /** Holders kept, in the order. */
  kept: string[];
  /** Holders beyond the capacity, in the order: to be undone. */
  over: string[];
  /** Classes whose usage exceeds their capacity now (before any undo), in class order. */
  exceeded: ClassOver[];
  /** Classes that the fixed holders alone exceed (nothing here can fix that), in class order. */
  fixedExceeded: ClassOver[];
}

const RANK: Record<Standing, number> = { fixed: 0, own: 1, pending: 2 };

/**
 * How long a claim kept by the rule (or a sync) waits for the claims beyond the capacity to be
 * undone, by default; a pending claim beyond it seen unchanged for half of this is abandoned. Long
 * enough for a claimer to observe and undo under load (measured: up to ~1 s a request with 16
 * claimers on 2 busy cores), short enough that a stopped claimer blocks nothing for long.
 */
export const VERIFY_TIMEOUT_MS = 10_000;

/** Capacity per class, Placement's own arithmetic: `(total - reserved) * allocation_ratio`. */
export function capacityOf(inventories: Record<string, InventoryRecord>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rc of Object.keys(inventories).sort(compareText)) {
    const inv = inventories[rc];
    out[rc] = (inv.total - inv.reserved) * inv.allocation_ratio;
  }
  return out;
}

/** The order of the rule: standing, then consumer uuid. */
export function holderOrder(a: Holder, b: Holder): number {
  return RANK[a.standing] - RANK[b.standing] || compareText(a.consumer, b.consumer);
}

function add(into: Record<string, number>, resources: Record<string, number>): void {
  for (const [rc, n] of Object.entries(resources)) into[rc] = (into[rc] ?? 0) + n;
}

function exceededBy(usage: Record<string, number>, capacity: Record<string, number>): ClassOver[] {
  return Object.keys(usage)
    .sort(compareText)
    .filter((rc) => usage[rc] > (capacity[rc] ?? 0))
    .map((rc) => ({ resourceClass: rc, usage: usage[rc], capacity: capacity[rc] ?? 0 }));
}

/** Applies the rule to one provider's capacity and holders. */
export function judge(capacity: Record<string, number>, holders: readonly Holder[]): Judgement {
  const sorted = [...holders].sort(holderOrder);
  const usage: Record<string, number> = {};
  const fixed: Record<string, number> = {};
  const used: Record<string, number> = {};
  const kept: string[] = [];
  const over: string[] = [];
  for (const h of sorted) {
    add(usage, h.resources);
    if (h.standing === "fixed") add(fixed, h.resources);
    const fits = Object.entries(h.resources).every(([rc, n]) => (used[rc] ?? 0) + n <= (capacity[rc] ?? 0));
    if (h.standing === "fixed" || fits) {
      add(used, h.resources);
      kept.push(h.consumer);
    } else over.push(h.consumer);
  }
  return { kept, over, exceeded: exceededBy(usage, capacity), fixedExceeded: exceededBy(fixed, capacity) };
}

/**
 * What a claimer does with its pending claim after observing the provider:
 * - `settle`: kept, and the provider is within capacity: re-write it with the normal consumer type;
 * - `wait`: kept, but others beyond the capacity are still there: observe again shortly;
 * - `undo`: beyond the capacity: delete it and ask for candidates again;
 * - `gone`: not on the provider any more (someone removed it): ask for candidates again.
 */
export type ClaimStep = "settle" | "wait" | "undo" | "gone";

export function claimStep(judgement: Judgement, consumer: string): ClaimStep {
  if (judgement.over.includes(consumer)) return "undo";
  if (!judgement.kept.includes(consumer)) return "gone";
  return judgement.exceeded.length === 0 ? "settle" : "wait";
}

/** `CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over)`, classes joined by `; `. */
export function describeOver(classes: readonly ClassOver[]): string {
  return classes
    .map((c) => `${c.resourceClass} usage ${c.usage}, capacity ${c.capacity} (${c.usage - c.capacity} over)`)
    .join("; ");
}

/** Why a claim was undone: the lost race's text, ending the claim's refusal if nothing else is left. */
export function claimUndone(device: string, fleet: string, exceeded: readonly ClassOver[]): string {
  return (
    `device \`${device}\` of fleet \`${fleet}\` was over capacity once this claim was written ` +
    `(${describeOver(exceeded)}: concurrent writes got through Placement's check), ` +
    `and this claim came after the ones kept there, so it was undone`
  );
}

/**
 * Why a sync's allocations were undone on an owned device that others' (fixed) holders fill: the
 * device, the classes with usage and capacity, what was undone, and what to do.
 */
export function syncUndone(
  device: string,
  exceeded: readonly ClassOver[],
  fixedExceeded: readonly ClassOver[],
  undone: readonly string[],
): string {
  const foreign =
    fixedExceeded.length > 0
      ? `other consumers alone hold ${describeOver(fixedExceeded)}`
      : "other consumers hold part of it";
  return (
    `device \`${device}\` is over capacity in Placement (${describeOver(exceeded)}; ${foreign}), ` +
    `so allocation(s) ${undone.map((a) => `\`${a}\``).join(", ")} of this fleet were undone to keep it ` +
    `within capacity; free capacity on it (release the other consumers), raise its inventory, ` +
    `or plan the allocations elsewhere, then sync again`
  );
}
