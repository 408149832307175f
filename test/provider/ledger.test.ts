import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { digest } from "../../core/sources";
import type { FleetSpec } from "../../core/types";
import * as ledger from "../../provider/ledgerImpl";
import * as inputs from "../../provider/ledgerInputs";
import { resolveHealth } from "../../core/model";
import type { PlacementDeps } from "../../provider/ledgerPlacement";

/** The protobuf Struct the dynamic-provider host encodes `read`'s props with. */
const { Struct } = createRequire(require.resolve("@pulumi/pulumi"))(
  "google-protobuf/google/protobuf/struct_pb",
) as { Struct: { fromJavaScript(value: Record<string, unknown>): unknown } };

function spec(allocations: FleetSpec["allocations"]): FleetSpec {
  return {
    templates: { box: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 8 }, docker: {} as never } },
    pools: { box: { template: "box", standby: 1, max: 3 } },
    allocations,
  };
}

/** The checked inputs of a successful check. */
async function checked(
  olds: Record<string, unknown>,
  news: ledger.LedgerInputs,
): Promise<Record<string, unknown>> {
  const res = await ledger.check(olds, news);
  return res.inputs as Record<string, unknown>;
}

const TWO = {
  a: { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 3 } },
  b: { tenant: "t2", demand: { CUSTOM_SERVICE_SLOT: 3 } },
};

const DOCKER = digest("docker");

/** The inputs a check returned. */
function inputsOf(res: pulumi.dynamic.CheckResult): Record<string, unknown> {
  return res.inputs as Record<string, unknown>;
}

/** Ledger methods whose warnings are recorded and that must never reach Placement. */
function recording(): { methods: ReturnType<typeof ledger.makeLedgerMethods>; warnings: string[] } {
  const warnings: string[] = [];
  const deps: PlacementDeps = {
    connect: () => Promise.reject(new Error("the state backend never connects to Placement")),
    warn: (urn, message) => {
      warnings.push(`${urn} | ${message}`);
      return Promise.resolve();
    },
  };
  return { methods: ledger.makeLedgerMethods(deps), warnings };
}

