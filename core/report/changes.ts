/**
 * What each change says, once for both renderers: a change becomes a {@link ChangeView} of rich
 * text (literal words, names, planner messages), which the text renderer prints as it is and the
 * Markdown renderer turns into code spans and escaped text.
 */
import type { Change, Isolation } from "../types";
import { isWarned, updateKind, type WarnedChange } from "../warnings";
import { count, grouped } from "./options";

/** Trusted literal text, a user-given name (a code span in Markdown), or a planner message (quotes names in backticks). */
export type Part = string | { code: string } | { message: string };
export type Rich = Part[];

/**
 * Every kind of change in report order: the ones that destroy, interrupt or take something away
 * first, then the ones that only add. Within a kind the planner's order is kept.
 */
export const CHANGE_ORDER = [
  "replace",
  "remove",
  "move",
  "release",
  "shrink",
  "update",
  "retenant",
  "reisolate",
  "place",
  "grow",
  "resize",
  "defer",
] as const satisfies readonly Change["op"][];

/** Changes that destroy a device or take a running service away from where it is. */
export const DESTRUCTIVE: ReadonlySet<Change["op"]> = new Set(CHANGE_ORDER.slice(0, 8));

/** `changes` in report order (a stable sort by {@link CHANGE_ORDER}). */
export function orderChanges<C extends Change>(changes: readonly C[]): C[] {
  const rank = new Map<string, number>(CHANGE_ORDER.map((op, i) => [op, i]));
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank.get(a.c.op)! - rank.get(b.c.op)! || a.i - b.i)
    .map(({ c }) => c);
}

export interface ChangeView {
  op: Change["op"];
  destructive: boolean;
  /** It deletes or restarts a device that hosts allocations: their services go down (`isWarned`). */
  warning: boolean;
  what: Rich;
  where: Rich;
  details: Rich;
}

/** Most names listed in one cell; the rest are counted ("and 12 more"). */
export const LIST_LIMIT = 10;

/** `a, b, c` or `a, b, ... and 12 more`: never silently shorter. */
export function list(items: readonly Rich[], limit = LIST_LIMIT): Rich {
  const out: Rich = [];
  items.slice(0, limit).forEach((item, i) => {
    if (i > 0) out.push(", ");
    out.push(...item);
  });
  if (items.length > limit) out.push(` and ${items.length - limit} more`);
  return out;
}

const names = (xs: readonly string[]): Rich => list(xs.map((x) => [{ code: x }]));

/** `vrf 3`, or `dedicated` for a device without isolation contexts. */
export function isolationText(i: Isolation | null): string {
  return i === null ? "dedicated" : `${i.kind} ${i.id}`;
}

/** `vrf 2 -> vrf 3`, or just `vrf 2` when it stays the same. */
function isolationChange(i: { from: Isolation | null; to: Isolation | null }): string {
  const from = isolationText(i.from);
  const to = isolationText(i.to);
  return from === to ? from : `${from} -> ${to}`;
}

function devices(n: number): string {
  return `${n} ${n === 1 ? "device" : "devices"}`;
}

function hosts(c: { allocations: string[]; tenants: string[] }): Rich {
  if (c.allocations.length === 0) return ["hosts nothing"];
  return ["hosts ", ...names(c.allocations), " (tenants ", ...names(c.tenants), ")"];
}

function fields(changed: string[], unknown: string[]): Rich {
  const out: Rich = changed.length > 0 ? [...names(changed), " changed"] : ["nothing known changed"];
  if (unknown.length > 0) out.push("; not known until apply: ", ...names(unknown));
  return out;
}

function demandChange(from: Record<string, number>, to: Record<string, number>): Rich {
  const classes = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return list(
    classes
      .filter((rc) => from[rc] !== to[rc])
      .map((rc) => [{ code: rc }, ` ${from[rc] ?? 0} -> ${to[rc] ?? 0}`]),
    classes.length,
  );
}

/** What a change says: the subject, where it happens (before -> after) and the details. */
export function viewChange(c: Change): ChangeView {
  const { what, where, details } = describe(c);
  return { op: c.op, destructive: DESTRUCTIVE.has(c.op), warning: isWarned(c), what, where, details };
}

type Described = Pick<ChangeView, "what" | "where" | "details">;
type AllocationChange = Extract<Change, { allocation: string }>;
type PoolChange = Extract<Change, { op: "grow" | "shrink" | "remove" }>;
type DeviceChange = Extract<Change, { op: "replace" | "update" }>;

function described(what: Rich, where: Rich, details: Rich): Described {
  return { what, where, details };
}

/** Each family of changes says where it happens in its own terms: on a device, in a pool, to a device. */
function describe(c: Change): Described {
  switch (c.op) {
    case "place":
    case "move":
    case "release":
    case "retenant":
    case "reisolate":
    case "resize":
    case "defer":
      return describeAllocation(c);
    case "grow":
    case "shrink":
    case "remove":
      return describePool(c);
    case "replace":
    case "update":
      return describeDevice(c);
  }
}

