import { describe, expect, it } from "vitest";
import { plan } from "../../core/plan";
import { parseSpec } from "../../schema/loader";
import { benchSpec, benchSpecText } from "../bench/spec";

describe("the spec benchmark", () => {
  it("generates a fleet that loads and plans with every allocation placed", () => {
    const spec = parseSpec(benchSpecText(300), "bench.yaml");
    expect(Object.keys(spec.allocations ?? {})).toHaveLength(300);
    const result = plan(spec);
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.placements)).toHaveLength(300);
  });

  it("reports one row per size with the runs it made", () => {
    const rows = benchSpec([50], 1);
    expect(rows.map((r) => [r.allocations, r.runs])).toEqual([[50, 1]]);
    expect(rows[0].ratio).toBe(rows[0].loadMs / rows[0].parseMs);
  });
});
