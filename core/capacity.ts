/**
 * Capacity summaries, one definition for every place that shows them: the reports (`poolUsage`),
 * the Ledger's state (`capacity`) and the Fleet's `capacity` output (`ledgerView`). A pool sums its
 * devices per resource class; amounts are Placement doubles (`(total - reserved) * ratio`), so
 * what lands in state or output is rounded to 1e-6 once, after summing.
 */

/** Total, used and free of one resource class. */
export interface ClassUsage {
  total: number;
  used: number;
  free: number;
}

/** One device as a summary counts it. */
export interface DeviceUsage {
  healthy: boolean;
  /** Hosts at least one allocation. */
  busy: boolean;
  /** Drained (`drain`): it takes nothing new, so an idle one is not standby. */
  drained: boolean;
  /** Capacity and use per resource class. */
  classes: Record<string, { total: number; used: number }>;
}

/** A pool's summary: device counts and total/used/free per resource class (classes sorted). */
export interface PoolSummary {
  busy: number;
  /** Healthy devices hosting nothing and not drained: booted and waiting. */
  standby: number;
  unhealthy: number;
  classes: Record<string, ClassUsage>;
}

/** An amount as state and outputs keep it: rounded to 1e-6, so float noise never shows as a diff. */
export function roundAmount(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** Total, used and free of one class, rounded. */
export function classUsage(total: number, used: number): ClassUsage {
  return { total: roundAmount(total), used: roundAmount(used), free: roundAmount(total - used) };
}

/** Sums a pool's devices: counts, and each class's total and use (summed exactly, then rounded). */
export function summarizePool(devices: Iterable<DeviceUsage>): PoolSummary {
  let busy = 0;
  let standby = 0;
  let unhealthy = 0;
  const sums = new Map<string, { total: number; used: number }>();
  for (const d of devices) {
    if (d.busy) busy++;
    else if (d.healthy && !d.drained) standby++;
    if (!d.healthy) unhealthy++;
    for (const rc of Object.keys(d.classes)) {
      const s = sums.get(rc) ?? { total: 0, used: 0 };
      s.total += d.classes[rc].total;
      s.used += d.classes[rc].used;
      sums.set(rc, s);
    }
  }
  const classes: Record<string, ClassUsage> = {};
  for (const rc of [...sums.keys()].sort()) classes[rc] = classUsage(sums.get(rc)!.total, sums.get(rc)!.used);
  return { busy, classes, standby, unhealthy };
}
