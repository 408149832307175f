import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closest, codeList, editDistance, suggestion } from "../../core/suggest";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["box", "box", 0],
    ["bx", "box", 1],
    ["kitten", "sitting", 3],
    ["flaw", "lawn", 2],
  ])("between `%s` and `%s` is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it("stops at `max + 1` once the distance exceeds `max`", () => {
    expect(editDistance("kitten", "sitting", 2)).toBe(3);
    expect(editDistance("a", "abcdefgh", 3)).toBe(4);
    expect(editDistance("abcd", "wxyz", 1)).toBe(2);
  });

  it("is exact up to `max` and above `max` beyond it, for any strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (a, b) => {
        const exact = editDistance(a, b, 100);
        const bounded = editDistance(a, b, 2);
        if (exact <= 2) expect(bounded).toBe(exact);
        else expect(bounded).toBeGreaterThan(2);
      }),
      { numRuns: 300 },
    );
  });
});

describe("closest", () => {
  it.each([
    ["bx", ["box", "fw"], "box"],
    ["EDGE", ["edge", "fw"], "edge"],
    ["fw-lage", ["fw", "box"], undefined],
    ["CUSTOM_SERVICE_SLOTS", ["CUSTOM_SERVICE_SLOT", "VCPU"], "CUSTOM_SERVICE_SLOT"],
    ["ab", [], undefined],
  ])("of `%s` among %j is %s", (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it.each([
    ["a 5-letter word allows 1 edit", "pools", ["pxxls", "poxls"], "poxls"],
    ["an 8-letter word allows 2 edits", "template", ["tempxxxx", "tempxxte"], "tempxxte"],
    ["a 9-letter word allows 3 edits", "allocated", ["allocxxxx", "allocxxxd"], "allocxxxd"],
  ])("%s", (_name, word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it("breaks ties by sort order, whatever the candidates' order", () => {
    expect(closest("fx", ["fy", "fa", "fz"])).toBe("fa");
    expect(closest("fx", ["fz", "fy", "fa"])).toBe("fa");
  });
});

describe("codeList", () => {
  it.each([
    [[], ""],
    [["a"], "`a`"],
    [["a", "b", "c"], "`a`, `b`, `c`"],
    [
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
      "`1`, `2`, `3`, `4`, `5`, `6`, `7`, `8` and 2 more",
    ],
  ])("renders %j as %s", (names, text) => {
    expect(codeList(names)).toBe(text);
  });

  it("takes a limit", () => {
    expect(codeList(["a", "b", "c"], 2)).toBe("`a`, `b` and 1 more");
  });
});

describe("suggestion", () => {
  it("proposes the closest name", () => {
    expect(suggestion("bx", ["fw", "box"], "template")).toBe("did you mean `box`?");
  });

  it("lists the defined names, sorted, when none is close", () => {
    expect(suggestion("fw-lage", ["fw", "box"], "template")).toBe("defined templates: `box`, `fw`");
  });

  it("says when nothing is defined", () => {
    expect(suggestion("edge", [], "pool")).toBe("no pool is defined yet");
  });
});