/** A change to one allocation: its name, the device it is on or goes to, and why. */
function describeAllocation(c: AllocationChange): Described {
  const what: Rich = [{ code: c.allocation }];
  switch (c.op) {
    case "place":
      return described(
        what,
        ["-> ", { code: c.to }],
        ["tenant ", { code: c.tenant }, `, ${isolationText(c.isolation)}`],
      );
    case "move":
      return described(
        what,
        [{ code: c.from }, " -> ", { code: c.to }],
        [{ message: c.reason }, `; ${isolationChange(c.isolation)}`],
      );
    case "release":
      return described(what, [{ code: c.from }, " ->"], [{ message: c.reason }]);
    case "retenant":
      return described(
        what,
        ["on ", { code: c.device }],
        ["tenant ", { code: c.from }, " -> ", { code: c.to }, `; ${isolationChange(c.isolation)}`],
      );
    case "reisolate":
      return described(
        what,
        ["on ", { code: c.device }],
        [isolationChange(c.isolation), "; ", { message: c.reason }],
      );
    case "resize":
      return described(what, ["on ", { code: c.device }], demandChange(c.from, c.to));
    case "defer":
      return described(what, ["stays on ", { code: c.device }], [{ message: c.reason }]);
  }
}

/**
 * A change to a pool's size: its devices before -> after, the devices added or removed, and why.
 * A pool that both loses and gains devices in one plan (a retired device replaced) has a shrink
 * and a grow; they read as steps in report order, the shrink first: `3 -> 2`, then `2 -> 3`.
 */
function describePool(c: PoolChange): Described {
  const what: Rich = ["pool ", { code: c.pool }];
  switch (c.op) {
    case "grow": {
      const added = c.devices.map((d): Rich =>
        d.zone === null ? [{ code: d.name }] : [{ code: d.name }, " in ", { code: d.zone }],
      );
      return described(
        what,
        [`${c.to - c.devices.length} -> ${devices(c.to)}`],
        ["adds ", ...list(added), "; ", { message: c.reason }],
      );
    }
    case "shrink":
      return described(
        what,
        [`${c.from} -> ${devices(c.from - c.devices.length)}`],
        ["removes ", ...names(c.devices), "; ", { message: c.reason }],
      );
    case "remove":
      return described(
        what,
        [`${c.devices.length} -> ${devices(0)}`],
        [
          "removes ",
          ...names(c.devices),
          "; ",
          { message: c.reason },
          ...(c.allocations.length > 0 ? ["; ", ...hosts(c)] : []),
        ],
      );
  }
}

/** A change to one device: re-created or updated in place, what changed, and what it hosts. */
function describeDevice(c: DeviceChange): Described {
  const what: Rich = [{ code: c.device }];
  const where: Rich = ["pool ", { code: c.pool }];
  if (c.op === "replace")
    return described(what, where, ["re-created: ", ...fields(c.changed, c.unknown), "; ", ...hosts(c)]);
  const kind = updateKind(c);
  if (kind === "rerack") {
    const others = c.changed.filter((f) => f !== "zone");
    return described(what, where, [
      "re-racked: zone ",
      ...zoneName(c.fromZone),
      " -> ",
      ...zoneName(c.zone),
      ...(others.length > 0 || c.unknown.length > 0 ? ["; ", ...fields(others, c.unknown)] : []),
      "; ",
      ...hosts(c),
    ]);
  }
  return described(what, where, [
    "updated in place: ",
    ...fields(c.changed, c.unknown),
    ...(kind === "reboot" ? [" (a resize reboots it)"] : []),
    "; ",
    ...hosts(c),
  ]);
}

function zoneName(zone: string | null | undefined): Rich {
  return zone === null || zone === undefined ? ["none"] : [{ code: zone }];
}

/** What each kind of warned change does to its devices' services, for the summed warning lines. */
const WARNING_KINDS: readonly {
  of: (c: WarnedChange) => boolean;
  what: string;
  then: string;
}[] = [
  {
    of: (c) => c.op === "replace",
    what: "replaced device",
    then: "their services are down while the devices are re-created",
  },
  {
    of: (c) => c.op === "remove",
    what: "removed pool",
    then: "their services there stop when the devices are deleted",
  },
  {
    of: (c) => c.op === "update" && updateKind(c) === "rerack",
    what: "re-racked device",
    then: "their services are down while the devices move",
  },
  {
    of: (c) => c.op === "update" && updateKind(c) === "reboot",
    what: "resized device",
    then: "their services are down while the devices reboot (a flavor resize reboots the server)",
  },
];

/**
 * One line per kind of change that deletes or restarts busy devices (replaced, removed pools,
 * re-racked, resized), each counting them, their allocations and tenants; none when no busy device
 * is hit. `changeWarnings` (core/warnings.ts) has one warning per device or pool instead.
 */
export function warningLines(changes: readonly Change[]): Rich[] {
  const warned = changes.filter(isWarned);
  return WARNING_KINDS.flatMap(({ of, what, then }) => {
    const hit = warned.filter(of);
    if (hit.length === 0) return [];
    const allocations = hit.reduce((n, c) => n + c.allocations.length, 0);
    const tenants = [...new Set(hit.flatMap((c) => c.tenants))].sort();
    return [
      [
        `${count(hit.length, what)} ${hit.length === 1 ? "hosts" : "host"} ${count(allocations, "allocation")} (tenants `,
        ...names(tenants),
        `): ${then}`,
      ],
    ];
  });
}

/** `1,790 place, 10 grow`: how many changes of each kind, in the order the kinds first appear. */
export function countByKind(changes: readonly Change[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${grouped(n)} ${op}`).join(", ");
}
