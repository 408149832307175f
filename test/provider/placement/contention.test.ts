import { describe, expect, it } from "vitest";
import type { FleetSpec, PlanResult, PoolSpec } from "../../../core/types";
import { claimAllocations, candidateQuery, type ClaimReport } from "../../../provider/placement/claim";
import {
  claimUserId,
  consumerUuid,
  poolAggregate,
  projectId,
  providerUuid,
} from "../../../provider/placement/ids";
import { reconcileFleet } from "../../../provider/placement/reconcile";
import { syncFleet } from "../../../provider/placement/sync";
import { planOk, usePlacementServer } from "./helpers";

const server = usePlacementServer();

/** The owning fleet: pool `fw` of 5 devices with 2 slots each (10 slots). */
const infra: FleetSpec = {
  templates: {
    fw: {
      driver: "docker",
      capacity: { CUSTOM_SERVICE_SLOT: 2 },
      traits: ["CUSTOM_FW", "HW_NIC_SRIOV"],
      docker: { image: "vyos:1.4" },
    },
  },
  pools: { fw: { template: "fw", size: 5 } },
  allocations: {},
};

/** A claiming fleet: the same template, pool `fw` owned by `infra`, and two 1-slot allocations. */
function claimer(i: number): FleetSpec {
  const external: PoolSpec = { external: { fleet: "infra" } };
  return {
    templates: infra.templates,
    pools: { fw: external },
    allocations: {
      [`c${i}-a`]: {
        tenant: `tenant-${i}`,
        pools: ["fw"],
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        require: ["HW_NIC_SRIOV"],
        forbid: ["CUSTOM_LEGACY"],
      },
      [`c${i}-b`]: {
        tenant: `tenant-${i}`,
        pools: ["fw"],
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        require: ["HW_NIC_SRIOV"],
        forbid: ["CUSTOM_LEGACY"],
      },
    },
  };
}

const LEDGERS = 8;
const foreign = "0b5e6b5e-0000-4000-8000-0000000000aa";

