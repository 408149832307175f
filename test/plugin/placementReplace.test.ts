/**
 * The plugin's Ledger (`servicevm:index:Ledger`) with `backend: { kind: placement }` replaced,
 * through the real plugin host (`node <sdk>/cmd/run-plugin <pluginDir> <engine>`, installed from
 * `npm pack`, a new process per deployment) against a real OpenStack Placement on 127.0.0.1
 * (`usePlacementServer`), the plugin reading its token from `OS_TOKEN` in its environment.
 *
 * The defect this guards, found this way: the engine replaces a resource create-then-delete, and the
 * replaced Ledger's `Delete` removed the fleet's providers and consumers after its replacement had
 * synced them (same fleet, same uuids): Placement stayed empty while the state said synced, and the
 * next `up`, seeing no diff, left it so. Placement's owner record (`provider/placement/owner.ts`)
 * lets only the Ledger that synced last remove the fleet.
 *
 * Each describe has its own engine, stack and fleet, and runs its tests in order; the describes run
 * at the same time. What this does not prove: the engine's parallelism and partial progress, and
 * two stacks syncing one fleet at once (the owner check and the removal are two steps, see
 * `owner.ts`); the engine's calls follow `monitor.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../../core/sources";
import type { FleetSpec } from "../../core/types";
import type { InventoryRecord } from "../../provider/placement/client";
import {
  CONSUMER_TYPE,
  consumerUuid,
  fleetUserId,
  ownedDevice,
  ownerAggregate,
  ownerProviderName,
  ownerProviderUuid,
  poolAggregate,
  projectId,
  providerName,
  providerUuid,
} from "../../provider/placement/ids";
import { readOwner } from "../../provider/placement/owner";
import { PROVIDER_TOKENS } from "../../tokens";
import { FakeEngine } from "../harness/fakeEngine";
import { usePlacementServer } from "../provider/placement/helpers";
import { type Props, type Wire, plaintextPaths, startPluginHost } from "./hosts";
import { type ScratchProject, removeScratchProject, scratchProject } from "./install";
import { PluginEngine, type ProgramClient, type RunResult } from "./monitor";

/** noauth2 takes any `admin:<project>` token; this one is unique enough to look for in state and answers. */
const TOKEN = "admin:servicevm-plugin-token-4b7e1d";

const server = usePlacementServer();
let project: ScratchProject;

beforeAll(() => {
  project = scratchProject();
});

afterAll(() => {
  removeScratchProject();
});

// ---------------------------------------------------------------------------------------------
// The fleet: one pool `lb` of 3 docker devices with 4 slots each (2 needed, 1 standby).

const DEVICES = ["lb-0", "lb-1", "lb-2"];
const TENANTS: Record<string, string> = {
  "a-lb": "alpha",
  "b-lb": "bravo",
  "c-lb": "charlie",
  "d-lb": "delta",
};
const SLOTS: Record<string, number> = { "a-lb": 2, "b-lb": 2, "c-lb": 2, "d-lb": 1 };
const ALLOCATIONS = Object.keys(TENANTS);
const DOCKER = digest("docker");
const IMAGE = digest("haproxy:2.9");

function fleetSpec(allocations: string[]): FleetSpec {
  return {
    templates: {
      edge: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        traits: ["CUSTOM_EDGE"],
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: {} as never,
      },
    },
    pools: { lb: { template: "edge", size: 3 } },
    allocations: Object.fromEntries(
      allocations.map((a) => [a, { tenant: TENANTS[a], demand: { CUSTOM_SERVICE_SLOT: SLOTS[a] } }]),
    ),
    backend: { kind: "placement", endpoint: server.url },
  };
}

/** Allocation -> device. The first plan of all four allocations: */
const FIRST = { "a-lb": "lb-0", "b-lb": "lb-0", "c-lb": "lb-1", "d-lb": "lb-1" };
/** `a-lb` gone, the others where they were (sticky): */
const KEPT = { "b-lb": "lb-0", "c-lb": "lb-1", "d-lb": "lb-1" };
/** `b-lb`, `c-lb` and `d-lb` planned from nothing: `c-lb` packs onto `lb-0`. */
const FRESH = { "b-lb": "lb-0", "c-lb": "lb-0", "d-lb": "lb-1" };

function placed(allocation: string, device: string, context: number): Wire {
  return { context, demand: { CUSTOM_SERVICE_SLOT: SLOTS[allocation] }, device, tenant: TENANTS[allocation] };
}

// ---------------------------------------------------------------------------------------------
// What Placement holds of a fleet.

