/**
 * The dynamic Ledger (`pulumi-nodejs:dynamic/servicevm:Ledger`) in the real nodejs dynamic-provider
 * host, run from a scratch project with servicevm installed from `npm pack`, through successive
 * previews, updates, a refresh, a targeted replacement and a destroy, by the test engine of
 * `monitor.ts`. The calls, their order and the values' encodings (unknowns, secrets) follow the
 * engine's source at v3.248.0; what the engine does beyond that is not modelled (see `monitor.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applianceProvider } from "../../provider/appliance";
import { ledgerProvider } from "../../provider/ledger";
import { COMPONENT_TOKENS, DYNAMIC_TOKENS } from "../../tokens";
import { FakeEngine } from "../harness/fakeEngine";
import { type Props, UNKNOWN, type Wire, secret, startDynamicHost } from "./hosts";
import { removeScratchProject, scratchProject } from "./install";
import { PluginEngine, type ProgramClient, type RunResult } from "./monitor";
import { DOCKER, IMAGE, ledgerSpec as spec, placed } from "./ledgerFixture";

/** The Ledger's provider calls of a run (the engine's `Configure` included): `<method>` per call, in order. */
function ledgerCalls(result: RunResult, method: string): RunResult["calls"] {
  return result.calls.filter((c) => c.method === method && c.urn.endsWith("::lab-ledger"));
}

function methods(result: RunResult): string[] {
  return result.calls.filter((c) => !c.urn.endsWith("::lab-fw1")).map((c) => c.method);
}

