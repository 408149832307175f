import { describe, expect, it } from "vitest";
import { plan } from "../../core/plan";
import { orderChanges, poolUsage, renderMarkdown, renderText, summarize, usageBar } from "../../core/report";
import { columns } from "../../core/report/textWidth";
import type { FleetSpec, PlanResult } from "../../core/types";
import { BASE, EVERY_KIND, FAILED, SPEC as spec, WITH_EVERY_KIND } from "./report.fixtures";

const width = (text: string): number => Math.max(...text.split("\n").map((l) => l.length));

describe("renderText", () => {
  it("prints the verdict, the summary, changes, pools, capacity and placements as aligned tables", () => {
    expect(renderText(plan(spec), { title: "fleet.yaml" })).toBe(`servicevm plan fleet.yaml: ok
  2 to place, pool fw 0 -> 2
  2 allocations on 1 of 2 devices; compared with no previous ledger (first plan)

Changes
  OP     WHAT       WHERE           DETAILS
  place  acme-fw    -> fw-0         tenant acme, vrf 1
  place  globex-fw  -> fw-0         tenant globex, vrf 2
  grow   pool fw    0 -> 2 devices  adds fw-0, fw-1; 1 busy device + \`standby\` 1

Pools
  POOL  TEMPLATE  DEVICES  BUSY  STANDBY
  fw    fw        2        1     1

Capacity
  POOL  CLASS                   USED / TOTAL  USE
  fw    CUSTOM_SERVICE_SLOT     3 / 16        ▓▓░░░░░░░░ 19%
  fw    CUSTOM_THROUGHPUT_MBPS  500 / 2000    ▓▓▓░░░░░░░ 25%

Placements
  ALLOCATION  TENANT  DEVICE  POOL  ISOLATION
  acme-fw     acme    fw-0    fw    vrf 1
  globex-fw   globex  fw-0    fw    vrf 2
`);
  });

  it("shows every kind of change with its details, destructive ones first", () => {
    const text = renderText(WITH_EVERY_KIND, { title: "fleet.yaml", previous: "plan.json" });
    expect(text.slice(0, text.indexOf("\nPools\n"))).toBe(`servicevm plan fleet.yaml: ok
  1 device to replace, 1 pool to remove, 1 to move, 1 to release, 1 device to
    update in place, 1 to change tenant, 1 to change isolation, 1 to place, 1 to
    resize, pools fw 1 -> 2, lb 3 -> 2
  1 allocation on 1 of 2 devices; compared with plan.json
  warning: 1 replaced device hosts 2 allocations (tenants acme, b): their
    services are down while the devices are re-created
  warning: 1 removed pool hosts 1 allocation (tenants globex): their services
    there stop when the devices are deleted
  warning: 1 resized device hosts 1 allocation (tenants acme): their services
    are down while the devices reboot (a flavor resize reboots the server)

Changes
  OP         WHAT      WHERE           DETAILS
  replace    fw-0      pool fw         re-created: image changed; not known
                                       until apply: userData; hosts acme-fw,
                                       b-fw (tenants acme, b)
  remove     pool old  2 -> 0 devices  removes old-0, old-1; pool \`old\` is no
                                       longer owned by the spec; hosts old-fw
                                       (tenants globex)
  move       d-fw      fw-3 -> fw-0    device \`fw-3\` removed; vrf 3 -> dedicated
  release    gone-fw   fw-0 ->         allocation removed from the spec
  shrink     pool lb   3 -> 2 devices  removes lb-2; 1 busy device + \`standby\` 1
  update     fw-0      pool fw         updated in place: flavor changed (a
                                       resize reboots it); hosts acme-fw
                                       (tenants acme)
  retenant   c-fw      on fw-0         tenant old -> new; vrf 4 -> vrf 5
  reisolate  b-fw      on fw-0         vrf 3 -> vrf 1; context 3 is outside
                                       \`templates.vfw.tenancy.contexts\`
  place      new-fw    -> fw-1         tenant initech, vrf 2
  grow       pool fw   1 -> 2 devices  adds fw-1 in az2; 1 busy device +
                                       \`standby\` 1
  resize     acme-fw   on fw-0         CUSTOM_SERVICE_SLOT 2 -> 3
`);
  });

  it("lists the errors of a failed plan once, no changes, and the placements as they stay", () => {
    expect(renderText({ ...FAILED, changes: EVERY_KIND }, { previous: "plan.json" }))
      .toBe(`servicevm plan: failed
  1 error (listed below); nothing changes
  compared with plan.json; the previous placements stay as they are

Errors
  allocations.huge: allocation \`huge\` (tenant \`initech\`) needs 9
    CUSTOM_SERVICE_SLOT; pool \`fw\` (\`max\` 2): 2 devices have at most 8
    CUSTOM_SERVICE_SLOT free; raise \`pools.fw.max\` (2) or lower
    \`allocations.huge.demand\`

Pools
  POOL  TEMPLATE  DEVICES  BUSY  STANDBY
  fw    vfw       2        1     1

Capacity
  POOL  CLASS                   USED / TOTAL  USE
  fw    CUSTOM_SERVICE_SLOT     3 / 16        ▓▓░░░░░░░░ 19%
  fw    CUSTOM_THROUGHPUT_MBPS  2000 / 20000  ▓░░░░░░░░░ 10%

Placements (unchanged)
  ALLOCATION  TENANT  DEVICE  POOL  ISOLATION
  acme-fw     acme    fw-0    fw    vrf 1
`);
  });

  it("only counts the errors when they are listed elsewhere, so each is printed once", () => {
    const text = renderText(FAILED, { title: "fleet.yaml", errorsElsewhere: "stderr" });
    expect(text.split("\n").slice(0, 4)).toEqual([
      "servicevm plan fleet.yaml: failed",
      "  1 error (listed on stderr); nothing changes",
      "  compared with no previous ledger (first plan); the previous placements stay as",
      "    they are",
    ]);
    expect(text).not.toContain("allocations.huge");
  });

  it("colours only when asked", () => {
    expect(renderText(plan(spec))).not.toContain("\u001b[");
    expect(renderText(plan(spec), { color: true }).split("\n").slice(0, 2)).toEqual([
      "\u001b[1mservicevm plan:\u001b[0m \u001b[32mok\u001b[0m",
      "  2 to place, pool fw 0 -> 2",
    ]);
  });

  it("cuts long lists and counts what was left out by kind", () => {
    const lines = renderText(WITH_EVERY_KIND, { maxRows: 9 }).split("\n");
    expect(lines).toContain("  ... and 2 more changes (1 grow, 1 resize; use --format json for all)");
    const many: PlanResult = {
      ...BASE,
      placements: {
        a: BASE.placements["acme-fw"],
        b: BASE.placements["acme-fw"],
        c: BASE.placements["acme-fw"],
      },
    };
    expect(renderText(many, { maxRows: 1 }).split("\n")).toContain(
      "  ... and 2 more placements (use --format json for all)",
    );
  });

  it("shortens long names in the middle, wraps long details, and says so, within 80 columns", () => {
    const long = (s: string): string => `${s}-${"x".repeat(60)}`.slice(0, 63);
    const result: PlanResult = {
      ...BASE,
      changes: [
        {
          op: "move",
          allocation: long("alloc"),
          from: long("from"),
          to: long("to"),
          reason: `demand no longer fits on \`${long("from")}\`: needs 6 CUSTOM_SERVICE_SLOT, 4 free`,
          isolation: { from: { kind: "vrf", id: 3 }, to: { kind: "vrf", id: 1 } },
        },
      ],
      placements: {
        [long("alloc")]: { device: long("to"), pool: "fw", tenant: long("tenant"), isolation: null },
      },
    };
    const text = renderText(result);
    expect(width(text)).toBe(80);
    expect(text.slice(text.indexOf("Changes"))).toBe(`Changes
  OP    WHAT                                 WHERE
  move  alloc-xxxxxxxxxxx…xxxxxxxxxxxxxxxxx  from-xx…xxxxxxx -> to-xxxxx…xxxxxxx
        demand no longer fits on
        \`${long("from")}\`: needs
        6 CUSTOM_SERVICE_SLOT, 4 free; vrf 3 -> vrf 1

Pools
  POOL  TEMPLATE  DEVICES  BUSY  STANDBY
  fw    vfw       2        1     1

Capacity
  POOL  CLASS                   USED / TOTAL  USE
  fw    CUSTOM_SERVICE_SLOT     3 / 16        ▓▓░░░░░░░░ 19%
  fw    CUSTOM_THROUGHPUT_MBPS  2000 / 20000  ▓░░░░░░░░░ 10%

Placements
  ALLOCATION           TENANT               DEVICE               POOL  ISOLATION
  alloc-xxx…xxxxxxxxx  tenant-xx…xxxxxxxxx  to-xxxxxx…xxxxxxxxx  fw    dedicated

Names shortened with … to fit 80 columns: --format json has them in full.
`);
  });

  it("makes control characters in names visible instead of sending them to the terminal", () => {
    const result: PlanResult = {
      ...BASE,
      placements: { "acme-fw": { ...BASE.placements["acme-fw"], tenant: "evil\u001b[31m\nco" } },
    };
    expect(renderText(result)).toContain("  acme-fw     evil\\u001b[31m\\nco  fw-0    fw    vrf 1\n");
  });
});

