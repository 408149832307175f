/**
 * The one spec check (`core/specCheck.ts`): `plan()` runs the schema and the semantic checks with
 * the loader's (the CLI's) messages, a checked spec is not checked again, the planner's view may
 * have empty driver blocks, and values not known yet are allowed only where they are passed through.
 *
 * Checks are counted through `checkTemplate` (`core/validateTemplates.ts`), which every semantic
 * check calls once per template: the count is how many times a spec was checked.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { plan } from "../../core/plan";
import { checkFleetSpec, checkedPlanView, isChecked, UNKNOWN_VALUE } from "../../core/specCheck";
import type { FleetSpec } from "../../core/types";
import { checkSpec } from "../../schema/loader";
import { formatIssue } from "../../schema/errors";
import { run } from "../cli/io";

const checks = vi.hoisted(() => ({ templates: 0 }));

vi.mock("../../core/validateTemplates", async (original) => {
  const mod = await original<typeof import("../../core/validateTemplates")>();
  return {
    ...mod,
    checkTemplate: (...args: Parameters<typeof mod.checkTemplate>) => {
      checks.templates += 1;
      return mod.checkTemplate(...args);
    },
  };
});

beforeEach(() => {
  checks.templates = 0;
});

/** One template, one pool, one allocation; `pool` and `demand` change what the issue reports. */
function spec(pool: Record<string, unknown> = { standby: 1, max: 4 }, demand = 2): FleetSpec {
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        docker: { image: "vyos:1.4" },
      },
    },
    pools: { fw: { template: "fw", ...pool } },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: demand } } },
  };
}

const YAML = `templates:
  fw:
    driver: docker
    capacity: { CUSTOM_SERVICE_SLOT: 8 }
    docker: { image: "vyos:1.4" }
pools:
  fw: { template: fw, standby: -3, max: 2.5 }
allocations:
  a: { tenant: t, demand: { CUSTOM_SERVICE_SLOT: -2 } }
`;

describe("plan() checks the schema, with the CLI's messages", () => {
  it("refuses `standby: -3`, `max: 2.5` and a demand of -2, as `servicevm validate` does", () => {
    const result = plan(spec({ standby: -3, max: 2.5 }, -2));
    expect(result.ok).toBe(false);
    // A failed plan lists its errors by path.
    expect(result.errors).toEqual([
      {
        path: "allocations.a.demand.CUSTOM_SERVICE_SLOT",
        message: "must be at least 1, not -2: use 1 or more",
      },
      { path: "pools.fw.max", message: "must be a whole number, not the number 2.5" },
      { path: "pools.fw.standby", message: "must be at least 0, not -3: use 0 or more" },
    ]);
    expect(result.changes).toEqual([]);
    // The CLI words them alike, quoting each value as the file writes it, at its line and column.
    expect(checkSpec(YAML, "fleet.yaml").errors.map(formatIssue)).toEqual([
      "fleet.yaml:7:32: pools.fw.standby: must be at least 0, not `-3`: use 0 or more",
      "fleet.yaml:7:41: pools.fw.max: must be a whole number, not the number `2.5`",
      "fleet.yaml:9:50: allocations.a.demand.CUSTOM_SERVICE_SLOT: must be at least 1, not `-2`: use 1 or more",
    ]);
    // And as an object, as the plugin's `spec` is checked, exactly as plan() says them.
    expect(
      checkSpec(spec({ standby: -3, max: 2.5 }, -2), "spec").errors.map((e) => `${e.path}: ${e.message}`),
    ).toEqual(result.errors.map((e) => `${e.path}: ${e.message}`));
  });

  it("gives the loader's messages for objects, schema and semantic alike, path for path", () => {
    const bad = spec({ standby: 9, max: 4, strategy: "packed", standbye: 1 });
    bad.allocations!.a.pools = ["fx"];
    const fromPlan = plan(bad).errors.map((e) => `spec: ${e.path}: ${e.message}`);
    expect([...fromPlan].sort()).toEqual(checkSpec(bad, "spec").errors.map(formatIssue).sort());
    expect(fromPlan).toEqual([
      "spec: allocations.a.pools[0]: allocation `a` lists pool `fx`, which is not defined: did you mean `fw`?",
      "spec: pools.fw.standby: pool `fw` keeps `standby: 9` idle devices but has `max: 4`: lower `standby` or raise `max` to at least 9",
      "spec: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?",
      "spec: pools.fw.strategy: must be one of `pack`, `spread`, not `packed`: did you mean `pack`?",
    ]);
  });

  it("never throws on data that is not a spec", () => {
    for (const input of [
      null,
      42,
      "fleet",
      [],
      { templates: 5, pools: [] },
      { templates: {}, pools: { p: 5 } },
    ]) {
      const result = plan(input as unknown as FleetSpec);
      expect(result.ok).toBe(false);
      expect(result.errors.length).toBeGreaterThan(0);
    }
  });
});

