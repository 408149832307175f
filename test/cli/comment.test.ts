/**
 * The pull-request comment and the terminal report as users get them: `bin/servicevm.js` on the
 * built package, the comment rendered by GitHub's own parser (`cmark-gfm`), the text measured
 * against 80 columns. GitHub's sanitizer, CSS and the comment API itself are not exercised.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { GITHUB_COMMENT_LIMIT } from "../../core/report";
import { BIN, ensureBuilt, ROOT } from "./built";
import { cmark, tables, type HtmlTable } from "./cmark";

const EXAMPLES = ["nfv-edge", "docker-lab", "physical-appliances", "mixed"];
const example = (name: string): string => join("examples", name, "fleet.yaml");

const HEADS = {
  changes: ["Change", "What", "Where", "Details"],
  pools: ["Pool", "Template", "Devices", "Busy", "Standby"],
  capacity: ["Pool", "Class", "Used / total", "Use"],
  placements: ["Allocation", "Tenant", "Device", "Pool", "Isolation"],
};

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    env: { NO_COLOR: "1" },
    extendEnv: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every body row has as many cells as its table's head. */
function wellFormed(all: HtmlTable[]): void {
  for (const t of all) for (const row of t.rows) expect(row.length).toBe(t.head.length);
}

const widest = (text: string): number => Math.max(...text.split("\n").map((l) => l.length));

/** The op of each changes-table row, without the bold and the warning sign. */
const ops = (t: HtmlTable): string[] => t.rows.map((r) => r[0].replace("⚠️ ", ""));

beforeAll(() => ensureBuilt(), 300_000);

describe("the comment of every example, as GitHub renders it", () => {
  it.each(EXAMPLES)("examples/%s: four well-formed tables", async (name) => {
    const r = await cli(["plan", example(name), "--format", "markdown"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const all = tables(cmark(r.stdout));
    expect(all.map((t) => t.head)).toEqual([HEADS.changes, HEADS.pools, HEADS.capacity, HEADS.placements]);
    wellFormed(all);
  });

  it("shows docker-lab's pools and capacity exactly", async () => {
    const r = await cli(["plan", example("docker-lab"), "--format", "markdown"]);
    const [, pools, capacity] = tables(cmark(r.stdout));
    expect(pools.rows).toEqual([
      ["ids", "ids", "3", "2", "1"],
      ["lb", "haproxy", "2", "1", "1"],
    ]);
    expect(capacity.rows).toEqual([
      ["ids", "CUSTOM_SERVICE_SLOT", "2 / 3", "▓▓▓▓▓▓▓░░░ 67%"],
      ["ids", "MEMORY_MB", "2048 / 6144", "▓▓▓░░░░░░░ 33%"],
      ["lb", "CUSTOM_CONNECTIONS", "16000 / 40000", "▓▓▓▓░░░░░░ 40%"],
      ["lb", "CUSTOM_SERVICE_SLOT", "4 / 8", "▓▓▓▓▓░░░░░ 50%"],
    ]);
  });
});

describe("a re-plan with replaced devices and moves", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-comment-"));
    const first = await cli(["plan", example("nfv-edge"), "--format", "json"]);
    expect(first.code).toBe(0);
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const spec = readFileSync(join(ROOT, example("nfv-edge")), "utf8")
      .replace("image: { name: vyos-1.4 }", "image: { name: vyos-1.5 }")
      .replace("zones: [edge-az1]\n", "zones: [edge-az2]\n");
    writeFileSync(join(dir, "fleet.yaml"), spec);
  });

  it("puts the replaced devices and the moves first, warns about the services on them, and says what it compared with", async () => {
    const previous = join(dir, "plan.json");
    const r = await cli(["plan", join(dir, "fleet.yaml"), "--previous", previous, "--format", "markdown"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.split("\n").slice(2, 5)).toEqual([
      `**3 devices to replace, 2 to move, pool vpn 2 -> 2 (+2 -2)**, compared with \`${previous}\`. 6 allocations on 3 of 5 devices.`,
      "",
      "> ⚠️ **Warning:** 2 replaced devices host 4 allocations (tenants `acme`, `globex`, `initech`): their services are down while the devices are re-created.",
    ]);
    const all = tables(cmark(r.stdout));
    wellFormed(all);
    expect(all[0].head).toEqual(HEADS.changes);
    expect(all[0].rows).toEqual([
      [
        "⚠️ replace",
        "fw-0",
        "pool fw",
        "re-created: image changed; hosts acme-fw, globex-fw, initech-fw (tenants acme, globex, initech)",
      ],
      ["⚠️ replace", "fw-1", "pool fw", "re-created: image changed; hosts acme-fw-standby (tenants acme)"],
      ["replace", "fw-2", "pool fw", "re-created: image changed; hosts nothing"],
      [
        "move",
        "acme-vpn",
        "vpn-0 -> vpn-2",
        "zone edge-az1 of vpn-0 was removed from pools.vpn.zones; vrf 100",
      ],
      [
        "move",
        "globex-vpn",
        "vpn-0 -> vpn-2",
        "zone edge-az1 of vpn-0 was removed from pools.vpn.zones; vrf 101",
      ],
      [
        "shrink",
        "pool vpn",
        "2 -> 0 devices",
        "removes vpn-0, vpn-1; 1 busy device + standby 1; vpn-0, vpn-1 retired: zone removed from pools.vpn.zones",
      ],
      [
        "grow",
        "pool vpn",
        "0 -> 2 devices",
        "adds vpn-2 in edge-az2, vpn-3 in edge-az2; 1 busy device + standby 1",
      ],
    ]);
  });

  it("fits the terminal report in 80 columns", async () => {
    const r = await cli(["plan", join(dir, "fleet.yaml"), "--previous", join(dir, "plan.json")]);
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
  });
});

