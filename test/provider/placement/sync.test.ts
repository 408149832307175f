import { describe, expect, it } from "vitest";
import type { FleetSpec, Ledger, PlanResult } from "../../../core/types";
import { PlacementClient } from "../../../provider/placement/client";
import { PlacementError } from "../../../provider/placement/errors";
import {
  consumerUuid,
  fleetUserId,
  poolAggregate,
  projectId,
  providerUuid,
  zoneAggregate,
} from "../../../provider/placement/ids";
import { placementStatus, formatStatus } from "../../../provider/placement/status";
import { SyncError, syncFleet, type SyncState } from "../../../provider/placement/sync";
import { firewallFleet, planOk, usePlacementServer } from "./helpers";
import { PLACEMENT_TOKEN } from "./server";

const server = usePlacementServer();

const allocations: FleetSpec["allocations"] = {
  "t1-fw": { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 3000 } },
  "t2-fw": { tenant: "t2", demand: { CUSTOM_SERVICE_SLOT: 1 } },
  "t3-fw": { tenant: "t3", demand: { CUSTOM_SERVICE_SLOT: 3 } },
};

describe("syncFleet into a real Placement", () => {
  let state: SyncState;
  let ledger: Ledger | undefined;
  const planNext = (spec: FleetSpec): PlanResult => {
    const result = planOk(spec, ledger);
    ledger = result.ledger;
    return result;
  };

  it("creates one provider per device with its full inventory, traits and aggregates, and one consumer per allocation", async () => {
    const spec = firewallFleet(3, allocations);
    const result = planNext(spec);
    const { client, counts } = server.client();
    const report = await syncFleet(client, { fleet: "edge", spec, result });
    state = report.state;
    expect(Object.keys(state.providers)).toEqual(["fw-0", "fw-1", "fw-2"]);
    expect(report.providers).toEqual({
      created: ["fw-0", "fw-1", "fw-2"],
      updated: [],
      deleted: [],
      unchanged: 0,
    });
    expect(report.consumers).toEqual({ written: ["t1-fw", "t2-fw", "t3-fw"], deleted: [], unchanged: 0 });
    // 2 custom classes + 1 custom trait, 3 providers x 4 writes, and the allocations in one bulk POST.
    expect(counts.POST).toBe(3 + 1);
    expect(counts.PUT).toBe(3 + 3 * 3);

    const uuid = providerUuid("edge", "fw-1");
    const rp = await client.getProvider(uuid);
    expect(rp?.name).toBe("edge-fw-1");
    expect((await client.getInventories(uuid)).inventories).toEqual({
      CUSTOM_SERVICE_SLOT: {
        total: 4,
        reserved: 0,
        min_unit: 1,
        max_unit: 2147483647,
        step_size: 1,
        allocation_ratio: 1.0,
      },
      CUSTOM_THROUGHPUT_MBPS: {
        total: 10000,
        reserved: 1000,
        min_unit: 1,
        max_unit: 5000,
        step_size: 100,
        allocation_ratio: 1.5,
      },
    });
    expect((await client.getTraits(uuid)).traits.sort()).toEqual(["CUSTOM_FW", "HW_NIC_SRIOV"]);
    expect((await client.getAggregates(uuid)).aggregates.sort()).toEqual(
      [poolAggregate("edge", "fw"), zoneAggregate("edge", "az2")].sort(),
    );
    for (const [name, a] of Object.entries(allocations)) {
      const got = await client.getConsumerAllocations(consumerUuid("edge", name));
      expect(got.project_id).toBe(projectId(a.tenant));
      expect(got.user_id).toBe(fleetUserId("edge"));
      expect(got.consumer_type).toBe("SERVICEVM");
      expect(Object.keys(got.allocations)).toEqual([providerUuid("edge", result.placements[name].device)]);
      expect(Object.values(got.allocations)[0].resources).toEqual(a.demand);
    }
  });

  it("writes nothing on a second run with nothing changed, with and without the previous sync state", async () => {
    const spec = firewallFleet(3, allocations);
    const result = planNext(spec);
    const cold = server.client();
    const again = await syncFleet(cold.client, { fleet: "edge", spec, result });
    expect(cold.writes()).toBe(0);
    expect(again.providers).toEqual({ created: [], updated: [], deleted: [], unchanged: 3 });
    expect(again.consumers).toEqual({ written: [], deleted: [], unchanged: 3 });
    expect(again.state).toEqual(state);

    const warm = server.client();
    await syncFleet(warm.client, { fleet: "edge", spec, result, previous: state });
    expect(warm.writes()).toBe(0);
    // Every provider's generation and digest match the previous state: no provider is read, only the
    // provider list, the custom classes and traits, and one usage total per tenant.
    expect(warm.log).toEqual([
      "GET /resource_providers",
      "GET /resource_classes",
      "GET /traits?name=startswith%3ACUSTOM_",
      ...["t1", "t2", "t3"].map(
        (t) => `GET /usages?project_id=${projectId(t)}&user_id=${fleetUserId("edge")}`,
      ),
    ]);

    // Trusting generations alone, it is the provider list and the custom names only.
    const quick = server.client();
    await syncFleet(quick.client, { fleet: "edge", spec, result, previous: state, verifyConsumers: false });
    expect(quick.log).toEqual([
      "GET /resource_providers",
      "GET /resource_classes",
      "GET /traits?name=startswith%3ACUSTOM_",
    ]);
  });

  it("puts back a consumer someone deleted, although Placement left its provider's generation alone", async () => {
    const spec = firewallFleet(3, allocations);
    const result = planNext(spec);
    const { client } = server.client();
    const victim = consumerUuid("edge", "t3-fw");
    const provider = providerUuid("edge", result.placements["t3-fw"].device);
    const generation = (await client.getProvider(provider))!.generation;
    expect(await client.deleteAllocations(victim)).toBe(true);
    expect((await client.getProvider(provider))!.generation).toBe(generation);
    const counting = server.client();
    const report = await syncFleet(counting.client, { fleet: "edge", spec, result, previous: state });
    expect(report.consumers.written).toEqual(["t3-fw"]);
    expect(counting.writes()).toBe(1);
    expect(Object.keys((await client.getConsumerAllocations(victim)).allocations)).toEqual([provider]);
    state = report.state;
  });

  it("reports Placement in sync with the spec when nothing differs", async () => {
    const spec = firewallFleet(3, allocations);
    const { client } = server.client();
    const progress: number[] = [];
    const status = await placementStatus(client, {
      fleet: "edge",
      spec,
      result: planNext(spec),
      onProgress: (done) => progress.push(done),
    });
    expect(status.inSync).toBe(true);
    expect(status.providers.ok).toBe(3);
    expect(status.consumers.ok).toBe(3);
    expect(progress).toEqual([0, 1, 2, 3]);
  });

  it("reports drift someone else made behind the fleet's back, and the next sync repairs it", async () => {
    const spec = firewallFleet(3, allocations);
    const result = planNext(spec);
    const { client } = server.client();
    const uuid = providerUuid("edge", "fw-0");
    await client.putTraits(uuid, (await client.getTraits(uuid)).generation, ["CUSTOM_FW"]);
    const moved = consumerUuid("edge", "t2-fw");
    const before = await client.getConsumerAllocations(moved);
    await client.deleteAllocations(moved);
    const status = await placementStatus(client, { fleet: "edge", spec, result });
    expect(status.inSync).toBe(false);
    expect(status.providers.drift).toEqual([{ device: "fw-0", fields: ["traits"] }]);
    expect(status.consumers.missing).toEqual(["t2-fw"]);
    expect(formatStatus(status)).toBe(
      [
        "fleet edge: Placement differs from the spec",
        "providers: 2 ok, 0 missing, 1 different, 0 extra",
        "  device fw-0: traits differ",
        "allocations: 2 ok, 1 missing, 0 different, 0 extra",
        "  missing allocation t2-fw",
        "foreign usage: 0 consumer allocation(s) on this fleet's devices",
        "",
      ].join("\n"),
    );
    // The previous state no longer matches fw-0's generation, so the sync re-reads it.
    const report = await syncFleet(client, { fleet: "edge", spec, result, previous: state });
    expect(report.providers.updated).toEqual(["fw-0"]);
    expect(report.consumers.written).toEqual(["t2-fw"]);
    expect(Object.keys((await client.getConsumerAllocations(moved)).allocations)).toEqual(
      Object.keys(before.allocations),
    );
    expect((await placementStatus(client, { fleet: "edge", spec, result })).inSync).toBe(true);
    state = report.state;
  });

  it("rewrites only the inventory that changed", async () => {
    const spec = firewallFleet(3, allocations);
    spec.templates.fw.capacity.CUSTOM_SERVICE_SLOT = { total: 6, maxUnit: 4 };
    const result = planNext(spec);
    const { client, counts, log } = server.client();
    const report = await syncFleet(client, { fleet: "edge", spec, result, previous: state });
    state = report.state;
    expect(report.providers.updated).toEqual(["fw-0", "fw-1", "fw-2"]);
    expect(report.consumers.written).toEqual([]);
    expect(counts.PUT).toBe(3);
    expect(counts.POST + counts.DELETE).toBe(0);
    expect(log.filter((l) => l.startsWith("PUT")).every((l) => l.endsWith("/inventories"))).toBe(true);
    expect(
      (await client.getInventories(providerUuid("edge", "fw-2"))).inventories.CUSTOM_SERVICE_SLOT,
    ).toEqual({
      total: 6,
      reserved: 0,
      min_unit: 1,
      max_unit: 4,
      step_size: 1,
      allocation_ratio: 1.0,
    });
  });

  it("deletes a removed device that holds nothing and the consumer of a removed allocation", async () => {
    const spec = firewallFleet(3, { "t1-fw": allocations["t1-fw"], "t3-fw": allocations["t3-fw"] });
    spec.templates.fw.capacity.CUSTOM_SERVICE_SLOT = { total: 6, maxUnit: 4 };
    spec.pools.fw.size = 2;
    const result = planNext(spec);
    expect(
      Object.values(result.placements)
        .map((p) => p.device)
        .sort(),
    ).toEqual(["fw-0", "fw-1"]);
    const { client } = server.client();
    const report = await syncFleet(client, { fleet: "edge", spec, result, previous: state });
    state = report.state;
    expect(report.providers.deleted).toEqual(["fw-2"]);
    expect(report.consumers.deleted).toEqual([consumerUuid("edge", "t2-fw")]);
    expect(await client.getProvider(providerUuid("edge", "fw-2"))).toBeNull();
    expect((await client.getConsumerAllocations(consumerUuid("edge", "t2-fw"))).allocations).toEqual({});
    for (const [name, p] of Object.entries(result.placements)) {
      expect(
        Object.keys((await client.getProviderAllocations(providerUuid("edge", p.device))).allocations),
      ).toEqual([consumerUuid("edge", name)]);
    }
  });

  it("refuses to delete a removed device that another consumer still uses, and names that consumer", async () => {
    const { client } = server.client();
    const foreign = "0b5e6b5e-0000-4000-8000-000000000001";
    await client.putAllocations(foreign, {
      allocations: { [providerUuid("edge", "fw-1")]: { resources: { CUSTOM_SERVICE_SLOT: 1 } } },
      project_id: "nova-project",
      user_id: "nova-user",
      consumer_generation: null,
      consumer_type: "INSTANCE",
    });
    const spec = firewallFleet(1, { "t1-fw": allocations["t1-fw"], "t3-fw": allocations["t3-fw"] });
    spec.templates.fw.capacity.CUSTOM_SERVICE_SLOT = { total: 6, maxUnit: 4 };
    const result = planNext(spec);
    const err = await syncFleet(client, { fleet: "edge", spec, result, previous: state }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SyncError);
    const message = (err as SyncError).message;
    expect(message).toContain(
      `device \`fw-1\` was removed from the fleet but Placement still has allocations on its provider ${providerUuid("edge", "fw-1")} ` +
        `from consumer(s) ${foreign} (project nova-project, user nova-user); release them (or keep the device) and sync again`,
    );
    expect((err as SyncError).failed.map((f) => f.what)).toEqual(["delete provider `fw-1`"]);
    expect(await client.getProvider(providerUuid("edge", "fw-1"))).not.toBeNull();
    expect((await client.getConsumerAllocations(foreign)).allocations).not.toEqual({});

    const status = await placementStatus(client, { fleet: "edge", spec, result });
    expect(status.providers.extra).toEqual(["fw-1"]);
    expect(status.foreign).toEqual([
      {
        device: "fw-1",
        consumer: foreign,
        projectId: "nova-project",
        userId: "nova-user",
        resources: { CUSTOM_SERVICE_SLOT: 1 },
      },
    ]);
    expect(formatStatus(status)).toContain(
      `fw-1: consumer ${foreign} (project nova-project, user nova-user) uses 1 CUSTOM_SERVICE_SLOT`,
    );

    // Once the foreign consumer is gone, the same sync deletes the device.
    await client.deleteAllocations(foreign);
    const report = await syncFleet(client, { fleet: "edge", spec, result });
    expect(report.providers.deleted).toEqual(["fw-1"]);
    state = report.state;
  });

  it("moves an allocation and rewrites a tenant change without touching the others", async () => {
    const spec = firewallFleet(2, {
      "t1-fw": { ...allocations["t1-fw"], device: "fw-1" },
      "t3-fw": { ...allocations["t3-fw"], tenant: "t4" },
    });
    spec.templates.fw.capacity.CUSTOM_SERVICE_SLOT = { total: 6, maxUnit: 4 };
    const result = planNext(spec);
    const { client } = server.client();
    const report = await syncFleet(client, { fleet: "edge", spec, result });
    expect(report.providers.created).toEqual(["fw-1"]);
    expect(report.consumers.written).toEqual(["t1-fw", "t3-fw"]);
    const t3 = await client.getConsumerAllocations(consumerUuid("edge", "t3-fw"));
    expect(t3.project_id).toBe(projectId("t4"));
    const t1 = await client.getConsumerAllocations(consumerUuid("edge", "t1-fw"));
    expect(Object.keys(t1.allocations)).toEqual([providerUuid("edge", "fw-1")]);
    const again = server.client();
    await syncFleet(again.client, { fleet: "edge", spec, result });
    expect(again.writes()).toBe(0);
  });

  it("reports a refused allocation write with Placement's reason and keeps the others", async () => {
    const spec = firewallFleet(2, {
      big: { tenant: "t9", demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 100 } },
    });
    spec.templates.fw.capacity.CUSTOM_SERVICE_SLOT = { total: 6, maxUnit: 4 };
    const result = planNext(spec);
    spec.allocations!.big.demand.CUSTOM_THROUGHPUT_MBPS = 150; // changed after planning: only Placement sees it
    const { client } = server.client();
    // 150 is not a multiple of the step size 100: Placement refuses it as a constraint violation.
    const err = await syncFleet(client, { fleet: "edge", spec, result }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    const failed = (err as SyncError).failed;
    expect(failed.map((f) => f.what)).toEqual([
      `write allocation \`big\` on \`${result.placements.big.device}\``,
    ]);
    expect(failed[0].error).toContain("inventory constraint violated (min_unit, max_unit or step_size)");
    expect(failed[0].error).toContain("The requested amount would violate inventory constraints.");
    expect((err as SyncError).partial.consumers.deleted.length).toBe(2);
    expect(err).not.toBeInstanceOf(PlacementError);
  });
});

