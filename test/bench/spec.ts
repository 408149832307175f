/**
 * Spec loading benchmark (issue 3 item 6): for fleets of 1,000 / 10,000 / 100,000 allocations,
 * the median of 5 runs of `yaml.parse` alone, of the loader (parse + schema + semantic checks) and
 * of `plan`, on the same text in the same run. Target: load + validate <= 2x parse.
 */
import { parse } from "yaml";

/**
 * The baseline: yaml.parse without its duplicate-key check, which compares every key with all
 * earlier ones (quadratic: minutes at 100,000 allocations). The loader finds duplicates in linear time.
 */
const PARSE_OPTIONS = { uniqueKeys: false } as const;
import { plan } from "../../core/plan";
import { parseSpec } from "../../schema/loader";

const RUNS = 5;
/** Per size: after 3 runs, stop once this much time has passed (the median of 3 is reported). */
const BUDGET_MS = 45_000;

/** A realistic fleet in block YAML: three shared templates, three pools, `n` allocations. */
export function benchSpecText(n: number): string {
  const lines: string[] = [
    "templates:",
    "  vfw:",
    "    driver: openstack",
    "    serviceTypes: [firewall]",
    "    capacity:",
    "      CUSTOM_SERVICE_SLOT: 64",
    "      CUSTOM_THROUGHPUT_MBPS: { total: 64000, stepSize: 100, minUnit: 100 }",
    "    traits: [HW_NIC_SRIOV]",
    "    tenancy: { mode: shared, isolation: vrf, contexts: { first: 1, last: 64 } }",
    "    openstack: { image: { name: vyos-1.4 }, flavor: { name: m1.large }, networks: [mgmt] }",
    "  lb:",
    "    driver: docker",
    "    serviceTypes: [load-balancer]",
    "    capacity: { CUSTOM_SERVICE_SLOT: 64 }",
    "    tenancy: { mode: shared, isolation: namespace, contexts: { first: 1, last: 64 } }",
    '    docker: { image: "haproxy:2.9", cpus: 1, memoryMb: 512 }',
    "pools:",
  ];
  const perPool = Math.ceil(n / 2 / 60) + 2;
  for (const [p, t] of [
    ["fw-a", "vfw"],
    ["fw-b", "vfw"],
    ["lb", "lb"],
  ] as const) {
    lines.push(
      `  ${p}:`,
      `    template: ${t}`,
      "    standby: 1",
      `    max: ${Math.min(10000, perPool)}`,
      "    zones: [az1, az2]",
    );
  }
  lines.push("allocations:");
  for (let i = 0; i < n; i++) {
    const tenant = `tenant-${i % 997}`;
    lines.push(`  alloc-${i}:`, `    tenant: ${tenant}`);
    if (i % 3 === 2) {
      lines.push("    serviceType: load-balancer", "    demand: { CUSTOM_SERVICE_SLOT: 1 }");
    } else {
      lines.push(
        "    serviceType: firewall",
        `    pools: [${i % 3 === 0 ? "fw-a" : "fw-b"}]`,
        `    demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: ${100 * (1 + (i % 5))} }`,
      );
      if (i % 10 === 0)
        lines.push(
          "    require: [HW_NIC_SRIOV]",
          `    networks: [{ network: net-${tenant}, subnet: sub-${tenant} }]`,
        );
    }
  }
  return `${lines.join("\n")}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface SpecBenchRow {
  allocations: number;
  bytes: number;
  runs: number;
  parseMs: number;
  loadMs: number;
  planMs: number;
  ratio: number;
}

/** Runs the benchmark for the given sizes and returns the medians. */
export function benchSpec(
  sizes: readonly number[] = [1_000, 10_000, 100_000],
  runs = RUNS,
  budgetMs = BUDGET_MS,
): SpecBenchRow[] {
  const rows: SpecBenchRow[] = [];
  for (const n of sizes) {
    const text = benchSpecText(n);
    const spec = parseSpec(text, `bench-${n}.yaml`);
    const check = plan(spec);
    if (!check.ok)
      throw new Error(`bench spec of ${n} allocations does not plan: ${check.errors[0]?.message ?? "?"}`);
    const parseT: number[] = [];
    const loadT: number[] = [];
    const planT: number[] = [];
    const started = Date.now();
    for (let r = 0; r < runs; r++) {
      parseT.push(time(() => parse(text, PARSE_OPTIONS)));
      loadT.push(time(() => parseSpec(text, `bench-${n}.yaml`)));
      planT.push(time(() => plan(spec)));
      // Keeps `npm run bench` well under two minutes on a busy 2-core machine.
      if (r >= 2 && Date.now() - started > budgetMs) break;
    }
    const parseMs = median(parseT);
    const loadMs = median(loadT);
    rows.push({
      allocations: n,
      bytes: text.length,
      runs: parseT.length,
      parseMs,
      loadMs,
      planMs: median(planT),
      ratio: loadMs / parseMs,
    });
  }
  return rows;
}

/** Prints the table; called by test/bench/run.ts (`npm run bench`). */
export async function main(): Promise<void> {
  await Promise.resolve();
  const rows = benchSpec();
  const out: string[] = [
    `spec load benchmark (median of ${RUNS} runs, 3 when a size takes over ${BUDGET_MS / 1000} s; target: load+validate <= 2x yaml.parse)`,
    "  allocations  size      runs  yaml.parse  load+validate  ratio  plan",
  ];
  for (const r of rows) {
    out.push(
      `  ${String(r.allocations).padStart(11)}  ${`${(r.bytes / 1e6).toFixed(1)} MB`.padEnd(8)}  ${String(r.runs).padStart(4)}  ${`${r.parseMs.toFixed(1)} ms`.padStart(10)}  ${`${r.loadMs.toFixed(1)} ms`.padStart(13)}  ${`${r.ratio.toFixed(2)}x`.padStart(5)}  ${r.planMs.toFixed(1)} ms${r.ratio > 2 ? "  (over target)" : ""}`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
