/** Capacity per pool and resource class, and how the reports write it. */
import { type DeviceUsage, type PoolSummary, summarizePool } from "../capacity";
import type { PlanResult } from "../types";

/** A pool's capacity as the reports show it: the core's pool summary with the pool's name and size. */
export interface PoolUsage extends PoolSummary {
  pool: string;
  template: string;
  devices: number;
}

/** Capacity summed per pool and resource class (`summarizePool` over the pool's devices). */
export function poolUsage(result: Pick<PlanResult, "pools" | "devices">): PoolUsage[] {
  return Object.keys(result.pools)
    .sort()
    .map((name) => {
      const pool = result.pools[name];
      const devices = pool.devices.map((d) => result.devices[d]).filter((d) => d !== undefined);
      const summary = summarizePool(
        devices.map((d): DeviceUsage => {
          const classes: DeviceUsage["classes"] = {};
          for (const rc of Object.keys(d.capacity))
            classes[rc] = { total: d.capacity[rc], used: d.used[rc] ?? 0 };
          return { busy: d.allocations.length > 0, classes, drained: d.drained === true, healthy: d.healthy };
        }),
      );
      return { pool: name, template: pool.template, devices: pool.devices.length, ...summary };
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
      amount: `${num(c.used)} / ${num(c.total)}`,
      use: usageBar(c.used, c.total),
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
