/**
 * The pull-request comment: verdict and summary, errors, changes (destructive first), pools,
 * capacity, placements and claims, in at most `maxChars` characters (GitHub refuses comments over
 * 65,536) whatever the names and sizes.
 *
 * How the cut works: the comment's frame (headings, table heads, and every "left out" note with the
 * largest counts it could show) is measured first; the rest of the budget goes to rows, group by
 * group in priority order — errors, destructive changes, pools and capacity, the other changes
 * (place, grow, resize), claims, placements — each group taking rows in its own order until the
 * next row does not fit; what the notes did not need then goes to more rows, in the same order,
 * each checked against the whole comment. The changes table always shows a prefix of the ordered
 * changes: the other changes get rows only when every destructive one has its row. Every group
 * that lost rows ends with a line counting them (changes by kind) and pointing to
 * `--format json`, which has everything.
 */
import type { Change } from "../types";
import {
  countByKind,
  isolationText,
  orderChanges,
  viewChange,
  warningLines,
  type ChangeView,
  type Rich,
} from "./changes";
import {
  codeSpan,
  lineStart,
  markdownTableHead,
  markdownTableRow,
  markdownTableRule,
  messageText,
  plainText,
} from "./markdownText";
import {
  comparedWith,
  count,
  DEFAULT_MAX_CHARS,
  grouped,
  type RenderOptions,
  type ReportError,
  type ReportResult,
} from "./options";
import { occupancy, summarize } from "./summary";
import { poolUsage, usageRows, type PoolUsage } from "./usage";

/** Rich text as inline Markdown: names as code spans, planner messages with their quoted names as code. */
export function richMarkdown(r: Rich): string {
  return r
    .map((p) => (typeof p === "string" ? p : "code" in p ? codeSpan(p.code) : messageText(p.message)))
    .join("");
}

/** `- \`file:line:col\` \`path\`: message`, leaving out what is unknown. */
function errorItem(e: ReportError): string {
  const where: string[] = [];
  if (e.file !== undefined)
    where.push(codeSpan((e.line ?? 0) > 0 ? `${e.file}:${e.line}:${e.col ?? 0}` : e.file));
  if (e.path !== "") where.push(codeSpan(e.path));
  return `- ${where.length > 0 ? `${where.join(" ")}: ${messageText(e.message)}` : lineStart(messageText(e.message))}`;
}

/** The groups rows are given to, in priority order. */
const GROUPS = ["errors", "destructive", "pools", "capacity", "additive", "claims", "placements"] as const;
type Group = (typeof GROUPS)[number];
type Taken = Record<Group, number>;

const JSON_HAS_ALL = "`servicevm plan --format json` has everything";

/** A pull-request comment for a plan result. */
export function renderMarkdown(result: ReportResult, opts: RenderOptions = {}): string {
  return fitComment(commentOf(result, opts), opts.maxChars ?? DEFAULT_MAX_CHARS);
}

/** What the comment is made of before it is cut: the lines above the lists and each group's rows. */
interface Comment {
  ok: boolean;
  /** The heading, the summary and the warnings, if there are any. */
  top: string[];
  /** The changes in report order; the first `destructive` of them are destructive. */
  changes: Change[];
  destructive: number;
  rows: Record<Group, string[]>;
}

/** One composition of the comment: `taken` rows of each group, or the frame (see the module doc). */
interface Cut {
  taken: Taken;
  frame: boolean;
}

function commentOf(result: ReportResult, opts: RenderOptions): Comment {
  const changes = result.ok ? orderChanges(result.changes) : [];
  const views = changes.map(viewChange);
  const destructive = views.filter((v) => v.destructive).length;
  return {
    ok: result.ok,
    top: topLines(result, opts, changes),
    changes,
    destructive,
    rows: groupRows(result, views, destructive),
  };
}

