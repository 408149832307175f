/**
 * Renderers of an allocation's explanation (`servicevm explain`): text for terminals, Markdown for
 * pull-request comments, in the style of the plan report. Pure functions of the explanation.
 */
import type { AllocationExplanation, CandidateView, ExplainStatus } from "../explainAllocation";
import { codeSpan, markdownTable, messageText, plainText } from "./markdownText";
import { comparedWith, count, DEFAULT_MAX_ROWS, DEFAULT_WIDTH, grouped } from "./options";
import { paragraph, textTable, visible, type Column } from "./textLayout";

export interface ExplainRenderOptions {
  /** The spec's file name, shown in the heading. */
  title?: string;
  /** What the plan was compared with (the `--previous` file name). */
  previous?: string;
  /** Most candidate rows. @default 200 */
  maxRows?: number;
  /** Text: the width to fit. @default 80 */
  width?: number;
}

const VERDICT_HEAD: Record<ExplainStatus, (e: AllocationExplanation) => string> = {
  kept: (e) => `kept on ${e.device}`,
  deferred: (e) => `move deferred, stays on ${e.device}`,
  moved: (e) => `moved to ${e.device}`,
  placed: (e) => `placed on ${e.device}`,
  unplaceable: () => "fits nowhere",
  claimed: () => "claimed from another fleet",
};

/** `edge-az1, edge-az2`, or `-` without zones. */
const zoneList = (zones: readonly string[]): string => (zones.length === 0 ? "-" : zones.join(", "));

/** `CUSTOM_SERVICE_SLOT exhausted on 12 devices, without trait `X` on 3 devices`. */
export function excludedLine(e: AllocationExplanation): string {
  return e.excluded.map((c) => `${c.constraint} on ${count(c.devices, "device")}`).join(", ");
}

/** The lines under the heading: who needs what, what happened and why, what it was compared with. */
function leadLines(e: AllocationExplanation, opts: ExplainRenderOptions): string[] {
  const out = [`${capital(e.needs)}.`, `${capital(e.summary)}.`];
  if (e.status === "unplaceable" && e.error !== null) out.push(`The plan fails: ${e.error}.`);
  if (e.unplaceableNeighbours.length > 0)
    out.push(
      `Left out to explain this one: ${count(e.unplaceableNeighbours.length, "other allocation")} of its pools that fit nowhere (${e.unplaceableNeighbours.map((n) => `\`${n}\``).join(", ")}); \`servicevm plan\` reports them.`,
    );
  if (!e.consistent)
    out.push(
      "The devices are shown as this plan leaves them, after allocations placed later took their places too.",
    );
  out.push(`Compared with ${comparedWith(opts.previous).label}.`);
  return out;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Terminal rendering of an explanation. */
