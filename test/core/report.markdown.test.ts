import { describe, expect, it } from "vitest";
import { plan } from "../../core/plan";
import { codeSpan, messageText, plainText, renderMarkdown, tableCell } from "../../core/report";
import type { Change, PlanResult } from "../../core/types";
import { cmark, escapeHtml, tables } from "../cli/cmark";
import { BASE, EVERY_KIND, FAILED, SPEC as spec, WITH_EVERY_KIND } from "./report.fixtures";

describe("renderMarkdown", () => {
  it("prints a complete pull-request comment", () => {
    expect(renderMarkdown(plan(spec), { title: "fleet.yaml" }))
      .toBe(`### servicevm plan for \`fleet.yaml\`: ok

**2 to place, pool fw 0 -> 2**, compared with no previous ledger (first plan). 2 allocations on 1 of 2 devices.

#### Changes (3)

| Change | What | Where | Details |
|---|---|---|---|
| place | \`acme-fw\` | -> \`fw-0\` | tenant \`acme\`, vrf 1 |
| place | \`globex-fw\` | -> \`fw-0\` | tenant \`globex\`, vrf 2 |
| grow | pool \`fw\` | 0 -> 2 devices | adds \`fw-0\`, \`fw-1\`; 1 busy device + \`standby\` 1 |

#### Pools

| Pool | Template | Devices | Busy | Standby |
|---|---|---|---|---|
| \`fw\` | \`fw\` | 2 | 1 | 1 |

#### Capacity

| Pool | Class | Used / total | Use |
|---|---|---|---|
| \`fw\` | \`CUSTOM_SERVICE_SLOT\` | 3 / 16 | ▓▓░░░░░░░░ 19% |
| \`fw\` | \`CUSTOM_THROUGHPUT_MBPS\` | 500 / 2000 | ▓▓▓░░░░░░░ 25% |

<details><summary>Placements (2)</summary>

| Allocation | Tenant | Device | Pool | Isolation |
|---|---|---|---|---|
| \`acme-fw\` | \`acme\` | \`fw-0\` | \`fw\` | vrf 1 |
| \`globex-fw\` | \`globex\` | \`fw-0\` | \`fw\` | vrf 2 |

</details>
`);
  });

  it("shows every kind of change with its details, destructive ones first and marked", () => {
    const md = renderMarkdown(WITH_EVERY_KIND, { previous: "plan.json" });
    expect(md.split("\n").slice(0, 27)).toEqual([
      "### servicevm plan: ok",
      "",
      "**1 device to replace, 1 pool to remove, 1 to move, 1 to release, 1 device to update in place, 1 to change tenant, 1 to change isolation, 1 to place, 1 to resize, pools fw 1 -> 2, lb 3 -> 2**, compared with `plan.json`. 1 allocation on 1 of 2 devices.",
      "",
      "> ⚠️ **Warning:** 1 replaced device hosts 2 allocations (tenants `acme`, `b`): their services are down while the devices are re-created.",
      "",
      "> ⚠️ **Warning:** 1 removed pool hosts 1 allocation (tenants `globex`): their services there stop when the devices are deleted.",
      "",
      "> ⚠️ **Warning:** 1 resized device hosts 1 allocation (tenants `acme`): their services are down while the devices reboot (a flavor resize reboots the server).",
      "",
      "#### Changes (11)",
      "",
      "| Change | What | Where | Details |",
      "|---|---|---|---|",
      "| ⚠️ **replace** | `fw-0` | pool `fw` | re-created: `image` changed; not known until apply: `userData`; hosts `acme-fw`, `b-fw` (tenants `acme`, `b`) |",
      "| ⚠️ **remove** | pool `old` | 2 -> 0 devices | removes `old-0`, `old-1`; pool `old` is no longer owned by the spec; hosts `old-fw` (tenants `globex`) |",
      "| **move** | `d-fw` | `fw-3` -> `fw-0` | device `fw-3` removed; vrf 3 -> dedicated |",
      "| **release** | `gone-fw` | `fw-0` -> | allocation removed from the spec |",
      "| **shrink** | pool `lb` | 3 -> 2 devices | removes `lb-2`; 1 busy device + `standby` 1 |",
      "| ⚠️ **update** | `fw-0` | pool `fw` | updated in place: `flavor` changed (a resize reboots it); hosts `acme-fw` (tenants `acme`) |",
      "| **retenant** | `c-fw` | on `fw-0` | tenant `old` -> `new`; vrf 4 -> vrf 5 |",
      "| **reisolate** | `b-fw` | on `fw-0` | vrf 3 -> vrf 1; context 3 is outside `templates.vfw.tenancy.contexts` |",
      "| place | `new-fw` | -> `fw-1` | tenant `initech`, vrf 2 |",
      "| grow | pool `fw` | 1 -> 2 devices | adds `fw-1` in `az2`; 1 busy device + `standby` 1 |",
      "| resize | `acme-fw` | on `fw-0` | `CUSTOM_SERVICE_SLOT` 2 -> 3 |",
      "",
      "#### Pools",
    ]);
  });

  it("shows a failed plan's errors with their positions, no changes, and the placements unchanged", () => {
    const failed = {
      ...FAILED,
      changes: EVERY_KIND,
      errors: FAILED.errors.map((e) => ({ ...e, file: "fleet.yaml", line: 30, col: 5 })),
    };
    const md = renderMarkdown(failed, { title: "fleet.yaml", previous: "plan.json" });
    expect(md.split("\n").slice(0, 9)).toEqual([
      "### servicevm plan for `fleet.yaml`: failed",
      "",
      "**plan failed with 1 error: nothing changes**, compared with `plan.json`. The previous placements stay as they are.",
      "",
      "#### Errors",
      "",
      "- `fleet.yaml:30:5` `allocations.huge`: allocation `huge` (tenant `initech`) needs 9 CUSTOM_SERVICE_SLOT; pool `fw` (`max` 2): 2 devices have at most 8 CUSTOM_SERVICE_SLOT free; raise `pools.fw.max` (2) or lower `allocations.huge.demand`",
      "",
      "#### Pools",
    ]);
    expect(md).not.toContain("#### Changes");
    expect(md).toContain("<details><summary>Placements (1, unchanged)</summary>");
  });

  it("keeps a tenant with backticks and a name with a pipe inside their cells", () => {
    const result: PlanResult = {
      ...BASE,
      placements: {
        "acme-fw": { ...BASE.placements["acme-fw"], tenant: "o`brien" },
        "b-fw": { ...BASE.placements["acme-fw"], tenant: "a|b ``c``" },
      },
    };
    const placements = tables(cmark(renderMarkdown(result))).at(-1)!;
    expect(placements.head).toEqual(["Allocation", "Tenant", "Device", "Pool", "Isolation"]);
    expect(placements.rows).toEqual([
      ["acme-fw", "o`brien", "fw-0", "fw", "vrf 1"],
      ["b-fw", "a|b ``c``", "fw-0", "fw", "vrf 1"],
    ]);
    expect(placements.html.map((r) => r[1])).toEqual(["<code>o`brien</code>", "<code>a|b ``c``</code>"]);
  });
});

