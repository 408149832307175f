/**
 * Successive `pulumi up`s, previews and refreshes of one program in the engine harness, with the
 * real Ledger and ApplianceRegistration providers and the state kept between runs.
 */
import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import type { LedgerState } from "../../provider/ledgerImpl";
import { type Engine, type RunResult, stepsOf, valueOf } from "./engine";
import { newEngine } from "./fixtures";

const INSTANCE = "openstack:compute/instance:Instance";
const PORT = "openstack:networking/port:Port";
const ATTACH = "openstack:compute/interfaceAttach:InterfaceAttach";
const LEDGER = "pulumi-nodejs:dynamic/servicevm:Ledger";

type Allocations = NonNullable<FleetArgs["allocations"]>;

function edge(allocations: Allocations): FleetArgs {
  return {
    templates: {
      vfw: {
        driver: "openstack",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        openstack: { image: { name: "vyos" }, flavor: { name: "m1.large" }, networks: ["mgmt"] },
      },
    },
    pools: { fw: { template: "vfw", standby: 1, max: 6 } },
    allocations,
  };
}

const alloc = (tenant: string, slots: number) => ({
  tenant,
  demand: { CUSTOM_SERVICE_SLOT: slots },
  networks: [{ network: `${tenant}-net` }],
});

function ledgerOf(engine: Engine): LedgerState {
  const r = [...engine.state.values()].find((x) => x.type === LEDGER)!;
  const { __provider: _p, ...outs } = r.outputs;
  void _p;
  return outs as unknown as LedgerState;
}

function ops(result: RunResult, type: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of result.steps.filter((x) => x.type === type)) out[s.name] = s.op;
  return out;
}

describe("successive pulumi ups", () => {
  it("creates a fleet: devices for the allocations plus standby, ports attached to the placed servers", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("prod", edge({ a: alloc("t1", 4), b: alloc("t2", 3) }));
    });
    expect(result.errors).toEqual([]);
    expect(ops(result, INSTANCE)).toEqual({
      "prod-fw-0": "create",
      "prod-fw-1": "create",
      "prod-fw-2": "create",
    });
    expect(ledgerOf(engine).ledger).toEqual({
      version: 1,
      pools: { fw: 3 },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null },
        b: { device: "fw-1", tenant: "t2", context: null },
      },
    });
    expect(
      engine.state.get([...engine.state.keys()].find((k) => k.endsWith("::prod-b-0-attach"))!)!.inputs
        .instanceId,
    ).toBe("prod-fw-1-id");
  });

  it("adds an allocation: nothing else moves or changes, and the pool grows to keep its standby", async () => {
    const { engine } = newEngine();
    await engine.up(() => {
      new Fleet("prod", edge({ a: alloc("t1", 4), b: alloc("t2", 3) }));
    });
    const result = await engine.up(() => {
      new Fleet("prod", edge({ a: alloc("t1", 4), b: alloc("t2", 3), c: alloc("t3", 2) }));
    });
    expect(result.errors).toEqual([]);
    expect(ops(result, INSTANCE)).toEqual({
      "prod-fw-0": "same",
      "prod-fw-1": "same",
      "prod-fw-2": "same",
      "prod-fw-3": "create",
    });
    expect(ops(result, PORT)).toEqual({ "prod-a-0": "same", "prod-b-0": "same", "prod-c-0": "create" });
    expect(ops(result, ATTACH)).toEqual({
      "prod-a-0-attach": "same",
      "prod-b-0-attach": "same",
      "prod-c-0-attach": "create",
    });
    expect(ops(result, LEDGER)).toEqual({ "prod-ledger": "update" });
    expect(ledgerOf(engine).ledger.placements).toEqual({
      a: { device: "fw-0", tenant: "t1", context: null },
      b: { device: "fw-1", tenant: "t2", context: null },
      c: { device: "fw-2", tenant: "t3", context: null },
    });
    expect(ledgerOf(engine).capacity.fw).toEqual({
      devices: 4,
      busy: 3,
      standby: 1,
      unhealthy: 0,
      classes: { CUSTOM_SERVICE_SLOT: { total: 32, used: 9, free: 23 } },
    });
  });

  it("removes an allocation: its capacity is released and the pool sheds only idle devices at the top", async () => {
    const { engine } = newEngine();
    const three = { a: alloc("t1", 4), b: alloc("t2", 3), c: alloc("t3", 2) };
    await engine.up(() => {
      new Fleet("prod", edge(three));
    });
    let fleet: Fleet | undefined;
    const result = await engine.up(() => {
      fleet = new Fleet("prod", edge({ a: three.a, c: three.c }));
    });
    expect(result.errors).toEqual([]);
    // fw-1 (b's device) becomes the standby; fw-3, idle at the top, goes.
    expect(ops(result, INSTANCE)).toEqual({
      "prod-fw-0": "same",
      "prod-fw-1": "same",
      "prod-fw-2": "same",
      "prod-fw-3": "delete",
    });
    expect(ops(result, PORT)).toEqual({ "prod-a-0": "same", "prod-c-0": "same", "prod-b-0": "delete" });
    expect(ops(result, ATTACH)).toEqual({
      "prod-a-0-attach": "same",
      "prod-c-0-attach": "same",
      "prod-b-0-attach": "delete",
    });
    expect(ledgerOf(engine).ledger).toEqual({
      version: 1,
      pools: { fw: 3 },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null },
        c: { device: "fw-2", tenant: "t3", context: null },
      },
    });
    const capacity = await valueOf(fleet!.capacity);
    expect(capacity!.devices["fw-1"]).toEqual({
      pool: "fw",
      zone: null,
      healthy: true,
      classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 0, free: 8 } },
      tenants: [],
      allocations: [],
    });
    expect(capacity!.pools.fw).toEqual({
      devices: ["fw-0", "fw-1", "fw-2"],
      busy: 2,
      standby: 1,
      unhealthy: 0,
      classes: { CUSTOM_SERVICE_SLOT: { total: 24, used: 6, free: 18 } },
    });
  });

  it("keeps a device busy from history even when a fresh pack would need fewer (3, 3, 5, 5 slots on 8-slot devices)", async () => {
    const { engine } = newEngine();
    const shared = (allocations: Allocations): FleetArgs => {
      const s = edge(allocations);
      s.templates.vfw.tenancy = { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 8 } };
      s.pools.fw.standby = 0;
      return s;
    };
    const history: Allocations = {};
    for (const [name, slots] of [
      ["a", 3],
      ["b", 3],
      ["c", 5],
      ["d", 5],
    ] as const) {
      history[name] = alloc(name, slots);
      const result = await engine.up(() => {
        new Fleet("prod", shared({ ...history }));
      });
      expect(result.errors).toEqual([]);
      expect(stepsOf(result, "delete")).toEqual([]);
    }
    expect(ledgerOf(engine).ledger.pools).toEqual({ fw: 3 });
    expect(Object.values(ledgerOf(engine).ledger.placements).map((p) => p.device)).toEqual([
      "fw-0",
      "fw-0",
      "fw-1",
      "fw-2",
    ]);
  });

  it("rejects an infeasible change with the core's message and leaves the previous state untouched", async () => {
    const { engine } = newEngine();
    await engine.up(() => {
      new Fleet("prod", edge({ a: alloc("t1", 4) }));
    });
    const before = engine.exportState();
    const result = await engine.up(() => {
      new Fleet("prod", edge({ a: alloc("t1", 4), huge: alloc("t9", 9) }));
    });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::prod-ledger: spec: allocations.huge: " +
        "allocation `huge` (tenant `t9`) needs 9 CUSTOM_SERVICE_SLOT; pool `fw` (`max` 6): 1 device dedicated to other tenants; " +
        "5 devices have at most 8 CUSTOM_SERVICE_SLOT free; raise `pools.fw.max` (6) or lower `allocations.huge.demand`",
    ]);
    expect(engine.exportState()).toBe(before);
    expect(stepsOf(result, "delete")).toEqual([]);
  });
});

