/**
 * `validateSpec` as a whole (`core/validate.ts`): sound specs pass unchanged, and no input makes
 * it throw. Each check is tested with its module: `validateTemplates.test.ts`,
 * `validatePools.test.ts`, `validateAllocations.test.ts`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../core/validate";
import type { FleetSpec } from "../../core/types";
import { BASE, problems } from "../schema/helpers";

describe("validateSpec through the loader", () => {
  it("accepts the base fleet", () => {
    expect(problems(BASE)).toEqual([]);
  });
});

describe("validateSpec on objects", () => {
  const spec = (): FleetSpec => ({
    templates: { box: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } } },
    pools: { edge: { template: "box", devices: [{ name: "rack1-fw01" }] } },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
  });

  it("returns no errors for a sound spec and does not change it", () => {
    const s = spec();
    const before = JSON.stringify(s);
    expect(validateSpec(s)).toEqual([]);
    expect(JSON.stringify(s)).toBe(before);
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["a list", []],
  ])("reports a spec that is %s instead of throwing", (_name, input) => {
    expect(validateSpec(input as unknown as FleetSpec)).toEqual([
      { path: "", message: "the spec must be an object with `templates` and `pools`: add them" },
    ]);
  });

  it("never throws on arbitrary JSON values in any field", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom("templates", "pools", "allocations"),
        fc.string(),
        (value, section, key) => {
          const s = spec() as unknown as Record<string, Record<string, unknown>>;
          s[section][key] = value;
          const errors = validateSpec(s as unknown as FleetSpec);
          expect(Array.isArray(errors)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
