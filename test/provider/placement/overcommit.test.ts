/**
 * The over-commit rule (overcommit.ts) on plain data, without a Placement; then the guard that
 * applies it (claim.ts, sync.ts) against a real single-process Placement, with the over-commit
 * staged on purpose at the moment a concurrent writer would make it.
 */
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../../core/types";
import { claimAllocations, type VerifyEvent } from "../../../provider/placement/claim";
import {
  PlacementClient,
  type AllocationWrite,
  type ProviderRecord,
} from "../../../provider/placement/client";
import {
  CONSUMER_TYPE,
  PENDING_CONSUMER_TYPE,
  claimUserId,
  consumerUuid,
  projectId,
  providerUuid,
} from "../../../provider/placement/ids";
import {
  capacityOf,
  claimStep,
  claimUndone,
  describeOver,
  holderOrder,
  holdersOf,
  judge,
  syncUndone,
  type Holder,
  type Standing,
} from "../../../provider/placement/overcommit";
import { SyncError, syncFleet } from "../../../provider/placement/sync";
import { planOk, usePlacementServer } from "./helpers";
import { PLACEMENT_TOKEN } from "./server";

const server = usePlacementServer();
const nova = (n: number): string => `0b5e6b5e-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`;

function h(consumer: string, standing: Standing, slots: number, extra: Record<string, number> = {}): Holder {
  return { consumer, standing, generation: 1, resources: { CUSTOM_SERVICE_SLOT: slots, ...extra } };
}

const two = { CUSTOM_SERVICE_SLOT: 2 };