/** The heading, the summary (verdict, comparison, occupancy) and the warnings about busy devices. */
function topLines(result: ReportResult, opts: RenderOptions, changes: readonly Change[]): string[] {
  const previous = comparedWith(opts.previous);
  const title = opts.title !== undefined ? ` for ${codeSpan(opts.title)}` : "";
  const compared = `compared with ${previous.known ? codeSpan(previous.label) : previous.label}`;
  const placed = Object.keys(result.placements).length > 0;
  const summary = result.ok
    ? `**${plainText(summarize(result))}**, ${compared}. ${occupancy(result)}.`
    : `**${plainText(summarize(result))}**, ${compared}.${placed ? " The previous placements stay as they are." : ""}`;
  const out = [`### servicevm plan${title}: ${result.ok ? "ok" : "failed"}`, "", summary];
  for (const warning of warningLines(changes)) out.push("", `> ⚠️ **Warning:** ${richMarkdown(warning)}.`);
  return out;
}

/** Every row the comment could show, by group. */
function groupRows(
  result: ReportResult,
  views: readonly ChangeView[],
  destructive: number,
): Record<Group, string[]> {
  const usage = poolUsage(result);
  const claims = result.claims ?? {};
  return {
    errors: result.errors.map(errorItem),
    destructive: views.slice(0, destructive).map(changeRow),
    pools: usage.map(poolRow),
    capacity: usageRows(usage).map((r) =>
      markdownTableRow([codeSpan(r.pool), codeSpan(r.rc), r.amount, r.use]),
    ),
    additive: views.slice(destructive).map(changeRow),
    claims: Object.keys(claims).map((n) =>
      markdownTableRow([codeSpan(n), codeSpan(claims[n].fleet), codeSpan(claims[n].pool)]),
    ),
    placements: Object.keys(result.placements).map((n) => {
      const p = result.placements[n];
      return markdownTableRow([
        codeSpan(n),
        codeSpan(p.tenant),
        codeSpan(p.device),
        codeSpan(p.pool),
        isolationText(p.isolation),
      ]);
    }),
  };
}

/** A changes-table row: destructive kinds in bold, a change that interrupts services with ⚠️. */
function changeRow(v: ChangeView): string {
  const op = v.destructive ? `**${v.op}**` : v.op;
  return markdownTableRow([
    v.warning ? `⚠️ ${op}` : op,
    richMarkdown(v.what),
    richMarkdown(v.where),
    richMarkdown(v.details),
  ]);
}

function poolRow(u: PoolUsage): string {
  return markdownTableRow([
    codeSpan(u.pool),
    codeSpan(u.template),
    String(u.devices),
    String(u.busy),
    String(u.standby) + (u.unhealthy > 0 ? ` (${u.unhealthy} unhealthy)` : ""),
  ]);
}

/**
 * The comment cut to `budget` characters: first the rows that fit beside the frame, group by group
 * in priority order; then, since the frame counted every note at its longest, more rows in the same
 * order while the whole comment still fits.
 */
function fitComment(c: Comment, budget: number): string {
  const none = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Taken;
  let room = budget - compose(c, { taken: none, frame: true }).length;
  const taken = { ...none };
  for (const g of GROUPS) {
    for (const row of isOpen(c, taken, g) ? c.rows[g] : []) {
      if (row.length + 1 > room) break;
      room -= row.length + 1;
      taken[g]++;
    }
  }
  let md = compose(c, { taken, frame: false });
  for (const g of GROUPS) {
    while (
      isOpen(c, taken, g) &&
      taken[g] < c.rows[g].length &&
      md.length + c.rows[g][taken[g]].length + 1 <= budget
    ) {
      const next = compose(c, { taken: { ...taken, [g]: taken[g] + 1 }, frame: false });
      if (next.length > budget) break;
      taken[g]++;
      md = next;
    }
  }
  return md;
}

/** The changes table shows a prefix of the ordered changes: no place while a release is left out. */
function isOpen(c: Comment, taken: Taken, g: Group): boolean {
  return g !== "additive" || taken.destructive === c.rows.destructive.length;
}

/** The whole comment for one cut, section by section. */
function compose(c: Comment, cut: Cut): string {
  const out = [...c.top];
  const omitted = cut.frame ? total(c, GROUPS) : GROUPS.reduce((n, g) => n + left(c, cut, g), 0);
  if (cut.frame || omitted > 0)
    out.push(
      "",
      `> This comment leaves out ${count(omitted, "row")} to fit in a pull-request comment (counted below each list); ${JSON_HAS_ALL}.`,
    );
  out.push(
    ...errorsSection(c, cut),
    ...changesSection(c, cut),
    ...poolsSection(c, cut),
    ...capacitySection(c, cut),
    ...placementsSection(c, cut),
    ...claimsSection(c, cut),
  );
  return `${out.join("\n")}\n`;
}

