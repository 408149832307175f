/** Capacity per pool and resource class, and how the reports write it. */
import type { PlanResult } from "../types";

export interface PoolUsage {
  pool: string;
  template: string;
  devices: number;
  busy: number;
  standby: number;
  unhealthy: number;
  /** Per resource class: capacity and used, summed over the pool's devices. */
  classes: Record<string, { capacity: number; used: number }>;
}

/** Capacity summed per pool and resource class. */
export function poolUsage(result: Pick<PlanResult, "pools" | "devices">): PoolUsage[] {
  return Object.keys(result.pools)
    .sort()
    .map((name) => {
      const pool = result.pools[name];
      const classes: Record<string, { capacity: number; used: number }> = {};
      let unhealthy = 0;
      for (const d of pool.devices) {
        const dev = result.devices[d];
        if (dev === undefined) continue;
        if (!dev.healthy) unhealthy++;
        for (const rc of Object.keys(dev.capacity)) {
          const c = (classes[rc] ??= { capacity: 0, used: 0 });
          c.capacity += dev.capacity[rc];
          c.used += dev.used[rc] ?? 0;
        }
      }
      const sorted: PoolUsage["classes"] = {};
      for (const rc of Object.keys(classes).sort()) sorted[rc] = classes[rc]!;
      return {
        pool: name,
        template: pool.template,
        devices: pool.devices.length,
        busy: pool.needed,
        standby: pool.standby,
        unhealthy,
        classes: sorted,
      };
    });
}

/** One row per pool and resource class. */
export interface UsageRow {
  pool: string;
  rc: string;
  /** `used / total`, e.g. `6 / 24`. */
  amount: string;
  /** A 10-character bar and the percentage, e.g. `▓▓▓░░░░░░░ 25%`; `-` without capacity. */
  use: string;
}

export function usageRows(usage: readonly PoolUsage[]): UsageRow[] {
  return usage.flatMap((u) =>
    Object.entries(u.classes).map(([rc, c]) => ({
      pool: u.pool,
      rc,
      amount: `${num(c.used)} / ${num(c.capacity)}`,
      use: usageBar(c.used, c.capacity),
    })),
  );
}

/** Whole numbers as they are, fractions to two decimals. */
export function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

const BAR = 10;

/** `▓▓▓░░░░░░░ 25%`: one block per 10% (rounded), then the percentage; `-` when there is no capacity. */
export function usageBar(used: number, capacity: number): string {
  if (!(capacity > 0)) return "-";
  const share = used / capacity;
  const filled = Math.min(BAR, Math.max(0, Math.round(share * BAR)));
  return `${"▓".repeat(filled)}${"░".repeat(BAR - filled)} ${Math.round(share * 100)}%`;
}
