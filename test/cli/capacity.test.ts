/**
 * `servicevm capacity` in-process (`main()` with injected streams), the comment rendered by GitHub's
 * own parser (`cmark-gfm`). The numbers themselves are checked against the planner in
 * test/core/headroom.test.ts; here: the command line, the documents and the exit codes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
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
const FLEET = join(ROOT, "examples", "headroom", "fleet.yaml");
const TEXT = readFileSync(FLEET, "utf8");

describe("servicevm capacity", () => {
  it("measures the spec's own shapes and prints one table per shape", async () => {
    const r = await run(["capacity", "-"], { stdin: TEXT });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(
      [
        "servicevm capacity <stdin>: ok",
        "  4 shapes from the spec's allocations; each new allocation a new tenant's",
        "  compared with no previous ledger (first plan)",
        "",
        "2 CUSTOM_SERVICE_SLOT, 2000 CUSTOM_THROUGHPUT_MBPS (2 allocations like it)",
        "  POOL  ZONE  DEVICES  NOW  AT MAX  BINDS FIRST",
        "  fw    all   2 of 6   4    20      CUSTOM_SERVICE_SLOT, then `max` 6",
        "  fw    az1   1 of 3   0    8       isolation contexts, then `max` 6",
        "  fw    az2   1 of 3   4    12      CUSTOM_SERVICE_SLOT, then `max` 6",
        "",
        "1 CUSTOM_SERVICE_SLOT, 2 VCPU (1 allocation like it)",
        "  POOL  ZONE  DEVICES  NOW  AT MAX  BINDS FIRST",
        "  lb    -     2 of 4   1    3       one tenant per device, then `max` 4",
        "",
        "60 CUSTOM_IPSEC_TUNNEL, 1 CUSTOM_SERVICE_SLOT (2 allocations like it)",
        "  POOL  ZONE  DEVICES  NOW  AT MAX  BINDS FIRST",
        "  vpn   -     2 of 2   4    4       CUSTOM_IPSEC_TUNNEL, then `size` 2",
        "",
        "1 CUSTOM_SERVICE_SLOT, 500 CUSTOM_THROUGHPUT_MBPS (2 allocations like it)",
        "  POOL  ZONE  DEVICES  NOW  AT MAX  BINDS FIRST",
        "  fw    all   2 of 6   4    20      isolation contexts, then `max` 6",
        "  fw    az1   1 of 3   0    8       isolation contexts, then `max` 6",
        "  fw    az2   1 of 3   4    12      isolation contexts, then `max` 6",
        "",
      ].join("\n"),
    );
  });

  it("writes the numbers as JSON with sorted keys: a tenant's own devices take more of its shape", async () => {
    const r = await run([
      "capacity",
      FLEET,
      "--shape",
      "CUSTOM_SERVICE_SLOT=1,VCPU=2",
      "--tenant",
      "acme",
      "--format",
      "json",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    // lb-0 hosts acme (1 of 4 slots, 2 of 8 VCPU): 3 more; lb-1 is idle: 4; lb-2 and lb-3 may come.
    const expected = {
      ok: true,
      errors: [],
      shapes: [
        {
          allocations: 0,
          demand: { CUSTOM_SERVICE_SLOT: 1, VCPU: 2 },
          tenant: "acme",
          pools: {
            lb: {
              template: "lb",
              devices: 2,
              maxDevices: 4,
              existing: { fits: 3 + 4, limit: "CUSTOM_SERVICE_SLOT" },
              upToMax: { fits: 3 + 4 + 2 * 4, limit: "max" },
              zones: {},
            },
          },
        },
      ],
    };
    expect(r.stdout).toBe(canonicalJson(expected));
  });

  it("measures each --shape given, in order", async () => {
    const r = await run([
      "capacity",
      FLEET,
      "--shape",
      "CUSTOM_SERVICE_SLOT=1,CUSTOM_THROUGHPUT_MBPS=8000",
      "--shape",
      "CUSTOM_SERVICE_SLOT=4",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { shapes: { pools: Record<string, { upToMax: unknown }> }[] };
    expect(doc.shapes.map((s) => Object.keys(s.pools))).toEqual([["fw"], ["fw", "lb", "vpn"]]);
    expect(doc.shapes[0].pools.fw.upToMax).toEqual({ fits: 0, limit: "CUSTOM_THROUGHPUT_MBPS:maxUnit" });
  });

  it("writes a pull-request comment whose tables GitHub renders as written", async () => {
    const r = await run(["capacity", FLEET, "--format", "markdown"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([
      `### servicevm capacity for \`${FLEET}\`: ok`,
      "",
      "**4 shapes from the spec's allocations; each new allocation a new tenant's**, compared with no previous ledger (first plan).",
    ]);
    const all = tables(cmark(r.stdout));
    expect(all.map((t) => t.head)).toEqual(
      Array(4).fill(["Pool", "Zone", "Devices", "Now", "At max", "Binds first"]),
    );
    expect(all[0].rows).toEqual([
      ["fw", "all", "2 of 6", "4", "20", "CUSTOM_SERVICE_SLOT, then max 6"],
      ["fw", "az1", "1 of 3", "0", "8", "isolation contexts, then max 6"],
      ["fw", "az2", "1 of 3", "4", "12", "CUSTOM_SERVICE_SLOT, then max 6"],
    ]);
    expect(all[0].html[0][5]).toBe("CUSTOM_SERVICE_SLOT, then <code>max</code> 6");
  });

  it("measures on the devices a previous plan recorded (--previous): they keep their zones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svm-capacity-"));
    // The previous plan had the zones the other way round: fw-0 was created in az2.
    const swapped = TEXT.replace("zones: [az1, az2]", "zones: [az2, az1]");
    const first = await run(["plan", "-", "--format", "json"], { stdin: swapped });
    expect(first.code).toBe(0);
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const r = await run(["capacity", FLEET, "--previous", join(dir, "plan.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(2, 9)).toEqual([
      `  compared with ${join(dir, "plan.json")}`,
      "",
      "2 CUSTOM_SERVICE_SLOT, 2000 CUSTOM_THROUGHPUT_MBPS (2 allocations like it)",
      "  POOL  ZONE  DEVICES  NOW  AT MAX  BINDS FIRST",
      "  fw    all   2 of 6   4    20      CUSTOM_SERVICE_SLOT, then `max` 6",
      "  fw    az1   1 of 3   4    12      CUSTOM_SERVICE_SLOT, then `max` 6",
      "  fw    az2   1 of 3   0    8       isolation contexts, then `max` 6",
    ]);
  });

  it("exits 1 on an infeasible plan: the error once, on stderr; JSON is still a complete document", async () => {
    const tight = TEXT.replace("    size: 2\n", "    size: 1\n").replace(
      "demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_IPSEC_TUNNEL: 60 }\n",
      "demand: { CUSTOM_SERVICE_SLOT: 4, CUSTOM_IPSEC_TUNNEL: 60 }\n",
    );
    const text = await run(["capacity", "-"], { stdin: tight });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(
      [
        "servicevm capacity <stdin>: failed",
        "  1 error (listed on stderr); no headroom without a plan",
        "  compared with no previous ledger (first plan)",
        "",
      ].join("\n"),
    );
    expect(text.stderr).toMatch(/^<stdin>:\d+:\d+: allocations\.globex-vpn: allocation `globex-vpn` /);
    expect(text.stderr.split("\n")).toHaveLength(2);
    const json = await run(["capacity", "-", "--format", "json"], { stdin: tight });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; shapes: unknown[]; errors: { path: string }[] };
    expect([doc.ok, doc.shapes, doc.errors.map((e) => e.path)]).toEqual([
      false,
      [],
      ["allocations.globex-vpn"],
    ]);
  });

  it("exits 1 on an invalid spec with each error as file:line:col", async () => {
    const r = await run(["capacity", "-"], { stdin: TEXT.replace("    standby: 1\n", "    standbye: 1\n") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^<stdin>:\d+:5: pools\.fw\.standbye: unknown field `standbye`: did you mean `standby`\?\n$/,
    );
  });
});

describe("servicevm capacity usage errors exit 2 with one line naming the flag, the rule and a fix", () => {
  it.each([
    [
      ["--shape", "VCPU"],
      "`--shape VCPU`: `VCPU` is not CLASS=N: give each resource class and its amount, e.g. `--shape CUSTOM_SERVICE_SLOT=2,VCPU=1`",
    ],
    [
      ["--shape", "vcpu=1"],
      "`--shape vcpu=1`: `vcpu` is not a resource class (a standard name such as `VCPU`, or `CUSTOM_[A-Z0-9_]+`): write `VCPU=1`",
    ],
    [
      ["--shape", "VCPU=0"],
      "`--shape VCPU=0`: the amount of VCPU must be a whole number from 1 to 2147483647, as a demand in the spec, not `0`: e.g. `VCPU=1`",
    ],
    [
      ["--shape", "VCPU=1.5"],
      "`--shape VCPU=1.5`: the amount of VCPU must be a whole number from 1 to 2147483647, as a demand in the spec, not `1.5`: e.g. `VCPU=1`",
    ],
    [
      ["--shape", "VCPU=1,VCPU=2"],
      "`--shape VCPU=1,VCPU=2`: VCPU is given twice: give each resource class once",
    ],
    [
      ["--shape", ""],
      "`--shape` is empty: give each resource class and its amount, e.g. `--shape CUSTOM_SERVICE_SLOT=2,VCPU=1`",
    ],
    [
      ["--shape", "VCPUS=2"],
      "`--shape VCPUS=2`: no pool of the spec has VCPUS inventory, so nothing of this shape fits anywhere: did you mean `VCPU`?",
    ],
    [
      ["--shape", "MEMORY_MB=512"],
      "`--shape MEMORY_MB=512`: no pool of the spec has MEMORY_MB inventory, so nothing of this shape fits anywhere: use one of `CUSTOM_IPSEC_TUNNEL`, `CUSTOM_SERVICE_SLOT`, `CUSTOM_THROUGHPUT_MBPS`, `VCPU`",
    ],
    [
      ["--tenant", ""],
      "`--tenant` must be 1 to 255 characters, as a tenant in the spec, not 0: pass the tenant's name",
    ],
    [
      ["--fleet", "edge"],
      "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too",
    ],
    [
      ["--previous", "/nonexistent/plan.json"],
      "cannot read the previous plan `/nonexistent/plan.json`: no such file",
    ],
  ])("servicevm capacity fleet.yaml %j", async (flags, message) => {
    expect(await run(["capacity", FLEET, ...flags])).toEqual({
      code: 2,
      stdout: "",
      stderr: `servicevm: ${message}\n`,
    });
  });

  it("rejects an unknown format through the option's choices", async () => {
    const r = await run(["capacity", FLEET, "--format", "yaml"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are text, markdown, json.\n(run `servicevm capacity --help` for usage)\n",
    });
  });

  it("still writes a complete JSON document on a usage error", async () => {
    const r = await run(["capacity", FLEET, "--shape", "VCPU", "--format", "json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      shapes: [],
      errors: [
        {
          path: "",
          file: "<command line>",
          line: 0,
          col: 0,
          message:
            "`--shape VCPU`: `VCPU` is not CLASS=N: give each resource class and its amount, e.g. `--shape CUSTOM_SERVICE_SLOT=2,VCPU=1`",
        },
      ],
    });
  });

  it("is listed in the help", async () => {
    const r = await run(["--help"]);
    expect(r.stdout).toMatch(/\n {2}capacity \[options\] <spec> +headroom: how many more allocations/);
  });
});

describe("servicevm capacity with a provider-plugin stack's recorded health and --health", () => {
  let dir: string;
  const at = (name: string): string => join(dir, name);
  /** The table of one 2-slot shape: `fw-a` has 1 free slot, `fw-b` 6, `fw-c` (rack2) 8. */
  const table = (all: string, rack2: string): string =>
    [
      "2 CUSTOM_SERVICE_SLOT",
      "  POOL  ZONE   DEVICES  NOW  AT MAX  BINDS FIRST",
      `  edge  all    3 of 3   ${all}`,
      "  edge  rack1  2 of 2   3    3       CUSTOM_SERVICE_SLOT, then declared devices",
      `  edge  rack2  1 of 1   ${rack2}`,
      "",
    ].join("\n");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-capacity-"));
    writeFileSync(at("fleet.yaml"), BREAKER_FLEET);
    // The standby appliance `fw-c` (8 free slots) failed its probe before the last `pulumi up`.
    const state = await pluginLedgerState(BREAKER_FLEET, { "fw-c": false });
    writeFileSync(at("stack.json"), stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state)));
    writeFileSync(at("healed.json"), '{ "fw-c": true }');
    writeFileSync(at("bad.json"), '{ "fw-c": "up" }');
  });

  it("counts no room on the device the plugin Ledger recorded unhealthy", async () => {
    const r = await run([
      "capacity",
      at("fleet.yaml"),
      "--previous",
      at("stack.json"),
      "--shape",
      "CUSTOM_SERVICE_SLOT=2",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.slice(r.stdout.indexOf("2 CUSTOM_SERVICE_SLOT"))).toBe(
      table(
        "3    3       CUSTOM_SERVICE_SLOT, then declared devices",
        "0    0       unhealthy devices, then declared devices",
      ),
    );
  });

  it("counts it again when --health says it is healthy", async () => {
    const r = await run([
      "capacity",
      at("fleet.yaml"),
      "--previous",
      at("stack.json"),
      "--health",
      at("healed.json"),
      "--shape",
      "CUSTOM_SERVICE_SLOT=2",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.slice(r.stdout.indexOf("2 CUSTOM_SERVICE_SLOT"))).toBe(
      table(
        "7    7       CUSTOM_SERVICE_SLOT, then declared devices",
        "4    4       CUSTOM_SERVICE_SLOT, then declared devices",
      ),
    );
  });

  it("exits 2 on a --health value that is not a boolean, with the complete JSON document", async () => {
    const file = at("bad.json");
    const message = `\`${file}\` (--health): \`fw-c\` is "up", not \`true\` or \`false\`: give each device \`false\` (unhealthy) or \`true\` (healthy), e.g. \`{ "fw-1": false }\``;
    const r = await run([
      "capacity",
      at("fleet.yaml"),
      "--previous",
      at("stack.json"),
      "--health",
      file,
      "--format",
      "json",
    ]);
    expect([r.code, r.stderr]).toEqual([2, `servicevm: ${message}\n`]);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      shapes: [],
      errors: [{ path: "", file, line: 0, col: 0, message }],
    });
  });
});
