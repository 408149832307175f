/** The one-line summary both renderers put under their heading. */
import type { Change } from "../types";
import { count, grouped, type ReportResult } from "./options";

/** How the summary counts each kind of change other than grow and shrink (those list pool sizes). */
const PHRASES: readonly [Change["op"], (n: number) => string][] = [
  ["replace", (n) => `${count(n, "device")} to replace`],
  ["remove", (n) => `${count(n, "pool")} to remove`],
  ["move", (n) => `${grouped(n)} to move`],
  ["release", (n) => `${grouped(n)} to release`],
  ["update", (n) => `${count(n, "device")} to update in place`],
  ["retenant", (n) => `${grouped(n)} to change tenant`],
  ["reisolate", (n) => `${grouped(n)} to change isolation`],
  ["place", (n) => `${grouped(n)} to place`],
  ["resize", (n) => `${grouped(n)} to resize`],
  ["defer", (n) => `${grouped(n)} deferred`],
];

/** Most pool sizes the summary lists; the rest are counted. */
const POOLS_LISTED = 10;

/**
 * One line: every kind of change counted (destructive kinds first), the pools that grow or shrink
 * with their sizes, and the claims on other fleets; `no changes` when there is nothing to do. A
 * failed plan changes nothing and says so.
 */
export function summarize(result: Pick<ReportResult, "ok" | "errors" | "changes" | "claims">): string {
  if (!result.ok) return `plan failed with ${count(result.errors.length, "error")}: nothing changes`;
  const counts = new Map<Change["op"], number>();
  for (const c of result.changes) counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
  const parts = PHRASES.filter(([op]) => counts.has(op)).map(([op, phrase]) => phrase(counts.get(op)!));
  const sizes = poolSizes(result.changes);
  if (sizes.length > 0) {
    const shown = sizes.slice(0, POOLS_LISTED).join(", ");
    const more = sizes.length > POOLS_LISTED ? ` and ${grouped(sizes.length - POOLS_LISTED)} more` : "";
    parts.push(`${sizes.length === 1 ? "pool" : "pools"} ${shown}${more}`);
  }
  const claims = Object.keys(result.claims ?? {}).length;
  if (claims > 0) parts.push(`${grouped(claims)} to claim from other fleets`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

/**
 * Each pool that grows or shrinks, once, in the order of its first change: `fw 0 -> 3`, and
 * `vpn 2 -> 2 (+2 -2)` when devices are both added and removed (retired devices replaced).
 */
function poolSizes(changes: readonly Change[]): string[] {
  const pools = new Map<string, { from: number; to: number; added: number; removed: number }>();
  for (const c of changes) {
    if (c.op !== "grow" && c.op !== "shrink") continue;
    const p = pools.get(c.pool) ?? { from: c.from, to: c.to, added: 0, removed: 0 };
    p.to = c.to;
    if (c.op === "grow") p.added += c.devices.length;
    else p.removed += c.devices.length;
    pools.set(c.pool, p);
  }
  return [...pools].map(
    ([name, p]) =>
      `${name} ${p.from} -> ${p.to}${p.added > 0 && p.removed > 0 ? ` (+${p.added} -${p.removed})` : ""}`,
  );
}

/** `6 allocations on 3 of 5 devices`. */
export function occupancy(result: Pick<ReportResult, "placements" | "devices">): string {
  const placed = Object.keys(result.placements).length;
  const devices = Object.values(result.devices);
  const busy = devices.filter((d) => d.allocations.length > 0).length;
  return `${count(placed, "allocation")} on ${grouped(busy)} of ${grouped(devices.length)} devices`;
}