describe("syncFleet racing another writer", () => {
  /** A client that, once, changes a provider's aggregates just before the sync writes its traits. */
  class Meddling extends PlacementClient {
    meddled = 0;
    override async putTraits(uuid: string, generation: number, traits: string[]): Promise<number> {
      if (this.meddled++ === 0) {
        const cur = await this.getAggregates(uuid);
        await super.putAggregates(uuid, cur.generation, [
          ...cur.aggregates,
          "00000000-0000-4000-8000-00000000beef",
        ]);
      }
      return super.putTraits(uuid, generation, traits);
    }
  }

  it("re-reads a provider whose generation moved between its read and its write, and converges", async () => {
    const spec = firewallFleet(2, {});
    const result = planOk(spec);
    const { client } = server.client();
    await syncFleet(client, { fleet: "meddle", spec, result });
    const uuid = providerUuid("meddle", "fw-1");
    await client.putTraits(uuid, (await client.getTraits(uuid)).generation, []);

    const meddling = new Meddling({ endpoint: server.url, auth: PLACEMENT_TOKEN });
    const report = await syncFleet(meddling, { fleet: "meddle", spec, result });
    expect(meddling.meddled).toBe(2);
    expect(report.providers.updated).toEqual(["fw-1"]);
    expect((await client.getTraits(uuid)).traits.sort()).toEqual(["CUSTOM_FW", "HW_NIC_SRIOV"]);
    expect((await client.getAggregates(uuid)).aggregates.sort()).toEqual(
      [poolAggregate("meddle", "fw"), zoneAggregate("meddle", "az2")].sort(),
    );
  });
});
