import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical";
import type { PlanResult } from "../../core/types";
import { run } from "./io";

const ROOT = join(__dirname, "../..");
const example = (name: string): string => join(ROOT, "examples", name, "fleet.yaml");
const EXAMPLES = ["nfv-edge", "docker-lab", "physical-appliances", "mixed"];
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const DOCKER_LAB = readFileSync(example("docker-lab"), "utf8");
const ESC = "\u001b[";

describe("servicevm --help and --version", () => {
  it("prints the package version and exits 0", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("prints help listing every command and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: servicevm [options] [command]");
    expect(r.stdout).toMatch(/\n {2}validate <spec> +check a fleet spec/);
    expect(r.stdout).toMatch(/\n {2}plan \[options\] <spec> +plan a fleet/);
  });

  it("prints a command's help", async () => {
    const r = await run(["plan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--format <format>");
    expect(r.stdout).toContain('--format <format>    output format (choices: "text", "markdown", "json",');
  });

  it("prints help on stderr and exits 2 without a command", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: servicevm [options] [command]");
  });
});

describe("usage errors exit 2", () => {
  it.each([
    [["bogus"], "error: unknown command 'bogus'\n(run `servicevm --help` for usage)\n"],
    [["validate"], "error: missing required argument 'spec'\n(run `servicevm validate --help` for usage)\n"],
    [
      ["plan", "x.yaml", "--format", "yaml"],
      "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are text, markdown, json.\n(run `servicevm plan --help` for usage)\n",
    ],
    [
      ["plan", "x.yaml", "--formt", "json"],
      "error: unknown option '--formt'\n(Did you mean --format?)\n(run `servicevm plan --help` for usage)\n",
    ],
    [
      ["validate", "a.yaml", "b.yaml"],
      "error: too many arguments for 'validate'. Expected 1 argument but got 2.\n(run `servicevm validate --help` for usage)\n",
    ],
    [
      ["validate", "/nonexistent/fleet.yaml"],
      "servicevm: cannot read the spec `/nonexistent/fleet.yaml`: no such file\n",
    ],
    [["validate", ROOT], `servicevm: cannot read the spec \`${ROOT}\`: it is a directory\n`],
    [
      ["plan", "-", "--previous", "-"],
      "servicevm: only one input can be read from stdin (`-`), but the previous plan is `-` too: pass a file for one of them\n",
    ],
    [
      ["plan", "x.yaml", "--fleet", "edge"],
      "servicevm: `--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too\n",
    ],
  ])("servicevm %j", async (argv, stderr) => {
    expect(await run(argv, { stdin: DOCKER_LAB })).toEqual({ code: 2, stdout: "", stderr });
  });
});

describe("servicevm validate", () => {
  it.each([
    ["nfv-edge", "2 templates, 2 pools, 6 allocations"],
    ["docker-lab", "2 templates, 2 pools, 5 allocations"],
    ["physical-appliances", "2 templates, 2 pools, 5 allocations"],
    ["mixed", "3 templates, 3 pools, 5 allocations"],
  ])("accepts examples/%s and exits 0", async (name, counts) => {
    expect(await run(["validate", example(name)])).toEqual({
      code: 0,
      stdout: `${example(name)}: valid (${counts})\n`,
      stderr: "",
    });
  });

  it("prints every error as file:line:col: path: message on stderr and exits 1", async () => {
    const broken = DOCKER_LAB.replace("    standby: 1\n", "    standbye: 1\n").replace(
      "    template: ids\n",
      "    template: idz\n",
    );
    expect(await run(["validate", "-"], { stdin: broken })).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        "<stdin>:38:5: pools.lb.standbye: unknown field `standbye`: did you mean `standby`?",
        "<stdin>:42:15: pools.ids.template: pool `ids` uses template `idz`, which is not defined: did you mean `ids`?",
        "",
      ].join("\n"),
    });
  });

  it("reads the spec from stdin for -", async () => {
    expect(await run(["validate", "-"], { stdin: DOCKER_LAB })).toEqual({
      code: 0,
      stdout: "<stdin>: valid (2 templates, 2 pools, 5 allocations)\n",
      stderr: "",
    });
  });

  it("exits 1 on bytes that are not UTF-8", async () => {
    const r = await run(["validate", "-"], { stdin: Buffer.from([0x74, 0x3a, 0x20, 0xff, 0x0a]) });
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "<stdin>:1:4: byte 0xff at offset 3 is not valid UTF-8; fleet specs are UTF-8 text: save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)\n",
    });
  });
});

