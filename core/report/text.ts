/**
 * The terminal report: heading, errors, changes (destructive first), pools, capacity, placements
 * and claims, fitted to a width (80 columns by default). Text columns wrap onto continuation lines;
 * names are shortened with `…` in the middle only where a table would overflow, and the report
 * then says so. Long lists stop at `maxRows` with a count of what was left out, by kind.
 */
import type { Change } from "../types";
import { countByKind, isolationText, orderChanges, viewChange, warningLines, type Rich } from "./changes";
import {
  comparedWith,
  count,
  DEFAULT_MAX_ROWS,
  DEFAULT_WIDTH,
  grouped,
  type RenderOptions,
  type ReportError,
  type ReportResult,
} from "./options";
import { occupancy, summarize } from "./summary";
import {
  columns,
  headline,
  paragraph,
  shorten,
  textTable,
  visible,
  type Cell,
  type Column,
  type FitCell,
} from "./textLayout";
import { poolUsage, usageRows, type PoolUsage } from "./usage";

const ANSI = {
  bold: "\u001b[1m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
  reset: "\u001b[0m",
};
type Paint = keyof typeof ANSI;

const ROW_COLOUR: Record<Change["op"], Paint> = {
  replace: "red",
  remove: "red",
  release: "red",
  shrink: "red",
  move: "yellow",
  update: "yellow",
  retenant: "yellow",
  reisolate: "yellow",
  resize: "yellow",
  place: "green",
  grow: "green",
  defer: "yellow",
};

/** Rich text as terminal text: names and messages as they are, control characters made visible. */
function plain(r: Rich): string {
  return r.map((p) => (typeof p === "string" ? p : visible("code" in p ? p.code : p.message))).join("");
}

/** Most a name in a shortened cell gives way to: it keeps at least this many characters. */
const NAME_MIN = 8;

/**
 * Rich text as a table cell that, when too wide, shortens its names (the longest first, each in the
 * middle, none below {@link NAME_MIN}) and keeps the words between them (`fw-3 -> fw-0`).
 */
function fitCell(r: Rich): FitCell {
  const parts = r.map((p) =>
    typeof p === "string" ? { text: p, name: false } : { text: plain([p]), name: true },
  );
  return {
    text: parts.map((p) => p.text).join(""),
    fit(width) {
      const lengths = parts.map((p) => columns(p.text));
      let over = lengths.reduce((a, b) => a + b, 0) - width;
      while (over > 0) {
        let pick = -1;
        parts.forEach((p, i) => {
          if (p.name && lengths[i] > NAME_MIN && (pick < 0 || lengths[i] > lengths[pick])) pick = i;
        });
        if (pick < 0) break;
        lengths[pick]--;
        over--;
      }
      return shorten(parts.map((p, i) => (p.name ? shorten(p.text, lengths[i]) : p.text)).join(""), width);
    },
  };
}

/** `file:line:col: path: message`, leaving out what is unknown (as `servicevm validate` prints it). */
export function errorLine(e: ReportError): string {
  const where =
    e.file === undefined ? "" : (e.line ?? 0) > 0 ? `${e.file}:${e.line}:${e.col ?? 0}: ` : `${e.file}: `;
  return visible(`${where}${e.path === "" ? "" : `${e.path}: `}${e.message}`);
}

/** The narrowest DETAILS column worth keeping beside the others; below it details go under their row. */
const DETAILS_MIN = 32;

/**
 * The changes table: `OP WHAT WHERE DETAILS` when it fits with a DETAILS column at least
 * {@link DETAILS_MIN} wide and no name shortened; otherwise `OP WHAT WHERE`, each row followed by
 * its details wrapped under WHAT, where they have most of the width.
 */
function changeTable(
  rows: [Change["op"], Cell, Cell, string][],
  width: number,
  paint: (code: Paint, s: string) => string,
  onShortened: () => void,
): string[] {
  const head: Column[] = [
    { head: "OP", kind: "fixed" },
    { head: "WHAT", kind: "name" },
    { head: "WHERE", kind: "name" },
  ];
  const wide = textTable([...head, { head: "DETAILS", kind: "text" }], rows, width);
  const stacked =
    wide.shortened || wide.widths[3] < Math.min(DETAILS_MIN, Math.max(...rows.map((r) => columns(r[3]))));
  const t = stacked
    ? textTable(
        head,
        rows.map((r) => r.slice(0, 3)),
        width,
      )
    : wide;
  if (t.shortened) onShortened();
  const indent = " ".repeat(2 + t.widths[0] + 2);
  const out = [t.lines[0]];
  let at = 1;
  rows.forEach((r, i) => {
    const lines = t.lines.slice(at, (at += t.rowLines[i]));
    if (stacked && r[3] !== "") lines.push(...paragraph(r[3], width, indent, indent));
    out.push(...lines.map((l) => paint(ROW_COLOUR[r[0]], l)));
  });
  return out;
}

