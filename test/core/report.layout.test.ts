import { describe, expect, it } from "vitest";
import { paragraph, shorten, textTable, visible, wrap } from "../../core/report/textLayout";

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
});