describe("an appliance goes down", () => {
  const dc = (): FleetArgs => ({
    templates: {
      fgt: {
        driver: "physical",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 100, last: 199 } },
      },
    },
    pools: {
      edge: {
        template: "fgt",
        devices: [
          { name: "rack1-fw", management: { url: "https://rack1.test/health" } },
          { name: "rack2-fw", management: { url: "https://rack2.test/health" } },
        ],
      },
    },
    allocations: {
      acme: { tenant: "acme", demand: { CUSTOM_SERVICE_SLOT: 2 } },
      globex: { tenant: "globex", demand: { CUSTOM_SERVICE_SLOT: 1 } },
    },
  });

  it("moves its services after a refresh, the preview already shows the move, and nothing new lands there", async () => {
    const { engine, probe } = newEngine();
    let fleet: Fleet | undefined;
    await engine.up(() => {
      fleet = new Fleet("dc", dc());
    });
    expect(await valueOf(fleet!.placements)).toEqual({
      acme: { device: "rack1-fw", pool: "edge", tenant: "acme", isolation: { kind: "vlan", id: 100 } },
      globex: { device: "rack1-fw", pool: "edge", tenant: "globex", isolation: { kind: "vlan", id: 101 } },
    });

    probe.down("https://rack1.test/health");
    await engine.refresh();
    const preview = await engine.preview(() => {
      fleet = new Fleet("dc", dc());
    });
    expect(preview.errors).toEqual([]);
    expect(ops(preview, LEDGER)).toEqual({ "dc-ledger": "update" });
    expect(await valueOf(fleet!.placements)).toEqual({
      acme: { device: "rack2-fw", pool: "edge", tenant: "acme", isolation: { kind: "vlan", id: 100 } },
      globex: { device: "rack2-fw", pool: "edge", tenant: "globex", isolation: { kind: "vlan", id: 101 } },
    });
    expect(ledgerOf(engine).ledger.placements.acme.device).toBe("rack1-fw");

    const up = await engine.up(() => {
      fleet = new Fleet("dc", {
        ...dc(),
        allocations: {
          ...dc().allocations,
          initech: { tenant: "initech", demand: { CUSTOM_SERVICE_SLOT: 1 } },
        },
      });
    });
    expect(up.errors).toEqual([]);
    expect(ledgerOf(engine).health).toEqual({ "rack1-fw": false, "rack2-fw": true });
    expect(
      Object.fromEntries(Object.entries(ledgerOf(engine).ledger.placements).map(([k, v]) => [k, v.device])),
    ).toEqual({
      acme: "rack2-fw",
      globex: "rack2-fw",
      initech: "rack2-fw",
    });
    const capacity = await valueOf(fleet!.capacity);
    expect(capacity!.pools.edge).toEqual({
      devices: ["rack1-fw", "rack2-fw"],
      busy: 1,
      standby: 0,
      unhealthy: 1,
      classes: { CUSTOM_SERVICE_SLOT: { total: 16, used: 4, free: 12 } },
    });
  });
});
