/**
 * Renderers of a PlanResult: aligned text for terminals and Markdown for pull-request comments.
 * Pure functions of the result; long lists are cut at `maxRows` with a count of what was left out.
 */
import type { Change, PlanResult } from "./types";

export interface RenderOptions {
  /** ANSI colours (the CLI turns them off for NO_COLOR and non-terminals). @default false */
  color?: boolean;
  /** Shown in the heading, e.g. the spec's file name. */
  title?: string;
  /** Most rows per list (changes, placements). @default 200 */
  maxRows?: number;
}

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
export function poolUsage(result: PlanResult): PoolUsage[] {
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

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function percent(used: number, capacity: number): string {
  return capacity > 0 ? `${Math.round((100 * used) / capacity)}%` : "-";
}

/** One-line summary: counts of changes by kind. */
export function summarize(result: PlanResult): string {
  const count = (op: Change["op"]): number => result.changes.filter((c) => c.op === op).length;
  const parts = (["place", "move", "release"] as const)
    .filter((op) => count(op) > 0)
    .map((op) => `${count(op)} to ${op}`);
  const pools = result.changes
    .filter((c): c is Extract<Change, { op: "grow" | "shrink" }> => c.op === "grow" || c.op === "shrink")
    .map((c) => `${c.pool} ${c.from} -> ${c.to}`);
  if (pools.length > 0) parts.push(`${pools.length === 1 ? "pool" : "pools"} ${pools.join(", ")}`);
  const claims = Object.keys(result.claims ?? {}).length;
  if (claims > 0) parts.push(`${claims} to claim from other fleets`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

function devicesText(n: number): string {
  return `${n} ${n === 1 ? "device" : "devices"}`;
}

function changeCells(c: Change): [string, string, string, string, string] {
  switch (c.op) {
    case "place":
      return ["place", c.allocation, "", c.to, ""];
    case "move":
      return ["move", c.allocation, c.from, c.to, c.reason];
    case "release":
      return ["release", c.allocation, c.from, "", ""];
    case "grow":
    case "shrink":
      return [c.op, `pool ${c.pool}`, devicesText(c.from), devicesText(c.to), ""];
  }
}

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")}`.trimEnd(),
  );
}

const ANSI = {
  bold: "\u001b[1m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m",
  reset: "\u001b[0m",
};

/** Terminal rendering: heading, errors, changes, pool capacity, placements. */
export function renderText(result: PlanResult, opts: RenderOptions = {}): string {
  const paint = (code: keyof typeof ANSI, s: string): string =>
    opts.color ? `${ANSI[code]}${s}${ANSI.reset}` : s;
  const maxRows = opts.maxRows ?? 200;
  const out: string[] = [];
  const title = opts.title !== undefined ? ` ${opts.title}` : "";
  const placed = Object.keys(result.placements).length;
  const devices = Object.values(result.devices);
  const busy = devices.filter((d) => d.allocations.length > 0).length;
  if (result.ok) {
    const where = `${placed} ${placed === 1 ? "allocation" : "allocations"} on ${busy} of ${devices.length} devices`;
    out.push(
      `${paint("bold", `servicevm plan${title}:`)} ${paint("green", "ok")} — ${where}; ${summarize(result)}`,
    );
  } else {
    out.push(
      `${paint("bold", `servicevm plan${title}:`)} ${paint("red", "failed")} — ${result.errors.length} ${result.errors.length === 1 ? "error" : "errors"}`,
    );
    out.push("", paint("bold", "Errors"));
    for (const e of result.errors) out.push(`  ${paint("red", e.path)}: ${e.message}`);
  }
  if (result.changes.length > 0) {
    out.push("", paint("bold", "Changes"));
    const rows = result.changes.slice(0, maxRows).map((c) => {
      const [op, what, from, to, reason] = changeCells(c);
      const arrow = from !== "" && to !== "" ? `${from} -> ${to}` : from !== "" ? `${from} ->` : `-> ${to}`;
      return [op, what, arrow, reason === "" ? "" : `(${reason})`];
    });
    const colored = table([["OP", "WHAT", "WHERE", "WHY"], ...rows]).map((line, i) => {
      if (i === 0) return line;
      const op = rows[i - 1][0];
      return op === "release" || op === "shrink"
        ? paint("red", line)
        : op === "move"
          ? paint("yellow", line)
          : paint("green", line);
    });
    out.push(...colored);
    if (result.changes.length > maxRows)
      out.push(`  ... and ${result.changes.length - maxRows} more changes (use --format json for all)`);
  }
  const usage = poolUsage(result);
  if (usage.length > 0) {
    out.push("", paint("bold", "Pools"));
    const classes = [...new Set(usage.flatMap((u) => Object.keys(u.classes)))].sort();
    const rows = usage.map((u) => [
      u.pool,
      u.template,
      String(u.devices),
      String(u.busy),
      String(u.standby),
      ...classes.map((rc) => {
        const c = u.classes[rc];
        return c === undefined ? "-" : `${num(c.used)}/${num(c.capacity)} ${percent(c.used, c.capacity)}`;
      }),
    ]);
    out.push(...table([["POOL", "TEMPLATE", "DEVICES", "BUSY", "STANDBY", ...classes], ...rows]));
    const sick = usage.filter((u) => u.unhealthy > 0).map((u) => `${u.pool}: ${u.unhealthy}`);
    if (sick.length > 0) out.push(paint("yellow", `  unhealthy devices: ${sick.join(", ")}`));
  }
  const names = Object.keys(result.placements);
  if (names.length > 0) {
    out.push("", paint("bold", "Placements"));
    const rows = names.slice(0, maxRows).map((n) => {
      const p = result.placements[n];
      return [
        n,
        p.tenant,
        p.device,
        p.pool,
        p.isolation === null ? "dedicated" : `${p.isolation.kind} ${p.isolation.id}`,
      ];
    });
    out.push(...table([["ALLOCATION", "TENANT", "DEVICE", "POOL", "ISOLATION"], ...rows]));
    if (names.length > maxRows)
      out.push(`  ... and ${names.length - maxRows} more placements (use --format json for all)`);
  }
  const claims = claimRows(result, maxRows);
  if (claims.rows.length > 0) {
    out.push("", paint("bold", "Claims from other fleets"));
    out.push(...table([["ALLOCATION", "FLEET", "POOL"], ...claims.rows]));
    if (claims.more > 0) out.push(`  ... and ${claims.more} more claims (use --format json for all)`);
  }
  return `${out.join("\n")}\n`;
}

/** Allocations the planner leaves to Placement: `[allocation, fleet, pool]`, at most `maxRows`. */
function claimRows(result: PlanResult, maxRows: number): { rows: string[][]; more: number } {
  const names = Object.keys(result.claims ?? {});
  const rows = names.slice(0, maxRows).map((n) => [n, result.claims![n].fleet, result.claims![n].pool]);
  return { rows, more: names.length - rows.length };
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function mdTable(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

function code(s: string): string {
  return s === "" ? "" : `\`${s}\``;
}

/** A complete pull-request comment: verdict, errors, changes, capacity per pool, placements. */
export function renderMarkdown(result: PlanResult, opts: RenderOptions = {}): string {
  const maxRows = opts.maxRows ?? 200;
  const title = opts.title !== undefined ? ` for \`${opts.title}\`` : "";
  const out: string[] = [];
  if (result.ok) {
    out.push(`### servicevm plan${title}: ok`, "", `**${summarize(result)}**.`);
  } else {
    out.push(
      `### servicevm plan${title}: failed`,
      "",
      `**${result.errors.length} ${result.errors.length === 1 ? "error" : "errors"}** — nothing will be applied until they are fixed.`,
      "",
    );
    for (const e of result.errors) out.push(`- \`${e.path}\`: ${e.message}`);
  }
  if (result.changes.length > 0) {
    out.push("", "#### Changes", "");
    const rows = result.changes.slice(0, maxRows).map((c) => {
      const [op, what, from, to, reason] = changeCells(c);
      return [op, code(what), code(from), code(to), reason];
    });
    out.push(...mdTable(["Change", "Allocation / pool", "From", "To", "Reason"], rows));
    if (result.changes.length > maxRows)
      out.push("", `… and ${result.changes.length - maxRows} more changes.`);
  }
  const usage = poolUsage(result);
  if (usage.length > 0) {
    out.push("", "#### Capacity", "");
    const classes = [...new Set(usage.flatMap((u) => Object.keys(u.classes)))].sort();
    const rows = usage.map((u) => [
      code(u.pool),
      code(u.template),
      String(u.devices),
      String(u.busy),
      String(u.standby) + (u.unhealthy > 0 ? ` (${u.unhealthy} unhealthy)` : ""),
      ...classes.map((rc) => {
        const c = u.classes[rc];
        return c === undefined
          ? "–"
          : `${num(c.used)} / ${num(c.capacity)} (${percent(c.used, c.capacity)}), ${num(c.capacity - c.used)} free`;
      }),
    ]);
    out.push(
      ...mdTable(
        ["Pool", "Template", "Devices", "Busy", "Standby", ...classes.map((rc) => `${rc} used / total`)],
        rows,
      ),
    );
  }
  const names = Object.keys(result.placements);
  if (names.length > 0) {
    out.push("", `<details><summary>Placements (${names.length})</summary>`, "");
    const rows = names.slice(0, maxRows).map((n) => {
      const p = result.placements[n];
      return [
        code(n),
        code(p.tenant),
        code(p.device),
        code(p.pool),
        p.isolation === null ? "dedicated" : `${p.isolation.kind} ${p.isolation.id}`,
      ];
    });
    out.push(...mdTable(["Allocation", "Tenant", "Device", "Pool", "Isolation"], rows));
    if (names.length > maxRows) out.push("", `… and ${names.length - maxRows} more placements.`);
    out.push("", "</details>");
  }
  const claims = claimRows(result, maxRows);
  if (claims.rows.length > 0) {
    out.push("", "#### Claims from other fleets", "");
    out.push(
      ...mdTable(
        ["Allocation", "Fleet", "Pool"],
        claims.rows.map((r) => r.map(code)),
      ),
    );
    if (claims.more > 0) out.push("", `… and ${claims.more} more claims.`);
  }
  return `${out.join("\n")}\n`;
}