export function renderExplainText(e: AllocationExplanation, opts: ExplainRenderOptions = {}): string {
  const width = opts.width ?? DEFAULT_WIDTH;
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const para = (text: string, first = "  ", indent = "    "): string[] =>
    paragraph(visible(text), width, first, indent);
  const title = opts.title !== undefined ? ` ${opts.title}` : "";
  const out = [
    ...para(`servicevm explain${title} ${e.allocation}: ${VERDICT_HEAD[e.status](e)}`, "", "  "),
    ...leadLines(e, opts).flatMap((l) => para(l)),
  ];
  if (e.pools.length > 0) {
    out.push(
      "",
      "Pools it may use, in order",
      ...textTable(
        [
          { head: "POOL", kind: "name" },
          { head: "TEMPLATE", kind: "name" },
          { head: "TIER", kind: "fixed" },
          { head: "STRATEGY", kind: "fixed" },
          { head: "DEVICES", kind: "fixed" },
          { head: "ZONES", kind: "text" },
        ],
        e.pools.map((p) => [
          visible(p.pool),
          visible(p.template),
          String(p.tier),
          p.strategy,
          `up to ${p.limit}`,
          visible(zoneList(p.zones)),
        ]),
        width,
      ).lines,
    );
  }
  if (e.candidates.length > 0) {
    const shown = e.candidates.slice(0, maxRows);
    const columns: Column[] = [
      { head: "#", kind: "fixed" },
      { head: "DEVICE", kind: "name" },
      { head: "ZONE", kind: "name" },
      { head: "VERDICT", kind: "fixed" },
      { head: "WHY", kind: "text" },
    ];
    out.push(
      "",
      "Devices in the order the planner considers them",
      ...textTable(
        columns,
        shown.map((c) => [
          String(c.rank),
          deviceCell(c),
          visible(c.zone ?? "-"),
          c.verdict,
          visible(c.reason),
        ]),
        width,
      ).lines,
    );
    if (e.candidates.length > shown.length)
      out.push(
        ...para(
          `... and ${grouped(e.candidates.length - shown.length)} more devices (use --format json for all)`,
        ),
      );
    if (e.candidates.some((c) => !c.exists))
      out.push(...para("* not created yet: the pool may create it, up to its `max`"));
  }
  if (e.excluded.length > 0) out.push("", "Excluded", ...para(excludedLine(e)));
  if (e.status === "unplaceable") {
    out.push("", "Fixes, each checked by planning the changed spec (smallest first)");
    if (e.fixes.length === 0)
      out.push(
        ...para(
          "no single change to its pools, templates or constraints places it: see why the plan fails, above",
        ),
      );
    for (const f of e.fixes) out.push(...para(`${f.change}: places it on \`${f.device}\``, "  - ", "    "));
  }
  return `${out.join("\n")}\n`;
}

/** A device's name, starred when the pool has not created it yet. */
function deviceCell(c: CandidateView): string {
  return c.exists ? visible(c.device) : `${visible(c.device)}*`;
}

/** A pull-request comment for an explanation. */
export function renderExplainMarkdown(e: AllocationExplanation, opts: ExplainRenderOptions = {}): string {
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const title = opts.title !== undefined ? ` in ${codeSpan(opts.title)}` : "";
  const head = VERDICT_HEAD[e.status](e);
  const verdict =
    e.device !== null ? head.slice(0, head.length - e.device.length) + codeSpan(e.device) : plainText(head);
  const out = [`### servicevm explain ${codeSpan(e.allocation)}${title}: ${verdict}`, ""];
  out.push(leadLines(e, opts).map(messageText).join(" "));
  if (e.pools.length > 0)
    out.push(
      "",
      "#### Pools it may use, in order",
      "",
      ...markdownTable(
        ["Pool", "Template", "Tier", "Strategy", "Devices", "Zones"],
        e.pools.map((p) => [
          codeSpan(p.pool),
          codeSpan(p.template),
          String(p.tier),
          p.strategy,
          `up to ${p.limit}`,
          p.zones.length === 0 ? "-" : p.zones.map(codeSpan).join(", "),
        ]),
      ),
    );
  if (e.candidates.length > 0) {
    const shown = e.candidates.slice(0, maxRows);
    out.push(
      "",
      `#### Devices in the order the planner considers them (${grouped(e.candidates.length)})`,
      "",
      ...markdownTable(
        ["#", "Device", "Zone", "Verdict", "Why"],
        shown.map((c) => [
          String(c.rank),
          codeSpan(c.device) + (c.exists ? "" : " (not created yet)"),
          c.zone === null ? "-" : codeSpan(c.zone),
          c.verdict === "chosen" ? "**chosen**" : c.verdict,
          messageText(c.reason),
        ]),
      ),
    );
    if (e.candidates.length > shown.length)
      out.push(
        "",
        `_… and ${grouped(e.candidates.length - shown.length)} more devices not shown: \`servicevm explain --format json\` has them all._`,
      );
  }
  if (e.excluded.length > 0) out.push("", "#### Excluded", "", messageText(excludedLine(e)));
  if (e.status === "unplaceable") {
    out.push("", "#### Fixes, each checked by planning the changed spec (smallest first)", "");
    if (e.fixes.length === 0)
      out.push(
        "No single change to its pools, templates or constraints places it: see why the plan fails, above.",
      );
    for (const f of e.fixes) out.push(`- ${messageText(f.change)}: places it on ${codeSpan(f.device)}`);
  }
  return `${out.join("\n")}\n`;
}
