/**
 * `servicevm explain` in-process (`main()` with in-memory streams), the Markdown rendered by
 * GitHub's parser (`cmark-gfm`). The built `bin/servicevm.js` is exercised by the README's console
 * block, not here.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
import type { AllocationExplanation } from "../../core/explainAllocation";
import { cmark, tables } from "./cmark";
import { run } from "./io";
import {
  BREAKER_FLEET,
  ledgerResources,
  pluginLedgerState,
  PROVIDER_TOKENS,
  stackExport,
} from "./stackExport";

const ROOT = join(__dirname, "../..");
const NFV = join("examples", "nfv-edge", "fleet.yaml");
const nfv = (): string => join(ROOT, NFV);

/** Two tenants fill both devices of `web`; `x` needs 2 slots (and, with `trait`, a trait no template has). */
function stuck(trait = false): string {
  return [
    "templates:",
    "  lb:",
    "    driver: docker",
    "    capacity: { CUSTOM_SERVICE_SLOT: 4 }",
    "    tenancy: { mode: shared, isolation: namespace, contexts: { first: 1, last: 8 } }",
    '    docker: { image: "haproxy:2.9" }',
    "pools:",
    "  web: { template: lb, max: 2 }",
    "allocations:",
    "  a: { tenant: t1, demand: { CUSTOM_SERVICE_SLOT: 3 } }",
    "  b: { tenant: t2, demand: { CUSTOM_SERVICE_SLOT: 3 } }",
    `  x: { tenant: t3, demand: { CUSTOM_SERVICE_SLOT: 2 }${trait ? ", require: [CUSTOM_FAST]" : ""} }`,
    "",
  ].join("\n");
}