describe("Ledger provider", () => {
  it("plans on create and returns the ledger, pools, health and capacity as the inputs", async () => {
    const res = await ledger.check({}, { spec: spec(TWO), health: {} });
    expect(res.failures).toBeUndefined();
    expect(res.inputs).toEqual({
      ledger: {
        version: 2,
        pools: {
          box: { devices: { "box-0": null, "box-1": null, "box-2": null }, source: { driver: DOCKER } },
        },
        placements: {
          a: { device: "box-0", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
          b: { device: "box-1", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
        },
      },
      pools: { box: ["box-0", "box-1", "box-2"] },
      health: {},
      capacity: {
        box: {
          devices: 3,
          busy: 2,
          standby: 1,
          unhealthy: 0,
          classes: { CUSTOM_SERVICE_SLOT: { total: 24, used: 6, free: 18 } },
        },
      },
    });
  });

  it("keeps placements sticky: the previous ledger comes from the old inputs", async () => {
    const first = await checked({}, { spec: spec({ b: TWO.b }), health: {} });
    const second = (await checked(first, { spec: spec(TWO), health: {} })) as unknown as ledger.LedgerState;
    expect(second.ledger.placements).toEqual({
      a: { device: "box-1", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
      b: { device: "box-0", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
    });
  });

  it("turns an infeasible plan into check failures with the core's messages and leaves the inputs as given", async () => {
    const news = { spec: spec({ big: { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 9 } } }), health: {} };
    const res = await ledger.check({}, news);
    expect(res.inputs).toBe(news);
    expect(res.failures!.length).toBe(1);
    expect(res.failures![0].property).toBe("spec.allocations.big");
    expect(res.failures![0].reason.startsWith("allocations.big: ")).toBe(true);
  });

  it("reports each planner error on its own path under `spec`, never on `spec` itself, whose whole value the engine would print with every failure", async () => {
    const bulk: FleetSpec["allocations"] = {};
    for (let i = 0; i < 3000; i++)
      bulk[`bulk-${String(i).padStart(4, "0")}`] = { tenant: "bulk", demand: { CUSTOM_SERVICE_SLOT: 1 } };
    const large = (extra: FleetSpec["allocations"]): FleetSpec => {
      const s = spec({ ...bulk, ...extra });
      s.pools.box.max = 1000;
      return s;
    };
    const infeasible = large({
      "tenant-b-fw": { tenant: "tenant-b", demand: { CUSTOM_SERVICE_SLOT: 9 } },
      "tenant-c-fw": { tenant: "tenant-c", demand: { CUSTOM_SERVICE_SLOT: 12 } },
    });
    expect(JSON.stringify(infeasible).length).toBeGreaterThan(190_000);
    const planned = await ledger.check({}, { spec: infeasible, health: {} });
    expect(planned.failures!.map((f) => f.property)).not.toContain("spec");
    const tooBig = (name: string, tenant: string, n: number) =>
      `allocations.${name}: allocation \`${name}\` (tenant \`${tenant}\`) needs ${n} CUSTOM_SERVICE_SLOT; ` +
      `the largest device of its pools holds 8 CUSTOM_SERVICE_SLOT (template \`box\`), less than the ${n} demanded even when empty; ` +
      `lower \`allocations.${name}.demand.CUSTOM_SERVICE_SLOT\` from ${n} to 8`;
    expect(planned.failures).toEqual([
      { property: "spec.allocations.tenant-b-fw", reason: tooBig("tenant-b-fw", "tenant-b", 9) },
      { property: "spec.allocations.tenant-c-fw", reason: tooBig("tenant-c-fw", "tenant-c", 12) },
    ]);

    const invalid = large({
      "tenant-d-fw": { tenant: "tenant-d", demand: { CUSTOM_SERVICE_SLOT: 1 }, device: "box-1000" },
      "tenant-e-fw": { tenant: "tenant-e", demand: { CUSTOM_NOPE: 1 } },
    });
    const validated = await ledger.check({}, { spec: invalid, health: {} });
    expect(validated.failures).toEqual([
      {
        property: "spec.allocations.tenant-d-fw.device",
        reason:
          "allocations.tenant-d-fw.device: allocation `tenant-d-fw` is pinned to device `box-1000`, but pool `box` has at most 1000 devices (`box-0`..`box-999`): pin to one of them or raise `pools.box.max` to at least 1001",
      },
      {
        property: "spec.allocations.tenant-e-fw.demand.CUSTOM_NOPE",
        reason:
          "allocations.tenant-e-fw.demand.CUSTOM_NOPE: allocation `tenant-e-fw` demands 1 `CUSTOM_NOPE`, which no template of its eligible pools (`box`) has in `capacity` (they have `CUSTOM_SERVICE_SLOT`): add `CUSTOM_NOPE` to a template's `capacity` or drop it from `demand`",
      },
    ]);
  });

  it.each([
    [
      { path: "pools.fw.max", message: "m" },
      { property: "spec.pools.fw.max", reason: "pools.fw.max: m" },
    ],
    [
      { path: "", message: "the spec as a whole" },
      { property: "", reason: "the spec as a whole" },
    ],
  ])("reports planner error %o as failure %o", (error, failure) => {
    expect(inputs.planFailure(error)).toEqual(failure);
  });

  it('refuses inputs without a `spec` (what `ignoreChanges: ["spec"]` leaves, since the Ledger does not store it), saying why and how to fix it', async () => {
    const state = await checked({}, { spec: spec(TWO), health: {} });
    const news = { health: {}, resourceUrn: "urn:x" } as unknown as ledger.LedgerInputs;
    const res = await ledger.check(state, news);
    expect(res.inputs).toBe(news);
    expect(res.failures).toEqual([
      {
        property: "spec",
        reason:
          "the Ledger's `spec` must be the fleet spec, got no `spec`: with `ignoreChanges: [\"spec\"]` the engine passes the previous inputs' `spec`, which the Ledger does not store (it keeps the plan, not the spec); remove `spec` from `ignoreChanges`, and to keep allocations on their devices pin them with `allocations.<name>.device`",
      },
    ]);
    expect((await ledger.check(state, { ...news, spec: null as never })).failures![0].reason).toContain(
      "got null:",
    );
  });

  it.each<[string, Record<string, unknown>]>([
    ["without `capacity`", { capacity: undefined }],
    ["without `pools`", { pools: undefined }],
    ["without `health`", { health: undefined }],
    ["without any field but `ledger`", { pools: undefined, health: undefined, capacity: undefined }],
  ])("reads a state %s and returns complete outputs", async (_name, missing) => {
    const state = await checked({}, { spec: spec(TWO), health: { "box-1": true } });
    const props: Record<string, unknown> = { ...state, __provider: "text" };
    for (const k of Object.keys(missing)) delete props[k];
    const res = await ledger.read("ledger", props);
    // What the provider host does with them; a missing field fails with "Unexpected struct type".
    expect(() => Struct.fromJavaScript(res.props as Record<string, unknown>)).not.toThrow();
    expect(res).toEqual({
      id: "ledger",
      props: {
        ledger: state.ledger,
        pools: { box: ["box-0", "box-1", "box-2"] },
        health: "health" in missing ? {} : { "box-1": true },
        capacity: "capacity" in missing ? {} : state.capacity,
      },
    });
  });

  it("reads a state holding a version 1 ledger (servicevm 0.1) and nothing else: the ledger stays for the next check to upgrade, its pools are listed", async () => {
    const v1 = {
      version: 1,
      pools: { box: 2 },
      placements: { a: { device: "box-1", tenant: "t1", context: null } },
    };
    expect(await ledger.read("ledger", { ledger: v1 })).toEqual({
      id: "ledger",
      props: { ledger: v1, pools: { box: ["box-0", "box-1"] }, health: {}, capacity: {} },
    });
  });

  it("reads a state without a ledger as the empty ledger", async () => {
    expect(await ledger.read("ledger", {})).toEqual({
      id: "ledger",
      props: { ledger: { version: 2, pools: {}, placements: {} }, pools: {}, health: {}, capacity: {} },
    });
  });

  it("counts an unknown health value (a new appliance in preview) as healthy", () => {
    expect(resolveHealth({ a: true, b: false, c: inputs.UNKNOWN })).toEqual({
      a: true,
      b: false,
      c: true,
    });
    expect(resolveHealth(inputs.UNKNOWN)).toEqual({});
  });

  it("uses the SDK's placeholder for unknown values", () => {
    expect(inputs.UNKNOWN).toBe(pulumi.runtime.unknownValue);
  });

  it("reads an empty previous ledger from missing or foreign old inputs", () => {
    const empty = { version: 2, pools: {}, placements: {} };
    expect(inputs.previousLedger({})).toEqual(empty);
    expect(inputs.previousLedger({ ledger: { version: 2 } })).toEqual(empty);
    expect(inputs.previousLedger({ ledger: { version: 3, pools: {}, placements: {} } })).toEqual(empty);
    expect(inputs.previousLedger({ ledger: { version: 2, pools: { fw: 2 }, placements: {} } })).toEqual(
      empty,
    );
    expect(
      inputs.previousLedger({ ledger: { version: 1, pools: { fw: { devices: {} } }, placements: {} } }),
    ).toEqual(empty);
  });

  it.each([
    ["version 1 (pool sizes)", { version: 1, pools: { fw: 2 }, placements: {} }],
    [
      "version 2 (devices with zones, sources)",
      { version: 2, pools: { fw: { devices: { "fw-0": "az1", "fw-2": null }, source: {} } }, placements: {} },
    ],
  ])("takes a previous ledger of %s as it is", (_name, value) => {
    expect(inputs.previousLedger({ ledger: value })).toBe(value);
  });

  it("upgrades a version 1 ledger on the next check: every device and placement stays, in the zone round-robin gave it", async () => {
    const zoned = spec(TWO);
    (zoned.pools.box as { zones?: string[] }).zones = ["az1", "az2"];
    const v1 = {
      version: 1,
      pools: { box: 3 },
      placements: {
        a: { device: "box-2", tenant: "t1", context: null },
        b: { device: "box-1", tenant: "t2", context: null },
      },
    };
    const { methods, warnings } = recording();
    const res = await methods.check({ ledger: v1 }, { spec: zoned, health: {} });
    expect(res.failures).toBeUndefined();
    expect((res.inputs as unknown as ledger.LedgerState).ledger).toEqual({
      version: 2,
      pools: {
        box: { devices: { "box-0": "az1", "box-1": "az2", "box-2": "az1" }, source: { driver: DOCKER } },
      },
      placements: {
        a: { device: "box-2", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
        b: { device: "box-1", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
      },
    });
    expect(warnings).toEqual([]);
  });

  it("diffs domain fields only and never the serialized provider nor the URN", async () => {
    const state = await checked({}, { spec: spec(TWO), health: {} });
    expect(
      await ledger.diff(
        "ledger",
        { ...state, __provider: "old code", resourceUrn: "urn:old" },
        { ...state, __provider: "new code", resourceUrn: "urn:new" },
      ),
    ).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const moved = { ...state, health: { "box-0": false } };
    expect((await ledger.diff("ledger", state, moved)).changes).toBe(true);
  });

  it("returns complete outputs from create, update and read", async () => {
    const state = await checked({}, { spec: spec(TWO), health: {} });
    const withProvider = { ...state, __provider: "text", resourceUrn: "urn:x" };
    expect(await ledger.create(withProvider)).toEqual({ id: "ledger", outs: state });
    expect(await ledger.update("ledger", {}, withProvider)).toEqual({ outs: state });
    expect(await ledger.read("ledger", withProvider)).toEqual({ id: "ledger", props: state });
  });
});

describe("Ledger sources", () => {
  /** Two tenants share `lb-0`; `lb-1` is idle. */
  const lab: FleetSpec = {
    templates: {
      haproxy: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: { image: "haproxy:2.9" },
      },
    },
    pools: { lb: { template: "haproxy", size: 2 } },
    allocations: {
      "a-lb": { tenant: "alpha", demand: { CUSTOM_SERVICE_SLOT: 1 } },
      "b-lb": { tenant: "bravo", demand: { CUSTOM_SERVICE_SLOT: 1 } },
    },
  };
  const URN =
    "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::lab-ledger";
  const source = (image: string) => ({ haproxy: { driver: DOCKER, image } });

  it("maps the engine's unknown placeholder to null, field by field or for a whole template", () => {
    expect(
      inputs.resolveSources(
        { haproxy: { driver: DOCKER, image: inputs.UNKNOWN }, gone: { driver: "x" } },
        lab,
      ),
    ).toEqual({ sources: { haproxy: { driver: DOCKER, image: null } }, failures: [] });
    const allUnknown = {
      command: null,
      cpus: null,
      driver: DOCKER,
      env: null,
      healthcheck: null,
      image: null,
      memoryMb: null,
      networks: null,
      ports: null,
    };
    expect(inputs.resolveSources({ haproxy: inputs.UNKNOWN }, lab)).toEqual({
      sources: { haproxy: allUnknown },
      failures: [],
    });
    expect(inputs.resolveSources(inputs.UNKNOWN, lab)).toEqual({
      sources: { haproxy: allUnknown },
      failures: [],
    });
    expect(inputs.resolveSources(undefined, lab)).toEqual({ failures: [] });
  });

  it("refuses a source value that is not a digest, naming the field", async () => {
    const res = await ledger.check({}, { spec: lab, sources: { haproxy: { driver: DOCKER, image: 42 } } });
    expect(res.failures).toEqual([
      {
        property: "sources.haproxy.image",
        reason: "`sources.haproxy.image` must be a digest (`digest(value)` of `core/sources`), got number",
      },
    ]);
  });

  it("plans with the sources passed in and records them in the pool's ledger entry", async () => {
    const { methods } = recording();
    const res = await methods.check(
      {},
      { spec: lab, sources: source(digest("haproxy:2.9")), resourceUrn: URN },
    );
    expect(res.inputs).toMatchObject({
      ledger: {
        pools: {
          lb: {
            devices: { "lb-0": null, "lb-1": null },
            source: { driver: DOCKER, image: digest("haproxy:2.9") },
          },
        },
      },
      resourceUrn: URN,
    });
  });

  it("warns on the Ledger's URN about a busy device an image change replaces, and not about the idle one", async () => {
    const { methods, warnings } = recording();
    const first = await methods.check(
      {},
      { spec: lab, sources: source(digest("haproxy:2.9")), resourceUrn: URN },
    );
    expect(warnings).toEqual([]);
    const res = await methods.check(inputsOf(first), {
      spec: lab,
      sources: source(digest("haproxy:3.0")),
      resourceUrn: URN,
    });
    expect(res.failures).toBeUndefined();
    expect(warnings).toEqual([
      `${URN} | device \`lb-0\` (pool \`lb\`) will be replaced (image changed): it hosts \`a-lb\`, \`b-lb\` of tenants \`alpha\`, \`bravo\``,
    ]);
  });

  it("warns that a busy device may be replaced when its image is not known in a preview, and keeps the recorded source", async () => {
    const { methods, warnings } = recording();
    const first = await methods.check(
      {},
      { spec: lab, sources: source(digest("haproxy:2.9")), resourceUrn: URN },
    );
    const res = await methods.check(inputsOf(first), {
      spec: lab,
      sources: source(inputs.UNKNOWN),
      resourceUrn: URN,
    });
    expect(warnings).toEqual([
      `${URN} | device \`lb-0\` (pool \`lb\`) may be replaced (image is not known until apply): it hosts \`a-lb\`, \`b-lb\` of tenants \`alpha\`, \`bravo\``,
    ]);
    expect(inputsOf(res).ledger).toEqual(inputsOf(first).ledger);
    expect((await ledger.diff("ledger", inputsOf(first), inputsOf(res))).changes).toBe(false);
  });

  // The engine's Log is a recording function in these three: delivering it is engineLog.test.ts's proof.
  it("warns on the Ledger's URN that renaming a pool deletes its busy devices, naming their tenants", async () => {
    const { methods, warnings } = recording();
    const first = await methods.check({}, { spec: lab, resourceUrn: URN });
    const renamed: FleetSpec = { ...lab, pools: { edge: { template: "haproxy", size: 2 } } };
    const res = await methods.check(inputsOf(first), { spec: renamed, resourceUrn: URN });
    expect(res.failures).toBeUndefined();
    expect(warnings).toEqual([
      `${URN} | devices \`lb-0\`, \`lb-1\` (pool \`lb\`) will be deleted (pool \`lb\` is no longer owned by the spec): they host \`a-lb\`, \`b-lb\` of tenants \`alpha\`, \`bravo\``,
    ]);
  });

  it("warns on the Ledger's URN that a flavor resize reboots a busy server, and not an idle one", async () => {
    const { methods, warnings } = recording();
    const vm = (flavor: string): FleetSpec => ({
      templates: {
        fw: {
          driver: "openstack",
          capacity: { CUSTOM_SERVICE_SLOT: 4 },
          openstack: { image: { name: "vyos" }, flavor: { name: flavor }, networks: ["mgmt"] },
        },
      },
      pools: { fw: { template: "fw", size: 2 } },
      allocations: { "a-fw": { tenant: "alpha", demand: { CUSTOM_SERVICE_SLOT: 2 } } },
    });
    const first = await methods.check({}, { spec: vm("m1.small"), resourceUrn: URN });
    const res = await methods.check(inputsOf(first), { spec: vm("m1.large"), resourceUrn: URN });
    expect(res.failures).toBeUndefined();
    expect(warnings).toEqual([
      `${URN} | device \`fw-0\` (pool \`fw\`) will be resized, which reboots it (flavor changed): it hosts \`a-fw\` of tenant \`alpha\``,
    ]);
  });

  it("warns on the Ledger's URN that re-racking a busy appliance takes its tenants down", async () => {
    const { methods, warnings } = recording();
    const rack = (zone: string): FleetSpec => ({
      templates: { box: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } } },
      pools: {
        edge: {
          template: "box",
          devices: [{ name: "rack1-fw01", management: { url: "https://192.0.2.10/health" }, zone }],
        },
      },
      allocations: { "a-fw": { tenant: "alpha", demand: { CUSTOM_SERVICE_SLOT: 2 } } },
    });
    const first = await methods.check({}, { spec: rack("row1"), resourceUrn: URN });
    const res = await methods.check(inputsOf(first), { spec: rack("row2"), resourceUrn: URN });
    expect(res.failures).toBeUndefined();
    expect(warnings).toEqual([
      `${URN} | device \`rack1-fw01\` (pool \`edge\`) will be re-racked (zone \`row1\` -> \`row2\`): it hosts \`a-fw\` of tenant \`alpha\`, down while it moves`,
    ]);
  });
});
