/**
 * Renderers of a headroom report (`servicevm capacity`): text for terminals (fits 80 columns) and
 * Markdown for pull-request comments (fits GitHub's comment limit). Pure functions of the report.
 *
 * Each shape gets one table: a row per pool (zone `all` when the pool has zones, `-` when not),
 * then a row per zone (a pool in one zone has one row, named after it); each row says how many
 * devices there are now and at `max`, how many more allocations fit now (on the devices that
 * exist, standby included) and at `max`, and what binds first: the limit on the devices that exist, then,
 * when another, the limit up to `max` (``CUSTOM_SERVICE_SLOT, then `max` 10``).
 */
import type { HeadroomLimit, ShapeHeadroom, ZoneHeadroom } from "../headroom";
import {
  codeSpan,
  markdownTableHead,
  markdownTableRow,
  markdownTableRule,
  messageText,
} from "./markdownText";
import { comparedWith, count, DEFAULT_MAX_CHARS, grouped, type ReportError } from "./options";
import { errorLine } from "./text";
import { headline, paragraph, textTable, visible, type Column } from "./textLayout";

/** A headroom report: the verdict of the plan it was measured on, its errors and each shape's headroom. */
export interface HeadroomReport {
  ok: boolean;
  errors: readonly ReportError[];
  shapes: readonly ShapeHeadroom[];
}

export interface HeadroomRenderOptions {
  /** Shown in the heading, e.g. the spec's file name. */
  title?: string;
  /** What the plan was compared with, e.g. the `--previous` file name. */
  previous?: string;
  /** Where the shapes came from, e.g. "the spec's allocations" or "`--shape`". @default "the spec's allocations" */
  source?: string;
  /** Each shape's pool sizes (`max`, `size` or the number of declared devices), by pool. */
  sizes?: Record<string, number>;
  /** Where the errors are listed instead (e.g. `"stderr"`); text only. */
  errorsElsewhere?: string;
  /** Text: the width to fit. @default 80 */
  width?: number;
  /** Markdown: most characters of the whole comment. @default 60000 */
  maxChars?: number;
}

/** `2 CUSTOM_SERVICE_SLOT, 2000 CUSTOM_THROUGHPUT_MBPS`. */
export function shapeText(shape: Pick<ShapeHeadroom, "demand">): string {
  return Object.keys(shape.demand)
    .map((rc) => `${shape.demand[rc]} ${rc}`)
    .join(", ");
}

/**
 * A limit as the reports write it, with field names in backticks: a resource class as it is,
 * ``isolation contexts``, ```max` 10``, ``no VCPU inventory``...
 */
export function limitText(limit: HeadroomLimit, pool: string, sizes: Record<string, number> = {}): string {
  const size = sizes[pool];
  const colon = limit.indexOf(":");
  if (colon > 0) {
    const rc = limit.slice(0, colon);
    const rule = limit.slice(colon + 1);
    return rule === "missing" ? `no ${rc} inventory` : `\`${rule}\` of ${rc}`;
  }
  switch (limit) {
    case "contexts":
      return "isolation contexts";
    case "dedicated":
      return "one tenant per device";
    case "unhealthy":
      return "unhealthy devices";
    case "zone":
      return "zone removed from `zones`";
    case "drained":
      return "drained devices";
    case "max":
    case "size":
      return size === undefined ? `\`${limit}\`` : `\`${limit}\` ${grouped(size)}`;
    case "devices":
      return "declared devices";
    case "none":
      return "no devices";
    default:
      return limit;
  }
}

/** One row of a shape's table, as plain cells. */
interface Row {
  pool: string;
  zone: string;
  devices: string;
  now: string;
  max: string;
  binds: string;
}

function rowOf(pool: string, zone: string, h: ZoneHeadroom, sizes: Record<string, number>): Row {
  const now = limitText(h.existing.limit, pool, sizes);
  const then = limitText(h.upToMax.limit, pool, sizes);
  return {
    pool,
    zone,
    devices: `${grouped(h.devices)} of ${grouped(h.maxDevices)}`,
    now: grouped(h.existing.fits),
    max: grouped(h.upToMax.fits),
    binds: now === then ? now : `${now}, then ${then}`,
  };
}

function rowsOf(shape: ShapeHeadroom, sizes: Record<string, number>): Row[] {
  return Object.keys(shape.pools).flatMap((pool) => {
    const h = shape.pools[pool];
    const zones = Object.keys(h.zones);
    // A pool in one zone: one row, named after the zone.
    if (zones.length === 1 && sameCounts(h, h.zones[zones[0]])) return [rowOf(pool, zones[0], h, sizes)];
    return [
      rowOf(pool, zones.length > 0 ? "all" : "-", h, sizes),
      ...zones.map((z) => rowOf(pool, z, h.zones[z], sizes)),
    ];
  });
}

function sameCounts(a: ZoneHeadroom, b: ZoneHeadroom): boolean {
  return (
    a.devices === b.devices &&
    a.maxDevices === b.maxDevices &&
    a.existing.fits === b.existing.fits &&
    a.existing.limit === b.existing.limit &&
    a.upToMax.fits === b.upToMax.fits &&
    a.upToMax.limit === b.upToMax.limit
  );
}

function shapeTitle(shape: ShapeHeadroom): string {
  const tenant = shape.tenant === null ? "" : ` for tenant ${shape.tenant}`;
  const allocations = shape.allocations > 0 ? ` (${count(shape.allocations, "allocation")} like it)` : "";
  return `${shapeText(shape)}${tenant}${allocations}`;
}

