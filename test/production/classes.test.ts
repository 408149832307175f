/**
 * Custom resource classes on Placement under 4 uwsgi workers on MariaDB: Placement numbers a new
 * custom class max(id) + 1, so two created at once collide, and the loser's duplicate-key error is
 * answered 204 with nothing created. Syncs of several fleets, each with classes of its own, run at
 * once here; every class must exist afterwards and every inventory be written.
 */
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../core/types";
import { providerUuid } from "../../provider/placement/ids";
import { syncFleet } from "../../provider/placement/sync";
import { planOk } from "../provider/placement/helpers";
import { useProductionPlacement } from "./use";

const FLEETS = 6;
const CLASSES = 4;

function classesOf(f: number): string[] {
  return Array.from({ length: CLASSES }, (_, k) => `CUSTOM_RACE_F${f}_C${k}`);
}

/** Fleet `f`: one pool of 2 devices whose template has `CLASSES` custom classes of its own. */
function fleetOf(f: number): FleetSpec {
  return {
    templates: {
      t: {
        driver: "docker",
        capacity: Object.fromEntries(classesOf(f).map((c) => [c, 8])),
        docker: { image: "vyos:1.4" },
      },
    },
    pools: { p: { template: "t", size: 2 } },
    allocations: { a: { tenant: "t", demand: { [classesOf(f)[0]]: 1 } } },
  };
}

describe("custom resource classes created by syncs running at once", () => {
  const shape = useProductionPlacement({ workers: 4 });

  it(`${FLEETS} syncs, each creating ${CLASSES} classes of its own, all complete with every class and inventory in place`, async () => {
    const s = shape();
    const reports = await Promise.all(
      Array.from({ length: FLEETS }, (_, f) =>
        syncFleet(s.client(), { fleet: `race${f}`, spec: fleetOf(f), result: planOk(fleetOf(f)) }),
      ),
    );
    expect(reports.map((r) => r.providers.created.length)).toEqual(Array(FLEETS).fill(2));
    expect(reports.map((r) => r.consumers.written)).toEqual(Array(FLEETS).fill(["a"]));
    const client = s.client();
    const known = new Set(await client.listResourceClasses());
    const wanted = Array.from({ length: FLEETS }, (_, f) => classesOf(f)).flat();
    expect(wanted.filter((c) => !known.has(c))).toEqual([]);
    for (let f = 0; f < FLEETS; f++) {
      for (const device of ["p-0", "p-1"]) {
        const inv = await client.getInventories(providerUuid(`race${f}`, device));
        expect(Object.keys(inv.inventories).sort()).toEqual(classesOf(f));
      }
    }
  });
});