/** Terminal rendering of a plan result. */
export function renderText(result: ReportResult, opts: RenderOptions = {}): string {
  const pen = penFor(opts);
  const usage = poolUsage(result);
  const out = [
    ...headingLines(result, opts, pen),
    ...errorsSection(result, opts, pen),
    ...changesSection(result, pen),
    ...poolsSection(usage, pen),
    ...capacitySection(usage, pen),
    ...placementsSection(result, pen),
    ...claimsSection(result, pen),
  ];
  if (pen.shortened)
    out.push(
      "",
      ...pen.para(
        `Names shortened with … to fit ${pen.width} columns: --format json has them in full.`,
        "",
        "",
      ),
    );
  return `${out.join("\n")}\n`;
}

/** What every section of the report draws with: the width, the row limit, colours, paragraphs and tables. */
interface Pen {
  width: number;
  maxRows: number;
  paint: (code: Paint, s: string) => string;
  /** `text` wrapped to the width, its first line indented by `first`, the others by `indent`. */
  para: (text: string, first?: string, indent?: string) => string[];
  /** A table fitted to the width; one that shortens a name sets {@link Pen.shortened}. */
  table: (columns: Column[], rows: string[][]) => string[];
  /** A name was shortened somewhere: the report ends by saying so. */
  shortened: boolean;
}

function penFor(opts: RenderOptions): Pen {
  const color = opts.color === true;
  const width = opts.width ?? DEFAULT_WIDTH;
  const pen: Pen = {
    width,
    maxRows: opts.maxRows ?? DEFAULT_MAX_ROWS,
    paint: (code, s) => (color ? `${ANSI[code]}${s}${ANSI.reset}` : s),
    para: (text, first = "  ", indent = "    ") => paragraph(text, width, first, indent),
    table: (columns, rows) => {
      const t = textTable(columns, rows, width);
      pen.shortened ||= t.shortened;
      return t.lines;
    },
    shortened: false,
  };
  return pen;
}

/** `servicevm plan <title>: ok` with the verdict coloured, then the summary and what the plan was compared with. */
function headingLines(result: ReportResult, opts: RenderOptions, pen: Pen): string[] {
  const { paint, para } = pen;
  const title = opts.title !== undefined ? visible(opts.title) : undefined;
  const previous = comparedWith(opts.previous === undefined ? undefined : visible(opts.previous));
  const verdict = result.ok ? "ok" : "failed";
  const heading = headline("servicevm plan", title, verdict, pen.width);
  const out = heading.map((l, i) => {
    if (i < heading.length - 1) return paint("bold", l);
    const lead = l.slice(0, l.length - verdict.length);
    const painted = paint(result.ok ? "green" : "red", verdict);
    return lead.trim() === "" ? lead + painted : `${paint("bold", lead.trimEnd())} ${painted}`;
  });
  if (result.ok) {
    out.push(...para(summarize(result)));
    out.push(...para(`${occupancy(result)}; compared with ${previous.label}`));
  } else {
    const where = opts.errorsElsewhere !== undefined ? `listed on ${opts.errorsElsewhere}` : "listed below";
    out.push(...para(`${count(result.errors.length, "error")} (${where}); nothing changes`));
    const stay =
      Object.keys(result.placements).length > 0 ? "; the previous placements stay as they are" : "";
    out.push(...para(`compared with ${previous.label}${stay}`));
  }
  return out;
}

/** A failed plan's errors, unless they are listed elsewhere (`errorsElsewhere`). */
function errorsSection(result: ReportResult, opts: RenderOptions, pen: Pen): string[] {
  if (result.ok || opts.errorsElsewhere !== undefined) return [];
  return [
    "",
    pen.paint("bold", "Errors"),
    ...result.errors.flatMap((e) => pen.para(errorLine(e)).map((l) => pen.paint("red", l))),
  ];
}

