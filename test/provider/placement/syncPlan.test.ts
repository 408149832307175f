/**
 * The deciding half of a sync (syncPlan.ts, syncVerify.ts, syncState.ts) on plain data: no
 * Placement, and the executor given an empty plan and a client whose every method throws.
 */
import { describe, expect, it } from "vitest";
import type { PlacementClient, ProviderRecord } from "../../../provider/placement/client";
import { allocationWrite, desiredFleet, type DesiredFleet } from "../../../provider/placement/desired";
import {
  CONSUMER_TYPE,
  consumerUuid,
  fleetUserId,
  projectId,
  providerUuid,
} from "../../../provider/placement/ids";
import { writeAllocations } from "../../../provider/placement/syncAllocations";
import {
  checkTenantUsage,
  createClassesAndTraits,
  deleteProviders,
  readConsumers,
  readProviders,
  rereadAllocations,
  updateInventoriesLater,
  writeProviders,
  type SyncRun,
} from "../../../provider/placement/syncExecute";
import {
  classifyConsumers,
  describeAction,
  foreignByDevice,
  orderWrites,
  planAllocations,
  planClassesAndTraits,
  planProviders,
  planRemovedDevices,
  planSync,
  seenConsumers,
  unknownConsumers,
  type ObservedProvider,
  type SyncAction,
} from "../../../provider/placement/syncPlan";
import { SyncJournal, emptyReport } from "../../../provider/placement/syncReport";
import { nextSyncState, providerDigests, splitByPrevious } from "../../../provider/placement/syncState";
import {
  planRereads,
  planUsageChecks,
  rewriteIfDrifted,
  usageDrifted,
} from "../../../provider/placement/syncVerify";
import { firewallFleet, planOk } from "./helpers";

/** A client whose every method throws: whatever reaches it was executed, which the tests forbid. */
function throwingClient(): PlacementClient {
  return new Proxy({} as PlacementClient, {
    get: (_target, method) => () => {
      throw new Error(`Placement was called: ${String(method)}`);
    },
  });
}

const FLEET = "edge";

function desired(): DesiredFleet {
  const spec = firewallFleet(3, {
    "a-fw": { tenant: "a", demand: { CUSTOM_SERVICE_SLOT: 1 } },
    "b-fw": { tenant: "b", demand: { CUSTOM_SERVICE_SLOT: 2 } },
  });
  return desiredFleet(FLEET, spec, planOk(spec));
}

function record(device: string, generation = 5): ProviderRecord {
  const uuid = providerUuid(FLEET, device);
  return {
    uuid,
    name: `${FLEET}-${device}`,
    generation,
    parent_provider_uuid: null,
    root_provider_uuid: uuid,
  };
}

/** What Placement holds when a previous sync wrote `d` exactly. */
function inPlace(d: DesiredFleet): Map<string, ObservedProvider> {
  return new Map(
    d.providers.map((p) => [
      p.device,
      {
        record: record(p.device),
        device: p.device,
        generation: 5,
        inventories: p.inventories,
        traits: p.traits,
        aggregates: p.aggregates,
        allocations: Object.fromEntries(
          d.consumers
            .filter((c) => c.provider === p.uuid)
            .map((c) => [c.uuid, { resources: c.resources, consumer_generation: 1 }]),
        ),
      },
    ]),
  );
}