/** The summary line: how many shapes, from where, and whose the new allocations are. */
function summary(report: HeadroomReport, opts: HeadroomRenderOptions): string {
  const source = opts.source ?? "the spec's allocations";
  const tenants = new Set(report.shapes.map((s) => s.tenant));
  const whose =
    tenants.size === 1 && !tenants.has(null)
      ? `each new allocation tenant \`${[...tenants][0]}\`'s`
      : "each new allocation a new tenant's";
  return `${count(report.shapes.length, "shape")} from ${source}; ${whose}`;
}

const HEADS = ["POOL", "ZONE", "DEVICES", "NOW", "AT MAX", "BINDS FIRST"];
const KINDS: Column["kind"][] = ["name", "name", "fixed", "fixed", "fixed", "text"];

/** Terminal rendering of a headroom report. */
export function renderHeadroomText(report: HeadroomReport, opts: HeadroomRenderOptions = {}): string {
  const width = opts.width ?? 80;
  const para = (text: string, first = "  ", indent = "    "): string[] =>
    paragraph(text, width, first, indent);
  const title = opts.title !== undefined ? visible(opts.title) : undefined;
  const previous = comparedWith(opts.previous === undefined ? undefined : visible(opts.previous));
  const out = headline("servicevm capacity", title, report.ok ? "ok" : "failed", width);
  if (!report.ok) {
    const where = opts.errorsElsewhere !== undefined ? `listed on ${opts.errorsElsewhere}` : "listed below";
    out.push(...para(`${count(report.errors.length, "error")} (${where}); no headroom without a plan`));
    out.push(...para(`compared with ${previous.label}`));
    if (opts.errorsElsewhere === undefined)
      out.push("", "Errors", ...report.errors.flatMap((e) => para(errorLine(e))));
    return `${out.join("\n")}\n`;
  }
  out.push(...para(visible(summary(report, opts))), ...para(`compared with ${previous.label}`));
  let shortened = false;
  for (const shape of report.shapes) {
    out.push("", ...para(visible(shapeTitle(shape)), "", "  "));
    const rows = rowsOf(shape, opts.sizes ?? {});
    if (rows.length === 0) {
      out.push(...para("no pool has an inventory of every class of this shape"));
      continue;
    }
    const t = textTable(
      HEADS.map((head, i) => ({ head, kind: KINDS[i] })),
      rows.map((r) => [visible(r.pool), visible(r.zone), r.devices, r.now, r.max, r.binds]),
      width,
    );
    shortened ||= t.shortened;
    out.push(...t.lines);
  }
  if (shortened)
    out.push(
      "",
      ...para(`Names shortened with … to fit ${width} columns: --format json has them in full.`, "", ""),
    );
  return `${out.join("\n")}\n`;
}

const JSON_HAS_ALL = "`servicevm capacity --format json` has everything";

/**
 * A pull-request comment of a headroom report, in at most `maxChars` characters: shapes in order,
 * rows in order, until the next row would not fit; a note counts the rows left out.
 */
export function renderHeadroomMarkdown(report: HeadroomReport, opts: HeadroomRenderOptions = {}): string {
  const previous = comparedWith(opts.previous);
  const title = opts.title !== undefined ? ` for ${codeSpan(opts.title)}` : "";
  const compared = `compared with ${previous.known ? codeSpan(previous.label) : previous.label}`;
  const top = [`### servicevm capacity${title}: ${report.ok ? "ok" : "failed"}`, ""];
  if (!report.ok) {
    top.push(
      `**${count(report.errors.length, "error")}: no headroom without a plan**, ${compared}.`,
      "",
      "#### Errors",
      "",
      ...report.errors.map(
        (e) => `- ${e.path === "" ? "" : `${codeSpan(e.path)}: `}${messageText(e.message)}`,
      ),
    );
    return `${top.join("\n")}\n`;
  }
  top.push(`**${messageText(summary(report, opts))}**, ${compared}.`);
  const sections = report.shapes.map((shape) => ({
    heading: ["", `#### ${messageText(shapeTitle(shape))}`, ""],
    rows: rowsOf(shape, opts.sizes ?? {}).map((r) =>
      markdownTableRow([
        codeSpan(r.pool),
        r.zone === "all" || r.zone === "-" ? r.zone : codeSpan(r.zone),
        r.devices,
        r.now,
        r.max,
        messageText(r.binds),
      ]),
    ),
  }));
  const head = [
    markdownTableHead(["Pool", "Zone", "Devices", "Now", "At max", "Binds first"]),
    markdownTableRule(6),
  ];
  const total = sections.reduce((n, s) => n + s.rows.length, 0);
  const budget = opts.maxChars ?? DEFAULT_MAX_CHARS;
  // The longest note the cut could need is reserved first.
  const note = (n: number): string[] => ["", `_${count(n, "row")} not shown: ${JSON_HAS_ALL}._`];
  let room = budget - `${top.join("\n")}\n`.length - note(total).join("\n").length - 1;
  const out = [...top];
  let shown = 0;
  for (const s of sections) {
    const body =
      s.rows.length === 0 ? ["_No pool has an inventory of every class of this shape._"] : [...head];
    const fixed = [...s.heading, ...body].join("\n").length + 1;
    if (fixed > room) break;
    const rows: string[] = [];
    let used = fixed;
    for (const r of s.rows) {
      if (used + r.length + 1 > room) break;
      rows.push(r);
      used += r.length + 1;
    }
    if (s.rows.length > 0 && rows.length === 0) break;
    out.push(...s.heading, ...body, ...rows);
    room -= used;
    shown += rows.length;
    if (rows.length < s.rows.length) break;
  }
  if (shown < total) out.push(...note(total - shown));
  return `${out.join("\n")}\n`;
}
