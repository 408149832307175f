import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isName, NAME_PATTERN } from "../../core/names";

describe("the name rule", () => {
  it("is the one the schema states for every name", () => {
    const schema = JSON.parse(readFileSync(join(__dirname, "../../schema/fleet.schema.json"), "utf8")) as {
      $defs: { name: { pattern: string } };
    };
    expect(schema.$defs.name.pattern).toBe(NAME_PATTERN);
  });

  it.each([
    ["fw", true],
    ["a", true],
    ["fw-large-2", true],
    [`a${"b".repeat(62)}`, true],
    [`a${"b".repeat(63)}`, false],
    ["Fw", false],
    ["2fw", false],
    ["fw_large", false],
    ["", false],
    [7, false],
  ])("%j is a name: %s", (value, ok) => {
    expect(isName(value)).toBe(ok);
  });
});