describe("renderText says what each change does", () => {
  /** A docker pool with `standby` 1 in two zones, and two tenants on dedicated devices. */
  const zoned = (zones: string[], tenants: [string, string] = ["t", "u"]): FleetSpec => ({
    templates: { gw: { driver: "docker", capacity: { CUSTOM_SLOT: 4 }, docker: { image: "x:1" } } },
    pools: { fw: { template: "gw", standby: 1, max: 6, zones } },
    allocations: {
      a: { tenant: tenants[0], demand: { CUSTOM_SLOT: 4 } },
      b: { tenant: tenants[1], demand: { CUSTOM_SLOT: 4 } },
    },
  });

  it("reads a zone removal's shrink and grow as steps, 3 -> 2 then 2 -> 3, and a kept isolation once", () => {
    const first = plan(zoned(["az1", "az2"]));
    const text = renderText(plan(zoned(["az1"]), { previous: first.ledger }));
    expect(text.slice(text.indexOf("  1 to move"), text.indexOf("\nPools\n")))
      .toBe(`  1 to move, pool fw 3 -> 3 (+1 -1)
  2 allocations on 2 of 3 devices; compared with no previous ledger (first plan)

Changes
  OP      WHAT     WHERE           DETAILS
  move    b        fw-1 -> fw-2    zone \`az2\` of \`fw-1\` was removed from
                                   \`pools.fw.zones\`; dedicated
  shrink  pool fw  3 -> 2 devices  removes fw-1; 2 busy devices + \`standby\` 1;
                                   \`fw-1\` retired: zone removed from
                                   \`pools.fw.zones\`
  grow    pool fw  2 -> 3 devices  adds fw-3 in az1; 2 busy devices + \`standby\`
                                   1
`);
  });

  it("prints an isolation that a move or a tenant change keeps once, and one that changes as before -> after", () => {
    const vrf = (id: number) => ({ kind: "vrf" as const, id });
    const result: PlanResult = {
      ...BASE,
      changes: [
        {
          op: "move",
          allocation: "a",
          from: "fw-0",
          to: "fw-1",
          reason: "r",
          isolation: { from: vrf(2), to: vrf(2) },
        },
        {
          op: "move",
          allocation: "b",
          from: "fw-0",
          to: "fw-1",
          reason: "r",
          isolation: { from: vrf(2), to: vrf(3) },
        },
        {
          op: "retenant",
          allocation: "c",
          device: "fw-0",
          from: "x",
          to: "y",
          isolation: { from: null, to: null },
        },
      ],
    };
    const text = renderText(result);
    expect(text.slice(text.indexOf("Changes"), text.indexOf("\nPools\n"))).toBe(`Changes
  OP        WHAT  WHERE         DETAILS
  move      a     fw-0 -> fw-1  r; vrf 2
  move      b     fw-0 -> fw-1  r; vrf 2 -> vrf 3
  retenant  c     on fw-0       tenant x -> y; dedicated
`);
  });

  it("shows a re-racked appliance's old and new zone and warns about its tenants", () => {
    const result: PlanResult = {
      ...BASE,
      changes: [
        {
          op: "update",
          pool: "edge",
          device: "rack1-fw01",
          changed: ["zone"],
          unknown: [],
          source: {},
          fromZone: "row1",
          zone: "row2",
          allocations: ["a-fw", "b-fw"],
          tenants: ["alpha", "bravo"],
        },
        {
          op: "update",
          pool: "edge",
          device: "rack1-fw02",
          changed: ["zone"],
          unknown: [],
          source: {},
          fromZone: null,
          zone: "row2",
          allocations: [],
          tenants: [],
        },
      ],
    };
    const text = renderText(result);
    expect(text.slice(text.indexOf("  warning"), text.indexOf("\nPools\n")))
      .toBe(`  warning: 1 re-racked device hosts 2 allocations (tenants alpha, bravo): their
    services are down while the devices move

Changes
  OP      WHAT        WHERE      DETAILS
  update  rack1-fw01  pool edge  re-racked: zone row1 -> row2; hosts a-fw, b-fw
                                 (tenants alpha, bravo)
  update  rack1-fw02  pool edge  re-racked: zone none -> row2; hosts nothing
`);
    expect(renderMarkdown(result)).toContain(
      "\n| ⚠️ **update** | `rack1-fw01` | pool `edge` | re-racked: zone `row1` -> `row2`; hosts `a-fw`, `b-fw` (tenants `alpha`, `bravo`) |\n| **update** | `rack1-fw02` | pool `edge` | re-racked: zone none -> `row2`; hosts nothing |\n",
    );
  });

  it("aligns its tables and fits 80 columns with East Asian wide tenant names", () => {
    const tenants = ["東京電力ホールディングス株式会社", "한국전력공사"] as [string, string];
    const text = renderText(plan(zoned(["az1"], tenants)), { title: "fleet.yaml" });
    expect(Math.max(...text.split("\n").map(columns))).toBeLessThanOrEqual(80);
    expect(text.slice(text.indexOf("Changes"), text.indexOf("  grow"))).toBe(`Changes
  OP     WHAT     WHERE           DETAILS
  place  a        -> fw-0         tenant 東京電力ホールディングス株式会社,
                                  dedicated
  place  b        -> fw-1         tenant 한국전력공사, dedicated
`);
    expect(text.slice(text.indexOf("Placements"))).toBe(`Placements
  ALLOCATION  TENANT                            DEVICE  POOL  ISOLATION
  a           東京電力ホールディングス株式会社  fw-0    fw    dedicated
  b           한국전력공사                      fw-1    fw    dedicated
`);
  });

  it("keeps the verdict on the heading's one line when the spec's path is long", () => {
    const title = "/srv/ci/checkouts/platform-network/environments/production-eu-west/fleet.yaml";
    const text = renderText(plan(spec), { title });
    expect(text.split("\n").slice(0, 2)).toEqual([
      "servicevm plan /srv/ci/checkouts/platform-net…/production-eu-west/fleet.yaml: ok",
      "  2 to place, pool fw 0 -> 2",
    ]);
  });
});

