/**
 * The Fleet and the provider plugin's `Construct` run the one spec check (`core/specCheck.ts`):
 * the schema and the semantic rules, with the CLI's messages, once per spec, and Outputs only where
 * values are passed through to child resources.
 *
 * Under Pulumi's mock runtime (each resource's outputs are its inputs), where the Fleet plans
 * in-process. What it does not prove: the Ledger's provider, a separate process with its own
 * check of the planner's view, does not run here.
 *
 * Checks are counted through `checkTemplate` (`core/validateTemplates.ts`), which every semantic
 * check calls once per template.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { constructFleet } from "../../plugin/construct";
import { COMPONENT_TOKENS } from "../../tokens";

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

beforeAll(async () => {
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}_id`, state: args.inputs as Record<string, unknown> }),
    call: (args) => args.inputs as Record<string, unknown>,
  });
});

beforeEach(() => {
  checks.templates = 0;
});

function args(pool: Record<string, unknown> = { standby: 1, max: 4 }, demand = 2): FleetArgs {
  return {
    templates: {
      lb: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 4 }, docker: { image: "haproxy:2.9" } },
    },
    pools: { lb: { template: "lb", ...pool } },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: demand } } },
  };
}

const YAML = `templates:
  lb: { driver: docker, capacity: { CUSTOM_SERVICE_SLOT: 4 }, docker: { image: "haproxy:2.9" } }
pools:
  lb: { template: lb, standby: 1, max: 4 }
allocations:
  a: { tenant: t, demand: { CUSTOM_SERVICE_SLOT: 2 } }
`;

/** The Fleet's message for an unsound spec. */
function refusal(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

const placed = (fleet: Fleet): Promise<Record<string, { device: string }>> =>
  new Promise((resolve) => fleet.placements.apply(resolve));

describe("the Fleet checks its spec", () => {
  it("refuses `standby: -3`, `max: 2.5` and a demand of -2 with the CLI's messages", () => {
    expect(refusal(() => new Fleet("lab", args({ standby: -3, max: 2.5 }, -2))).split("\n")).toEqual([
      "fleet `lab` has 3 error(s) in its spec:",
      "  pools.lb.standby: must be at least 0, not -3: use 0 or more",
      "  pools.lb.max: must be a whole number, not the number 2.5",
      "  allocations.a.demand.CUSTOM_SERVICE_SLOT: must be at least 1, not -2: use 1 or more",
    ]);
  });

  it("refuses what only the schema says of a pass-through value, as `servicevm validate` does", () => {
    const bad = args();
    (bad.templates.lb.docker as { image: string }).image = "";
    expect(refusal(() => new Fleet("lab", bad))).toBe(
      "fleet `lab` has 1 error(s) in its spec:\n  templates.lb.docker.image: must not be empty: give a value or remove the field",
    );
  });

  it("takes an Output where a value is passed through, and refuses one the planner reads", () => {
    const wired = args();
    wired.templates.lb.docker!.image = pulumi.output("haproxy:3.0");
    wired.allocations!.a.networks = [{ network: pulumi.output("svc") }];
    expect(refusal(() => new Fleet("wired", wired))).toBe("");
    const unknownMax = args({ standby: 1, max: pulumi.output(4) });
    expect(refusal(() => new Fleet("late", unknownMax))).toBe(
      "fleet `late` has 1 error(s) in its spec:\n  pools.lb.max: is not known when the program runs (an Output or a promise), but the planner reads it to decide how many devices exist and where allocations go: give a plain value",
    );
  });

  it("checks the spec once, also when it plans in-process under mocks", async () => {
    const fleet = new Fleet("once", args());
    expect(await placed(fleet)).toMatchObject({ a: { device: "lb-0" } });
    expect(checks.templates).toBe(1);
  });
});

describe("the plugin's Construct checks the spec once, and the Fleet it builds not again", () => {
  it("for a `spec` object", async () => {
    const result = await constructFleet("obj", { spec: args() }, {});
    expect(result.urn).toBeDefined();
    expect(checks.templates).toBe(1);
  });

  it("for `specText`", async () => {
    const result = await constructFleet("text", { specText: YAML, specFile: "fleet.yaml" }, {});
    expect(result.urn).toBeDefined();
    expect(checks.templates).toBe(1);
  });

  it("refuses a `spec` object with the messages of the Fleet and the CLI, sorted by path", async () => {
    await expect(constructFleet("bad", { spec: args({ standby: -3, max: 2.5 }, -2) }, {})).rejects.toThrow(
      `${COMPONENT_TOKENS.fleet} \`bad\`: 3 errors in fleet spec:\n` +
        "spec: allocations.a.demand.CUSTOM_SERVICE_SLOT: must be at least 1, not -2: use 1 or more\n" +
        "spec: pools.lb.max: must be a whole number, not the number 2.5\n" +
        "spec: pools.lb.standby: must be at least 0, not -3: use 0 or more",
    );
  });
});
