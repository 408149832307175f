/**
 * Core planner benchmark (issue 2): a 10,000-device fleet with 100,000 allocations, planned from
 * an empty ledger, re-planned with one new allocation, and with 1% of allocations changed; and
 * packing quality against the lower bound. Headroom (issue 11) of that fleet for 5 shapes, side by
 * side with the plan (target: under the time of one plan).
 */
import { headroom, type HeadroomShape, specHeadroom } from "../../core/headroom";
import { plan } from "../../core/plan";
import type { AllocationSpec, FleetSpec, PlanResult } from "../../core/types";
import { largeFleet, packingFleet, prng } from "./fleets";
import { fmtMs, heading, line, peakRssMiB, timeRuns } from "./util";

const RUNS = 5;

function devicesUsed(result: PlanResult): number {
  return Object.values(result.devices).filter((d) => d.allocations.length > 0).length;
}

function lowerBound(spec: FleetSpec, capacity: Record<string, number>): number {
  const totals: Record<string, number> = {};
  for (const a of Object.values(spec.allocations ?? {})) {
    for (const [rc, n] of Object.entries(a.demand)) totals[rc] = (totals[rc] ?? 0) + n;
  }
  return Math.max(...Object.entries(totals).map(([rc, n]) => Math.ceil(n / capacity[rc])));
}

/** 1% of allocations changed: a third grow their demand, a third are removed, a third are new. */
function changeOnePercent(spec: FleetSpec): FleetSpec {
  const rand = prng(99);
  const allocations: Record<string, AllocationSpec> = { ...spec.allocations };
  const names = Object.keys(allocations);
  const n = Math.floor(names.length / 100);
  for (let i = 0; i < n; i++) {
    const name = names[Math.floor(rand() * names.length)];
    const kind = i % 3;
    if (kind === 0 && allocations[name] !== undefined) {
      const a = allocations[name];
      allocations[name] = {
        ...a,
        demand: { ...a.demand, CUSTOM_SERVICE_SLOT: a.demand["CUSTOM_SERVICE_SLOT"] + 2 },
      };
    } else if (kind === 1) {
      delete allocations[name];
    } else {
      const src = allocations[names[i]] ?? Object.values(allocations)[0];
      allocations[`new-${i}`] = { ...src };
    }
  }
  return { ...spec, allocations };
}

export function main(): void {
  heading("core: plan (issue 2)");
  const spec = largeFleet({ pools: 20, maxPerPool: 800, allocations: 100_000, tenants: 5_000 });
  const a = timeRuns(RUNS, () => plan(spec));
  const first = a.last;
  if (!first.ok) throw new Error(`benchmark fleet did not plan: ${first.errors[0]?.message}`);
  const devices = Object.keys(first.devices).length;
  line(
    `(a) empty ledger: ${devices} devices, 100,000 allocations`,
    fmtMs(a.median),
    `${Math.round(100_000 / (a.median / 1000)).toLocaleString("en-US")} placements/s (target < 1.5 s)`,
  );
  const text = JSON.stringify(spec);
  const parse = timeRuns(RUNS, () => JSON.parse(text) as unknown);
  line(
    "    JSON.parse of the same spec",
    fmtMs(parse.median),
    `(a) is ${(a.median / parse.median).toFixed(1)}x (target < 10x)`,
  );
  line("    peak RSS of this process after (a)", `${peakRssMiB().toFixed(0)} MiB`, "(target < 1024 MiB)");

  // Headroom (issue 11): 5 shapes on the planned fleet, against the time of one plan (a).
  const shapes: HeadroomShape[] = [
    { demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 1000 } },
    { demand: { CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 2000 } },
    { demand: { CUSTOM_SERVICE_SLOT: 1, VCPU: 2 } },
    { demand: { CUSTOM_SERVICE_SLOT: 2, VCPU: 4 }, tenant: "tenant-7" },
    { demand: { CUSTOM_SERVICE_SLOT: 1 } },
  ];
  const h = timeRuns(RUNS, () => headroom(spec, first, shapes));
  const fits = h.last.reduce((n, s) => n + Object.values(s.pools).reduce((m, p) => m + p.upToMax.fits, 0), 0);
  line(
    "(h) headroom, 5 shapes (every pool and zone, up to `max`)",
    fmtMs(h.median),
    `${((100 * h.median) / a.median).toFixed(1)}% of (a) (target < 100%), ${fits.toLocaleString("en-US")} more fit at max`,
  );
  const distinct = specHeadroom(spec, first.ledger, {}).length;
  const fleetView = timeRuns(RUNS, () => specHeadroom(spec, first.ledger, {}));
  line(
    `    the spec's ${distinct} shapes (the Fleet's capacity.headroom)`,
    fmtMs(fleetView.median),
    `${((100 * fleetView.median) / a.median).toFixed(1)}% of (a)`,
  );

  const plusOne: FleetSpec = {
    ...spec,
    allocations: {
      ...spec.allocations,
      "svc-new": { tenant: "tenant-7", pools: ["p007"], demand: { CUSTOM_SERVICE_SLOT: 2, VCPU: 1 } },
    },
  };
  const b = timeRuns(RUNS, () => plan(plusOne, { previous: first.ledger }));
  const bChanges = b.last.changes.filter((c) => c.op !== "grow" && c.op !== "shrink").length;
  line(
    "(b) previous ledger + 1 new allocation",
    fmtMs(b.median),
    `${((100 * b.median) / a.median).toFixed(1)}% of (a) (target < 10%), ${bChanges} allocation change`,
  );

  const changed = changeOnePercent(spec);
  const c = timeRuns(RUNS, () => plan(changed, { previous: first.ledger }));
  const moves = c.last.changes.filter((x) => x.op === "move").length;
  line(
    "(c) previous ledger, 1% of allocations changed",
    fmtMs(c.median),
    `${((100 * c.median) / a.median).toFixed(1)}% of (a), ${c.last.changes.length} changes, ${moves} moves`,
  );

  for (const kind of ["uniform", "mixed"] as const) {
    const fleet = packingFleet(kind, 10_000);
    const result = plan(fleet);
    const used = devicesUsed(result);
    const bound = lowerBound(fleet, { CUSTOM_SERVICE_SLOT: 16, CUSTOM_THROUGHPUT_MBPS: 8000 });
    line(
      `(d) packing, ${kind} demand (10,000 allocations)`,
      `${used} devices`,
      `lower bound ${bound}, +${((100 * (used - bound)) / bound).toFixed(2)}% (target ${kind === "uniform" ? "= bound" : "<= 5%"})`,
    );
  }
}