describe("the dynamic Ledger through the real dynamic-provider host", () => {
  let engineService: FakeEngine;
  let engine: PluginEngine;
  let providerText: string;
  let applianceText: string;
  let ledgerUrn: string;
  let triggerUrn: string;

  beforeAll(async () => {
    const project = scratchProject();
    engineService = await FakeEngine.start();
    engine = await PluginEngine.start({
      project: project.name,
      stack: "dev",
      launchers: { "pulumi-nodejs": () => startDynamicHost(project, engineService.address) },
      engineAddress: engineService.address,
      projectDir: project.dir,
    });
    providerText = (await pulumi.runtime.serializeFunction(() => ledgerProvider, { allowSecrets: true }))
      .text;
    applianceText = (await pulumi.runtime.serializeFunction(() => applianceProvider, { allowSecrets: true }))
      .text;
    const fleet = engine.urnOf(COMPONENT_TOKENS.fleet, "lab");
    ledgerUrn = engine.urnOf(DYNAMIC_TOKENS.ledger, "lab-ledger", fleet);
    triggerUrn = engine.urnOf(DYNAMIC_TOKENS.appliance, "lab-fw1", fleet);
  });

  afterAll(async () => {
    await engine?.stop();
    engineService?.stop();
    removeScratchProject();
  });

  /**
   * The program: the stack, the `lab` Fleet component and its Ledger, as the TypeScript Fleet
   * registers them, and (unless `trigger` is false) an unmanaged appliance (no URL: nothing probed)
   * the Ledger lists in `replaceWith`, for a replacement the engine decides without `--replace`.
   */
  const program =
    (allocations: string[], image: Wire, opts: { seen?: { outputs?: Props }; trigger?: boolean } = {}) =>
    async (p: ProgramClient): Promise<void> => {
      const stack = await p.stack();
      const fleet = await p.register({
        type: COMPONENT_TOKENS.fleet,
        name: "lab",
        custom: false,
        parent: stack,
        inputs: {},
      });
      const trigger =
        opts.trigger === false
          ? undefined
          : await p.register({
              type: DYNAMIC_TOKENS.appliance,
              name: "lab-fw1",
              custom: true,
              parent: fleet.urn,
              inputs: { fleet: "lab", pool: "fw", device: "fw1", __provider: applianceText },
            });
      const ledger = await p.register({
        type: DYNAMIC_TOKENS.ledger,
        name: "lab-ledger",
        custom: true,
        parent: fleet.urn,
        inputs: {
          spec: spec(allocations) as unknown as Wire,
          // A secret health value: the host does not accept secrets, so the engine sends it plain.
          health: { "lb-1": secret(true) },
          sources: { haproxy: { driver: DOCKER, image } },
          resourceUrn: ledgerUrn,
          __provider: providerText,
        },
        replaceWith: trigger === undefined ? [] : [trigger.urn],
      });
      if (opts.seen) opts.seen.outputs = ledger.outputs;
      await p.registerOutputs(fleet.urn, {});
    };

  const stored = (): { id: string; inputs: Props; outputs: Props } => engine.state.get(ledgerUrn)!;

  it("previews the placements: `Check` gets the unknown image as the engine's unknown, and its inputs come back as outputs without `Create`", async () => {
    const seen: { outputs?: Props } = {};
    const result = await engine.preview(program(["a-lb", "b-lb"], UNKNOWN, { seen }));
    expect(result.errors).toEqual([]);
    expect(methods(result)).toEqual(["Configure", "Check"]);
    const check = result.calls.find((c) => c.urn === ledgerUrn)!;
    expect(check.urn).toBe(ledgerUrn);
    expect(check.request.olds).toEqual({});
    // Secrets are stripped for a host that answered `acceptSecrets: false`; unknowns are kept in a preview.
    expect((check.request.news as Props).health).toEqual({ "lb-1": true });
    expect((check.request.news as Props).sources).toEqual({ haproxy: { driver: DOCKER, image: UNKNOWN } });
    expect(seen.outputs!.ledger).toEqual({
      version: 2,
      // The image is not known yet: the preview's ledger records no image for the pool.
      pools: { lb: { devices: { "lb-0": null, "lb-1": null }, source: { driver: DOCKER } } },
      placements: { "a-lb": placed("a-lb", 1), "b-lb": placed("b-lb", 2) },
    });
    // The engine marks the same-named output secret again (`annotateSecrets`).
    expect(seen.outputs!.health).toEqual({ "lb-1": secret(true) });
    expect(result.steps.map((s) => `${s.op} ${s.type}`)).toEqual([
      "create pulumi:pulumi:Stack",
      `create ${COMPONENT_TOKENS.fleet}`,
      `create ${DYNAMIC_TOKENS.appliance}`,
      `create ${DYNAMIC_TOKENS.ledger}`,
    ]);
    expect(engine.state.size).toBe(0);
  });

  it("creates the Ledger with id `ledger` and the checked state as outputs", async () => {
    const result = await engine.up(program(["a-lb", "b-lb"], IMAGE));
    expect(result.errors).toEqual([]);
    expect(methods(result)).toEqual(["Configure", "Check", "Create"]);
    const { id, inputs, outputs } = stored();
    expect(id).toBe("ledger");
    // The outputs are the checked inputs but the Ledger's own URN, which `create` does not record.
    const { resourceUrn, ...state } = inputs;
    expect(resourceUrn).toBe(ledgerUrn);
    expect(outputs).toEqual(state);
    expect(outputs.ledger).toEqual({
      version: 2,
      pools: {
        lb: { devices: { "lb-0": null, "lb-1": null }, source: { driver: DOCKER, image: IMAGE } },
      },
      placements: { "a-lb": placed("a-lb", 1), "b-lb": placed("b-lb", 2) },
    });
    expect(outputs.pools).toEqual({ lb: ["lb-0", "lb-1"] });
    expect(outputs.capacity).toEqual({
      lb: {
        devices: 2,
        busy: 1,
        standby: 1,
        unhealthy: 0,
        classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 2, free: 6 } },
      },
    });
    expect(outputs.health).toEqual({ "lb-1": secret(true) });
    expect(outputs.__provider).toBe(providerText);
  });

  it("adds an allocation without moving the others: `Check` plans from the old inputs, then `Diff` and `Update`", async () => {
    const before = stored();
    const result = await engine.up(program(["a-lb", "b-lb", "c-lb"], IMAGE));
    expect(result.errors).toEqual([]);
    expect(methods(result)).toEqual(["Configure", "Check", "Diff", "Update"]);
    expect(ledgerCalls(result, "Check")[0].request.olds).toEqual({
      ...before.inputs,
      health: { "lb-1": true },
    });
    expect((stored().outputs.ledger as { placements: unknown }).placements).toEqual({
      "a-lb": placed("a-lb", 1),
      "b-lb": placed("b-lb", 2),
      "c-lb": placed("c-lb", 3),
    });
    expect(result.steps.find((s) => s.urn === ledgerUrn)?.op).toBe("update");
  });

  it("refreshes to the same state: `Read` returns the recorded outputs", async () => {
    const before = stored();
    const result = await engine.refresh();
    expect(result.errors).toEqual([]);
    expect(methods(result)).toEqual(["Configure", "Read"]);
    expect(stored().outputs).toEqual(before.outputs);
    expect(stored().inputs).toEqual(before.inputs);
  });

  it("keeps the other placements when an allocation goes (contexts 2 and 3 stay)", async () => {
    const result = await engine.up(program(["b-lb", "c-lb"], IMAGE));
    expect(result.errors).toEqual([]);
    expect((stored().outputs.ledger as { placements: unknown }).placements).toEqual({
      "b-lb": placed("b-lb", 2),
      "c-lb": placed("c-lb", 3),
    });
  });

  it("plans a replacement the engine decides (`replaceWith`) from the ledger it replaces: the second `Check`, without olds, keeps contexts 2 and 3", async () => {
    const logs = engineService.logs.length;
    const before = stored();
    const result = await engine.up(program(["b-lb", "c-lb"], IMAGE), { replaceTargets: [triggerUrn] });
    expect(result.errors).toEqual([]);
    // step_generator.go: `Check` with the old inputs, no `Diff` (replaceWith), `Check` again without them.
    expect(methods(result)).toEqual(["Configure", "Check", "Check", "Create", "Delete"]);
    expect(ledgerCalls(result, "Check").map((c) => c.request.olds)).toEqual([
      { ...before.inputs, health: { "lb-1": true } },
      {},
    ]);
    expect((stored().outputs.ledger as { placements: unknown }).placements).toEqual({
      "b-lb": placed("b-lb", 2),
      "c-lb": placed("c-lb", 3),
    });
    expect(engineService.logs.slice(logs).filter((l) => l.severity !== "debug")).toEqual([
      {
        severity: "warning",
        urn: ledgerUrn,
        message:
          "the Ledger is being replaced: the new one plans from the ledger it replaces (2 placement(s) kept)",
      },
    ]);
  });

  it("re-plans from nothing on a targeted replace (`--replace`): `Check` gets no olds, so `b-lb` and `c-lb` move to contexts 1 and 2", async () => {
    const before = stored();
    const result = await engine.up(program(["b-lb", "c-lb"], IMAGE), { replaceTargets: [ledgerUrn] });
    expect(result.errors).toEqual([]);
    // step_generator.go: no `Diff` for a targeted replace; the old copy is deleted after the create.
    expect(methods(result)).toEqual(["Configure", "Check", "Create", "Delete"]);
    expect(ledgerCalls(result, "Check")[0].request.olds).toEqual({});
    expect(ledgerCalls(result, "Delete")[0].request.properties).toEqual({
      ...before.outputs,
      health: { "lb-1": true },
    });
    expect((stored().outputs.ledger as { placements: unknown }).placements).toEqual({
      "b-lb": placed("b-lb", 1),
      "c-lb": placed("c-lb", 2),
    });
    expect(result.steps.filter((s) => s.urn === ledgerUrn).map((s) => s.op)).toEqual(["replace", "delete"]);
  });

  it("deletes what an update no longer registers (the appliance), after the other steps", async () => {
    const result = await engine.up(program(["b-lb", "c-lb"], IMAGE, { trigger: false }));
    expect(result.errors).toEqual([]);
    expect(result.calls.map((c) => `${c.method} ${c.urn.slice(c.urn.lastIndexOf("::") + 2)}`)).toEqual([
      "Configure default",
      "Check lab-ledger",
      "Diff lab-ledger",
      "Delete lab-fw1",
    ]);
    expect(engine.state.has(triggerUrn)).toBe(false);
  });

  it("deletes the Ledger on destroy with its recorded outputs", async () => {
    const before = stored();
    const result = await engine.destroy();
    expect(result.errors).toEqual([]);
    expect(methods(result)).toEqual(["Configure", "Delete"]);
    expect(ledgerCalls(result, "Delete")[0].request).toEqual({
      id: "ledger",
      properties: { ...before.outputs, health: { "lb-1": true } },
      oldInputs: { ...before.inputs, health: { "lb-1": true } },
    });
    expect(engine.state.size).toBe(0);
    expect(engine.history.map((r) => r.stderr["pulumi-nodejs"] ?? "")).toEqual(engine.history.map(() => ""));
  });
});