describe("summarize", () => {
  it("counts every kind of change, destructive kinds first, with pool sizes and claims", () => {
    expect(summarize({ ...WITH_EVERY_KIND, claims: { x: { fleet: "infra", pool: "fw" } } })).toBe(
      "1 device to replace, 1 pool to remove, 1 to move, 1 to release, 1 device to update in place, 1 to change tenant, 1 to change isolation, 1 to place, 1 to resize, pools fw 1 -> 2, lb 3 -> 2, 1 to claim from other fleets",
    );
  });

  it("lists a pool that both loses and gains devices once, with both counts", () => {
    expect(
      summarize({
        ok: true,
        errors: [],
        changes: [
          { op: "shrink", pool: "vpn", from: 2, to: 2, devices: ["vpn-0", "vpn-1"], reason: "zone removed" },
          {
            op: "grow",
            pool: "vpn",
            from: 2,
            to: 2,
            devices: [{ name: "vpn-2", zone: "b" }],
            reason: "r",
            source: {},
          },
        ],
      }),
    ).toBe("pool vpn 2 -> 2 (+1 -2)");
  });

  it("says a failed plan changes nothing", () => {
    expect(summarize(FAILED)).toBe("plan failed with 1 error: nothing changes");
  });

  it("says no changes when a plan changes nothing", () => {
    const first = plan(spec);
    expect(summarize(plan(spec, { previous: first.ledger }))).toBe("no changes");
  });
});

