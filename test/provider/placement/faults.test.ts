import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../../core/types";
import { fleetUserId, ownedDevice, projectId } from "../../../provider/placement/ids";
import { placementStatus } from "../../../provider/placement/status";
import { SyncError, syncFleet } from "../../../provider/placement/sync";
import { firewallFleet, planOk, usePlacementServer } from "./helpers";

const server = usePlacementServer();

function fleetOf(devices: number, allocations: number): FleetSpec {
  const allocs: FleetSpec["allocations"] = {};
  for (let i = 0; i < allocations; i++)
    allocs[`svc-${i}`] = {
      tenant: `tenant-${i % 5}`,
      demand: { CUSTOM_SERVICE_SLOT: 1 + (i % 2), CUSTOM_THROUGHPUT_MBPS: 100 },
    };
  return firewallFleet(devices, allocs);
}

/** A client that kills Placement just before its `killAt`-th request. */
function killingClient(killAt: (method: string, path: string, n: number) => boolean) {
  let n = 0;
  let killed = false;
  return server.client({
    timeoutMs: 2000,
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    onRequest: (method, path) => {
      n++;
      if (!killed && killAt(method, path, n)) {
        killed = true;
        void server.kill();
      }
    },
  });
}

/** Every item a sync error names as failed or not done. */
function named(err: SyncError): string {
  return [...err.failed, ...err.notDone].map((s) => s.what).join("\n");
}

async function expectConverged(fleet: string, spec: FleetSpec): Promise<void> {
  const result = planOk(spec);
  const { client } = server.client();
  const status = await placementStatus(client, { fleet, spec, result });
  expect(status.inSync).toBe(true);
  expect(status.foreign).toEqual([]);
  // No leaked providers: the fleet's providers are exactly the planned devices.
  const providers = (await client.listProviders())
    .map((p) => ownedDevice(fleet, p))
    .filter((d) => d !== null);
  expect(providers.sort()).toEqual(
    Object.values(result.pools)
      .flatMap((p) => p.devices)
      .sort(),
  );
  // No leaked consumers: per tenant, Placement's usage of this fleet's consumers is exactly the demand.
  for (const tenant of ["tenant-0", "tenant-1", "tenant-2", "tenant-3", "tenant-4"]) {
    const want = { slots: 0, mbps: 0, count: 0 };
    for (const a of Object.values(spec.allocations ?? {})) {
      if (a.tenant !== tenant) continue;
      want.slots += a.demand.CUSTOM_SERVICE_SLOT ?? 0;
      want.mbps += a.demand.CUSTOM_THROUGHPUT_MBPS ?? 0;
      want.count++;
    }
    const usages = await client.usages(projectId(tenant), fleetUserId(fleet));
    expect(usages).toEqual(
      want.count === 0
        ? {}
        : {
            SERVICEVM: {
              CUSTOM_SERVICE_SLOT: want.slots,
              CUSTOM_THROUGHPUT_MBPS: want.mbps,
              consumer_count: want.count,
            },
          },
    );
  }
}

describe("sync when Placement dies half way", () => {
  it("names what was not done when Placement is killed while providers are written, and a re-run after restart converges", async () => {
    const spec = fleetOf(24, 40);
    const result = planOk(spec);
    const { client } = killingClient((method, _path, n) => method === "PUT" && n > 30);
    const err = await syncFleet(client, { fleet: "crash1", spec, result }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    const e = err as SyncError;
    expect(e.message).toMatch(
      /^sync of fleet `crash1` into Placement did not finish \(writing providers\): Placement stopped answering \(`[A-Z]+ \/[^`]+`: Placement unreachable: /,
    );
    expect(e.message).toContain("Not done: ");
    expect(e.message).toContain(
      "Fix the cause and run the sync again: it re-reads Placement and does only what is missing.",
    );
    expect(e.notDone.length).toBeGreaterThan(0);
    expect(e.partial.consumers.written).toEqual([]);

    await server.restart();
    const rerun = await syncFleet(server.client().client, { fleet: "crash1", spec, result });
    // Everything the re-run had to do was named by the error: nothing was silently skipped.
    for (const d of [...rerun.providers.created, ...rerun.providers.updated])
      expect(named(e)).toContain(`provider \`${d}\``);
    for (const a of rerun.consumers.written) expect(named(e)).toContain(`write allocation \`${a}\``);
    expect(rerun.consumers.written.length).toBe(40);
    await expectConverged("crash1", spec);
  });

  it("names the allocation writes not done when Placement is killed before the bulk write, and converges on a smaller fleet without leaks", async () => {
    const spec = fleetOf(12, 30);
    const result = planOk(spec);
    const { client } = killingClient((method, path) => method === "POST" && path === "/allocations");
    const err = (await syncFleet(client, { fleet: "crash2", spec, result, batchSize: 10 }).catch(
      (e: unknown) => e,
    )) as SyncError;
    expect(err).toBeInstanceOf(SyncError);
    expect(err.message).toMatch(
      /^sync of fleet `crash2` into Placement did not finish \(writing allocations\): Placement stopped answering \(`POST \/allocations`: Placement unreachable: /,
    );
    const notWritten = [...err.failed, ...err.notDone].filter((s) =>
      s.what.startsWith("write allocation"),
    ).length;
    expect(notWritten).toBe(30);
    expect(err.partial.providers.created.length).toBe(12);

    await server.restart();
    // The fleet shrank meanwhile: the re-run must not leak the providers of the removed devices.
    const smaller = fleetOf(12, 10);
    smaller.pools.fw.size = 5;
    const rerun = await syncFleet(server.client().client, {
      fleet: "crash2",
      spec: smaller,
      result: planOk(smaller),
    });
    expect(rerun.providers.deleted.length).toBe(7);
    await expectConverged("crash2", smaller);
    // And the first fleet is untouched by the second one's crash.
    await expectConverged("crash1", fleetOf(24, 40));
  });
});