describe("a spec is checked once", () => {
  it("checkFleetSpec returns the same object, which a later check and plan() take as it is", () => {
    const s = spec();
    const checked = checkFleetSpec(s);
    expect(checked).toEqual({ ok: true, spec: s, errors: [] });
    expect(checks.templates).toBe(1);
    expect(isChecked(s, "spec")).toBe(true);
    expect(checkFleetSpec(s).ok).toBe(true);
    expect(plan(s).ok).toBe(true);
    expect(checks.templates).toBe(1);
  });

  it("plan() of an unchecked spec checks it once", () => {
    expect(plan(spec()).ok).toBe(true);
    expect(checks.templates).toBe(1);
  });

  it("the loader's checked spec goes to plan() unchecked, as `servicevm plan` passes it", () => {
    const checked = checkSpec(YAML.replace("standby: -3, max: 2.5", "standby: 1, max: 4").replace("-2", "2"));
    expect(checked.errors).toEqual([]);
    expect(plan(checked.spec!).ok).toBe(true);
    expect(checks.templates).toBe(1);
  });

  it("plan() does not remember a caller's object: changed after a plan, it is checked again", () => {
    const s = spec();
    expect(plan(s).ok).toBe(true);
    expect(isChecked(s)).toBe(false);
    (s.pools.fw as { max?: number }).max = 2.5;
    const r = plan(s);
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.path)).toEqual(["pools.fw.max"]);
    expect(checks.templates).toBe(2);
  });

  it("the loader's checked spec is frozen, so what plan() takes unchecked is what was checked", () => {
    const checked = checkSpec(YAML.replace("standby: -3, max: 2.5", "standby: 1, max: 4").replace("-2", "2"));
    const pools = checked.spec!.pools as Record<string, { max?: number }>;
    expect(() => {
      pools.fw.max = 2.5;
    }).toThrow(TypeError);
    expect(pools.fw.max).toBe(4);
  });

  it("`servicevm plan` checks the spec once", async () => {
    const r = await run(["plan", "-"], {
      stdin: YAML.replace("standby: -3, max: 2.5", "standby: 1, max: 4").replace("-2", "2"),
    });
    expect(r.code).toBe(0);
    expect(checks.templates).toBe(1);
  });

  it("a checked spec's planner view is checked too, and plans without another check", () => {
    const checked = checkFleetSpec(spec());
    if (!checked.ok) throw new Error("the spec is sound");
    const view = checkedPlanView(checked.spec);
    expect(view.templates.fw.docker).toEqual({});
    expect(isChecked(view, "plan")).toBe(true);
    expect(isChecked(view, "spec")).toBe(false);
    expect(plan(view).ok).toBe(true);
    expect(checks.templates).toBe(1);
  });
});

describe("the planner's view", () => {
  const view = (): FleetSpec => {
    const s = spec();
    (s.templates.fw as { docker?: unknown }).docker = {};
    return s;
  };

  it("may have empty driver blocks, which the planner never reads (the Ledger plans such a view)", () => {
    expect(checkFleetSpec(view(), { view: "plan" }).ok).toBe(true);
    expect(plan(view()).ok).toBe(true);
  });

  it("is not a spec as written: that needs its driver block's required fields", () => {
    expect(checkFleetSpec(view(), { view: "spec" })).toEqual({
      ok: false,
      errors: [
        { path: "templates.fw.docker", message: "missing required field `image`: add `image: haproxy:2.9`" },
      ],
    });
  });

  it("still checks a driver block's fields that are present", () => {
    const s = view();
    (s.templates.fw as { docker?: unknown }).docker = { image: "" };
    expect(plan(s).errors).toEqual([
      { path: "templates.fw.docker.image", message: "must not be empty: give a value or remove the field" },
    ]);
  });
});

describe("values not known yet", () => {
  class Later {
    constructor(readonly what: string) {}
  }
  const unknown = (v: unknown): boolean => v instanceof Later;

  it("may stand where a value is passed through, and the original object is the checked spec", () => {
    const s = spec();
    const args = {
      ...s,
      templates: {
        fw: { ...s.templates.fw, docker: { image: new Later("image"), networks: [new Later("net")] } },
      },
    };
    const checked = checkFleetSpec(args, { unknown });
    expect(checked.ok).toBe(true);
    expect(checked.ok && checked.spec).toBe(args);
    expect(UNKNOWN_VALUE).toBe("https://unknown.invalid/");
  });

  it("are an error where the planner reads them", () => {
    const s = spec({ standby: new Later("standby"), max: 4 });
    expect(checkFleetSpec(s, { unknown })).toEqual({
      ok: false,
      errors: [
        {
          path: "pools.fw.standby",
          message:
            "is not known when the program runs (an Output or a promise), but the planner reads it to decide how many devices exist and where allocations go: give a plain value",
        },
      ],
    });
  });

  it("and any other class instance is refused as the loader refuses it", () => {
    const s = spec({ standby: new Date(0), max: 4 });
    expect(checkFleetSpec(s, { unknown })).toEqual({
      ok: false,
      errors: [
        {
          path: "pools.fw.standby",
          message:
            "must be plain data, not a `Date` instance (a Pulumi Output or class object?): pass plain values",
        },
      ],
    });
  });
});