describe("the comment's size", () => {
  const places: Change[] = Array.from({ length: 100 }, (_, i) => ({
    op: "place",
    allocation: `svc-${String(i).padStart(3, "0")}`,
    tenant: "acme",
    to: "fw-1",
    isolation: { kind: "vrf", id: 1 },
    demand: { CUSTOM_SERVICE_SLOT: 1 },
  }));
  const big: PlanResult = { ...WITH_EVERY_KIND, changes: [...places, ...EVERY_KIND] };

  it("fits in maxChars, keeps every destructive change and counts the rest by kind", () => {
    const md = renderMarkdown(big, { maxChars: 4000 });
    expect(md.length).toBeLessThanOrEqual(4000);
    const rows = md.split("\n").filter((l) => /^\| (⚠️ )?\**[a-z]+\** \| /.test(l));
    const ops = rows.map((r) => /^\| (?:⚠️ )?\**([a-z]+)/.exec(r)![1]);
    expect(ops.slice(0, 8)).toEqual([
      "replace",
      "remove",
      "move",
      "release",
      "shrink",
      "update",
      "retenant",
      "reisolate",
    ]);
    expect(ops.slice(8).every((op) => op === "place")).toBe(true);
    const left = 111 - ops.length;
    expect(md).toContain(
      `\n_… and ${left} more changes not shown (${left - 2} place, 1 grow, 1 resize): \`servicevm plan --format json\` has everything._\n`,
    );
    // The one placement row (and its table head) did not fit either.
    expect(md).toContain("\n_1 placement not shown: `servicevm plan --format json` has everything._\n");
    expect(md).toContain(
      `\n> This comment leaves out ${left + 1} rows to fit in a pull-request comment (counted below each list); \`servicevm plan --format json\` has everything.\n`,
    );
  });

  it("leaves the comment whole when it fits", () => {
    const md = renderMarkdown(big);
    expect(md).not.toContain("not shown");
    expect(md.split("\n").filter((l) => l.startsWith("| place |")).length).toBe(101);
  });
});

