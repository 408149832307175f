/**
 * Successive `pulumi up`s, previews and refreshes of one program in the engine harness, with the
 * real Ledger and ApplianceRegistration providers and the state kept between runs.
 */
import * as path from "node:path";
import * as openstack from "@pulumi/openstack";
import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { readPrevious } from "../../cli/previous";
import { plan } from "../../core/plan";
import { digest } from "../../core/sources";
import type { LedgerState } from "../../provider/ledgerImpl";
import { loadSpec } from "../../schema/loader";
import { type Engine, opsOf, outputsOf, shownLogs, stepsOf, valueOf } from "./engine";
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

/** What `edge`'s pool is created from, as the ledger records it. */
const SOURCE = {
  antiAffinity: digest("none"),
  driver: digest("openstack"),
  flavor: digest({ name: "m1.large" }),
  image: digest({ name: "vyos" }),
  networks: digest(["mgmt"]),
};

const alloc = (tenant: string, slots: number) => ({
  tenant,
  demand: { CUSTOM_SERVICE_SLOT: slots },
  networks: [{ network: `${tenant}-net` }],
});

const ledgerOf = (engine: Engine) => outputsOf(engine, LEDGER) as unknown as LedgerState;
const ops = opsOf;

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
      version: 2,
      pools: { fw: { devices: { "fw-0": null, "fw-1": null, "fw-2": null }, source: SOURCE } },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 4 } },
        b: { device: "fw-1", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
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
      a: { device: "fw-0", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 4 } },
      b: { device: "fw-1", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
      c: { device: "fw-2", tenant: "t3", context: null, demand: { CUSTOM_SERVICE_SLOT: 2 } },
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
      version: 2,
      pools: { fw: { devices: { "fw-0": null, "fw-1": null, "fw-2": null }, source: SOURCE } },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 4 } },
        c: { device: "fw-2", tenant: "t3", context: null, demand: { CUSTOM_SERVICE_SLOT: 2 } },
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
    expect(ledgerOf(engine).ledger.pools).toEqual({
      fw: { devices: { "fw-0": null, "fw-1": null, "fw-2": null }, source: SOURCE },
    });
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
      "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::prod-ledger: spec.allocations.huge: allocations.huge: " +
        "allocation `huge` (tenant `t9`) needs 9 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 8 CUSTOM_SERVICE_SLOT " +
        "(template `vfw`), less than the 9 demanded even when empty; lower `allocations.huge.demand.CUSTOM_SERVICE_SLOT` from 9 to 8",
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

const LEDGER_URN =
  "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::prod-ledger";

type ImageRef = NonNullable<FleetArgs["templates"][string]["openstack"]>["image"];

/** Shared VRF devices: `a-fw` (alpha) and `b-fw` (bravo) share `fw-0`, `fw-1` is the idle standby. */
function sharedEdge(
  image: ImageRef,
  allocations: Allocations = { "a-fw": alloc("alpha", 2), "b-fw": alloc("bravo", 2) },
): FleetArgs {
  const s = edge(allocations);
  s.templates.vfw.tenancy = { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 8 } };
  s.templates.vfw.openstack!.image = image;
  return s;
}

