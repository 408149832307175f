import { describe, expect, it } from "vitest";
import { mapLimit } from "../../../provider/placement/desired";

/** Resolves when `release()` is called: lets a test hold work in flight without timers. */
function gate(): { wait: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const wait = new Promise<void>((resolve) => (release = resolve));
  return { wait, release };
}

describe("mapLimit", () => {
  it("runs every item once with its index", async () => {
    const seen: string[] = [];
    await mapLimit(["a", "b", "c"], 2, (item, i) => {
      seen.push(`${i}:${item}`);
      return Promise.resolve();
    });
    expect(seen.sort()).toEqual(["0:a", "1:b", "2:c"]);
  });

  it("never has more than `limit` in flight, and fills the free slots", async () => {
    let inFlight = 0;
    let most = 0;
    const gates = Array.from({ length: 5 }, gate);
    const run = mapLimit([0, 1, 2, 3, 4], 2, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await gates[i].wait;
      inFlight--;
    });
    for (const g of gates) {
      await Promise.resolve();
      g.release();
    }
    await run;
    expect(most).toBe(2);
  });

  it("takes no new item once `stop()` is true, but lets started ones finish", async () => {
    const started: number[] = [];
    let stop = false;
    await mapLimit(
      [0, 1, 2, 3],
      1,
      (i) => {
        started.push(i);
        if (i === 1) stop = true;
        return Promise.resolve();
      },
      () => stop,
    );
    expect(started).toEqual([0, 1]);
  });

  it("does nothing for no items", async () => {
    let calls = 0;
    await mapLimit([], 4, () => {
      calls++;
      return Promise.resolve();
    });
    expect(calls).toBe(0);
  });
});
