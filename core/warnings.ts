/**
 * Warnings about changes that take a running service down (DESIGN §3, "The plan tells the whole
 * truth"): a device that hosts allocations and is deleted or restarted by the next apply. One home
 * for the rule and the wording, read by the reports, `servicevm plan --format json` (`warnings`)
 * and the Ledger, which logs each message on its URN during a preview.
 *
 * - `replace`: the driver destroys and re-creates the device.
 * - `remove`: the device's pool left the spec, so the device is deleted (its allocations move or
 *   are released).
 * - `update` of a declared device's `zone`: the appliance is re-racked, so it is off while it moves.
 * - `update` of a field in {@link REBOOTING_FIELDS}: an OpenStack resize restarts the server.
 *
 * An idle device is deleted or restarted silently: nobody's service is on it.
 */
import { compareNatural, compareText } from "./order";
import { sourceEffect } from "./sources";
import type { Change, PlanWarning } from "./types";

/**
 * Fields whose in-place update restarts the device: a `flavor` change is an OpenStack resize,
 * which reboots the server (security groups and metadata are changed live).
 */
export const REBOOTING_FIELDS: readonly string[] = Object.freeze(["flavor"]);

/** A change that deletes or restarts a busy device, which therefore carries a warning. */
export type WarnedChange = Extract<Change, { op: "replace" | "remove" | "update" }>;

/** The update kinds that restart a busy device. */
export type UpdateKind = "rerack" | "reboot";

/** Whether an update re-racks its device (a declared device's zone) or reboots it (a resize); null for neither. */
export function updateKind(c: Extract<Change, { op: "update" }>): UpdateKind | null {
  if (c.zone !== undefined) return "rerack";
  return [...c.changed, ...c.unknown].some((f) => REBOOTING_FIELDS.includes(f)) ? "reboot" : null;
}

/** Whether `c` deletes or restarts a device that hosts allocations. */
export function isWarned(c: Change): c is WarnedChange {
  switch (c.op) {
    case "replace":
    case "remove":
      return c.allocations.length > 0;
    case "update":
      return c.allocations.length > 0 && updateKind(c) !== null;
    default:
      return false;
  }
}

function list(names: readonly string[]): string {
  return names.map((n) => `\`${n}\``).join(", ");
}

function zoneName(zone: string | null | undefined): string {
  return zone === null || zone === undefined ? "none" : `\`${zone}\``;
}

/** `image, networks changed; userData is not known until apply` */
function why(changed: readonly string[], unknown: readonly string[]): string {
  return [
    ...(changed.length > 0 ? [`${changed.join(", ")} changed`] : []),
    ...(unknown.length > 0
      ? [`${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not known until apply`]
      : []),
  ].join("; ");
}

/** `it hosts \`a\` of tenant \`t\`` */
function hosted(c: WarnedChange, subject: "it" | "they"): string {
  const tenants = `${c.tenants.length === 1 ? "tenant" : "tenants"} ${list(c.tenants)}`;
  return `${subject} ${subject === "it" ? "hosts" : "host"} ${list(c.allocations)} of ${tenants}`;
}

/** The sentence a warned change is told with (the Ledger logs it as it is). */
export function warningMessage(c: WarnedChange): string {
  switch (c.op) {
    case "replace": {
      const certain = c.changed.some((f) => sourceEffect(f) === "replace");
      return (
        `device \`${c.device}\` (pool \`${c.pool}\`) ${certain ? "will" : "may"} be replaced ` +
        `(${why(c.changed, c.unknown)}): ${hosted(c, "it")}`
      );
    }
    case "remove": {
      const one = c.devices.length === 1;
      return (
        `${one ? "device" : "devices"} ${list(c.devices)} (pool \`${c.pool}\`) will be deleted ` +
        `(${c.reason}): ${hosted(c, one ? "it" : "they")}`
      );
    }
    case "update": {
      const dev = `device \`${c.device}\` (pool \`${c.pool}\`)`;
      if (updateKind(c) === "rerack")
        return `${dev} will be re-racked (zone ${zoneName(c.fromZone)} -> ${zoneName(c.zone)}): ${hosted(c, "it")}, down while it moves`;
      const certain = c.changed.some((f) => REBOOTING_FIELDS.includes(f));
      return (
        `${dev} ${certain ? "will" : "may"} be resized, which reboots it (${why(c.changed, c.unknown)}): ` +
        hosted(c, "it")
      );
    }
  }
}

const RANK: Record<WarnedChange["op"], number> = { replace: 0, remove: 1, update: 2 };

/**
 * One warning per change that deletes or restarts a busy device, in report order (replace, remove,
 * update), then by pool and device.
 */
export function changeWarnings(changes: readonly Change[]): PlanWarning[] {
  return changes
    .filter(isWarned)
    .map((c): PlanWarning => ({
      allocations: c.allocations,
      devices: c.op === "remove" ? c.devices : [c.device],
      message: warningMessage(c),
      op: c.op,
      pool: c.pool,
      tenants: c.tenants,
    }))
    .sort(
      (x, y) =>
        RANK[x.op] - RANK[y.op] ||
        compareText(x.pool, y.pool) ||
        compareNatural(x.devices[0] ?? "", y.devices[0] ?? ""),
    );
}