describe("the sync plan", () => {
  it("creates every provider and writes every consumer when Placement holds nothing", () => {
    const d = desired();
    const providers = planProviders(d, new Set(), new Map());
    const { deletes, writes } = planAllocations(d, new Set(), new Map(), [], new Map());
    expect(providers.map(describeAction)).toEqual([
      "create provider `fw-0`",
      "create provider `fw-1`",
      "create provider `fw-2`",
    ]);
    expect(deletes).toEqual([]);
    expect(writes.map((w) => [describeAction(w), w.move, w.write.consumer_generation])).toEqual([
      [`write allocation \`a-fw\` on \`${d.consumers[0].device}\``, false, null],
      [`write allocation \`b-fw\` on \`${d.consumers[1].device}\``, false, null],
    ]);
    expect(planClassesAndTraits(d, [], ["CUSTOM_FW"]).map(describeAction)).toEqual([
      "create resource class `CUSTOM_SERVICE_SLOT`",
      "create resource class `CUSTOM_THROUGHPUT_MBPS`",
    ]);
  });

  it("decides nothing when Placement holds exactly the fleet", () => {
    const d = desired();
    const observed = inPlace(d);
    const seen = seenConsumers(observed.values());
    expect(planProviders(d, new Set(), observed)).toEqual([]);
    expect(planAllocations(d, new Set(), seen, [], new Map())).toEqual({ deletes: [], writes: [] });
    expect(unknownConsumers(d, seen)).toEqual([]);
    expect(planRemovedDevices(d, new Map([...observed].map(([k, v]) => [k, v.record])))).toEqual([]);
  });

  it("updates a provider whose traits differ, deletes removed consumers and devices, and keeps foreign ones", () => {
    const d = desired();
    const observed = inPlace(d);
    observed.get("fw-1")!.traits = ["CUSTOM_FW"];
    const gone = consumerUuid(FLEET, "old");
    const nova = "11111111-2222-3333-4444-555555555555";
    observed.get("fw-2")!.allocations[gone] = {
      resources: { CUSTOM_SERVICE_SLOT: 1 },
      consumer_generation: 3,
    };
    observed.get("fw-2")!.allocations[nova] = {
      resources: { CUSTOM_SERVICE_SLOT: 1 },
      consumer_generation: 1,
    };
    const owned = new Map([...observed].map(([k, v]) => [k, v.record]));
    owned.set("fw-9", record("fw-9"));
    const seen = seenConsumers(observed.values());
    const unknown = unknownConsumers(d, seen);
    const owners = new Map([
      [gone, { projectId: projectId("a"), userId: fleetUserId(FLEET), generation: 3 }],
      [nova, { projectId: "p", userId: "nova", generation: 1 }],
    ]);
    const { removed, foreign } = classifyConsumers(unknown, owners, fleetUserId(FLEET));
    expect({ removed, foreign }).toEqual({ removed: [gone], foreign: [nova] });
    expect(foreignByDevice(foreign, seen, owned)).toEqual({ "fw-2": [nova] });
    expect(planProviders(d, new Set(), observed).map(describeAction)).toEqual(["update provider `fw-1`"]);
    expect(planAllocations(d, new Set(), seen, removed, owners).deletes).toEqual([
      {
        kind: "delete-consumer",
        consumer: gone,
        from: [providerUuid(FLEET, "fw-2")],
        write: {
          allocations: {},
          project_id: projectId("a"),
          user_id: fleetUserId(FLEET),
          consumer_generation: 3,
          consumer_type: CONSUMER_TYPE,
        },
      },
    ]);
    expect(planRemovedDevices(d, owned).map(describeAction)).toEqual(["delete provider `fw-9`"]);
  });

  it("writes moves first, then the rest, each in allocation name order", () => {
    const d = desired();
    const [a, b] = d.consumers;
    const write = (consumer: typeof a, move: boolean) => ({ consumer, move, name: consumer.allocation });
    expect(
      orderWrites([write(a, false), write(b, false), write(b, true)]).map((w) => [w.name, w.move]),
    ).toEqual([
      ["b-fw", true],
      ["a-fw", false],
      ["b-fw", false],
    ]);
  });

  it.each<[SyncAction, string]>([
    [{ kind: "read-consumer", consumer: "c-1" }, "read consumer c-1"],
    [{ kind: "create-trait", name: "CUSTOM_X" }, "create trait `CUSTOM_X`"],
    [{ kind: "check-tenant-usage", tenant: "a", projectId: "p", want: {} }, "check usage of tenant `a`"],
    [{ kind: "delete-provider", device: "fw-3", record: record("fw-3") }, "delete provider `fw-3`"],
  ])("names %j as %s", (action, text) => {
    expect(describeAction(action)).toBe(text);
  });
});