interface DeviceView {
  inventories: Record<string, InventoryRecord>;
  traits: string[];
  aggregates: string[];
  /** Allocation (by name) -> its resources on this device. */
  allocations: Record<string, Record<string, number>>;
}

interface ConsumerView {
  /** Device -> resources. */
  allocations: Record<string, Record<string, number>>;
  project_id: string | undefined;
  user_id: string | undefined;
  consumer_type: string | undefined;
}

interface FleetView {
  /** Names of the fleet's device providers and of its owner provider, sorted. */
  providers: string[];
  devices: Record<string, DeviceView>;
  /** Allocation -> its consumer, for the allocations whose consumer holds anything. */
  consumers: Record<string, ConsumerView>;
  /** The owner provider's aggregates; `null` without an owner provider. */
  owner: string[] | null;
}

const NOTHING: FleetView = { providers: [], devices: {}, consumers: {}, owner: null };

/** Reads what Placement holds of `fleet`: its providers, their inventories and allocations, the consumers, the owner record. */
async function inPlacement(fleet: string): Promise<FleetView> {
  const { client } = server.client();
  const allocationOf = new Map(ALLOCATIONS.map((a) => [consumerUuid(fleet, a), a]));
  const deviceOf = new Map(DEVICES.map((d) => [providerUuid(fleet, d), d]));
  const all = await client.listProviders();
  const providers = all
    .filter((p) => ownedDevice(fleet, p) !== null || p.uuid === ownerProviderUuid(fleet))
    .map((p) => p.name)
    .sort();
  const devices: Record<string, DeviceView> = {};
  for (const p of all) {
    const device = ownedDevice(fleet, p);
    if (device === null) continue;
    const on = (await client.getProviderAllocations(p.uuid)).allocations;
    devices[device] = {
      inventories: (await client.getInventories(p.uuid)).inventories,
      traits: (await client.getTraits(p.uuid)).traits.sort(),
      aggregates: (await client.getAggregates(p.uuid)).aggregates.sort(),
      allocations: Object.fromEntries(
        Object.keys(on)
          .map((c) => [allocationOf.get(c) ?? `unknown consumer ${c}`, on[c].resources] as const)
          .sort(([x], [y]) => (x < y ? -1 : 1)),
      ),
    };
  }
  const consumers: Record<string, ConsumerView> = {};
  for (const a of ALLOCATIONS) {
    const c = await client.getConsumerAllocations(consumerUuid(fleet, a));
    if (Object.keys(c.allocations).length === 0) continue;
    consumers[a] = {
      allocations: Object.fromEntries(
        Object.entries(c.allocations).map(([uuid, r]) => [deviceOf.get(uuid) ?? uuid, r.resources]),
      ),
      project_id: c.project_id,
      user_id: c.user_id,
      consumer_type: c.consumer_type,
    };
  }
  const record = await readOwner(client, fleet);
  return { providers, devices, consumers, owner: record === null ? null : record.aggregates };
}

/** Provider name -> generation, for the fleet's providers: unchanged generations mean nothing was written to them. */
async function generations(fleet: string): Promise<Record<string, number>> {
  const { client } = server.client();
  return Object.fromEntries(
    (await client.listProviders())
      .filter((p) => ownedDevice(fleet, p) !== null || p.uuid === ownerProviderUuid(fleet))
      .map((p) => [p.name, p.generation]),
  );
}

/** What Placement should hold of `fleet` with allocations on devices as `layout` says, owned by the Ledger holding `owner`. */
function expected(fleet: string, layout: Record<string, string>, owner: string): FleetView {
  const slots = (a: string) => ({ CUSTOM_SERVICE_SLOT: SLOTS[a] });
  const devices: Record<string, DeviceView> = {};
  for (const d of DEVICES) {
    devices[d] = {
      inventories: {
        CUSTOM_SERVICE_SLOT: {
          total: 4,
          reserved: 0,
          min_unit: 1,
          // The inventory's default `maxUnit`: Placement's largest integer (core/inventory.ts).
          max_unit: 2147483647,
          step_size: 1,
          allocation_ratio: 1,
        },
      },
      traits: ["CUSTOM_EDGE"],
      aggregates: [poolAggregate(fleet, "lb")],
      allocations: Object.fromEntries(
        Object.keys(layout)
          .sort()
          .filter((a) => layout[a] === d)
          .map((a) => [a, slots(a)]),
      ),
    };
  }
  const consumers: Record<string, ConsumerView> = {};
  for (const a of Object.keys(layout).sort()) {
    consumers[a] = {
      allocations: { [layout[a]]: slots(a) },
      project_id: projectId(TENANTS[a]),
      user_id: fleetUserId(fleet),
      consumer_type: CONSUMER_TYPE,
    };
  }
  return {
    providers: [...DEVICES.map((d) => providerName(fleet, d)), ownerProviderName(fleet)].sort(),
    devices,
    consumers,
    owner: [ownerAggregate(fleet, owner)],
  };
}