describe("the over-commit rule", () => {
  it("computes capacity as Placement does: (total - reserved) * allocation_ratio, per class", () => {
    expect(
      capacityOf({
        CUSTOM_THROUGHPUT_MBPS: {
          total: 10000,
          reserved: 1000,
          min_unit: 1,
          max_unit: 5000,
          step_size: 100,
          allocation_ratio: 1.5,
        },
        CUSTOM_SERVICE_SLOT: {
          total: 2,
          reserved: 0,
          min_unit: 1,
          max_unit: 2,
          step_size: 1,
          allocation_ratio: 1,
        },
      }),
    ).toEqual({ CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 13500 });
  });

  it("orders fixed holders first, then the sync's own, then pending claims, each by consumer uuid", () => {
    const holders = [
      h("b", "pending", 1),
      h("c", "own", 1),
      h("z", "fixed", 1),
      h("a", "pending", 1),
      h("a", "fixed", 1),
    ];
    expect([...holders].sort(holderOrder).map((x) => `${x.standing}:${x.consumer}`)).toEqual([
      "fixed:a",
      "fixed:z",
      "own:c",
      "pending:a",
      "pending:b",
    ]);
  });

  it("ranks an observed provider's consumers: the sync's own, pending claims, and everything else fixed", () => {
    const seen = (consumer: string, type: string) => ({
      consumer,
      type,
      resources: two,
      generation: 3,
      projectId: "p",
      userId: "u",
    });
    const view = {
      capacity: two,
      holders: [
        seen("o", CONSUMER_TYPE),
        seen("p", PENDING_CONSUMER_TYPE),
        seen("n", "INSTANCE"),
        seen("u", ""),
      ],
    };
    expect(holdersOf(view, new Set(["o"])).map((x) => `${x.consumer}:${x.standing}`)).toEqual([
      "o:own",
      "p:pending",
      "n:fixed",
      "u:fixed",
    ]);
    expect(holdersOf(view, new Set())[0]).toEqual({
      consumer: "o",
      resources: two,
      generation: 3,
      standing: "fixed",
    });
  });

  it("keeps exactly the capacity: the measured over-commit (3 one-slot claims on 2 slots) undoes the last pending one", () => {
    const judgement = judge(two, [h("c3", "pending", 1), h("c1", "pending", 1), h("c2", "pending", 1)]);
    expect(judgement).toEqual({
      kept: ["c1", "c2"],
      over: ["c3"],
      exceeded: [{ resourceClass: "CUSTOM_SERVICE_SLOT", usage: 3, capacity: 2 }],
      fixedExceeded: [],
    });
    expect(claimStep(judgement, "c1")).toBe("wait");
    expect(claimStep(judgement, "c3")).toBe("undo");
    expect(claimStep(judgement, "c9")).toBe("gone");
  });

  it("never undoes settled claims or foreign consumers: pending claims go first, even with lower uuids", () => {
    const judgement = judge(two, [h("a", "pending", 1), h("z-settled", "fixed", 1), h("y-nova", "fixed", 1)]);
    expect(judgement.kept).toEqual(["y-nova", "z-settled"]);
    expect(judgement.over).toEqual(["a"]);
  });

  it("settles a kept claim once the provider is within capacity", () => {
    const judgement = judge(two, [h("c1", "pending", 1), h("s", "fixed", 1)]);
    expect(judgement.exceeded).toEqual([]);
    expect(claimStep(judgement, "c1")).toBe("settle");
  });

  it("keeps every holder that still fits (first fit), so a small claim after a big one that does not fit stays", () => {
    const judgement = judge({ CUSTOM_SERVICE_SLOT: 4 }, [
      h("f", "fixed", 1),
      h("p1", "pending", 2),
      h("p2", "pending", 2),
      h("p3", "pending", 1),
    ]);
    expect(judgement.kept).toEqual(["f", "p1", "p3"]);
    expect(judgement.over).toEqual(["p2"]);
  });

  it("checks every class a holder uses, and a class the provider has no inventory of has capacity 0", () => {
    const capacity = { CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: 1000 };
    const judgement = judge(capacity, [
      h("p1", "pending", 1, { CUSTOM_THROUGHPUT_MBPS: 800 }),
      h("p2", "pending", 1, { CUSTOM_THROUGHPUT_MBPS: 300 }),
      h("p3", "pending", 1, { CUSTOM_THROUGHPUT_MBPS: 200 }),
      h("p4", "pending", 1, { CUSTOM_GPU: 1 }),
    ]);
    expect(judgement.kept).toEqual(["p1", "p3"]);
    expect(judgement.over).toEqual(["p2", "p4"]);
    expect(judgement.exceeded).toEqual([
      { resourceClass: "CUSTOM_GPU", usage: 1, capacity: 0 },
      { resourceClass: "CUSTOM_THROUGHPUT_MBPS", usage: 1300, capacity: 1000 },
    ]);
  });

  it("undoes a sync's own consumers beyond what foreign usage leaves, before any pending claim is considered", () => {
    const judgement = judge({ CUSTOM_SERVICE_SLOT: 4 }, [
      h("nova", "fixed", 3),
      h("own-b", "own", 1),
      h("own-a", "own", 1),
      h("claim", "pending", 1),
    ]);
    expect(judgement).toEqual({
      kept: ["nova", "own-a"],
      over: ["own-b", "claim"],
      exceeded: [{ resourceClass: "CUSTOM_SERVICE_SLOT", usage: 6, capacity: 4 }],
      fixedExceeded: [],
    });
  });

  it("reports the classes fixed holders alone exceed, and then keeps no pending or own holder", () => {
    const judgement = judge(two, [h("nova", "fixed", 3), h("own", "own", 1), h("p", "pending", 1)]);
    expect(judgement.kept).toEqual(["nova"]);
    expect(judgement.over).toEqual(["own", "p"]);
    expect(judgement.fixedExceeded).toEqual([
      { resourceClass: "CUSTOM_SERVICE_SLOT", usage: 3, capacity: 2 },
    ]);
  });

  it("gives every racer the same answer whatever order it listed the holders in", () => {
    const holders = [
      h("d", "pending", 1),
      h("b", "pending", 1),
      h("s", "fixed", 1),
      h("a", "pending", 1),
      h("c", "pending", 1),
    ];
    const answers = new Set(
      [0, 1, 2, 3, 4].map((k) =>
        JSON.stringify(judge({ CUSTOM_SERVICE_SLOT: 3 }, [...holders.slice(k), ...holders.slice(0, k)])),
      ),
    );
    expect([...answers].map((a) => JSON.parse(a) as unknown)).toEqual([
      {
        kept: ["s", "a", "b"],
        over: ["c", "d"],
        exceeded: [{ resourceClass: "CUSTOM_SERVICE_SLOT", usage: 5, capacity: 3 }],
        fixedExceeded: [],
      },
    ]);
  });

  it("says which device was over, by how much, and what was undone and what to do", () => {
    const over = [{ resourceClass: "CUSTOM_SERVICE_SLOT", usage: 3, capacity: 2 }];
    expect(describeOver(over)).toBe("CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over)");
    expect(claimUndone("fw-3", "infra", over)).toBe(
      "device `fw-3` of fleet `infra` was over capacity once this claim was written (CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over): concurrent writes got through Placement's check), and this claim came after the ones kept there, so it was undone",
    );
    expect(syncUndone("fw-0", over, over, ["a", "b"])).toBe(
      "device `fw-0` is over capacity in Placement (CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over); other consumers alone hold CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over)), so allocation(s) `a`, `b` of this fleet were undone to keep it within capacity; free capacity on it (release the other consumers), raise its inventory, or plan the allocations elsewhere, then sync again",
    );
    expect(syncUndone("fw-0", over, [], ["a"])).toBe(
      "device `fw-0` is over capacity in Placement (CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over); other consumers hold part of it), so allocation(s) `a` of this fleet were undone to keep it within capacity; free capacity on it (release the other consumers), raise its inventory, or plan the allocations elsewhere, then sync again",
    );
  });
});