describe("the terminal report of every example", () => {
  it.each(EXAMPLES)("examples/%s fits in 80 columns", async (name) => {
    const r = await cli(["plan", example(name)]);
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
  });
});

/** A name of exactly 63 characters (the longest the spec allows) ending in `-i`. */
function longName(prefix: string, i: number): string {
  const tail = `-${i}`;
  return `${prefix}-${"x".repeat(63)}`.slice(0, 63 - tail.length) + tail;
}

/** One pool of 8-slot shared devices and allocations `from`..`to - 1` of one slot each. */
function bigSpec(image: string, from: number, to: number): string {
  const template = longName("template", 0);
  const lines = [
    "templates:",
    `  ${template}:`,
    "    driver: openstack",
    "    capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 10000 }",
    "    tenancy: { mode: shared, isolation: vrf, contexts: { first: 1, last: 4000 } }",
    `    openstack: { image: { name: ${image} }, flavor: { name: m1.large }, networks: [mgmt] }`,
    "pools:",
    `  ${longName("pool", 0)}: { template: ${template}, standby: 1, max: 1000 }`,
    "allocations:",
  ];
  for (let i = from; i < to; i++)
    lines.push(
      `  ${longName("service", i)}: { tenant: ${longName("tenant", i % 40)}, demand: { CUSTOM_SERVICE_SLOT: 1 } }`,
    );
  return `${lines.join("\n")}\n`;
}

describe("a comment for 2,000 allocations with 63-character names", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-big-"));
    writeFileSync(join(dir, "first.yaml"), bigSpec("vyos-1.4", 0, 2000));
    const first = await cli(["plan", join(dir, "first.yaml"), "--format", "json"]);
    expect(first.code).toBe(0);
    writeFileSync(join(dir, "plan.json"), first.stdout);
    // 150 allocations leave and 150 arrive; then the image changes too.
    writeFileSync(join(dir, "churn.yaml"), bigSpec("vyos-1.4", 150, 2150));
    writeFileSync(join(dir, "image.yaml"), bigSpec("vyos-1.5", 150, 2150));
  }, 120_000);

  it("stays under GitHub's limit on the first plan and says what it left out", async () => {
    const r = await cli(["plan", join(dir, "first.yaml"), "--format", "markdown"]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(r.stdout).toMatch(/\n_… and [\d,]+ more changes not shown \([\d,]+ place, 1 grow\): /);
    expect(r.stdout).toContain("compared with no previous ledger (first plan).");
    wellFormed(tables(cmark(r.stdout)));
  });

  it("stays under the limit on a re-plan and puts every release before any place", async () => {
    const previous = join(dir, "plan.json");
    const r = await cli(["plan", join(dir, "churn.yaml"), "--previous", previous, "--format", "markdown"]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(r.stdout).toContain(`compared with \`${previous}\`.`);
    const all = tables(cmark(r.stdout));
    wellFormed(all);
    const shown = ops(all[0]);
    expect(shown.slice(0, 150)).toEqual(Array.from({ length: 150 }, () => "release"));
    expect(new Set(shown.slice(150))).toEqual(new Set(["place"]));
  });

  it("stays under the limit when every device is replaced, replaced devices first", async () => {
    const r = await cli([
      "plan",
      join(dir, "image.yaml"),
      "--previous",
      join(dir, "plan.json"),
      "--format",
      "markdown",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    const all = tables(cmark(r.stdout));
    wellFormed(all);
    const shown = ops(all[0]);
    expect(shown.length).toBeGreaterThan(10);
    expect(new Set(shown)).toEqual(new Set(["replace"]));
    const left = 251 - shown.length;
    expect(r.stdout).toContain(
      `\n_… and ${left + 300} more changes not shown (${left} replace, 150 release, 150 place): \`servicevm plan --format json\` has everything._\n`,
    );
  });

  it("fits the terminal report of the re-plan in 80 columns", async () => {
    const r = await cli(["plan", join(dir, "churn.yaml"), "--previous", join(dir, "plan.json")]);
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
  });
});