// ---------------------------------------------------------------------------------------------
// A stack: its Ledger and, for `replaceWith`, an unmanaged appliance (no URL: nothing probed).

/** The replaced Ledger's `Delete` warning when its replacement owns the fleet in Placement. */
const leftToNewer = (fleet: string): string =>
  `Ledger of fleet \`${fleet}\` (backend placement): fleet \`${fleet}\` in Placement is owned by a newer Ledger ` +
  "(this one was replaced, or another stack synced the fleet since); nothing removed: its devices, allocations " +
  "and claims stay with that Ledger";

class PlacementStack {
  readonly ledgerUrn: string;
  readonly triggerUrn: string;
  /** Engine logs up to here are earlier runs'. */
  private logMark = 0;

  private constructor(
    readonly engine: PluginEngine,
    /** This stack's engine service: the logs of its plugin processes only. */
    private readonly engineService: FakeEngine,
    readonly fleet: string,
  ) {
    this.ledgerUrn = engine.urnOf(PROVIDER_TOKENS.ledger, `${fleet}-ledger`);
    this.triggerUrn = engine.urnOf(PROVIDER_TOKENS.appliance, `${fleet}-fw1`);
  }

  /** A test engine whose `servicevm` provider is the plugin (a new process per deployment), with `OS_TOKEN`. */
  static async start(stack: string, fleet: string): Promise<PlacementStack> {
    const engineService = await FakeEngine.start();
    const engine = await PluginEngine.start({
      project: project.name,
      stack,
      launchers: { servicevm: () => startPluginHost(project, engineService.address, { OS_TOKEN: TOKEN }) },
      engineAddress: engineService.address,
      projectDir: project.dir,
    });
    return new PlacementStack(engine, engineService, fleet);
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    this.engineService.stop();
  }

  /** The appliance, and the Ledger (unprotected) listing it in `replaceWith`. */
  program(allocations: string[]) {
    return async (p: ProgramClient): Promise<void> => {
      const stack = await p.stack();
      const trigger = await p.register({
        type: PROVIDER_TOKENS.appliance,
        name: `${this.fleet}-fw1`,
        custom: true,
        parent: stack,
        inputs: { fleet: this.fleet, pool: "fw", device: "fw1" },
      });
      await p.register({
        type: PROVIDER_TOKENS.ledger,
        name: `${this.fleet}-ledger`,
        custom: true,
        parent: stack,
        inputs: {
          spec: fleetSpec(allocations) as unknown as Wire,
          fleet: this.fleet,
          health: {},
          sources: { edge: { driver: DOCKER, image: IMAGE } },
        },
        replaceWith: [trigger.urn],
        protect: false,
      });
    };
  }

  /** `pulumi up`; the engine's logs of this run are then in {@link logs}. */
  up(allocations: string[], replaceTargets: string[] = []): Promise<RunResult> {
    this.logMark = this.engineService.logs.length;
    return this.engine.up(this.program(allocations), { replaceTargets });
  }

  destroy(): Promise<RunResult> {
    this.logMark = this.engineService.logs.length;
    return this.engine.destroy();
  }

  /** This stack's non-debug engine logs of the last run as `<severity>: <message>`, each asserted to be on the Ledger's URN. */
  logs(): string[] {
    const mine = this.engineService.logs.slice(this.logMark).filter((l) => l.severity !== "debug");
    expect(mine.map((l) => l.urn)).toEqual(mine.map(() => this.ledgerUrn));
    return mine.map((l) => `${l.severity}: ${l.message}`);
  }

  stored(): { id: string; inputs: Props; outputs: Props } {
    return this.engine.state.get(this.ledgerUrn)!;
  }

  placements(): unknown {
    return (this.stored().outputs.ledger as { placements: unknown }).placements;
  }

  /** The owner token in the Ledger's state (`placement.owner`). */
  owner(): string {
    return (this.stored().outputs.placement as { owner: string }).owner;
  }

  /** The run's Ledger calls as `<method> <name>`, the appliance's left out. */
  ledgerCalls(result: RunResult): string[] {
    return result.calls
      .filter((c) => c.urn === this.ledgerUrn || c.method === "Configure")
      .map((c) => `${c.method} ${c.urn.slice(c.urn.lastIndexOf("::") + 2)}`);
  }

