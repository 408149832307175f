/**
 * `servicevm plan --format markdown|json` writes one complete document on stdout whatever goes
 * wrong, keeps one line per error on stderr and the exit code as the verdict.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
import { applyChanges } from "../../core/ledger";
import type { Ledger, PlanResult } from "../../core/types";
import { run } from "./io";

const ROOT = join(__dirname, "../..");
const NFV = join(ROOT, "examples", "nfv-edge", "fleet.yaml");
const DOCKER_LAB = readFileSync(join(ROOT, "examples", "docker-lab", "fleet.yaml"), "utf8");
const EMPTY: Ledger = { version: 2, pools: {}, placements: {} };

/** The JSON document of a plan that could not be made. */
function failedJson(errors: object[], ledger: object = EMPTY): string {
  return canonicalJson({
    ok: false,
    errors,
    changes: [],
    claims: {},
    devices: {},
    placements: {},
    pools: {},
    ledger,
    warnings: [],
  });
}

describe("servicevm plan when no plan can be made", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "svm-doc-"));
    writeFileSync(join(dir, "bad-ledger.json"), '{"version": 2, "pools": {"fw": 3}, "placements": {}}');
    writeFileSync(join(dir, "latin1.json"), Buffer.from([0x7b, 0xff, 0x7d]));
  });

  it("writes the Markdown comment of an unreadable --previous and exits 2", async () => {
    const missing = join(dir, "missing.json");
    expect(await run(["plan", NFV, "--previous", missing, "--format", "markdown"])).toEqual({
      code: 2,
      stdout: [
        `### servicevm plan for \`${NFV}\`: failed`,
        "",
        `**plan failed with 1 error: nothing changes**, compared with \`${missing}\`.`,
        "",
        "#### Errors",
        "",
        `- \`${missing}\`: cannot read the previous plan \`${missing}\`: no such file`,
        "",
      ].join("\n"),
      stderr: `servicevm: cannot read the previous plan \`${missing}\`: no such file\n`,
    });
  });

  it("writes the JSON document of a --previous that is not a ledger and exits 2", async () => {
    const file = join(dir, "bad-ledger.json");
    const message = `\`${file}\` (a ledger) is not a servicevm ledger: \`pools.fw\` is not \`{ devices, source }\`: pass a ledger, unmodified`;
    expect(await run(["plan", NFV, "--previous", file, "--format", "json"])).toEqual({
      code: 2,
      stdout: failedJson([{ path: "", message, file, line: 0, col: 0 }]),
      stderr: `servicevm: ${message}\n`,
    });
  });

  it("places a --previous that is not UTF-8 at its first bad byte", async () => {
    const file = join(dir, "latin1.json");
    const r = await run(["plan", NFV, "--previous", file, "--format", "json"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { errors: { file: string; line: number; col: number }[] };
    expect(doc.errors.map((e) => [e.file, e.line, e.col])).toEqual([[file, 1, 2]]);
  });

  it("writes the document of an unreadable spec and exits 2", async () => {
    const missing = join(dir, "missing.yaml");
    const message = `cannot read the spec \`${missing}\`: no such file`;
    expect(await run(["plan", missing, "--format", "json"])).toEqual({
      code: 2,
      stdout: failedJson([{ path: "", message, file: missing, line: 0, col: 0 }]),
      stderr: `servicevm: ${message}\n`,
    });
  });

  it("names the command line as the place of a flag that needs another", async () => {
    const message =
      "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too";
    expect(await run(["plan", NFV, "--fleet", "edge", "--format", "json"])).toEqual({
      code: 2,
      stdout: failedJson([{ path: "", message, file: "<command line>", line: 0, col: 0 }]),
      stderr: `servicevm: ${message}\n`,
    });
  });

  it("keeps stdout empty on a usage error in text, as every other command does", async () => {
    expect(await run(["plan", join(dir, "missing.yaml")])).toEqual({
      code: 2,
      stdout: "",
      stderr: `servicevm: cannot read the spec \`${join(dir, "missing.yaml")}\`: no such file\n`,
    });
  });

  it("writes every error of an invalid spec at its position, with the previous ledger, and exits 1", async () => {
    const first = await run(["plan", "-", "--format", "json"], { stdin: DOCKER_LAB });
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const previous = (JSON.parse(first.stdout) as PlanResult).ledger;
    const broken = DOCKER_LAB.replace("    standby: 1\n", "    standbye: 1\n").replace(
      "    template: ids\n",
      "    template: idz\n",
    );
    const r = await run(["plan", "-", "--previous", join(dir, "plan.json"), "--format", "json"], {
      stdin: broken,
    });
    expect(r).toEqual({
      code: 1,
      stdout: failedJson(
        [
          {
            path: "pools.lb.standbye",
            message: "unknown field `standbye`: did you mean `standby`?",
            file: "<stdin>",
            line: 38,
            col: 5,
          },
          {
            path: "pools.ids.template",
            message: "pool `ids` uses template `idz`, which is not defined: did you mean `ids`?",
            file: "<stdin>",
            line: 42,
            col: 15,
          },
        ],
        previous,
      ),
      stderr: [
        "<stdin>:38:5: pools.lb.standbye: unknown field `standbye`: did you mean `standby`?",
        "<stdin>:42:15: pools.ids.template: pool `ids` uses template `idz`, which is not defined: did you mean `ids`?",
        "",
      ].join("\n"),
    });
  });

  it("writes the Markdown comment of an invalid spec with each error at its position", async () => {
    const r = await run(["plan", "-", "--format", "markdown"], {
      stdin: DOCKER_LAB.replace("strategy: spread", "strategy: spraed"),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "### servicevm plan for `<stdin>`: failed",
        "",
        "**plan failed with 1 error: nothing changes**, compared with no previous ledger (first plan).",
        "",
        "#### Errors",
        "",
        "- `<stdin>:40:15` `pools.lb.strategy`: must be one of `pack`, `spread`, not `spraed`: did you mean `spread`?",
        "",
      ].join("\n"),
    );
  });
});

