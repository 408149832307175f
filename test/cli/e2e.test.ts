/**
 * The CLI end to end: `bin/servicevm.js` in a real subprocess, on the built package (dist/).
 * The build runs first when dist/ is missing or older than the sources.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanResult } from "../../core/types";
import { BIN, ensureBuilt, ROOT } from "./built";

/** shared/ sits beside the repository, here and in CI. */
const STRATIFY = join(ROOT, "..", "shared", "fixtures", "pulumi", "stratify-stack-export.json");
const EXAMPLES = ["nfv-edge", "docker-lab", "physical-appliances", "mixed"];
const example = (name: string): string => join("examples", name, "fleet.yaml");

/** Runs the CLI as a user would; never rejects, whatever the exit code. */
function cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}) {
  return execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    input: opts.input,
    env: { NO_COLOR: "", ...opts.env },
    extendEnv: false,
    stripFinalNewline: false,
  });
}

describe("servicevm as a subprocess", () => {
  let dir: string;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "svm-e2e-"));
  }, 300_000);

  it.each(EXAMPLES)("validates and plans examples/%s with exit 0", async (name) => {
    const v = await cli(["validate", example(name)]);
    expect([v.exitCode, v.stderr]).toEqual([0, ""]);
    expect(v.stdout).toMatch(
      new RegExp(`^${example(name)}: valid \\(\\d+ templates, \\d+ pools, \\d+ allocations\\)\\n$`),
    );
    const p = await cli(["plan", example(name)]);
    expect([p.exitCode, p.stderr]).toEqual([0, ""]);
    expect(p.stdout.split("\n")[0]).toBe(`servicevm plan ${example(name)}: ok`);
  });

  it("exits 1 with file:line:col errors on an invalid spec", async () => {
    const broken = readFileSync(join(ROOT, example("docker-lab")), "utf8").replace(
      "strategy: spread",
      "strategy: spraed",
    );
    const r = await cli(["validate", "-"], { input: broken });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([
      1,
      "",
      "<stdin>:40:15: pools.lb.strategy: must be one of `pack`, `spread`, not `spraed`: did you mean `spread`?\n",
    ]);
  });

  it("exits 1 on an infeasible plan", async () => {
    const small = readFileSync(join(ROOT, example("docker-lab")), "utf8").replace("size: 3", "size: 1");
    const r = await cli(["plan", "-", "--format", "json"], { input: small });
    expect(r.exitCode).toBe(1);
    expect((JSON.parse(r.stdout) as PlanResult).ok).toBe(false);
    expect(r.stderr).toMatch(/^<stdin>:62:3: allocations\.team-red-ids: /);
  });

  it.each([
    [
      ["plan", "examples/nfv-edge/fleet.yaml", "--format", "yaml"],
      "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are text, markdown, json.\n(run `servicevm plan --help` for usage)\n",
    ],
    [["validate", "nope.yaml"], "servicevm: cannot read the spec `nope.yaml`: no such file\n"],
    [["frobnicate"], "error: unknown command 'frobnicate'\n(run `servicevm --help` for usage)\n"],
  ])("exits 2 on the usage error %j", async (args, stderr) => {
    const r = await cli(args);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([2, "", stderr]);
  });

  it("prints the version and help with exit 0", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect((await cli(["--version"])).stdout).toBe(`${pkg.version}\n`);
    const help = await cli(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("Usage: servicevm [options] [command]");
  });

  it("plans from stdin, and from --previous given as a plan output and as a stack export", async () => {
    const first = await cli(["plan", "-", "--format", "json"], {
      input: readFileSync(join(ROOT, example("mixed"))),
    });
    expect(first.exitCode).toBe(0);
    const previous = JSON.parse(first.stdout) as PlanResult;
    writeFileSync(join(dir, "plan.json"), first.stdout);
    const stack = JSON.parse(readFileSync(STRATIFY, "utf8")) as { deployment: { resources: object[] } };
    stack.deployment.resources.push({
      urn: "urn:pulumi:dev::sample::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::mixed-ledger",
      type: "pulumi-nodejs:dynamic/servicevm:Ledger",
      outputs: { ledger: previous.ledger },
    });
    writeFileSync(join(dir, "stack.json"), JSON.stringify(stack));
    for (const prev of ["plan.json", "stack.json"]) {
      const r = await cli(["plan", example("mixed"), "--previous", join(dir, prev), "--format", "json"]);
      expect(r.exitCode).toBe(0);
      const next = JSON.parse(r.stdout) as PlanResult;
      expect(next.placements).toEqual(previous.placements);
      expect(next.changes).toEqual([]);
    }
  });

  it("exits 2 when the stack export has no Ledger", async () => {
    const r = await cli(["plan", example("mixed"), "--previous", STRATIFY]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `servicevm: \`${STRATIFY}\` is a \`pulumi stack export\` document holding 17 resources and no servicevm Ledger (type \`pulumi-nodejs:dynamic/servicevm:Ledger\` or \`servicevm:index:Ledger\`): export the stack whose program creates the servicevm \`Fleet\`, or pass a \`servicevm plan --format json\` output\n`,
    );
  });

  it("writes no colour when NO_COLOR is set or stdout is a pipe", async () => {
    const r = await cli(["plan", example("docker-lab")], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("\u001b[");
  });
});
