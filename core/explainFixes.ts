/**
 * The fixes `servicevm explain` offers for an allocation that fits nowhere: the candidates and the
 * checker the planner's errors use (fixCheck.ts), without their budget, so every single spec change
 * that re-planning the allocation's part of the fleet confirms is listed, smallest first.
 */
import type { ExplainFix, Scene, Settled } from "./explainAllocation";
import { findFixes, FixChecker } from "./fixCheck";
import { plan } from "./plan";
import type { PlanOptions } from "./types";

export function explainFixes(s: Settled, scene: Scene, opts: PlanOptions): ExplainFix[] {
  const checker = new FixChecker(plan, s.spec, opts);
  const ctx = { a: scene.target, refusal: scene.board.refusal.bind(scene.board), spec: s.spec };
  // The part plans without the other allocations that fit nowhere, so a fix's re-plan is whole.
  return findFixes(checker, ctx).fixes.flatMap((f) =>
    f.device === null ? [] : [{ change: f.change, device: f.device, path: f.path, size: f.size }],
  );
}