describe("servicevm plan", () => {
  it.each(EXAMPLES)("plans examples/%s and exits 0", async (name) => {
    const r = await run(["plan", example(name), "--format", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout) as PlanResult;
    expect(result.ok).toBe(true);
    expect(result.errors).toEqual([]);
    expect(r.stdout).toBe(canonicalJson(result));
    expect(r.stdout.endsWith("}\n")).toBe(true);
  });

  it("prints the text report without colour when stdout is not a terminal", async () => {
    const r = await run(["plan", example("docker-lab")], { tty: false });
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`servicevm plan ${example("docker-lab")}: ok`)).toBe(true);
    expect(r.stdout).not.toContain(ESC);
  });

  it("colours the text report on a terminal", async () => {
    const r = await run(["plan", example("docker-lab")], { tty: true });
    expect(r.stdout).toContain(`${ESC}1m`);
  });

  it.each([["1"], ["true"]])("honours NO_COLOR=%s on a terminal", async (value) => {
    const r = await run(["plan", example("docker-lab")], { tty: true, env: { NO_COLOR: value } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(ESC);
  });

  it("ignores an empty NO_COLOR, as no-color.org says", async () => {
    const r = await run(["plan", example("docker-lab")], { tty: true, env: { NO_COLOR: "" } });
    expect(r.stdout).toContain(ESC);
  });

  it("prints a Markdown pull-request comment", async () => {
    const r = await run(["plan", "-", "--format", "markdown"], { stdin: DOCKER_LAB });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("### servicevm plan for `<stdin>`: ok");
  });

  it("exits 1 on an infeasible plan, says so on stdout and lists each error once, on stderr", async () => {
    const r = await run(["plan", "-"], { stdin: DOCKER_LAB.replace("size: 3", "size: 1") });
    expect(r).toEqual({
      code: 1,
      stdout: [
        "servicevm plan <stdin>: failed",
        "  1 error (listed on stderr); nothing changes",
        "  compared with no previous ledger (first plan)",
        "",
      ].join("\n"),
      stderr:
        "<stdin>:62:3: allocations.team-red-ids: allocation `team-red-ids` (tenant `team-red`) needs 1 CUSTOM_SERVICE_SLOT, 1024 MEMORY_MB; pool `ids` (`size` 1): 1 device dedicated to other tenants; raise `pools.ids.size` from 1 to 2 (1 device more)\n",
    });
  });

  it("exits 1 on an invalid spec, plans nothing and still writes a complete JSON document", async () => {
    const r = await run(["plan", "-", "--format", "json"], {
      stdin: DOCKER_LAB.replace("strategy: spread", "strategy: spraed"),
    });
    const message = "must be one of `pack`, `spread`, not `spraed`: did you mean `spread`?";
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`<stdin>:40:15: pools.lb.strategy: ${message}\n`);
    expect(r.stdout).toBe(
      canonicalJson({
        ok: false,
        errors: [{ path: "pools.lb.strategy", message, file: "<stdin>", line: 40, col: 15 }],
        changes: [],
        claims: {},
        devices: {},
        placements: {},
        pools: {},
        ledger: { version: 2, pools: {}, placements: {} },
        warnings: [],
      }),
    );
  });
});

describe("servicevm help", () => {
  it("shows examples and exit codes after the commands", async () => {
    const r = await run(["--help"]);
    expect(
      r.stdout.endsWith(
        "Exit codes: 0 ok; 1 invalid spec or infeasible plan; 2 usage error.\nColour only on a terminal, and never when NO_COLOR is set.\n",
      ),
    ).toBe(true);
    expect(r.stdout).toContain(
      "  pulumi stack export --show-secrets | servicevm plan fleet.yaml --previous -\n",
    );
  });

  it("answers `servicevm help plan` with exit 0", async () => {
    const r = await run(["help", "plan"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("Usage: servicevm plan [options] <spec>");
  });
});
