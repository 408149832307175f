/**
 * The client against Placement under uwsgi's `--http-socket` (4 workers), which closes every
 * connection after one answer without saying so: many sequential and concurrent requests, reads and
 * writes, with the default client, and not one failure, not even a retried one.
 */
import { describe, expect, it } from "vitest";
import { PlacementClient } from "../../provider/placement/client";
import { mapLimit } from "../../provider/placement/desired";
import { PLACEMENT_TOKEN } from "./shape";
import { useProductionPlacement } from "./use";

describe("kept-alive connections against uwsgi's http-socket", () => {
  const shape = useProductionPlacement({ workers: 4 });

  it("serves 200 sequential and 450 concurrent requests of every method with the default client, none failed or retried", async () => {
    const s = shape();
    const failures: string[] = [];
    const stale: string[] = [];
    let requests = 0;
    const client = new PlacementClient({
      endpoint: s.url,
      auth: PLACEMENT_TOKEN,
      onRequest: () => requests++,
      onRetry: (failure) => failures.push(failure.message),
      onStaleConnection: (method, path) => stale.push(`${method} ${path}`),
    });
    const uuid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const inventories = {
      CUSTOM_KA_SLOT: {
        total: 16,
        reserved: 0,
        min_unit: 1,
        max_unit: 16,
        step_size: 1,
        allocation_ratio: 1,
      },
    };

    // Sequential: 200 requests of GET, PUT and POST.
    await client.ensureResourceClass("CUSTOM_KA_SLOT");
    for (let i = 0; i < 20; i++) {
      const rp = await client.createProvider(uuid(i), `ka-${i}`);
      await client.putInventories(uuid(i), rp.generation, inventories);
    }
    for (let i = 0; i < 159; i++) await client.getInventories(uuid(i % 20));
    expect(requests).toBe(200);

    // Concurrent, 16 in flight: 150 bulk allocation writes, 150 consumer reads, 150 provider reads.
    const consumer = (i: number): string => `11111111-0000-4000-8000-${String(i).padStart(12, "0")}`;
    await mapLimit(
      Array.from({ length: 450 }, (_, i) => i),
      16,
      async (i) => {
        const n = Math.floor(i / 3);
        if (i % 3 === 0)
          await client.postAllocations({
            [consumer(n)]: {
              allocations: { [uuid(n % 20)]: { resources: { CUSTOM_KA_SLOT: 1 } } },
              project_id: "ka-project",
              user_id: "ka-user",
              consumer_generation: null,
              consumer_type: "KA",
            },
          });
        else if (i % 3 === 1) await client.getConsumerAllocations(consumer(n));
        else await client.getProviderUsages(uuid(n % 20));
      },
    );
    expect(requests).toBe(650);
    expect(failures).toEqual([]);
    // At most the first requests, before the first close was seen, met a closed connection.
    expect(stale.length).toBeLessThanOrEqual(2);
    const usages = await Promise.all(Array.from({ length: 20 }, (_, i) => client.getProviderUsages(uuid(i))));
    // Consumer n is on provider n % 20: providers 0..9 hold 8 of the 150, providers 10..19 hold 7.
    expect(usages.map((u) => u.usages)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ CUSTOM_KA_SLOT: i < 10 ? 8 : 7 })),
    );
    expect(s.db.sql("SELECT COUNT(*) FROM placement.consumers").trim()).toBe("150");
  });
});