/** Who the staged over-commit writes: Nova's instance, or the pending claim of a claimer that stopped. */
interface Intruder {
  consumer: string;
  slots: number;
  type: string;
}

/**
 * Makes provider `provider` over capacity on purpose, as a concurrent writer would through
 * Placement's race: raises its inventory, writes the intruder's consumer, and puts the inventory
 * back (Placement accepts an inventory below usage).
 */
async function overCommit(raw: PlacementClient, provider: string, intruder: Intruder): Promise<void> {
  const inv = await raw.getInventories(provider);
  const slot = inv.inventories.CUSTOM_SERVICE_SLOT;
  await raw.putInventories(provider, inv.generation, {
    ...inv.inventories,
    CUSTOM_SERVICE_SLOT: { ...slot, total: slot.total + intruder.slots },
  });
  await raw.putAllocations(intruder.consumer, {
    allocations: { [provider]: { resources: { CUSTOM_SERVICE_SLOT: intruder.slots } } },
    project_id: "other-project",
    user_id: "other-user",
    consumer_generation: null,
    consumer_type: intruder.type,
  });
  await raw.putInventories(provider, (await raw.getInventories(provider)).generation, inv.inventories);
}

/** A client that over-commits a provider right after this client's first allocation write, before it verifies. */
class OverCommittedAfterWrite extends PlacementClient {
  private armed = false;
  constructor(
    url: string,
    private readonly provider: string,
    private readonly intruder: Intruder,
  ) {
    super({ endpoint: url, auth: PLACEMENT_TOKEN });
  }
  override async putAllocations(consumer: string, write: AllocationWrite): Promise<void> {
    await super.putAllocations(consumer, write);
    if (write.consumer_type === PENDING_CONSUMER_TYPE && Object.keys(write.allocations).length > 0)
      this.armed = true;
  }
  override async postAllocations(writes: Record<string, AllocationWrite>): Promise<void> {
    await super.postAllocations(writes);
    this.armed = true;
  }
  override async getProviderAllocations(uuid: string): ReturnType<PlacementClient["getProviderAllocations"]> {
    await this.overCommitOnce(uuid);
    return super.getProviderAllocations(uuid);
  }
  override async getProviderUsages(uuid: string): ReturnType<PlacementClient["getProviderUsages"]> {
    await this.overCommitOnce(uuid);
    return super.getProviderUsages(uuid);
  }
  /** A sync lists the providers it created once after its writes, to skip the untouched ones. */
  override async listProviders(
    query?: Parameters<PlacementClient["listProviders"]>[0],
  ): Promise<ProviderRecord[]> {
    await this.overCommitOnce(this.provider);
    return super.listProviders(query);
  }
  private async overCommitOnce(uuid: string): Promise<void> {
    if (!this.armed || uuid !== this.provider) return;
    this.armed = false;
    const raw = new PlacementClient({ endpoint: this.endpoint, auth: PLACEMENT_TOKEN });
    await overCommit(raw, uuid, this.intruder);
  }
}

