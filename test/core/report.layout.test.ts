import { describe, expect, it } from "vitest";
import { headline, padEnd, paragraph, shorten, textTable, visible, wrap } from "../../core/report/textLayout";
import { columns, isWide } from "../../core/report/textWidth";

describe("text layout", () => {
  it.each([
    ["fw-0", 8, "fw-0"],
    ["abcdefghij", 9, "abcd…ghij"],
    ["abcdefghij", 6, "abc…ij"],
    ["abcdefghij", 1, "…"],
  ])("shortens %j to %d characters as %j", (s, width, out) => {
    expect(shorten(s, width)).toBe(out);
  });

  it("wraps at spaces and cuts a word longer than a line, dropping nothing", () => {
    expect(wrap("one two three", 7)).toEqual(["one two", "three"]);
    expect(wrap("abcdefghij and", 4)).toEqual(["abcd", "efgh", "ij", "and"]);
    expect(wrap("", 5)).toEqual([""]);
  });

  it("indents a paragraph's continuation lines", () => {
    expect(paragraph("a b c d e f", 7, "- ", "    ")).toEqual(["- a b c", "    d e", "    f"]);
  });

  it("wraps text columns before it shortens names, and reports both", () => {
    const t = textTable(
      [
        { head: "NAME", kind: "name" },
        { head: "NOTE", kind: "text" },
      ],
      [["a-rather-long-device-name", "one two three four five six seven eight nine ten"]],
      40,
    );
    expect(t.lines).toEqual([
      "  NAME          NOTE",
      "  a-rath…-name  one two three four five",
      "                six seven eight nine ten",
    ]);
    expect([t.shortened, t.rowLines, t.widths]).toEqual([true, [2], [12, 24]]);
  });

  it("shows control characters as escapes", () => {
    expect(visible("a\nb\tc\u001b[0m\u007f")).toBe("a\\nb\\tc\\u001b[0m\\u007f");
  });

  it.each<[string, number]>([
    ["fw-0", 4],
    ["東京電力", 8],
    ["한국전력공사", 12],
    ["ｔｅｎａｎｔ", 12],
    ["ｱｲｳ", 3],
    ["Ａ-b", 4],
    ["😀ok", 4],
    ["𝐀", 1],
    ["é", 1],
    ["—…▓░", 4],
    ["〿", 1],
    ["\u3000", 2],
    ["", 0],
  ])("counts %j as %d columns", (s, n) => {
    expect(columns(s)).toBe(n);
  });

  it.each<[number, boolean]>([
    [0x10ff, false],
    [0x1100, true],
    [0x115f, true],
    [0x1160, false],
    [0x2e80, true],
    [0x303e, true],
    [0x303f, false],
    [0x4e00, true],
    [0x9fff, true],
    [0xa4c6, true],
    [0xa4c7, false],
    [0xd7a3, true],
    [0xd7a4, false],
    [0xff01, true],
    [0xff60, true],
    [0xff61, false],
    [0xffe6, true],
    [0xffe7, false],
    [0x1f300, true],
    [0x1f321, false],
    [0x1f64f, true],
    [0x20000, true],
    [0x2fffd, true],
    [0x2fffe, false],
    [0x3fffd, true],
    [0x3fffe, false],
    [0x10ffff, false],
  ])("takes U+%s as wide: %s", (cp, wide) => {
    expect(isWide(cp)).toBe(wide);
  });

  it("shortens, wraps and pads by columns, never splitting a wide character", () => {
    expect(shorten("東京電力株式会社", 9)).toBe("東京…会社");
    expect(shorten("東京電力株式会社", 8)).toBe("東京…社");
    expect(wrap("東京 電力株式会社", 6)).toEqual(["東京", "電力株", "式会社"]);
    expect(padEnd("東京", 6)).toBe("東京  ");
  });

  it("aligns a table whose cells hold wide characters", () => {
    const t = textTable(
      [
        { head: "ALLOCATION", kind: "name" },
        { head: "TENANT", kind: "name" },
        { head: "DEVICE", kind: "name" },
      ],
      [
        ["a", "東京電力", "fw-0"],
        ["b", "한국전력공사", "fw-1"],
        ["c", "ascii", "fw-2"],
      ],
      80,
    );
    expect(t.lines).toEqual([
      "  ALLOCATION  TENANT        DEVICE",
      "  a           東京電力      fw-0",
      "  b           한국전력공사  fw-1",
      "  c           ascii         fw-2",
    ]);
  });

  it("shortens a wide name to the columns left, a column blank where a wide character would not fit whole", () => {
    const t = textTable(
      [
        { head: "TENANT", kind: "name" },
        { head: "NOTE", kind: "text" },
      ],
      [["東京電力株式会社東京電力株式会社", "x"]],
      20,
    );
    expect(t.lines.map(columns)).toEqual([20, 17]);
    expect(t.lines[1]).toBe("  東京電…会社   x");
  });

  it.each<[string, string | undefined, string[]]>([
    ["fits", "fleet.yaml", ["servicevm plan fleet.yaml: ok"]],
    ["no title", undefined, ["servicevm plan: ok"]],
    [
      "a title one column too long, shortened so the verdict stays on the line",
      `/${"d".repeat(54)}/f.yaml`,
      [`servicevm plan /${"d".repeat(29)}…${"d".repeat(23)}/f.yaml: ok`],
    ],
    [
      "a long path",
      "/srv/ci/checkouts/platform-network/environments/production-eu-west/fleet.yaml",
      ["servicevm plan /srv/ci/checkouts/platform-net…/production-eu-west/fleet.yaml: ok"],
    ],
  ])("keeps the heading on one line of 80 columns: %s", (_, title, lines) => {
    const out = headline("servicevm plan", title, "ok", 80);
    expect(out).toEqual(lines);
    expect(Math.max(...out.map(columns))).toBeLessThanOrEqual(80);
  });

  it("wraps the heading when not even a short title fits", () => {
    expect(headline("servicevm plan", "a-rather-long-title.yaml", "failed", 30)).toEqual([
      "servicevm plan",
      "  a-rather-long-title.yaml:",
      "  failed",
    ]);
  });
});