describe("a preview warns before a busy device is replaced", () => {
  // Not modelled: how the CLI prints the log, and the openstack provider's replacement of a server
  // whose image changed (the harness shows it as an update).
  it("logs a warning on the Ledger's URN for each busy device an image change replaces, naming its allocations and tenants; not for the idle one", async () => {
    const { engine } = newEngine();
    const created = await engine.up(() => void new Fleet("prod", sharedEdge({ name: "vyos" })));
    expect(created.errors).toEqual([]);
    expect(shownLogs(created)).toEqual([]);
    expect(ledgerOf(engine).ledger.placements).toEqual({
      "a-fw": { device: "fw-0", tenant: "alpha", context: 1, demand: { CUSTOM_SERVICE_SLOT: 2 } },
      "b-fw": { device: "fw-0", tenant: "bravo", context: 2, demand: { CUSTOM_SERVICE_SLOT: 2 } },
    });
    const before = engine.exportState();

    const preview = await engine.preview(() => void new Fleet("prod", sharedEdge({ name: "vyos-1.5" })));
    expect(preview.errors).toEqual([]);
    const ledger = preview.resources.find((r) => r.type === LEDGER)!;
    expect(ledger.urn).toBe(LEDGER_URN);
    expect(shownLogs(preview)).toEqual([
      {
        severity: "warning",
        urn: LEDGER_URN,
        message:
          "device `fw-0` (pool `fw`) will be replaced (image changed): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      },
    ]);
    expect(ops(preview, INSTANCE)).toEqual({ "prod-fw-0": "update", "prod-fw-1": "update" });
    expect(engine.exportState()).toBe(before);
  });

  it("logs nothing when the devices an image change replaces are idle", async () => {
    const { engine } = newEngine();
    const idle = (image: ImageRef): FleetArgs => {
      const s = sharedEdge(image, {});
      s.pools.fw.standby = 2;
      return s;
    };
    expect((await engine.up(() => void new Fleet("prod", idle({ name: "vyos" })))).errors).toEqual([]);
    const preview = await engine.preview(() => void new Fleet("prod", idle({ name: "vyos-1.5" })));
    expect(preview.errors).toEqual([]);
    expect(ops(preview, INSTANCE)).toEqual({ "prod-fw-0": "update", "prod-fw-1": "update" });
    expect(shownLogs(preview)).toEqual([]);
  });

  it("says a busy device may be replaced when its image comes from a resource the preview does not know yet", async () => {
    const { engine } = newEngine();
    expect((await engine.up(() => void new Fleet("prod", sharedEdge({ name: "vyos" })))).errors).toEqual([]);
    const before = engine.exportState();
    let fleet: Fleet | undefined;
    const preview = await engine.preview(() => {
      const next = new openstack.images.Image("vyos-next", {
        name: "vyos-next",
        imageSourceUrl: "https://images.example.test/vyos-next.qcow2",
        diskFormat: "qcow2",
        containerFormat: "bare",
      });
      fleet = new Fleet("prod", sharedEdge({ id: next.id }));
    });
    expect(preview.errors).toEqual([]);
    expect(shownLogs(preview)).toEqual([
      {
        severity: "warning",
        urn: LEDGER_URN,
        message:
          "device `fw-0` (pool `fw`) may be replaced (image is not known until apply): it hosts `a-fw`, `b-fw` of tenants `alpha`, `bravo`",
      },
    ]);
    // The unknown image is not recorded: the ledger keeps what the devices were created from.
    expect((await valueOf(fleet!.ledger))!.pools.fw.source).toEqual({
      ...SOURCE,
      image: digest({ name: "vyos" }),
    });
    expect(ops(preview, LEDGER)).toEqual({ "prod-ledger": "same" });
    expect(engine.exportState()).toBe(before);
  });
});

describe("a ledger of servicevm 0.1 in state", () => {
  // The state is rewritten by hand to what 0.1 recorded; 0.1's own program run is not replayed.
  it("is upgraded by the next up without any device removed, replaced or moved to another zone", async () => {
    const { engine } = newEngine();
    const zoned = (): FleetArgs => {
      const s = edge({ a: alloc("t1", 4), b: alloc("t2", 3) });
      s.pools.fw.zones = ["az1", "az2"];
      return s;
    };
    expect((await engine.up(() => void new Fleet("prod", zoned()))).errors).toEqual([]);
    const zones = (): Record<string, unknown> =>
      Object.fromEntries(
        [...engine.state.values()]
          .filter((r) => r.type === INSTANCE)
          .map((r) => [r.name, r.inputs.availabilityZone]),
      );
    expect(zones()).toEqual({ "prod-fw-0": "az1", "prod-fw-1": "az2", "prod-fw-2": "az1" });

    // What servicevm 0.1 kept: pool sizes, placements without their demand, no URN input.
    const v1 = {
      version: 1,
      pools: { fw: 3 },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null },
        b: { device: "fw-1", tenant: "t2", context: null },
      },
    };
    const stored = [...engine.state.values()].find((r) => r.type === LEDGER)!;
    const { resourceUrn: _u, ...inputs } = stored.inputs;
    void _u;
    stored.inputs = { ...inputs, ledger: v1 };
    stored.outputs = { ...stored.outputs, ledger: v1 };

    const up = await engine.up(() => void new Fleet("prod", zoned()));
    expect(up.errors).toEqual([]);
    expect(shownLogs(up)).toEqual([]);
    expect(ops(up, INSTANCE)).toEqual({ "prod-fw-0": "same", "prod-fw-1": "same", "prod-fw-2": "same" });
    expect(stepsOf(up, "delete")).toEqual([]);
    expect(ops(up, LEDGER)).toEqual({ "prod-ledger": "update" });
    expect(zones()).toEqual({ "prod-fw-0": "az1", "prod-fw-1": "az2", "prod-fw-2": "az1" });
    expect(ledgerOf(engine).ledger).toEqual({
      version: 2,
      pools: { fw: { devices: { "fw-0": "az1", "fw-1": "az2", "fw-2": "az1" }, source: SOURCE } },
      placements: {
        a: { device: "fw-0", tenant: "t1", context: null, demand: { CUSTOM_SERVICE_SLOT: 4 } },
        b: { device: "fw-1", tenant: "t2", context: null, demand: { CUSTOM_SERVICE_SLOT: 3 } },
      },
    });
  });
});