describe("orderChanges", () => {
  it("puts destructive changes first and keeps the planner's order within a kind", () => {
    expect(orderChanges([...EVERY_KIND, EVERY_KIND[0]]).map((c) => c.op)).toEqual([
      "replace",
      "remove",
      "move",
      "release",
      "shrink",
      "update",
      "retenant",
      "reisolate",
      "place",
      "place",
      "grow",
      "resize",
    ]);
  });
});

describe("capacity", () => {
  it("sums capacity per pool and resource class", () => {
    expect(poolUsage(plan(spec))).toEqual([
      {
        pool: "fw",
        template: "fw",
        devices: 2,
        busy: 1,
        standby: 1,
        unhealthy: 0,
        classes: {
          CUSTOM_SERVICE_SLOT: { total: 16, used: 3, free: 13 },
          CUSTOM_THROUGHPUT_MBPS: { total: 2000, used: 500, free: 1500 },
        },
      },
    ]);
  });

  it.each([
    [0, 10, "░░░░░░░░░░ 0%"],
    [3, 10, "▓▓▓░░░░░░░ 30%"],
    [6, 24, "▓▓▓░░░░░░░ 25%"],
    [10, 10, "▓▓▓▓▓▓▓▓▓▓ 100%"],
    [12, 10, "▓▓▓▓▓▓▓▓▓▓ 120%"],
    [0, 0, "-"],
  ])("draws %d of %d as %s", (used, capacity, bar) => {
    expect(usageBar(used, capacity)).toBe(bar);
  });
});
