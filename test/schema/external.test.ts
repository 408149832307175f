import { describe, expect, it } from "vitest";
import { parseSpec } from "../../schema/loader";
import { problems } from "./helpers";

/** A fleet that owns `lb` and claims from `fw`, which fleet `infra` owns. */
const CLAIMER = `templates:
  lb:
    driver: docker
    capacity: { CUSTOM_SERVICE_SLOT: 4 }
    docker: { image: "haproxy:2.9" }
pools:
  lb:
    template: lb
  fw:
    external:
      fleet: infra
allocations:
  a:
    tenant: t1
    pools: [fw]
    demand: { CUSTOM_SERVICE_SLOT: 1 }
backend: { kind: placement, endpoint: "http://127.0.0.1:8778" }
`;

describe("external pools in the spec", () => {
  it("reads a pool with only `external`, `pool` left to default", () => {
    expect(parseSpec(CLAIMER, "fleet.yaml").pools).toEqual({
      lb: { template: "lb" },
      fw: { external: { fleet: "infra" } },
    });
  });

  it("reads the owning fleet's pool name", () => {
    const text = CLAIMER.replace("      fleet: infra\n", "      fleet: infra\n      pool: fw-shared\n");
    expect(parseSpec(text, "fleet.yaml").pools["fw"]).toEqual({
      external: { fleet: "infra", pool: "fw-shared" },
    });
  });

  it.each([
    [
      "`external` next to `template`",
      ["      fleet: infra\n", "      fleet: infra\n    template: lb\n"],
      [
        "fleet.yaml:9:3: pools.fw: has `external` and `template`, which do not make one of `{ template, standby, min, max, size, strategy, zones, antiAffinity, devices, disruptionBudget, maxUnhealthyShare, rebalance }` or `{ external }`: keep the fields of exactly one",
      ],
    ],
    [
      "a misspelt field of `external`",
      ["      fleet: infra\n", "      fleet: infra\n      poool: fw\n"],
      ["fleet.yaml:12:7: pools.fw.external.poool: unknown field `poool`: did you mean `pool`?"],
    ],
    [
      "`external` without `fleet`",
      ["      fleet: infra\n", "      pool: fw\n"],
      ["fleet.yaml:10:5: pools.fw.external: missing required field `fleet`: add `fleet: infra`"],
    ],
    [
      "an owning fleet that is not a name",
      ["      fleet: infra\n", "      fleet: Infra_1\n"],
      [
        "fleet.yaml:11:14: pools.fw.external.fleet: `Infra_1` is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or `-`: use `infra-1`",
      ],
    ],
    [
      "the state backend",
      ['backend: { kind: placement, endpoint: "http://127.0.0.1:8778" }\n', ""],
      [
        "fleet.yaml:1:1: backend: pool `fw` is owned by another fleet and can only be claimed through OpenStack Placement, but `backend.kind` is `state` (the default): set `backend: { kind: placement }` (with `endpoint` or `cloud`), or own the pool here with `template` instead of `external`",
      ],
    ],
    [
      "a pin in an external pool",
      ["    pools: [fw]\n", "    pools: [fw]\n    device: fw-0\n"],
      [
        "fleet.yaml:16:13: allocations.a.device: allocation `a` is pinned to device `fw-0`, but pool `fw` is external (owned by fleet `infra`), and Placement chooses the device in another fleet's pool: remove `device`, or pin to a device of a pool this fleet owns",
      ],
    ],
  ])("reports %s", (_name, [from, to], expected) => {
    expect(CLAIMER.includes(from)).toBe(true);
    expect(problems(CLAIMER.replace(from, to))).toEqual(expected);
  });

  it("still reports a misspelt field and a bad value of an owned pool, both", () => {
    expect(
      problems(
        CLAIMER.replace("    template: lb\n", "    template: lb\n    standbye: 2\n    strategy: packed\n"),
      ),
    ).toEqual([
      "fleet.yaml:9:5: pools.lb.standbye: unknown field `standbye`: did you mean `standby`?",
      "fleet.yaml:10:15: pools.lb.strategy: must be one of `pack`, `spread`, not `packed`: did you mean `pack`?",
    ]);
  });
});