describe("servicevm explain, a placed allocation", () => {
  it("prints the devices in the planner's order with each one's verdict, and exits 0", async () => {
    const r = await run(["explain", nfv(), "globex-fw"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const lines = r.stdout.split("\n");
    // The heading names the spec and may wrap; what follows it does not depend on the path.
    const at = lines.findIndex((l) => l.startsWith("  Allocation"));
    expect(lines.slice(at, at + 6)).toEqual([
      "  Allocation `globex-fw` (tenant `globex`) needs 1 CUSTOM_SERVICE_SLOT, 500",
      "    CUSTOM_THROUGHPUT_MBPS in zone `edge-az1` with one of",
      "    `HW_NIC_SRIOV`/`CUSTOM_FW_HIGH_END`.",
      "  Placed on `fw-0` this plan: the lowest-numbered device of pool `fw` that fits",
      "    (pack).",
      "  Compared with no previous ledger (first plan).",
    ]);
    expect(r.stdout).toContain(
      [
        "  #   DEVICE  ZONE      VERDICT  WHY",
        "  1   fw-0    edge-az1  chosen   fits: the planner's choice",
        "  2   fw-1    edge-az2  refused  `fw-1` is in zone `edge-az2`, the allocation",
        "                                 requires `edge-az1`",
        "  3   fw-2    edge-az1  after    fits, but pack fills the lowest-numbered device",
        "                                 first (`fw-0`)",
      ].join("\n"),
    );
    expect(r.stdout.endsWith("Excluded\n  in zone `edge-az2` on 5 devices\n")).toBe(true);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it("writes the explanation as JSON with sorted keys", async () => {
    const r = await run(["explain", nfv(), "acme-vpn", "--format", "json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const e = JSON.parse(r.stdout) as AllocationExplanation;
    expect(r.stdout).toBe(canonicalJson(e));
    expect([e.status, e.device, e.pools.map((p) => p.strategy)]).toEqual(["placed", "vpn-0", ["spread"]]);
    expect(e.candidates.map((c) => [c.device, c.verdict])).toEqual([
      ["vpn-0", "chosen"],
      ["vpn-1", "after"],
      ["vpn-2", "after"],
      ["vpn-3", "after"],
    ]);
  });

  it("says an allocation stayed when given the previous plan", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svm-explain-"));
    const before = await run(["plan", nfv(), "--format", "json"]);
    writeFileSync(join(dir, "before.json"), before.stdout);
    const r = await run(["explain", nfv(), "acme-fw", "--previous", join(dir, "before.json")]);
    expect(r.code).toBe(0);
    // The heading names the spec's path, so it wraps where the checkout's path is long.
    const lines = r.stdout.split("\n");
    const heading = lines.slice(
      0,
      lines.findIndex((l) => l.startsWith("  Allocation")),
    );
    expect(heading.map((l) => l.trim()).join(" ")).toBe(`servicevm explain ${nfv()} acme-fw: kept on fw-0`);
    expect(r.stdout).toContain(
      "  Kept on `fw-0` since the previous ledger: it still fits and its constraints\n    hold.\n",
    );
  });

  it("renders as Markdown that GitHub's parser reads as two well-formed tables", async () => {
    const r = await run(["explain", nfv(), "acme-fw-standby", "--format", "markdown"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(
      `### servicevm explain \`acme-fw-standby\` in \`${nfv()}\`: placed on \`fw-1\``,
    );
    const [pools, devices] = tables(cmark(r.stdout));
    expect(pools.head).toEqual(["Pool", "Template", "Tier", "Strategy", "Devices", "Zones"]);
    expect(pools.rows).toEqual([["fw", "vfw-large", "1", "pack", "up to 10", "edge-az1, edge-az2"]]);
    expect(devices.head).toEqual(["#", "Device", "Zone", "Verdict", "Why"]);
    expect(devices.rows.slice(0, 2)).toEqual([
      ["1", "fw-0", "edge-az1", "refused", "anti-affinity group acme-ha already has a member on fw-0"],
      ["2", "fw-1", "edge-az2", "chosen", "fits: the planner's choice"],
    ]);
    for (const row of devices.rows) expect(row.length).toBe(5);
  });
});

describe("servicevm explain, an allocation that fits nowhere", () => {
  it("counts the exhausted class and prints the checked fix, and exits 0", async () => {
    const r = await run(["explain", "-", "x"], { stdin: stuck() });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(
      [
        "  #  DEVICE  ZONE  VERDICT  WHY",
        "  1  web-0   -     refused  capacity of CUSTOM_SERVICE_SLOT: needs 2, has 1 free",
        "  2  web-1   -     refused  capacity of CUSTOM_SERVICE_SLOT: needs 2, has 1 free",
        "",
        "Excluded",
        "  CUSTOM_SERVICE_SLOT exhausted on 2 devices",
        "",
        "Fixes, each checked by planning the changed spec (smallest first)",
        "  - lower `allocations.x.demand.CUSTOM_SERVICE_SLOT` from 2 to 1: places it on",
        "    `web-0`",
        "  - raise `pools.web.max` from 2 to 3 (1 device more): places it on `web-2`",
        "",
      ].join("\n"),
    );
  });

  it("prints no fix when no single change places it (a trait and capacity both missing)", async () => {
    const r = await run(["explain", "-", "x", "--format", "markdown"], { stdin: stuck(true) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "#### Excluded\n\nwithout trait `CUSTOM_FAST` on 2 devices\n\n#### Fixes, each checked by planning the changed spec (smallest first)\n\nNo single change to its pools, templates or constraints places it: see why the plan fails, above.\n",
    );
  });
});

describe("servicevm explain, errors", () => {
  it.each([
    [
      ["explain", NFV, "globex-f"],
      "servicevm: no allocation `globex-f` in `examples/nfv-edge/fleet.yaml`: did you mean `globex-fw`?\n",
    ],
    [
      ["explain", NFV, "zzz"],
      "servicevm: no allocation `zzz` in `examples/nfv-edge/fleet.yaml`: defined allocations: `acme-fw`, `acme-fw-standby`, `acme-vpn`, `globex-fw`, `globex-vpn`, `initech-fw`\n",
    ],
    [
      ["explain", NFV, "a", "--fleet", "edge"],
      "servicevm: `--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too\n",
    ],
    [
      ["explain", NFV],
      "error: missing required argument 'allocation'\n(run `servicevm explain --help` for usage)\n",
    ],
  ])("servicevm %j exits 2", async (argv, stderr) => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      expect(await run(argv)).toEqual({ code: 2, stderr, stdout: "" });
    } finally {
      process.chdir(cwd);
    }
  });

  it("exits 1 with one line per error for an invalid spec", async () => {
    const broken = readFileSync(nfv(), "utf8").replace("standby: 1\n    min: 2", "standby: 1\n    min: 20");
    const r = await run(["explain", "-", "acme-fw"], { stdin: broken });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").filter((l) => l !== "").length).toBeGreaterThan(0);
    expect(r.stderr.startsWith("<stdin>:")).toBe(true);
  });

  it("is listed in the help", async () => {
    const r = await run(["--help"]);
    expect(r.stdout).toMatch(/\n {2}explain \[options\] <spec> <allocation> +explain one allocation/);
  });
});

describe("servicevm explain with a provider-plugin stack's recorded health and --health", () => {
  let dir: string;
  const at = (name: string): string => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-explain-"));
    // The breaker at 50%: one unhealthy appliance of three is evacuated.
    writeFileSync(
      at("fleet.yaml"),
      BREAKER_FLEET.replace("maxUnhealthyShare: 0.25", "maxUnhealthyShare: 0.5"),
    );
    // Recorded under the 25% breaker: `globex-fw` and `initech-fw` stayed on the unhealthy `fw-a`.
    const state = await pluginLedgerState(BREAKER_FLEET, { "fw-a": false });
    writeFileSync(at("stack.json"), stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state)));
    writeFileSync(at("healed.json"), '{ "fw-a": true }');
    writeFileSync(at("bad.json"), "[]");
  });

  it("says the allocation moves off the device the plugin Ledger recorded unhealthy", async () => {
    const json = await run([
      "explain",
      at("fleet.yaml"),
      "globex-fw",
      "--previous",
      at("stack.json"),
      "--format",
      "json",
    ]);
    const e = JSON.parse(json.stdout) as AllocationExplanation;
    expect([e.status, e.device, e.previous, e.moveReason]).toEqual([
      "moved",
      "fw-c",
      "fw-a",
      "device unhealthy",
    ]);
    const r = await run(["explain", at("fleet.yaml"), "globex-fw", "--previous", at("stack.json")]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`servicevm explain ${at("fleet.yaml")} globex-fw: moved to fw-c`);
    expect(lines[2]).toBe("  Moved from `fw-a` to `fw-c`: device unhealthy.");
    const devices = lines.indexOf("Devices in the order the planner considers them");
    expect(lines.slice(devices + 1, devices + 6)).toEqual([
      "  #  DEVICE  ZONE   VERDICT  WHY",
      "  1  fw-a    rack1  refused  device unhealthy",
      "  2  fw-b    rack1  refused  capacity of CUSTOM_SERVICE_SLOT: needs 3, has 2",
      "                             free",
      "  3  fw-c    rack2  chosen   fits: the planner's choice",
    ]);
  });

  it("keeps it where it is when --health says the device is healthy", async () => {
    const r = await run([
      "explain",
      at("fleet.yaml"),
      "globex-fw",
      "--previous",
      at("stack.json"),
      "--health",
      at("healed.json"),
      "--format",
      "json",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const e = JSON.parse(r.stdout) as AllocationExplanation;
    expect([e.status, e.device, e.previous, e.moveReason]).toEqual(["kept", "fw-a", "fw-a", null]);
  });

  it("exits 2 on a --health file that is not an object", async () => {
    const file = at("bad.json");
    expect(
      await run(["explain", at("fleet.yaml"), "globex-fw", "--previous", at("stack.json"), "--health", file]),
    ).toEqual({
      code: 2,
      stdout: "",
      stderr: `servicevm: \`${file}\` (--health) is a list, not an object: give a JSON object of device names to \`false\` (unhealthy) or \`true\` (healthy), e.g. \`{ "fw-1": false }\`\n`,
    });
  });
});