describe("claims from a pool another fleet owns, through a real Placement", () => {
  const reports: ClaimReport[] = [];

  it("builds the candidates query from demand, traits, any-of traits, pools and zone", () => {
    const spec = claimer(0);
    const query = candidateQuery(
      { ...spec.allocations!["c0-a"], requireAny: [["CUSTOM_B", "CUSTOM_A"]], zone: "az1" },
      [{ fleet: "infra", pool: "fw", aggregate: poolAggregate("infra", "fw") }],
      7,
    );
    expect(query.resources).toBe("CUSTOM_SERVICE_SLOT:1");
    expect(query.required).toEqual(["HW_NIC_SRIOV,!CUSTOM_LEGACY", "in:CUSTOM_A,CUSTOM_B"]);
    expect((query.member_of as string[])[0]).toBe(`in:${poolAggregate("infra", "fw")}`);
    expect((query.member_of as string[]).length).toBe(2);
    expect(query.limit).toBe(7);
  });

  it("grants exactly the free capacity to 8 concurrent ledgers whose demand is twice that, and refuses the rest clearly", async () => {
    const { client } = server.client();
    await syncFleet(client, { fleet: "infra", spec: infra, result: planOk(infra) });
    // Another Placement user (Nova, say) already holds 2 of the 10 slots: 8 remain for 16 claims.
    await client.putAllocations(foreign, {
      allocations: { [providerUuid("infra", "fw-0")]: { resources: { CUSTOM_SERVICE_SLOT: 2 } } },
      project_id: "nova-project",
      user_id: "nova-user",
      consumer_generation: null,
      consumer_type: "INSTANCE",
    });

    const puts: string[] = [];
    const results = await Promise.all(
      Array.from({ length: LEDGERS }, (_, i) =>
        claimAllocations(server.client({ onRequest: (m, p) => (m === "PUT" ? puts.push(p) : 0) }).client, {
          fleet: `team-${i}`,
          spec: claimer(i),
          requests: [`c${i}-a`, `c${i}-b`],
          maxAttempts: 40,
        }),
      ),
    );
    reports.push(...results);
    // The claimers really raced: Placement refused writes whose candidate another claimer took first.
    expect(puts.length).toBeGreaterThan(8);
    const granted = results.flatMap((r) => Object.values(r.granted));
    const refused = results.flatMap((r) => Object.entries(r.refused));
    expect(granted.length).toBe(8);
    expect(refused.length).toBe(8);
    for (const [name, why] of refused) {
      expect(why).toMatch(
        new RegExp(
          `^allocation \`${name}\` needs 1 CUSTOM_SERVICE_SLOT with trait HW_NIC_SRIOV, no trait CUSTOM_LEGACY from pool \`fw\` \\(fleet \`infra\`\\); ` +
            "Placement has no provider there with that much free capacity.*; raise the pool's capacity in the owning fleet, release other claims, or lower the demand$",
        ),
      );
    }
    // Placement holds exactly the capacity, never more, on every device.
    for (let d = 0; d < 5; d++) {
      const usage = await client.getProviderUsages(providerUuid("infra", `fw-${d}`));
      expect(usage.usages).toEqual({ CUSTOM_SERVICE_SLOT: 2 });
    }
    // Each grant is what Placement has for that consumer.
    for (let i = 0; i < LEDGERS; i++) {
      for (const [name, g] of Object.entries(results[i].granted)) {
        const a = await client.getConsumerAllocations(consumerUuid(`team-${i}`, name));
        expect(a.allocations).toEqual({
          [g.provider]: { generation: expect.any(Number) as number, resources: { CUSTOM_SERVICE_SLOT: 1 } },
        });
        expect(a.project_id).toBe(projectId(`tenant-${i}`));
        expect(a.user_id).toBe(claimUserId(`team-${i}`));
      }
    }
  });

  it("keeps granted claims without writing when a ledger claims again", async () => {
    const i = reports.findIndex((r) => Object.keys(r.granted).length > 0);
    const again = server.client();
    const report = await claimAllocations(again.client, {
      fleet: `team-${i}`,
      spec: claimer(i),
      requests: Object.keys(reports[i].granted),
    });
    expect(Object.values(report.granted).every((g) => g.kept)).toBe(true);
    expect(again.writes()).toBe(0);
  });

  it("gives a released slot to a refused ledger on its next try, on another device than planned when that one is full", async () => {
    const winner = reports.findIndex((r) => Object.keys(r.granted).length > 0);
    const loser = reports.findIndex((r) => Object.keys(r.refused).length > 0);
    const released = Object.keys(reports[winner].granted)[0];
    const freed = reports[winner].granted[released].device;
    const { client } = server.client();
    const r1 = await claimAllocations(client, {
      fleet: `team-${winner}`,
      spec: claimer(winner),
      requests: [],
      release: [released],
    });
    expect(r1.released).toEqual([released]);
    const retry = Object.keys(reports[loser].refused)[0];
    const planned = freed === "fw-0" ? "fw-1" : "fw-0";
    const r2 = await claimAllocations(client, {
      fleet: `team-${loser}`,
      spec: claimer(loser),
      requests: [retry],
      planned: { [retry]: planned },
    });
    expect(r2.refused).toEqual({});
    expect(r2.granted[retry]).toEqual({
      fleet: "infra",
      pool: "fw",
      device: freed,
      provider: providerUuid("infra", freed),
      consumer: consumerUuid(`team-${loser}`, retry),
      kept: false,
      insteadOf: planned,
    });
  });

  it("refuses without asking for candidates when no device can match the traits, and says why", async () => {
    const spec = claimer(99);
    spec.allocations = {
      unknown: {
        tenant: "t",
        pools: ["fw"],
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        require: ["CUSTOM_NO_SUCH_TRAIT"],
      },
      conflict: {
        tenant: "t",
        pools: ["fw"],
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        forbid: ["CUSTOM_FW"],
        requireAny: [["CUSTOM_FW"]],
      },
      nowhere: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 }, pools: [] },
    };
    const counting = server.client();
    const report = await claimAllocations(counting.client, {
      fleet: "team-99",
      spec,
      requests: ["conflict", "nowhere", "unknown", "missing"],
    });
    expect(report.granted).toEqual({});
    expect(report.refused).toEqual({
      conflict:
        "allocation `conflict` needs 1 CUSTOM_SERVICE_SLOT with no trait CUSTOM_FW, one of CUSTOM_FW from pool `fw` (fleet `infra`); no provider can match: the allocation forbids a trait it also requires; fix `allocations.conflict`",
      missing: "allocation `missing` is not in the spec; add it under `allocations`",
      nowhere:
        "allocation `nowhere` has no external pool to claim from; list one in `allocations.nowhere.pools` or give a pool an `external` block",
      unknown:
        "allocation `unknown` needs 1 CUSTOM_SERVICE_SLOT with trait CUSTOM_NO_SUCH_TRAIT from pool `fw` (fleet `infra`); no provider can match: Placement does not know trait(s) CUSTOM_NO_SUCH_TRAIT; check the trait names or register them on the owning fleet's devices",
    });
    expect(counting.log.filter((l) => l.includes("allocation_candidates"))).toEqual([]);
    expect(counting.writes()).toBe(0);
  });

  it("leaves the claims alone when the owning fleet syncs again, and reports them as foreign usage", async () => {
    const counting = server.client();
    const { client } = counting;
    const report = await syncFleet(client, { fleet: "infra", spec: infra, result: planOk(infra) });
    expect(counting.writes()).toBe(0);
    expect(Object.values(report.foreign).flat().length).toBe(9);
    expect(report.foreign["fw-0"]).toContain(foreign);
  });

  it("reconciles a fleet that owns one pool and claims from another, and reports where Placement differed from the plan", async () => {
    const { client } = server.client();
    // Free one slot of the shared pool (a grant not released before): it is the only room left.
    const winner = reports.findLastIndex((r) => Object.keys(r.granted).length > 0);
    const [name, grant] = Object.entries(reports[winner].granted).at(-1)!;
    await claimAllocations(client, {
      fleet: `team-${winner}`,
      spec: claimer(winner),
      requests: [],
      release: [name],
    });
    const full = grant.device === "fw-1" ? "fw-2" : "fw-1";

    const spec: FleetSpec = {
      templates: infra.templates,
      pools: {
        own: { template: "fw", size: 1 },
        shared: { external: { fleet: "infra", pool: "fw" } },
      },
      allocations: {
        "own-a": { tenant: "blue", pools: ["own"], demand: { CUSTOM_SERVICE_SLOT: 2 } },
        "ext-a": { tenant: "blue", pools: ["shared"], demand: { CUSTOM_SERVICE_SLOT: 1 } },
        "ext-b": { tenant: "blue", pools: ["shared"], demand: { CUSTOM_SERVICE_SLOT: 1 } },
      },
    };
    const result: PlanResult = {
      ok: true,
      errors: [],
      pools: { own: { template: "fw", devices: ["own-0"], needed: 1, standby: 0 } },
      devices: {},
      placements: {
        "own-a": { device: "own-0", pool: "own", tenant: "blue", isolation: null },
        "ext-a": { device: full, pool: "shared", tenant: "blue", isolation: null },
        "ext-b": { device: full, pool: "shared", tenant: "blue", isolation: null },
      },
      changes: [],
      ledger: { version: 2, pools: { own: { devices: { "own-0": null }, source: {} } }, placements: {} },
    };
    const report = await reconcileFleet(client, { fleet: "mixed", spec, result });
    expect(report.sync.providers.created).toEqual(["own-0"]);
    expect(report.sync.consumers.written).toEqual(["own-a"]);
    expect(Object.keys(report.claims.granted).length + Object.keys(report.claims.refused).length).toBe(2);
    const granted = Object.keys(report.claims.granted)[0];
    const refused = Object.keys(report.claims.refused)[0];
    expect(report.differences).toEqual(
      [
        {
          allocation: granted,
          planned: full,
          placed: grant.device,
          reason: `device \`${full}\` of fleet \`infra\` no longer had room when applied (another stack or service took it); Placement granted \`${grant.device}\``,
        },
        { allocation: refused, planned: full, placed: null, reason: report.claims.refused[refused] },
      ].sort((a, b) => a.allocation.localeCompare(b.allocation)),
    );
    expect(report.claims.refused[refused]).toMatch(
      /^allocation `ext-[ab]` needs 1 CUSTOM_SERVICE_SLOT from pool `shared` \(fleet `infra`\); Placement has no provider there/,
    );
  });
});