  calls(result: RunResult, method: RunResult["calls"][number]["method"]): RunResult["calls"] {
    return result.calls.filter((c) => c.method === method && c.urn === this.ledgerUrn);
  }

  /** Every deployment so far: no plugin wrote to stderr, and no answer or state held the token. */
  expectCleanHistory(): void {
    expect(this.engine.history.map((r) => r.stderr.servicevm ?? "")).toEqual(
      this.engine.history.map(() => ""),
    );
    const answers = this.engine.history.map((r) => r.calls.map((c) => c.response ?? null) as Wire[]);
    expect(plaintextPaths(answers, TOKEN)).toEqual([]);
    expect(plaintextPaths([...this.engine.state.values()], TOKEN)).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------

describe.concurrent("the plugin's Ledger in Placement replaced by the engine (`replaceWith`)", () => {
  let s: PlacementStack;

  beforeAll(async () => {
    s = await PlacementStack.start("replaced", "lab");
  });

  afterAll(() => s?.stop());

  it.sequential(
    "creates the Ledger: 3 providers with 4 slots each, a consumer per allocation, the owner provider naming the Ledger's token",
    async () => {
      const result = await s.up(ALLOCATIONS);
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual(["Configure default", "Check lab-ledger", "Create lab-ledger"]);
      expect(s.placements()).toEqual({
        "a-lb": placed("a-lb", "lb-0", 1),
        "b-lb": placed("b-lb", "lb-0", 2),
        "c-lb": placed("c-lb", "lb-1", 1),
        "d-lb": placed("d-lb", "lb-1", 2),
      });
      expect(s.owner()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const view = await inPlacement("lab");
      expect(view).toEqual(expected("lab", FIRST, s.owner()));
      expect(view.providers).toEqual(["lab-lb-0", "lab-lb-1", "lab-lb-2", "servicevm:owner:lab"]);
      expect(view.devices["lb-0"].allocations).toEqual({
        "a-lb": { CUSTOM_SERVICE_SLOT: 2 },
        "b-lb": { CUSTOM_SERVICE_SLOT: 2 },
      });
      expect(s.logs()).toEqual([]);
    },
  );

  it.sequential(
    "drops `a-lb` with an update: its consumer goes, `c-lb` and `d-lb` stay on `lb-1` (a fresh plan would move `c-lb` to `lb-0`)",
    async () => {
      const owner = s.owner();
      const result = await s.up(["b-lb", "c-lb", "d-lb"]);
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check lab-ledger",
        "Diff lab-ledger",
        "Update lab-ledger",
      ]);
      expect(s.placements()).toEqual({
        "b-lb": placed("b-lb", "lb-0", 2),
        "c-lb": placed("c-lb", "lb-1", 1),
        "d-lb": placed("d-lb", "lb-1", 2),
      });
      expect(s.owner()).toBe(owner);
      expect(await inPlacement("lab")).toEqual(expected("lab", KEPT, owner));
    },
  );

  it.sequential(
    "replaces the Ledger create-then-delete: the new one plans from the old ledger and owns the fleet; the old `Delete` removes nothing and warns",
    async () => {
      const before = s.stored();
      const oldOwner = s.owner();
      const result = await s.up(["b-lb", "c-lb", "d-lb"], [s.triggerUrn]);
      expect(result.errors).toEqual([]);
      // step_generator.go: `Check` with the old inputs, no `Diff` (replaceWith), `Check` again
      // without them, `Create` of the new Ledger, `Delete` of the old one after.
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check lab-ledger",
        "Check lab-ledger",
        "Create lab-ledger",
        "Delete lab-ledger",
      ]);
      expect(s.calls(result, "Check").map((c) => c.request.olds)).toEqual([before.inputs, {}]);
      expect(s.calls(result, "Delete").map((c) => c.request)).toEqual([
        { id: "ledger", properties: before.outputs, oldInputs: before.inputs },
      ]);
      expect(result.steps.filter((st) => st.urn === s.ledgerUrn).map((st) => st.op)).toEqual([
        "replace",
        "delete",
      ]);
      expect(s.placements()).toEqual({
        "b-lb": placed("b-lb", "lb-0", 2),
        "c-lb": placed("c-lb", "lb-1", 1),
        "d-lb": placed("d-lb", "lb-1", 2),
      });
      const newOwner = s.owner();
      expect(newOwner).not.toBe(oldOwner);
      // After the old Ledger's `Delete`: every provider and consumer still there, on the same
      // devices, and the owner record names the new Ledger.
      expect(await inPlacement("lab")).toEqual(expected("lab", KEPT, newOwner));
      expect(s.logs()).toEqual([
        "warning: the Ledger is being replaced: the new one plans from the ledger it replaces (3 placement(s) kept)",
        `warning: ${leftToNewer("lab")}`,
      ]);
    },
  );