describe("servicevm plan of an infeasible spec", () => {
  it("writes the previous ledger and placements unchanged, no changes, and errors with positions", async () => {
    const first = await run(["plan", "-", "--format", "json"], { stdin: DOCKER_LAB });
    const previous = JSON.parse(first.stdout) as PlanResult;
    const dir = mkdtempSync(join(tmpdir(), "svm-doc-"));
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const r = await run(["plan", "-", "--previous", join(dir, "plan.json"), "--format", "json"], {
      stdin: DOCKER_LAB.replace("size: 3", "size: 1"),
    });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as PlanResult;
    expect(doc.ok).toBe(false);
    expect(doc.changes).toEqual([]);
    expect(doc.ledger).toEqual(previous.ledger);
    expect(doc.placements).toEqual(previous.placements);
    expect(doc.errors).toEqual([
      {
        path: "allocations.team-red-ids",
        message:
          "allocation `team-red-ids` (tenant `team-red`) needs 1 CUSTOM_SERVICE_SLOT, 1024 MEMORY_MB; pool `ids` (`size` 1): 1 device dedicated to other tenants; raise `pools.ids.size` from 1 to 2 (1 device more)",
        file: "<stdin>",
        line: 62,
        col: 3,
      },
    ]);
    expect(r.stdout).toBe(canonicalJson(doc));
    expect(r.stderr.split("\n").length).toBe(2);
  });
});

describe("servicevm plan's warnings about busy devices", () => {
  /** docker-lab with its `ids` pool renamed `sensors`: the `ids` containers go, with two tenants on them. */
  const RENAMED = DOCKER_LAB.replace("  ids:\n    template: ids", "  sensors:\n    template: ids").replaceAll(
    "pools: [ids]",
    "pools: [sensors]",
  );

  it("lists in JSON the pool whose busy devices a rename deletes, and the document still replays", async () => {
    const first = await run(["plan", "-", "--format", "json"], { stdin: DOCKER_LAB });
    const dir = mkdtempSync(join(tmpdir(), "svm-doc-"));
    writeFileSync(join(dir, "plan.json"), first.stdout);
    expect((JSON.parse(first.stdout) as { warnings: unknown }).warnings).toEqual([]);
    const r = await run(["plan", "-", "--previous", join(dir, "plan.json"), "--format", "json"], {
      stdin: RENAMED,
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as PlanResult & { warnings: unknown };
    expect(doc.warnings).toEqual([
      {
        allocations: ["team-blue-ids", "team-red-ids"],
        devices: ["ids-0", "ids-1", "ids-2"],
        message:
          "devices `ids-0`, `ids-1`, `ids-2` (pool `ids`) will be deleted (pool `ids` is no longer owned by the spec): they host `team-blue-ids`, `team-red-ids` of tenants `team-blue`, `team-red`",
        op: "remove",
        pool: "ids",
        tenants: ["team-blue", "team-red"],
      },
    ]);
    expect(doc.changes.find((c) => c.op === "remove")).toEqual({
      allocations: ["team-blue-ids", "team-red-ids"],
      devices: ["ids-0", "ids-1", "ids-2"],
      op: "remove",
      pool: "ids",
      reason: "pool `ids` is no longer owned by the spec",
      tenants: ["team-blue", "team-red"],
    });
    const previous = (JSON.parse(first.stdout) as PlanResult).ledger;
    expect(applyChanges(previous, doc.changes)).toEqual(doc.ledger);
    writeFileSync(join(dir, "renamed.json"), r.stdout);
    const again = await run(["plan", "-", "--previous", join(dir, "renamed.json"), "--format", "json"], {
      stdin: RENAMED,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ changes: [], ok: true, warnings: [] });
  });

  it("warns in text and Markdown, naming the tenants", async () => {
    const first = await run(["plan", "-", "--format", "json"], { stdin: DOCKER_LAB });
    const dir = mkdtempSync(join(tmpdir(), "svm-doc-"));
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const previous = join(dir, "plan.json");
    const text = await run(["plan", "-", "--previous", previous], { stdin: RENAMED });
    expect(text.stdout.split("\n").slice(1, 5)).toEqual([
      "  1 pool to remove, 2 to move, pool sensors 0 -> 3",
      `  5 allocations on 3 of 5 devices; compared with ${previous}`,
      "  warning: 1 removed pool hosts 2 allocations (tenants team-blue, team-red):",
      "    their services there stop when the devices are deleted",
    ]);
    const md = await run(["plan", "-", "--previous", previous, "--format", "markdown"], { stdin: RENAMED });
    expect(md.stdout).toContain(
      "\n> ⚠️ **Warning:** 1 removed pool hosts 2 allocations (tenants `team-blue`, `team-red`): their services there stop when the devices are deleted.\n",
    );
    expect(md.stdout).toContain(
      "\n| ⚠️ **remove** | pool `ids` | 3 -> 0 devices | removes `ids-0`, `ids-1`, `ids-2`; pool `ids` is no longer owned by the spec; hosts `team-blue-ids`, `team-red-ids` (tenants `team-blue`, `team-red`) |\n",
    );
  });
});
