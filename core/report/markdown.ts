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
import { countByKind, isolationText, orderChanges, replaceWarning, viewChange, type Rich } from "./changes";
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
import { poolUsage, usageRows } from "./usage";

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
  const budget = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const changes = result.ok ? orderChanges(result.changes) : [];
  const views = changes.map(viewChange);
  const changeRow = (i: number): string => {
    const v = views[i];
    const op = v.destructive ? `**${v.op}**` : v.op;
    return markdownTableRow([
      v.warning ? `⚠️ ${op}` : op,
      richMarkdown(v.what),
      richMarkdown(v.where),
      richMarkdown(v.details),
    ]);
  };
  const destructive = views.filter((v) => v.destructive).length;
  const usage = poolUsage(result);
  const capacity = usageRows(usage);
  const placements = Object.keys(result.placements);
  const claims = Object.keys(result.claims ?? {});

  const rows: Record<Group, string[]> = {
    errors: result.errors.map(errorItem),
    destructive: views.slice(0, destructive).map((_, i) => changeRow(i)),
    pools: usage.map((u) =>
      markdownTableRow([
        codeSpan(u.pool),
        codeSpan(u.template),
        String(u.devices),
        String(u.busy),
        String(u.standby) + (u.unhealthy > 0 ? ` (${u.unhealthy} unhealthy)` : ""),
      ]),
    ),
    capacity: capacity.map((r) => markdownTableRow([codeSpan(r.pool), codeSpan(r.rc), r.amount, r.use])),
    additive: views.slice(destructive).map((_, i) => changeRow(destructive + i)),
    claims: claims.map((n) =>
      markdownTableRow([codeSpan(n), codeSpan(result.claims![n].fleet), codeSpan(result.claims![n].pool)]),
    ),
    placements: placements.map((n) => {
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

  const previous = comparedWith(opts.previous);
  const title = opts.title !== undefined ? ` for ${codeSpan(opts.title)}` : "";
  const compared = `compared with ${previous.known ? codeSpan(previous.label) : previous.label}`;
  const summary = result.ok
    ? `**${plainText(summarize(result))}**, ${compared}. ${occupancy(result)}.`
    : `**${plainText(summarize(result))}**, ${compared}.${placements.length > 0 ? " The previous placements stay as they are." : ""}`;
  const warning = replaceWarning(changes);

  /** The comment with `taken` rows of each group; `frame` measures the frame instead (see the module doc). */
  const compose = (taken: Taken, frame: boolean): string => {
    const left = (g: Group): number => rows[g].length - taken[g];
    const cut = GROUPS.reduce((n, g) => n + left(g), 0);
    const shown = (g: Group): string[] => rows[g].slice(0, taken[g]);
    const table = (groups: Group[], head: string[]): string[] =>
      frame || groups.some((g) => taken[g] > 0)
        ? [markdownTableHead(head), markdownTableRule(head.length), ...groups.flatMap(shown)]
        : [];
    /** The line under a group that lost rows: `… and 3 more pools not shown`, or `3 pools not shown` when none is. */
    const note = (groups: Group[], one: string, many: string, extra = ""): string[] => {
      const total = groups.reduce((n, g) => n + rows[g].length, 0);
      const n = frame ? total : groups.reduce((k, g) => k + left(g), 0);
      if (n === 0) return [];
      const what =
        frame || n < total ? `… and ${grouped(n)} more ${n === 1 ? one : many}` : count(n, one, many);
      return ["", `_${what} not shown${extra}: ${JSON_HAS_ALL}._`];
    };
    const section = (heading: string, body: string[]): string[] =>
      body.length > 0 ? ["", heading, "", ...body] : ["", heading];

    const out: string[] = [`### servicevm plan${title}: ${result.ok ? "ok" : "failed"}`, "", summary];
    if (warning !== undefined) out.push("", `> ⚠️ **Warning:** ${richMarkdown(warning)}.`);
    if (frame || cut > 0)
      out.push(
        "",
        `> This comment leaves out ${count(frame ? GROUPS.reduce((n, g) => n + rows[g].length, 0) : cut, "row")} to fit in a pull-request comment (counted below each list); ${JSON_HAS_ALL}.`,
      );
    if (rows.errors.length > 0) {
      out.push(...section("#### Errors", shown("errors")));
      out.push(...note(["errors"], "error", "errors"));
    }
    if (views.length > 0) {
      out.push(
        ...section(
          `#### Changes (${grouped(views.length)})`,
          table(["destructive", "additive"], ["Change", "What", "Where", "Details"]),
        ),
      );
      const missing = changes
        .slice(taken.destructive, destructive)
        .concat(changes.slice(destructive + taken.additive));
      out.push(
        ...note(
          ["destructive", "additive"],
          "change",
          "changes",
          ` (${countByKind(frame ? changes : missing)})`,
        ),
      );
    }
    if (usage.length > 0) {
      out.push(
        ...section("#### Pools", table(["pools"], ["Pool", "Template", "Devices", "Busy", "Standby"])),
      );
      out.push(...note(["pools"], "pool", "pools"));
    }
    if (capacity.length > 0) {
      out.push(...section("#### Capacity", table(["capacity"], ["Pool", "Class", "Used / total", "Use"])));
      out.push(...note(["capacity"], "capacity row", "capacity rows"));
    }
    if (placements.length > 0) {
      const label = `Placements (${grouped(placements.length)}${result.ok ? "" : ", unchanged"})`;
      out.push("", `<details><summary>${label}</summary>`, "");
      out.push(...table(["placements"], ["Allocation", "Tenant", "Device", "Pool", "Isolation"]));
      out.push(...note(["placements"], "placement", "placements"));
      out.push("", "</details>");
    }
    if (claims.length > 0) {
      out.push(
        ...section("#### Claims from other fleets", table(["claims"], ["Allocation", "Fleet", "Pool"])),
      );
      out.push(...note(["claims"], "claim", "claims"));
    }
    return `${out.join("\n")}\n`;
  };

  const none = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Taken;
  let room = budget - compose(none, true).length;
  const taken = { ...none };
  // The changes table shows a prefix of the ordered changes: no place while a release is left out.
  const open = (g: Group): boolean => g !== "additive" || taken.destructive === rows.destructive.length;
  for (const g of GROUPS) {
    for (const row of open(g) ? rows[g] : []) {
      if (row.length + 1 > room) break;
      room -= row.length + 1;
      taken[g]++;
    }
  }
  // The frame counted every note at its longest: give what is left of the budget to more rows.
  let md = compose(taken, false);
  for (const g of GROUPS) {
    while (open(g) && taken[g] < rows[g].length && md.length + rows[g][taken[g]].length + 1 <= budget) {
      const next = compose({ ...taken, [g]: taken[g] + 1 }, false);
      if (next.length > budget) break;
      taken[g]++;
      md = next;
    }
  }
  return md;
}