  it.sequential(
    "does nothing on a following `up` without changes: `Diff` says none, no write to Placement",
    async () => {
      const before = s.stored();
      const generationsBefore = await generations("lab");
      const result = await s.up(["b-lb", "c-lb", "d-lb"]);
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual(["Configure default", "Check lab-ledger", "Diff lab-ledger"]);
      expect(result.steps.filter((st) => st.urn === s.ledgerUrn).map((st) => st.op)).toEqual(["same"]);
      expect(s.stored()).toEqual(before);
      expect(await generations("lab")).toEqual(generationsBefore);
      expect(await inPlacement("lab")).toEqual(expected("lab", KEPT, s.owner()));
      expect(s.logs()).toEqual([]);
    },
  );

  it.sequential(
    "removes the fleet from Placement when the replacement Ledger is destroyed: no provider, no consumer, no owner provider",
    async () => {
      const before = s.stored();
      const result = await s.destroy();
      expect(result.errors).toEqual([]);
      expect(s.calls(result, "Delete").map((c) => c.request)).toEqual([
        { id: "ledger", properties: before.outputs, oldInputs: before.inputs },
      ]);
      expect(s.engine.state.size).toBe(0);
      expect(await inPlacement("lab")).toEqual(NOTHING);
      expect(s.logs()).toEqual([]);
      s.expectCleanHistory();
    },
  );
});

describe.concurrent("the plugin's Ledger in Placement replaced by `--replace` (targeted)", () => {
  let s: PlacementStack;

  beforeAll(async () => {
    s = await PlacementStack.start("targeted", "core");
  });

  afterAll(() => s?.stop());

  it.sequential("creates the Ledger, then drops `a-lb`: `c-lb` and `d-lb` stay on `lb-1`", async () => {
    expect((await s.up(ALLOCATIONS)).errors).toEqual([]);
    expect(await inPlacement("core")).toEqual(expected("core", FIRST, s.owner()));
    expect((await s.up(["b-lb", "c-lb", "d-lb"])).errors).toEqual([]);
    expect(await inPlacement("core")).toEqual(expected("core", KEPT, s.owner()));
  });

  // The engine calls `Check` without the old inputs on a targeted replace and never again, so the
  // new Ledger has no ledger to plan from: it plans from an empty one and moves `c-lb`. This is why
  // the Fleet protects its Ledger by default (`protectLedger`): the engine refuses a protected
  // resource's targeted replace (pluginHost.test.ts tests that refusal). Here it is unprotected.
  it.sequential(
    "re-plans from an empty ledger: the only `Check` has no olds, `c-lb` moves to `lb-0` in Placement, the old `Delete` removes nothing",
    async () => {
      const before = s.stored();
      const oldOwner = s.owner();
      const result = await s.up(["b-lb", "c-lb", "d-lb"], [s.ledgerUrn]);
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check core-ledger",
        "Create core-ledger",
        "Delete core-ledger",
      ]);
      expect(s.calls(result, "Check").map((c) => c.request.olds)).toEqual([{}]);
      expect(s.calls(result, "Delete").map((c) => c.request)).toEqual([
        { id: "ledger", properties: before.outputs, oldInputs: before.inputs },
      ]);
      expect(s.placements()).toEqual({
        "b-lb": placed("b-lb", "lb-0", 1),
        "c-lb": placed("c-lb", "lb-0", 2),
        "d-lb": placed("d-lb", "lb-1", 1),
      });
      expect(s.owner()).not.toBe(oldOwner);
      expect(await inPlacement("core")).toEqual(expected("core", FRESH, s.owner()));
      expect(s.logs()).toEqual([`warning: ${leftToNewer("core")}`]);
    },
  );

  it.sequential("removes the fleet from Placement on destroy", async () => {
    const result = await s.destroy();
    expect(result.errors).toEqual([]);
    expect(s.ledgerCalls(result)).toEqual(["Configure default", "Delete core-ledger"]);
    expect(await inPlacement("core")).toEqual(NOTHING);
    expect(s.logs()).toEqual([]);
    s.expectCleanHistory();
  });
});
