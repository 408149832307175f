/**
 * How bulk allocation writes are cut into batches (syncBatches.ts) on plain data, and the executor
 * (syncAllocations.ts) writing them through a fake client that records what is in flight.
 */
import { describe, expect, it } from "vitest";
import type { AllocationWrite, PlacementClient } from "../../../provider/placement/client";
import { allocationWrite, type DesiredConsumer } from "../../../provider/placement/desired";
import { PlacementError } from "../../../provider/placement/errors";
import { ALLOCATION_LANES, writeAllocations } from "../../../provider/placement/syncAllocations";
import { allocationPhases, evenBatches, shapeBatches } from "../../../provider/placement/syncBatches";
import type { SyncRun } from "../../../provider/placement/syncExecute";
import type { ActionOf } from "../../../provider/placement/syncPlan";
import { SyncJournal, emptyReport } from "../../../provider/placement/syncReport";

/** Entries named `<id>@<provider>[+<provider>...]`: the providers are what they touch. */
const touched = (e: string): string[] => {
  const at = e.indexOf("@");
  return at < 0 ? [] : e.slice(at + 1).split("+");
};

describe("shapeBatches", () => {
  it("puts each provider's entries in one lane, balances the lanes, and keeps the given order within a lane", () => {
    expect(
      shapeBatches(["e0@a", "e1@a", "e2@b", "e3@c", "e4@b"], touched, { batchSize: 2, lanes: 2 }),
    ).toEqual([[["e0@a", "e1@a"], ["e3@c"]], [["e2@b", "e4@b"]]]);
  });

  it("keeps providers one entry names together in one lane (a removed consumer held on several)", () => {
    expect(shapeBatches(["x@p", "y@q", "w@r", "z@p+q"], touched, { batchSize: 2, lanes: 2 })).toEqual([
      [["x@p", "y@q"], ["z@p+q"]],
      [["w@r"]],
    ]);
  });

  it("places the largest components first, each on the least-loaded lane (the lowest on a tie)", () => {
    const entries = ["a1@a", "b1@b", "b2@b", "b3@b", "c1@c", "c2@c", "d1@d", "a2@a"];
    expect(shapeBatches(entries, touched, { batchSize: 3, lanes: 3 })).toEqual([
      [["b1@b", "b2@b", "b3@b"]],
      [["a1@a", "d1@d", "a2@a"]],
      [["c1@c", "c2@c"]],
    ]);
  });

  it("keeps entries that fit in one batch in one batch, whatever their providers", () => {
    expect(shapeBatches(["e0@a", "e1@b", "e2@c"], touched, { batchSize: 250, lanes: 2 })).toEqual([
      [["e0@a", "e1@b", "e2@c"]],
    ]);
  });

  it("uses no more lanes than there are provider groups, and none for no entries", () => {
    expect(shapeBatches(["e0@a", "e1@a", "e2@a"], touched, { batchSize: 2, lanes: 4 })).toEqual([
      [["e0@a", "e1@a"], ["e2@a"]],
    ]);
    expect(shapeBatches([], touched, { batchSize: 2, lanes: 4 })).toEqual([]);
  });

  it("treats an entry that touches no provider as a group of its own", () => {
    expect(shapeBatches(["n0", "n1", "e@a"], touched, { batchSize: 1, lanes: 2 })).toEqual([
      [["n0"], ["e@a"]],
      [["n1"]],
    ]);
  });

  it("cuts the benchmark's fleet (5,000 writes on 1,000 providers, two lanes) into 2 x 10 batches of 250, no provider in both lanes", () => {
    const entries = Array.from({ length: 5000 }, (_, i) => `svc-${i}@rp-${i % 1000}`).sort();
    const lanes = shapeBatches(entries, touched, { batchSize: 250, lanes: 2 });
    expect(lanes.map((lane) => lane.map((b) => b.length))).toEqual([
      Array.from({ length: 10 }, () => 250),
      Array.from({ length: 10 }, () => 250),
    ]);
    const providers = lanes.map((lane) => new Set(lane.flat().flatMap(touched)));
    expect([providers[0].size, providers[1].size]).toEqual([500, 500]);
    expect([...providers[0]].filter((p) => providers[1].has(p))).toEqual([]);
    expect(lanes.flat(2).sort()).toEqual(entries);
  });

  it.each([
    [0, 2],
    [2, 0],
  ])("refuses batchSize %i with %i lanes, naming both", (batchSize, lanes) => {
    expect(() => shapeBatches(["e@a"], touched, { batchSize, lanes })).toThrow(
      `batch shape: \`batchSize\` (${batchSize}) and \`lanes\` (${lanes}) must be at least 1`,
    );
  });
});

