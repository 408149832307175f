import { describe, expect, it } from "vitest";
import { plan } from "../../core/plan";
import { poolUsage, renderMarkdown, renderText, summarize } from "../../core/report";
import type { FleetSpec } from "../../core/types";

const spec: FleetSpec = {
  templates: {
    fw: {
      driver: "docker",
      capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 1000 },
      tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 4 } },
      docker: { image: "vyos" },
    },
  },
  pools: { fw: { template: "fw", standby: 1, max: 2 } },
  allocations: {
    "acme-fw": { tenant: "acme", demand: { CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 300 } },
    "globex-fw": { tenant: "globex", demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 200 } },
  },
};

const failing: FleetSpec = {
  ...spec,
  allocations: { ...spec.allocations, huge: { tenant: "initech", demand: { CUSTOM_SERVICE_SLOT: 9 } } },
};

describe("renderText", () => {
  it("prints the verdict, changes, pool capacity and placements as aligned tables", () => {
    expect(renderText(plan(spec), { title: "fleet.yaml" })).toBe(`servicevm plan fleet.yaml: ok — 2 allocations on 1 of 2 devices; 2 to place, pool fw 0 -> 2

Changes
  OP     WHAT       WHERE                   WHY
  place  acme-fw    -> fw-0
  place  globex-fw  -> fw-0
  grow   pool fw    0 devices -> 2 devices

Pools
  POOL  TEMPLATE  DEVICES  BUSY  STANDBY  CUSTOM_SERVICE_SLOT  CUSTOM_THROUGHPUT_MBPS
  fw    fw        2        1     1        3/16 19%             500/2000 25%

Placements
  ALLOCATION  TENANT  DEVICE  POOL  ISOLATION
  acme-fw     acme    fw-0    fw    vrf 1
  globex-fw   globex  fw-0    fw    vrf 2
`);
  });

  it("lists every error of a failed plan first", () => {
    const text = renderText(plan(failing));
    expect(text.split("\n").slice(0, 4)).toEqual([
      "servicevm plan: failed — 1 error",
      "",
      "Errors",
      "  allocations.huge: allocation `huge` (tenant `initech`) needs 9 CUSTOM_SERVICE_SLOT; pool `fw` (`max` 2): 2 devices have at most 8 CUSTOM_SERVICE_SLOT free; raise `pools.fw.max` (2) or lower `allocations.huge.demand`",
    ]);
  });

  it("colours only when asked", () => {
    expect(renderText(plan(spec))).not.toContain("\u001b[");
    expect(renderText(plan(spec), { color: true }).split("\n")[0]).toBe(
      "\u001b[1mservicevm plan:\u001b[0m \u001b[32mok\u001b[0m — 2 allocations on 1 of 2 devices; 2 to place, pool fw 0 -> 2",
    );
  });

  it("cuts long lists and says how many rows were left out", () => {
    const lines = renderText(plan(spec), { maxRows: 1 }).split("\n");
    expect(lines).toContain("  ... and 2 more changes (use --format json for all)");
    expect(lines).toContain("  ... and 1 more placements (use --format json for all)");
  });
});

describe("renderMarkdown", () => {
  it("prints a complete pull-request comment", () => {
    expect(renderMarkdown(plan(spec), { title: "fleet.yaml" })).toBe(`### servicevm plan for \`fleet.yaml\`: ok

**2 to place, pool fw 0 -> 2**.

#### Changes

| Change | Allocation / pool | From | To | Reason |
|---|---|---|---|---|
| place | \`acme-fw\` |  | \`fw-0\` |  |
| place | \`globex-fw\` |  | \`fw-0\` |  |
| grow | \`pool fw\` | \`0 devices\` | \`2 devices\` |  |

#### Capacity

| Pool | Template | Devices | Busy | Standby | CUSTOM_SERVICE_SLOT used / total | CUSTOM_THROUGHPUT_MBPS used / total |
|---|---|---|---|---|---|---|
| \`fw\` | \`fw\` | 2 | 1 | 1 | 3 / 16 (19%), 13 free | 500 / 2000 (25%), 1500 free |

<details><summary>Placements (2)</summary>

| Allocation | Tenant | Device | Pool | Isolation |
|---|---|---|---|---|
| \`acme-fw\` | \`acme\` | \`fw-0\` | \`fw\` | vrf 1 |
| \`globex-fw\` | \`globex\` | \`fw-0\` | \`fw\` | vrf 2 |

</details>
`);
  });

  it("states that nothing is applied while errors remain", () => {
    expect(renderMarkdown(plan(failing)).split("\n").slice(0, 5)).toEqual([
      "### servicevm plan: failed",
      "",
      "**1 error** — nothing will be applied until they are fixed.",
      "",
      "- `allocations.huge`: allocation `huge` (tenant `initech`) needs 9 CUSTOM_SERVICE_SLOT; pool `fw` (`max` 2): 2 devices have at most 8 CUSTOM_SERVICE_SLOT free; raise `pools.fw.max` (2) or lower `allocations.huge.demand`",
    ]);
  });

  it("escapes pipes inside table cells", () => {
    const result = plan(spec);
    result.changes = [{ op: "move", allocation: "acme-fw", from: "fw-1", to: "fw-0", reason: "a | b" }];
    expect(renderMarkdown(result)).toContain("| move | `acme-fw` | `fw-1` | `fw-0` | a \\| b |");
  });
});

describe("device counts", () => {
  it("says 1 device, not 1 devices", () => {
    const one = renderText(plan({ ...spec, pools: { fw: { template: "fw", max: 2 } } }));
    expect(one).toContain("  grow   pool fw    0 devices -> 1 device");
  });
});

describe("summaries", () => {
  it("says no changes when a plan changes nothing", () => {
    const first = plan(spec);
    expect(summarize(plan(spec, { previous: first.ledger }))).toBe("no changes");
  });

  it("sums capacity per pool and resource class", () => {
    expect(poolUsage(plan(spec))).toEqual([
      {
        pool: "fw",
        template: "fw",
        devices: 2,
        busy: 1,
        standby: 1,
        unhealthy: 0,
        classes: { CUSTOM_SERVICE_SLOT: { capacity: 16, used: 3 }, CUSTOM_THROUGHPUT_MBPS: { capacity: 2000, used: 500 } },
      },
    ]);
  });
});
