import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { digest } from "../../core/sources";
import type { Change, FleetSpec } from "../../core/types";
import * as ledger from "../../provider/ledgerImpl";
import type { PlacementDeps } from "../../provider/ledgerPlacement";

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
    expect(res.failures![0].property).toBe("spec");
    expect(res.failures![0].reason.startsWith("allocations.big: ")).toBe(true);
  });

  it("counts an unknown health value (a new appliance in preview) as healthy", () => {
    expect(ledger.resolveHealth({ a: true, b: false, c: ledger.UNKNOWN })).toEqual({
      a: true,
      b: false,
      c: true,
    });
    expect(ledger.resolveHealth(ledger.UNKNOWN)).toEqual({});
  });

  it("uses the SDK's placeholder for unknown values", () => {
    expect(ledger.UNKNOWN).toBe(pulumi.runtime.unknownValue);
  });

  it("reads an empty previous ledger from missing or foreign old inputs", () => {
    const empty = { version: 2, pools: {}, placements: {} };
    expect(ledger.previousLedger({})).toEqual(empty);
    expect(ledger.previousLedger({ ledger: { version: 2 } })).toEqual(empty);
    expect(ledger.previousLedger({ ledger: { version: 3, pools: {}, placements: {} } })).toEqual(empty);
    expect(ledger.previousLedger({ ledger: { version: 2, pools: { fw: 2 }, placements: {} } })).toEqual(
      empty,
    );
    expect(
      ledger.previousLedger({ ledger: { version: 1, pools: { fw: { devices: {} } }, placements: {} } }),
    ).toEqual(empty);
  });

  it.each([
    ["version 1 (pool sizes)", { version: 1, pools: { fw: 2 }, placements: {} }],
    [
      "version 2 (devices with zones, sources)",
      { version: 2, pools: { fw: { devices: { "fw-0": "az1", "fw-2": null }, source: {} } }, placements: {} },
    ],
  ])("takes a previous ledger of %s as it is", (_name, value) => {
    expect(ledger.previousLedger({ ledger: value })).toBe(value);
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
      ledger.resolveSources(
        { haproxy: { driver: DOCKER, image: ledger.UNKNOWN }, gone: { driver: "x" } },
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
    expect(ledger.resolveSources({ haproxy: ledger.UNKNOWN }, lab)).toEqual({
      sources: { haproxy: allUnknown },
      failures: [],
    });
    expect(ledger.resolveSources(ledger.UNKNOWN, lab)).toEqual({
      sources: { haproxy: allUnknown },
      failures: [],
    });
    expect(ledger.resolveSources(undefined, lab)).toEqual({ failures: [] });
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
      sources: source(ledger.UNKNOWN),
      resourceUrn: URN,
    });
    expect(warnings).toEqual([
      `${URN} | device \`lb-0\` (pool \`lb\`) may be replaced (image is not known until apply): it hosts \`a-lb\`, \`b-lb\` of tenants \`alpha\`, \`bravo\``,
    ]);
    expect(inputsOf(res).ledger).toEqual(inputsOf(first).ledger);
    expect((await ledger.diff("ledger", inputsOf(first), inputsOf(res))).changes).toBe(false);
  });

  const replace = (over: Partial<Extract<Change, { op: "replace" }>>): Change => ({
    op: "replace",
    pool: "fw",
    device: "fw-1",
    changed: [],
    unknown: [],
    source: {},
    allocations: ["a-fw", "b-fw"],
    tenants: ["alpha", "bravo"],
    ...over,
  });

  it.each<[string, Change, string[]]>([
    [
      "a changed field that re-creates the device",
      replace({ changed: ["image"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image changed): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "several changed fields, one tenant",
      replace({ changed: ["image", "networks"], allocations: ["a-fw"], tenants: ["alpha"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image, networks changed): it hosts `a-fw` of tenant `alpha`",
      ],
    ],
    [
      "an unknown field only",
      replace({ unknown: ["image"] }),
      [
        "device `fw-1` (pool `fw`) may be replaced (image is not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "an in-place change and unknown fields",
      replace({ changed: ["flavor"], unknown: ["image", "userData"] }),
      [
        "device `fw-1` (pool `fw`) may be replaced (flavor changed; image, userData are not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    [
      "a changed field and an unknown one",
      replace({ changed: ["image"], unknown: ["userData"] }),
      [
        "device `fw-1` (pool `fw`) will be replaced (image changed; userData is not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      ],
    ],
    ["an idle device", replace({ changed: ["image"], allocations: [], tenants: [] }), []],
    [
      "an in-place update of a busy device",
      { ...replace({ changed: ["flavor"] }), op: "update" } as Change,
      [],
    ],
  ])("words the warning for %s", (_name, change, expected) => {
    expect(ledger.replacementWarnings([change])).toEqual(expected);
  });
});