/** The warnings about busy devices and the changes table, destructive first, at most `maxRows` rows. */
function changesSection(result: ReportResult, pen: Pen): string[] {
  const { paint, para } = pen;
  const changes = result.ok ? orderChanges(result.changes) : [];
  if (changes.length === 0) return [];
  const out: string[] = [];
  for (const warning of warningLines(changes))
    out.push(...para(`warning: ${plain(warning)}`).map((l) => paint("yellow", l)));
  out.push("", paint("bold", "Changes"));
  const shown = changes.slice(0, pen.maxRows);
  const views = shown.map(viewChange);
  out.push(
    ...changeTable(
      views.map((v) => [v.op, fitCell(v.what), fitCell(v.where), plain(v.details)]),
      pen.width,
      paint,
      () => (pen.shortened = true),
    ),
  );
  const rest = changes.slice(shown.length);
  if (rest.length > 0)
    out.push(
      ...para(
        `... and ${grouped(rest.length)} more changes (${countByKind(rest)}; use --format json for all)`,
      ),
    );
  return out;
}

/** Devices per pool, then the pools with unhealthy devices. */
function poolsSection(usage: readonly PoolUsage[], pen: Pen): string[] {
  if (usage.length === 0) return [];
  const out = [
    "",
    pen.paint("bold", "Pools"),
    ...pen.table(
      [
        { head: "POOL", kind: "name" },
        { head: "TEMPLATE", kind: "name" },
        { head: "DEVICES", kind: "fixed" },
        { head: "BUSY", kind: "fixed" },
        { head: "STANDBY", kind: "fixed" },
      ],
      usage.map((u) => [
        visible(u.pool),
        visible(u.template),
        String(u.devices),
        String(u.busy),
        String(u.standby),
      ]),
    ),
  ];
  const sick = usage.filter((u) => u.unhealthy > 0).map((u) => `${visible(u.pool)}: ${u.unhealthy}`);
  if (sick.length > 0)
    out.push(...pen.para(`unhealthy devices: ${sick.join(", ")}`).map((l) => pen.paint("yellow", l)));
  return out;
}

/** Used and total capacity per pool and resource class. */
function capacitySection(usage: readonly PoolUsage[], pen: Pen): string[] {
  const rows = usageRows(usage);
  if (rows.length === 0) return [];
  return [
    "",
    pen.paint("bold", "Capacity"),
    ...pen.table(
      [
        { head: "POOL", kind: "name" },
        { head: "CLASS", kind: "name" },
        { head: "USED / TOTAL", kind: "fixed" },
        { head: "USE", kind: "fixed" },
      ],
      rows.map((r) => [visible(r.pool), r.rc, r.amount, r.use]),
    ),
  ];
}

/** Where each allocation is (unchanged when the plan failed), at most `maxRows` rows. */
function placementsSection(result: ReportResult, pen: Pen): string[] {
  const names = Object.keys(result.placements);
  if (names.length === 0) return [];
  const rows = names.slice(0, pen.maxRows).map((n) => {
    const p = result.placements[n];
    return [visible(n), visible(p.tenant), visible(p.device), visible(p.pool), isolationText(p.isolation)];
  });
  return [
    "",
    pen.paint("bold", result.ok ? "Placements" : "Placements (unchanged)"),
    ...pen.table(
      ["ALLOCATION", "TENANT", "DEVICE", "POOL"]
        .map((head): Column => ({ head, kind: "name" }))
        .concat([{ head: "ISOLATION", kind: "fixed" }]),
      rows,
    ),
    ...moreRows(names.length, "placements", pen),
  ];
}

/** Allocations claimed on pools other fleets own, at most `maxRows` rows. */
function claimsSection(result: ReportResult, pen: Pen): string[] {
  const claims = result.claims ?? {};
  const names = Object.keys(claims);
  if (names.length === 0) return [];
  const rows = names
    .slice(0, pen.maxRows)
    .map((n) => [visible(n), visible(claims[n].fleet), visible(claims[n].pool)]);
  return [
    "",
    pen.paint("bold", "Claims from other fleets"),
    ...pen.table(
      ["ALLOCATION", "FLEET", "POOL"].map((head): Column => ({ head, kind: "name" })),
      rows,
    ),
    ...moreRows(names.length, "claims", pen),
  ];
}

/** `... and 3 more claims (use --format json for all)` when a list of `n` stops at `maxRows`. */
function moreRows(n: number, what: string, pen: Pen): string[] {
  if (n <= pen.maxRows) return [];
  return pen.para(`... and ${grouped(n - pen.maxRows)} more ${what} (use --format json for all)`);
}