describe("evenBatches", () => {
  it.each([
    [7, 3, [3, 2, 2]],
    [6, 3, [3, 3]],
    [2501, 250, [228, 228, 228, 228, 227, 227, 227, 227, 227, 227, 227]],
    [1, 250, [1]],
    [0, 250, []],
  ])("cuts %i entries at most %i a batch into batches of sizes %j", (n, size, sizes) => {
    const xs = Array.from({ length: n }, (_, i) => i);
    const batches = evenBatches(xs, size);
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat()).toEqual(xs);
  });
});

describe("allocationPhases", () => {
  it("orders removed consumers, then moves, then the other writes, each phase in its given order", () => {
    const writes = [
      { name: "m1", move: true },
      { name: "w1", move: false },
      { name: "m2", move: true },
      { name: "w2", move: false },
    ];
    expect(allocationPhases(["d1", "d2"], writes)).toEqual([
      ["d1", "d2"],
      [writes[0], writes[2]],
      [writes[1], writes[3]],
    ]);
  });

  it("leaves empty phases out", () => {
    expect(allocationPhases([], [{ name: "w1", move: false }])).toEqual([[{ name: "w1", move: false }]]);
    expect(allocationPhases([], [])).toEqual([]);
  });
});

const FLEET = "edge";

function write(i: number, provider: string, move = false): ActionOf<"write-allocation"> {
  const consumer: DesiredConsumer = {
    allocation: `a${String(i).padStart(2, "0")}`,
    tenant: "t",
    device: provider,
    uuid: `consumer-${i}`,
    provider,
    resources: { CUSTOM_SERVICE_SLOT: 1 },
    projectId: "p",
    userId: "u",
  };
  return { kind: "write-allocation", consumer, write: allocationWrite(consumer, null), move };
}

/** A client that answers `postAllocations` a tick later and records every body's providers. */
function recordingClient(refuse: (consumer: string) => boolean) {
  const inFlight: string[][] = [];
  const overlaps: string[] = [];
  const posts: string[][] = [];
  let most = 0;
  const client = {
    async postAllocations(body: Record<string, AllocationWrite>): Promise<void> {
      const providers = [...new Set(Object.values(body).flatMap((w) => Object.keys(w.allocations)))];
      for (const other of inFlight) overlaps.push(...providers.filter((p) => other.includes(p)));
      inFlight.push(providers);
      most = Math.max(most, inFlight.length);
      posts.push(Object.keys(body));
      await new Promise((resolve) => setImmediate(resolve));
      inFlight.splice(inFlight.indexOf(providers), 1);
      const refused = Object.keys(body).filter(refuse);
      if (refused.length > 0)
        throw new PlacementError("capacity-exceeded", {
          method: "POST",
          path: "/allocations",
          status: 409,
          code: "placement.undefined_code",
          detail: `${refused.join(",")} would exceed the capacity`,
          requestId: null,
          attempts: 1,
        });
    },
  } as unknown as PlacementClient;
  return { client, posts, overlaps: () => overlaps, most: () => most };
}

function syncRun(client: PlacementClient, batchSize: number): SyncRun {
  const report = emptyReport(FLEET);
  return {
    client,
    fleet: FLEET,
    userId: "u",
    concurrency: 8,
    batchSize,
    progress: () => undefined,
    journal: new SyncJournal(FLEET, report),
    report,
    expected: new Map(),
    bumps: new Map(),
    created: new Set(),
  };
}

describe("writeAllocations", () => {
  it("writes moves before the rest, two batches in flight that never name the same provider, and bisects a refused batch within its lane", async () => {
    const writes = [
      write(0, "rp-a", true),
      ...Array.from({ length: 12 }, (_, i) => write(i + 1, `rp-${"abcd"[i % 4]}`)),
    ];
    const fake = recordingClient((c) => c === "consumer-5");
    const run = syncRun(fake.client, 3);
    for (const w of writes) run.journal.plan(w);
    await writeAllocations(run, [], writes);

    expect(ALLOCATION_LANES).toBe(2);
    expect(fake.overlaps()).toEqual([]);
    expect(fake.most()).toBe(2);
    // Lanes {rp-a, rp-c} and {rp-b, rp-d}; consumer-5 (rp-a) is refused: its batch is halved until
    // it stands alone, then tried once more on its own at the end.
    expect(fake.posts).toEqual([
      ["consumer-0"],
      ["consumer-1", "consumer-3", "consumer-5"],
      ["consumer-2", "consumer-4", "consumer-6"],
      ["consumer-1", "consumer-3"],
      ["consumer-8", "consumer-10", "consumer-12"],
      ["consumer-5"],
      ["consumer-7", "consumer-9", "consumer-11"],
      ["consumer-5"],
    ]);
    expect(run.report.consumers.written.length).toBe(12);
    expect(() => run.journal.check("writing allocations")).toThrow(
      "Failed: write allocation `a05` on `rp-a`: `POST /allocations`: capacity exceeded: consumer-5 would exceed the capacity (409, placement.undefined_code, 1 attempt).",
    );
  });
  // Not proven here: that Placement itself never replays a batch; the production benchmark counts
  // the rolled-back rows (test/bench/production.ts).
});