describe("the over-commit guard undoes what made a provider over capacity (the race is staged, not raced)", () => {
  const one = (capacity: number): FleetSpec => ({
    templates: {
      fw: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: capacity }, docker: { image: "vyos:1.4" } },
    },
    pools: { fw: { template: "fw", size: 1 } },
    allocations: {},
  });
  const claiming = (owner: string, name: string): FleetSpec => ({
    templates: {},
    pools: { fw: { external: { fleet: owner } } },
    allocations: { [name]: { tenant: "t", pools: ["fw"], demand: { CUSTOM_SERVICE_SLOT: 1 } } },
  });

  it("undoes a claim written while a foreign write made its device over, and refuses it saying by how much", async () => {
    const { client } = server.client();
    await syncFleet(client, { fleet: "guard", spec: one(2), result: planOk(one(2)) });
    const device = providerUuid("guard", "fw-0");
    const racing = new OverCommittedAfterWrite(server.url, device, {
      consumer: nova(1),
      slots: 2,
      type: "INSTANCE",
    });
    const report = await claimAllocations(racing, {
      fleet: "gc",
      spec: claiming("guard", "g-0"),
      requests: ["g-0"],
    });
    expect(report.granted).toEqual({});
    expect(report.refused).toEqual({
      "g-0":
        "allocation `g-0` needs 1 CUSTOM_SERVICE_SLOT from pool `fw` (fleet `guard`); Placement has no provider there with that much free capacity " +
        "(the last one was taken by another claimer: device `fw-0` of fleet `guard` was over capacity once this claim was written " +
        "(CUSTOM_SERVICE_SLOT usage 3, capacity 2 (1 over): concurrent writes got through Placement's check), and this claim came after the ones kept there, so it was undone); " +
        "raise the pool's capacity in the owning fleet, release other claims, or lower the demand",
    });
    expect(await client.getConsumerAllocations(consumerUuid("gc", "g-0"))).toEqual({
      allocations: {},
      consumer_generation: null,
    });
    expect((await client.getProviderUsages(device)).usages).toEqual({ CUSTOM_SERVICE_SLOT: 2 });
  });

  it("settles a claim an earlier run left pending when its device is within capacity, in one write", async () => {
    const counting = server.client();
    const { client } = counting;
    await syncFleet(client, { fleet: "guard2", spec: one(2), result: planOk(one(2)) });
    const device = providerUuid("guard2", "fw-0");
    const consumer = consumerUuid("gp", "p-0");
    await client.putAllocations(consumer, {
      allocations: { [device]: { resources: { CUSTOM_SERVICE_SLOT: 1 } } },
      project_id: projectId("t"),
      user_id: claimUserId("gp"),
      consumer_generation: null,
      consumer_type: PENDING_CONSUMER_TYPE,
    });
    counting.reset();
    const report = await claimAllocations(client, {
      fleet: "gp",
      spec: claiming("guard2", "p-0"),
      requests: ["p-0"],
    });
    expect(report.granted["p-0"]).toEqual({
      fleet: "guard2",
      pool: "fw",
      device: "fw-0",
      provider: device,
      consumer,
      kept: false,
    });
    expect(counting.writes()).toBe(1);
    const after = await client.getConsumerAllocations(consumer);
    expect([after.consumer_type, after.allocations[device].resources]).toEqual([
      CONSUMER_TYPE,
      { CUSTOM_SERVICE_SLOT: 1 },
    ]);
  });

  it("undoes a sync's allocation beyond what a foreign write left, and names device, class, usage and capacity", async () => {
    const spec: FleetSpec = {
      ...one(4),
      allocations: {
        a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 2 } },
        b: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 2 } },
      },
    };
    const device = providerUuid("gs", "fw-0");
    const racing = new OverCommittedAfterWrite(server.url, device, {
      consumer: nova(2),
      slots: 2,
      type: "INSTANCE",
    });
    const error = await syncFleet(racing, { fleet: "gs", spec, result: planOk(spec) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncError);
    // The rule keeps the foreign consumer, then the sync's consumers in uuid order as long as they fit.
    const [kept, undone] = ["a", "b"].sort((x, y) =>
      consumerUuid("gs", x) < consumerUuid("gs", y) ? -1 : 1,
    );
    expect((error as SyncError).failed).toEqual([
      {
        what: `write allocation \`${undone}\` on \`fw-0\``,
        error:
          "device `fw-0` is over capacity in Placement (CUSTOM_SERVICE_SLOT usage 6, capacity 4 (2 over); other consumers hold part of it), " +
          `so allocation(s) \`${undone}\` of this fleet were undone to keep it within capacity; free capacity on it (release the other consumers), ` +
          "raise its inventory, or plan the allocations elsewhere, then sync again",
      },
    ]);
    expect((error as SyncError).partial.consumers.written).toEqual([kept]);
    const { client } = server.client();
    expect(await client.getConsumerAllocations(consumerUuid("gs", undone))).toEqual({
      allocations: {},
      consumer_generation: null,
    });
    expect((await client.getProviderUsages(device)).usages).toEqual({ CUSTOM_SERVICE_SLOT: 4 });
  });

  it("removes a pending claim its claimer abandoned beyond the capacity, then settles the claim it kept waiting", async () => {
    const { client } = server.client();
    await syncFleet(client, { fleet: "guard3", spec: one(2), result: planOk(one(2)) });
    const device = providerUuid("guard3", "fw-0");
    // After the claim is written, a claimer that then stops leaves a 2-slot pending claim; its uuid
    // sorts after every other, so the rule keeps the live claim and puts the abandoned one over.
    const abandoned = "ffffffff-ffff-4fff-bfff-ffffffffffff";
    const racing = new OverCommittedAfterWrite(server.url, device, {
      consumer: abandoned,
      slots: 2,
      type: PENDING_CONSUMER_TYPE,
    });
    const steps: VerifyEvent["step"][] = [];
    const report = await claimAllocations(racing, {
      fleet: "gr",
      spec: claiming("guard3", "r-0"),
      requests: ["r-0"],
      verifyTimeoutMs: 2000,
      onVerify: (e) => steps.push(e.step),
    });
    expect(report.granted["r-0"]).toMatchObject({ device: "fw-0", kept: false });
    expect(steps.filter((s) => s !== "wait")).toEqual(["reaped", "settle"]);
    expect(steps.filter((s) => s === "wait").length).toBeGreaterThan(1);
    expect(await client.getConsumerAllocations(abandoned)).toEqual({
      allocations: {},
      consumer_generation: null,
    });
    expect((await client.getProviderUsages(device)).usages).toEqual({ CUSTOM_SERVICE_SLOT: 1 });
  });
});