function errorsSection(c: Comment, cut: Cut): string[] {
  if (c.rows.errors.length === 0) return [];
  return [...section("#### Errors", shown(c, cut, "errors")), ...note(c, cut, ["errors"], "error", "errors")];
}

/** The changes table, destructive rows first; its note counts what is left out by kind. */
function changesSection(c: Comment, cut: Cut): string[] {
  if (c.changes.length === 0) return [];
  const groups: Group[] = ["destructive", "additive"];
  const missing = c.changes
    .slice(cut.taken.destructive, c.destructive)
    .concat(c.changes.slice(c.destructive + cut.taken.additive));
  return [
    ...section(
      `#### Changes (${grouped(c.changes.length)})`,
      table(c, cut, groups, ["Change", "What", "Where", "Details"]),
    ),
    ...note(c, cut, groups, "change", "changes", ` (${countByKind(cut.frame ? c.changes : missing)})`),
  ];
}

function poolsSection(c: Comment, cut: Cut): string[] {
  if (c.rows.pools.length === 0) return [];
  return [
    ...section("#### Pools", table(c, cut, ["pools"], ["Pool", "Template", "Devices", "Busy", "Standby"])),
    ...note(c, cut, ["pools"], "pool", "pools"),
  ];
}

function capacitySection(c: Comment, cut: Cut): string[] {
  if (c.rows.capacity.length === 0) return [];
  return [
    ...section("#### Capacity", table(c, cut, ["capacity"], ["Pool", "Class", "Used / total", "Use"])),
    ...note(c, cut, ["capacity"], "capacity row", "capacity rows"),
  ];
}

/** Placements sit in a collapsed `<details>` block: they are the longest list and the least urgent. */
function placementsSection(c: Comment, cut: Cut): string[] {
  const n = c.rows.placements.length;
  if (n === 0) return [];
  const label = `Placements (${grouped(n)}${c.ok ? "" : ", unchanged"})`;
  return [
    "",
    `<details><summary>${label}</summary>`,
    "",
    ...table(c, cut, ["placements"], ["Allocation", "Tenant", "Device", "Pool", "Isolation"]),
    ...note(c, cut, ["placements"], "placement", "placements"),
    "",
    "</details>",
  ];
}

function claimsSection(c: Comment, cut: Cut): string[] {
  if (c.rows.claims.length === 0) return [];
  return [
    ...section("#### Claims from other fleets", table(c, cut, ["claims"], ["Allocation", "Fleet", "Pool"])),
    ...note(c, cut, ["claims"], "claim", "claims"),
  ];
}

function total(c: Comment, groups: readonly Group[]): number {
  return groups.reduce((n, g) => n + c.rows[g].length, 0);
}

/** Rows of group `g` this cut leaves out. */
function left(c: Comment, cut: Cut, g: Group): number {
  return c.rows[g].length - cut.taken[g];
}

function shown(c: Comment, cut: Cut, g: Group): string[] {
  return c.rows[g].slice(0, cut.taken[g]);
}

/** The table of `groups`' shown rows; none when no row is shown (the frame always has its head). */
function table(c: Comment, cut: Cut, groups: Group[], head: string[]): string[] {
  return cut.frame || groups.some((g) => cut.taken[g] > 0)
    ? [markdownTableHead(head), markdownTableRule(head.length), ...groups.flatMap((g) => shown(c, cut, g))]
    : [];
}

/** The line under a group that lost rows: `… and 3 more pools not shown`, or `3 pools not shown` when none is. */
function note(c: Comment, cut: Cut, groups: Group[], one: string, many: string, extra = ""): string[] {
  const all = total(c, groups);
  const n = cut.frame ? all : groups.reduce((k, g) => k + left(c, cut, g), 0);
  if (n === 0) return [];
  const what =
    cut.frame || n < all ? `… and ${grouped(n)} more ${n === 1 ? one : many}` : count(n, one, many);
  return ["", `_${what} not shown${extra}: ${JSON_HAS_ALL}._`];
}

function section(heading: string, body: string[]): string[] {
  return body.length > 0 ? ["", heading, "", ...body] : ["", heading];
}
