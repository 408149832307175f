/**
 * Differential test: for random small fleets with random usage, the devices the core considers
 * candidates for a request (core/inventory.ts `fits` per resource class, plus the trait, pool and
 * zone rules of DESIGN §3) are exactly the providers a real Placement returns from
 * `GET /allocation_candidates` for the same request.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fits } from "../../../core/inventory";
import { ledgerDevices } from "../../../core/model";
import { plan } from "../../../core/plan";
import type { AllocationSpec, FleetSpec, InventorySpec, PlanResult } from "../../../core/types";
import { candidateQuery, withKnownTraits } from "../../../provider/placement/claim";
import { ownedDevice, poolAggregate, providerUuid } from "../../../provider/placement/ids";
import { syncFleet } from "../../../provider/placement/sync";
import { usePlacementServer } from "./helpers";

const server = usePlacementServer();

const RCS = ["CUSTOM_SERVICE_SLOT", "CUSTOM_THROUGHPUT_MBPS"] as const;
const TRAITS = ["CUSTOM_A", "CUSTOM_B", "HW_NIC_SRIOV"] as const;
const ZONES = ["az1", "az2"] as const;

const inventory: fc.Arbitrary<InventorySpec> = fc
  .record({
    total: fc.integer({ min: 2, max: 10 }),
    reserved: fc.constantFrom(0, 0, 0, 1, 2),
    minUnit: fc.constantFrom(1, 1, 1, 2),
    maxUnitExtra: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    stepSize: fc.constantFrom(1, 1, 1, 2),
    allocationRatio: fc.constantFrom(1, 1, 1.5, 2, 0.5, 0.3),
  })
  .map((r) => ({
    total: r.total,
    reserved: Math.min(r.total, r.reserved),
    minUnit: r.minUnit,
    ...(r.maxUnitExtra === undefined ? {} : { maxUnit: r.minUnit + r.maxUnitExtra }),
    stepSize: r.stepSize,
    allocationRatio: r.allocationRatio,
  }));

const traitSet = fc.subarray([...TRAITS]);

const fleetArb: fc.Arbitrary<FleetSpec> = fc
  .array(
    fc.record({
      capacity: fc.record({
        CUSTOM_SERVICE_SLOT: inventory,
        CUSTOM_THROUGHPUT_MBPS: fc.option(inventory, { nil: undefined }),
      }),
      traits: traitSet,
      size: fc.integer({ min: 1, max: 3 }),
      zones: fc.constantFrom<string[] | undefined>(undefined, ["az1"], ["az1", "az2"]),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((pools) => {
    const spec: FleetSpec = { templates: {}, pools: {}, allocations: {} };
    pools.forEach((p, i) => {
      const capacity: Record<string, InventorySpec> = { CUSTOM_SERVICE_SLOT: p.capacity.CUSTOM_SERVICE_SLOT };
      if (p.capacity.CUSTOM_THROUGHPUT_MBPS !== undefined)
        capacity.CUSTOM_THROUGHPUT_MBPS = p.capacity.CUSTOM_THROUGHPUT_MBPS;
      spec.templates[`t${i}`] = { driver: "docker", capacity, traits: p.traits, docker: { image: "x" } };
      spec.pools[`p${i}`] = {
        template: `t${i}`,
        size: p.size,
        ...(p.zones === undefined ? {} : { zones: p.zones }),
      };
    });
    return spec;
  });

/** `undefined` three times out of four. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
}

const oneTrait = rarely(fc.constantFrom(...TRAITS)).map((t) => (t === undefined ? [] : [t]));

const requestArb: fc.Arbitrary<AllocationSpec> = fc
  .record({
    slots: fc.integer({ min: 1, max: 3 }),
    mbps: rarely(fc.integer({ min: 1, max: 3 })),
    require: oneTrait,
    forbid: oneTrait,
    requireAny: rarely(fc.subarray([...TRAITS], { minLength: 1, maxLength: 2 })),
    zone: rarely(fc.constantFrom(...ZONES)),
    pools: rarely(fc.subarray(["p0", "p1", "p2"], { minLength: 1 })),
  })
  .map((r) => {
    const out: AllocationSpec = {
      tenant: "t",
      demand:
        r.mbps === undefined
          ? { CUSTOM_SERVICE_SLOT: r.slots }
          : { CUSTOM_SERVICE_SLOT: r.slots, CUSTOM_THROUGHPUT_MBPS: r.mbps },
      require: r.require,
      forbid: r.forbid.filter((t) => !r.require.includes(t)),
      requireAny: r.requireAny === undefined ? [] : [r.requireAny],
    };
    if (r.zone !== undefined) out.zone = r.zone;
    if (r.pools !== undefined) out.pools = r.pools;
    return out;
  });

/** The plan of a fleet of fixed-size pools and no allocations: what sync needs to register devices. */
function devicesOnly(spec: FleetSpec): PlanResult {
  const result = plan(spec);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  return result;
}