describe("a pool with a hole", () => {
  // Not modelled: the openstack provider; servers are mocked resources keyed by name.
  it("removes the idle device of a zone that left `zones`, keeps the others' servers and zones, and grows into the hole", async () => {
    const { engine } = newEngine();
    const fleet = (zones: string[], allocations: Allocations): FleetArgs => {
      const s = edge(allocations);
      s.pools.fw.standby = 0;
      s.pools.fw.zones = zones;
      return s;
    };
    const three = { a: alloc("t1", 4), b: alloc("t2", 4), c: alloc("t3", 4) };
    expect((await engine.up(() => void new Fleet("prod", fleet(["az1", "az2"], three)))).errors).toEqual([]);
    expect(ledgerOf(engine).ledger.pools.fw.devices).toEqual({ "fw-0": "az1", "fw-1": "az2", "fw-2": "az1" });

    const shrunk = await engine.up(() => void new Fleet("prod", fleet(["az1"], { a: three.a, c: three.c })));
    expect(shrunk.errors).toEqual([]);
    expect(ops(shrunk, INSTANCE)).toEqual({
      "prod-fw-0": "same",
      "prod-fw-2": "same",
      "prod-fw-1": "delete",
    });
    expect(ledgerOf(engine).ledger.pools).toEqual({
      fw: { devices: { "fw-0": "az1", "fw-2": "az1" }, source: SOURCE },
    });
    expect(ledgerOf(engine).pools).toEqual({ fw: ["fw-0", "fw-2"] });

    const grown = await engine.up(
      () => void new Fleet("prod", fleet(["az1"], { a: three.a, c: three.c, d: alloc("t4", 4) })),
    );
    expect(grown.errors).toEqual([]);
    const zones = Object.fromEntries(
      grown.resources.filter((r) => r.type === INSTANCE).map((r) => [r.name, r.inputs.availabilityZone]),
    );
    expect(ops(grown, INSTANCE)).toEqual({ "prod-fw-0": "same", "prod-fw-1": "create", "prod-fw-2": "same" });
    expect(zones).toEqual({ "prod-fw-0": "az1", "prod-fw-1": "az1", "prod-fw-2": "az1" });
    expect(ledgerOf(engine).ledger.placements.d).toEqual({
      device: "fw-1",
      tenant: "t4",
      context: null,
      demand: { CUSTOM_SERVICE_SLOT: 4 },
    });
  });
});

describe("the Ledger and `servicevm plan --previous <stack export>`", () => {
  // The CLI's reader and the planner run in process; the CLI's rendering and exit codes are not.
  it.each(["nfv-edge", "docker-lab", "mixed"])(
    "agree on what the devices of example %s are created from: planning its spec against the stack export changes nothing",
    async (name) => {
      const spec = loadSpec(path.join(__dirname, "..", "..", "examples", name, "fleet.yaml"));
      const { engine } = newEngine(undefined, {
        config: { dc1FwPassword: "dc1" },
        secretConfig: ["dc1FwPassword"],
      });
      const up = await engine.up(() => void new Fleet(name, spec));
      expect(up.errors).toEqual([]);
      const previous = readPrevious(engine.exportState(), "stack.json");
      expect(previous.ok).toBe(true);
      if (!previous.ok) return;
      const result = plan(spec, { previous: previous.ledger });
      expect(result.errors).toEqual([]);
      expect(result.changes).toEqual([]);
      expect(result.ledger).toEqual(previous.ledger);
    },
  );
});