describe("codeSpan", () => {
  it.each([
    ["fw-0", "`fw-0`"],
    ["o`brien", "``o`brien``"],
    ["``", "``` `` ```"],
    ["`x`", "`` `x` ``"],
    [" x", "`  x `"],
    ["x ", "` x  `"],
    ["  ", "`  `"],
    ["a|b", "`a|b`"],
    ["a\\b", "`a\\b`"],
    ["two\nlines", "`two lines`"],
  ])("writes %j as %s, which GitHub renders as exactly that text", (s, span) => {
    expect(codeSpan(s)).toBe(span);
    const shown = s.replace(/\n/g, " ");
    expect(cmark(`x ${span} y\n`)).toBe(`<p>x <code>${escapeHtml(shown)}</code> y</p>\n`);
    const [table] = tables(cmark(`| a |\n|---|\n| ${tableCell(span)} |\n`));
    expect(table.html).toEqual([[`<code>${escapeHtml(shown)}</code>`]]);
  });

  it("writes nothing for an empty string", () => {
    expect(codeSpan("")).toBe("");
  });
});

describe("plain and message text", () => {
  it("shows markup characters literally, in a paragraph and in a table cell", () => {
    const s = "*a* _b_ [c](d) <e> &amp; ~f~ `g` h|i \\j CUSTOM_SERVICE_SLOT";
    expect(plainText(s)).toBe(
      "\\*a\\* \\_b\\_ \\[c\\](d) \\<e> \\&amp; \\~f\\~ \\`g\\` h\\|i \\\\j CUSTOM_SERVICE_SLOT",
    );
    expect(cmark(`${plainText(s)}\n`)).toBe(`<p>${escapeHtml(s)}</p>\n`);
    const [table] = tables(cmark(`| a |\n|---|\n| ${tableCell(plainText(s))} |\n`));
    expect(table.rows).toEqual([[s]]);
  });

  it("turns a message's quoted names into code spans", () => {
    expect(messageText("device `fw-3` removed from `pools.x`")).toBe("device `fw-3` removed from `pools.x`");
  });

  it("shows a message with an odd number of backticks as plain text, backticks included", () => {
    const m = "tenant `o`brien` has no context";
    expect(messageText(m)).toBe("tenant \\`o\\`brien\\` has no context");
    expect(cmark(`${messageText(m)}\n`)).toBe(`<p>${escapeHtml(m)}</p>\n`);
  });
});

describe("errors without a place", () => {
  it("keeps a message that starts like a block as list item text", () => {
    const md = renderMarkdown({ ...FAILED, errors: [{ path: "", message: "# 1. > not markup" }] });
    expect(md).toContain("\n- \\# 1. > not markup\n");
    expect(cmark(md)).toContain("<li># 1. &gt; not markup</li>");
  });
});