let run = 0;

describe("core candidates against Placement's allocation candidates", () => {
  it("agree on every device for random fleets, usage and requests", async () => {
    const { client } = server.client();
    for (const rc of RCS) await client.ensureResourceClass(rc);
    await fc.assert(
      fc.asyncProperty(
        fleetArb,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...RCS), fc.integer({ min: 1, max: 3 })), {
          maxLength: 6,
        }),
        fc.array(requestArb, { minLength: 3, maxLength: 3 }),
        async (spec, usage, requests) => {
          const fleet = `diff${run++}`;
          const result = devicesOnly(spec);
          await syncFleet(client, { fleet, spec, result });
          const devices = ledgerDevices(spec, result.ledger);
          // Random usage, written straight to Placement; whatever it refuses simply does not exist.
          for (const [k, [pick, rc, amount]] of usage.entries()) {
            const d = devices[pick % devices.length];
            if (d.inventory[rc] === undefined) continue;
            await client
              .putAllocations(
                `00000000-0000-4000-8000-${String(run).padStart(6, "0")}${String(k).padStart(6, "0")}`,
                {
                  allocations: { [providerUuid(fleet, d.name)]: { resources: { [rc]: amount } } },
                  project_id: "p",
                  user_id: "u",
                  consumer_generation: null,
                  consumer_type: "TEST",
                },
              )
              .catch(() => undefined);
          }
          const used = new Map<string, Record<string, number>>();
          for (const d of devices)
            used.set(d.name, (await client.getProviderUsages(providerUuid(fleet, d.name))).usages);
          const known = new Set(await client.listTraits({ name: `in:${TRAITS.join(",")}` }));

          for (const req of requests) {
            const pools = (req.pools ?? Object.keys(spec.pools)).filter((p) => spec.pools[p] !== undefined);
            const core = devices
              .filter((d) => pools.includes(d.pool))
              .filter((d) => req.zone === undefined || d.zone === req.zone)
              .filter((d) =>
                Object.entries(req.demand).every(
                  ([rc, n]) =>
                    d.inventory[rc] !== undefined && fits(d.inventory[rc], used.get(d.name)?.[rc] ?? 0, n),
                ),
              )
              .filter((d) => (req.require ?? []).every((t) => d.traits.includes(t)))
              .filter((d) => !(req.forbid ?? []).some((t) => d.traits.includes(t)))
              .filter((d) => (req.requireAny ?? []).every((any) => any.some((t) => d.traits.includes(t))))
              .map((d) => d.name)
              .sort();
            let placement: string[] = [];
            const askable = withKnownTraits(req, known);
            if (pools.length > 0 && askable !== null) {
              const targets = pools.map((p) => ({ fleet, pool: p, aggregate: poolAggregate(fleet, p) }));
              const answer = await client.allocationCandidates(candidateQuery(askable, targets, 1000));
              const byUuid = new Map(devices.map((d) => [providerUuid(fleet, d.name), d.name]));
              placement = answer.allocation_requests
                .map((r) => Object.keys(r.allocations))
                .map((rps) =>
                  rps.length === 1 ? (byUuid.get(rps[0]) ?? `foreign ${rps[0]}`) : `several ${rps.join(",")}`,
                )
                .sort();
            }
            expect({ fleet, request: req, placement }).toEqual({ fleet, request: req, placement: core });
          }
        },
      ),
      { numRuns: 30 },
    );
    // Every device the test registered was one of the fleets' own.
    expect((await client.listProviders()).every((p) => ownedDevice(p.name.split("-")[0], p) !== null)).toBe(
      true,
    );
  }, 120_000);
});
