/** The deciding half of claims (claimPlan.ts) on plain data, without a Placement. */
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../../core/types";
import type { ProviderRecord } from "../../../provider/placement/client";
import {
  chooseCandidate,
  claimResources,
  grantOf,
  keptClaim,
  leftPending,
  locate,
  rankCandidates,
  targetsOf,
  targetsToList,
  lostRace,
  mentionedTraits,
  unclaimable,
} from "../../../provider/placement/claimPlan";
import { PlacementError } from "../../../provider/placement/errors";
import {
  CONSUMER_TYPE,
  PENDING_CONSUMER_TYPE,
  poolAggregate,
  providerUuid,
} from "../../../provider/placement/ids";

const spec = {
  templates: {
    fw: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 2 }, docker: { image: "vyos:1.4" } },
  },
  pools: { fw: { external: { fleet: "infra" } }, own: { template: "fw", size: 1 } },
  allocations: {
    x: {
      tenant: "t",
      demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_ZERO: 0 },
      require: ["CUSTOM_FW"],
      requireAny: [["A", "B"]],
    },
  },
} as unknown as FleetSpec;

function rec(device: string): ProviderRecord {
  const uuid = providerUuid("infra", device);
  return {
    uuid,
    name: `infra-${device}`,
    generation: 1,
    parent_provider_uuid: null,
    root_provider_uuid: uuid,
  };
}

const members = new Map(["fw-10", "fw-2", "fw-1"].map((d) => [rec(d).uuid, rec(d)]));
const targets = targetsOf(spec, spec.allocations!.x);
const where = (uuid: string) => locate(members, uuid, targets);

describe("claim decisions", () => {
  it("claims only from external pools, each listed once", () => {
    expect(targets).toEqual([{ fleet: "infra", pool: "fw", aggregate: poolAggregate("infra", "fw") }]);
    expect(targetsToList(spec, ["x", "x", "missing"])).toEqual(targets);
    expect(mentionedTraits(spec, ["x"])).toEqual(["A", "B", "CUSTOM_FW"]);
    expect(claimResources(spec.allocations!.x)).toEqual({ CUSTOM_SERVICE_SLOT: 1 });
  });

  it("refuses allocations that cannot be claimed, saying how to fix the spec", () => {
    expect(unclaimable("y", undefined, [])).toBe(
      "allocation `y` is not in the spec; add it under `allocations`",
    );
    expect(unclaimable("x", spec.allocations!.x, [])).toBe(
      "allocation `x` has no external pool to claim from; list one in `allocations.x.pools` or give a pool an `external` block",
    );
    expect(unclaimable("x", spec.allocations!.x, targets)).toBeNull();
  });

  it("ranks candidates in device order (`fw-2` before `fw-10`), ignoring non-members and multi-provider ones", () => {
    const one = (d: string) => ({ allocations: { [rec(d).uuid]: { resources: {} } } });
    const ranked = rankCandidates(
      {
        allocation_requests: [
          one("fw-10"),
          one("fw-2"),
          { allocations: { [rec("fw-1").uuid]: { resources: {} }, [rec("fw-2").uuid]: { resources: {} } } },
          { allocations: { "not-a-member": { resources: {} } } },
          one("fw-1"),
        ],
        provider_summaries: {},
      },
      where,
    );
    expect(ranked.map((c) => c.where.device)).toEqual(["fw-1", "fw-2", "fw-10"]);
    expect(chooseCandidate(ranked, 1, "fw-10", 0)?.where.device).toBe("fw-10");
    expect(chooseCandidate(ranked, 1, "fw-7", 0)?.where.device).toBe("fw-1");
    expect(chooseCandidate(ranked, 2, "fw-10", 0.5)?.where.device).toBe("fw-2");
    expect(grantOf(ranked[0], "c", "fw-10")).toEqual({
      fleet: "infra",
      pool: "fw",
      device: "fw-1",
      provider: rec("fw-1").uuid,
      consumer: "c",
      kept: false,
      insteadOf: "fw-10",
    });
  });

  it("keeps a claim already in place with exactly the resources asked for", () => {
    const held = {
      allocations: { [rec("fw-2").uuid]: { resources: { CUSTOM_SERVICE_SLOT: 1 } } },
      consumer_generation: 1,
    };
    expect(keptClaim(held, { CUSTOM_SERVICE_SLOT: 1 }, where, "c")).toEqual({
      fleet: "infra",
      pool: "fw",
      device: "fw-2",
      provider: rec("fw-2").uuid,
      consumer: "c",
      kept: true,
    });
    expect(keptClaim(held, { CUSTOM_SERVICE_SLOT: 2 }, where, "c")).toBeNull();
  });

  it("does not keep a pending claim: an earlier run left it unverified, so it is verified (or undone) instead", () => {
    const fw2 = rec("fw-2").uuid;
    const pending = {
      allocations: { [fw2]: { resources: { CUSTOM_SERVICE_SLOT: 1 } } },
      consumer_generation: 1,
      consumer_type: PENDING_CONSUMER_TYPE,
    };
    expect(keptClaim(pending, { CUSTOM_SERVICE_SLOT: 1 }, where, "c")).toBeNull();
    expect(leftPending(pending, { CUSTOM_SERVICE_SLOT: 1 }, where)).toEqual({
      provider: fw2,
      where: { target: targets[0], device: "fw-2" },
    });
    // Other resources than asked for now, or a provider outside the pools: undone, not verified.
    expect(leftPending(pending, { CUSTOM_SERVICE_SLOT: 2 }, where)).toEqual({ provider: fw2, where: null });
    const elsewhere = {
      ...pending,
      allocations: { "not-a-member": { resources: { CUSTOM_SERVICE_SLOT: 1 } } },
    };
    expect(leftPending(elsewhere, { CUSTOM_SERVICE_SLOT: 1 }, where)).toEqual({
      provider: "not-a-member",
      where: null,
    });
    expect(
      leftPending({ ...pending, consumer_type: CONSUMER_TYPE }, { CUSTOM_SERVICE_SLOT: 1 }, where),
    ).toBeNull();
    expect(
      leftPending({ allocations: {}, consumer_generation: null }, { CUSTOM_SERVICE_SLOT: 1 }, where),
    ).toBeNull();
  });

  it.each([
    { kind: "capacity-exceeded", lost: true },
    { kind: "generation-conflict", lost: true },
    { kind: "constraint-violation", lost: true },
    { kind: "bad-request", lost: false },
  ] as const)("treats `$kind` as a lost race: $lost", ({ kind, lost }) => {
    const info = {
      method: "PUT",
      path: "/x",
      status: 409,
      code: null,
      detail: "",
      requestId: null,
      attempts: 1,
    };
    expect(lostRace(new PlacementError(kind, info))).toBe(lost);
  });
});
