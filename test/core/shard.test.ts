import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Shard, type SlotMode, type SlotState } from "../../core/shard";

const state = (free: number[], open = true, idle = false): SlotState => ({ free, open, idle });

describe("Shard: the segment tree behind the lowest fitting device", () => {
  it("finds the lowest slot with room in every demanded class, in the asked mode", () => {
    const shard = new Shard(["d0", "d1", "d2", "d3", "d4"], 2);
    shard.set(0, state([1, 100]));
    shard.set(1, state([4, 10]));
    shard.set(2, state([4, 100], true, true));
    shard.set(3, state([8, 100], false, false));
    shard.set(4, state([8, 100]));
    const all = (): boolean => true;
    expect(shard.leftmost([2, -Infinity], "open", all)).toBe("d1");
    expect(shard.leftmost([2, 50], "open", all)).toBe("d2");
    expect(shard.leftmost([2, -Infinity], "idle", all)).toBe("d2");
    expect(shard.leftmost([6, -Infinity], "open", all)).toBe("d4");
    expect(shard.leftmost([9, -Infinity], "open", all)).toBe(null);
  });

  it("asks `accept` only of leaves that pass the filters and goes on past a refusal", () => {
    const shard = new Shard(["d0", "d1", "d2"], 1);
    for (const slot of [0, 1, 2]) shard.set(slot, state([slot === 0 ? 0 : 5]));
    const asked: string[] = [];
    const found = shard.leftmost([3], "open", (d) => (asked.push(d), d !== "d1"));
    expect(found).toBe("d2");
    expect(asked).toEqual(["d1", "d2"]);
  });

  it("sees deferred sets only after `rebuild`", () => {
    const shard = new Shard(["d0", "d1"], 1);
    shard.set(0, state([0]));
    shard.set(1, state([0]));
    shard.set(1, state([8]), true);
    expect(shard.leftmost([4], "open", () => true)).toBe(null);
    shard.rebuild();
    expect(shard.leftmost([4], "open", () => true)).toBe("d1");
  });

  it("answers as a scan of the slots would, after any sequence of sets", () => {
    const slotState = fc.record({
      free: fc.array(fc.oneof(fc.constant(-Infinity), fc.integer({ min: 0, max: 16 })), {
        minLength: 2,
        maxLength: 2,
      }),
      open: fc.boolean(),
      idle: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.nat(), slotState), { maxLength: 60 }),
        fc.tuple(
          fc.integer({ min: 0, max: 16 }),
          fc.oneof(fc.constant(-Infinity), fc.integer({ min: 0, max: 16 })),
        ),
        fc.constantFrom<SlotMode>("open", "idle"),
        fc.nat(),
        (n, sets, need, mode, refused) => {
          const items = [...Array(n).keys()];
          const shard = new Shard(items, 2);
          const leaves: SlotState[] = items.map(() => state([-Infinity, -Infinity], false, false));
          for (const [slot, s] of sets) {
            shard.set(slot % n, s);
            leaves[slot % n] = s;
          }
          const accept = (i: number): boolean => i !== refused % n;
          const scan = items.find(
            (i) =>
              leaves[i][mode] && need.every((x, c) => x === -Infinity || leaves[i].free[c] >= x) && accept(i),
          );
          expect(shard.leftmost(need, mode, accept)).toBe(scan ?? null);
        },
      ),
      { numRuns: 500 },
    );
  });
});