describe("planSync", () => {
  it("decides every phase's actions from what was read, in execution order", () => {
    const d = desired();
    const providers = inPlace(d);
    providers.get("fw-0")!.aggregates = [];
    providers.delete("fw-2"); // unchanged since the previous sync: not read
    const owned = new Map([...inPlace(d)].map(([k, v]) => [k, v.record]));
    const plan = planSync(
      d,
      {
        owned,
        clean: new Set(["fw-2"]),
        providers,
        seen: seenConsumers(providers.values()),
        removed: [],
        owners: new Map(),
        classes: ["CUSTOM_SERVICE_SLOT", "CUSTOM_THROUGHPUT_MBPS"],
        traits: [],
      },
      false,
    );
    const described = Object.fromEntries(
      Object.entries(plan).map(([phase, actions]) => [phase, (actions as SyncAction[]).map(describeAction)]),
    );
    expect(described).toEqual({
      classesAndTraits: ["create trait `CUSTOM_FW`"],
      providers: ["update provider `fw-0`"],
      usageChecks: d.consumers
        .filter((c) => c.device !== "fw-2")
        .map((c) => `check usage of tenant \`${c.tenant}\``),
      deletes: [],
      writes: [],
      removedDevices: [],
    });
  });
});

describe("verification and state", () => {
  it("expects per tenant the desired usage, allowing for pending writes, and rewrites a drifted consumer", () => {
    const d = desired();
    const seen = seenConsumers(inPlace(d).values());
    const [a] = d.consumers;
    const writes = [
      { kind: "write-allocation" as const, consumer: a, move: false, write: allocationWrite(a, null) },
    ];
    const checks = planUsageChecks(d, {
      clean: new Set(),
      verifyAll: true,
      writes,
      removed: [],
      owners: new Map(),
      seen,
    });
    // Tenant `a`'s only consumer is being written: no check for it; `b` should hold 2 slots.
    expect(checks).toEqual([
      {
        kind: "check-tenant-usage",
        tenant: "b",
        projectId: projectId("b"),
        want: { CUSTOM_SERVICE_SLOT: 2 },
      },
    ]);
    expect(usageDrifted(checks[0], { SERVICEVM: { CUSTOM_SERVICE_SLOT: 2, consumer_count: 1 } })).toBe(false);
    expect(usageDrifted(checks[0], {})).toBe(true);
    expect(planRereads(d, new Set(["b"]), writes).map(describeAction)).toEqual(["re-read allocation `b-fw`"]);
    const b = d.consumers[1];
    expect(
      rewriteIfDrifted(b, {
        allocations: { [b.provider]: { resources: b.resources } },
        consumer_generation: 4,
        project_id: b.projectId,
      }),
    ).toBeNull();
    expect(
      rewriteIfDrifted(b, { allocations: {}, consumer_generation: null })?.write.consumer_generation,
    ).toBeNull();
  });

  it("reads only providers changed since the previous state, and records those at the generation expected", () => {
    const d = desired();
    const digests = providerDigests(d);
    const owned = new Map(d.providers.map((p) => [p.device, record(p.device, p.device === "fw-1" ? 7 : 5)]));
    const previous = nextSyncState(
      FLEET,
      d,
      owned,
      { expected: new Map([...owned.values()].map((r) => [r.uuid, 5])), bumps: new Map() },
      digests,
    );
    expect(Object.keys(previous.providers)).toEqual(["fw-0", "fw-2"]);
    expect(splitByPrevious(FLEET, owned, digests, previous)).toEqual({
      clean: new Set(["fw-0", "fw-2"]),
      toRead: ["fw-1"],
    });
    expect(splitByPrevious("other", owned, digests, previous).toRead).toEqual(["fw-0", "fw-1", "fw-2"]);
  });
});

describe("the executor given an empty plan", () => {
  it("sends no request at all (the client throws on any call)", async () => {
    const report = emptyReport(FLEET);
    const run: SyncRun = {
      client: throwingClient(),
      fleet: FLEET,
      userId: fleetUserId(FLEET),
      concurrency: 8,
      batchSize: 250,
      progress: () => undefined,
      journal: new SyncJournal(FLEET, report),
      report,
      expected: new Map(),
      bumps: new Map(),
      created: new Set(),
    };
    await readProviders(run, []);
    await readConsumers(run, []);
    await createClassesAndTraits(run, []);
    await writeProviders(run, []);
    await checkTenantUsage(run, []);
    await rereadAllocations(run, []);
    await writeAllocations(run, [], []);
    await updateInventoriesLater(run, []);
    await deleteProviders(run, [], new Map());
    expect(() => run.journal.check("nothing")).not.toThrow();
    expect(report).toEqual(emptyReport(FLEET));
  });
  // Not proven here: that the executor applies a non-empty plan with today's requests; the sync
  // tests against a real Placement (sync.test.ts, faults.test.ts) cover that.
});
