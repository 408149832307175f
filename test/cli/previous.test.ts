import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LEDGER_TYPE, readPrevious, urnName } from "../../cli/previous";
import type { Ledger, LedgerV1, PlanResult } from "../../core/types";
import { run } from "./io";

const ROOT = join(__dirname, "../..");
/** shared/ sits beside the repository, here and in CI. */
const FIXTURES = join(ROOT, "..", "shared", "fixtures", "pulumi");
const NFV = join(ROOT, "examples", "nfv-edge", "fleet.yaml");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

interface Resource {
  urn: string;
  type: string;
  parent?: string;
  outputs?: Record<string, unknown>;
  delete?: boolean;
}
interface StackExport {
  version: number;
  deployment: { resources?: Resource[] };
}

/** A real stack export (stratify, 17 resources) with servicevm Ledger resources added. */
function exportWith(...ledgers: { fleet: string; ledger: unknown; extra?: Partial<Resource> }[]): string {
  const doc = JSON.parse(fixture("stratify-stack-export.json")) as StackExport;
  const stack = doc.deployment.resources![0].urn;
  for (const { fleet, ledger, extra } of ledgers) {
    const fleetUrn = `urn:pulumi:dev::sample::servicevm:index:Fleet::${fleet}`;
    doc.deployment.resources!.push(
      { urn: fleetUrn, type: "servicevm:index:Fleet", parent: stack, outputs: {} },
      {
        urn: `urn:pulumi:dev::sample::servicevm:index:Fleet$${LEDGER_TYPE}::${fleet}-ledger`,
        type: LEDGER_TYPE,
        parent: fleetUrn,
        outputs: { __provider: "exports.handler = __f0;", ledger },
        ...extra,
      },
    );
  }
  return JSON.stringify(doc, null, 4);
}

describe("readPrevious on real Pulumi documents", () => {
  it.each([
    [
      "stratify-stack-export.json",
      "`stratify-stack-export.json` is a `pulumi stack export` document holding 17 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "driftadopter-stack-export-aws.json",
      "`driftadopter-stack-export-aws.json` is a `pulumi stack export` document holding 7 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "eks-stack-export-aws-profile.json",
      "`eks-stack-export-aws-profile.json` is a `pulumi stack export` document holding 32 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "csye-stack-export-empty.json",
      "`csye-stack-export-empty.json` is a `pulumi stack export` document holding 0 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "pitfall-checkpoint-v1.4.0.json",
      "`pitfall-checkpoint-v1.4.0.json` is a Pulumi checkpoint holding 13 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "stratify-preview-update.json",
      "`stratify-preview-update.json` is a `pulumi preview --json` output, which holds no state: pass `pulumi stack export` of the stack, or a `servicevm plan --format json` output",
    ],
  ])("explains that %s holds no ledger", (name, message) => {
    expect(readPrevious(fixture(name), name)).toEqual({ ok: false, message });
  });

  it("reads the ledger of the one servicevm Ledger added to a real export", () => {
    const ledger: LedgerV1 = {
      version: 1,
      pools: { fw: 2 },
      placements: { a: { device: "fw-0", tenant: "t", context: 1 } },
    };
    expect(readPrevious(exportWith({ fleet: "edge", ledger }), "stack.json")).toEqual({
      ok: true,
      ledger,
      from: "the Ledger `edge-ledger` in `stack.json`",
    });
  });

  it("asks for --fleet when there are several Ledgers, and takes either name", () => {
    const a: LedgerV1 = { version: 1, pools: { fw: 1 }, placements: {} };
    const b: LedgerV1 = { version: 1, pools: { fw: 3 }, placements: {} };
    const text = exportWith({ fleet: "edge", ledger: a }, { fleet: "core", ledger: b });
    expect(readPrevious(text, "stack.json")).toEqual({
      ok: false,
      message:
        "`stack.json` has 2 servicevm Ledger resources (`core-ledger`, `edge-ledger`): choose one with `--fleet <name>`",
    });
    expect(readPrevious(text, "stack.json", "core")).toMatchObject({ ok: true, ledger: b });
    expect(readPrevious(text, "stack.json", "edge-ledger")).toMatchObject({ ok: true, ledger: a });
    expect(readPrevious(text, "stack.json", "dc9")).toEqual({
      ok: false,
      message:
        "`stack.json` has no servicevm Ledger named `dc9`; its Ledger resources are `core-ledger`, `edge-ledger`: pass one of them to `--fleet`",
    });
  });

  it("skips Ledgers pending deletion", () => {
    const ledger: Ledger = { version: 2, pools: {}, placements: {} };
    const text = exportWith({ fleet: "old", ledger, extra: { delete: true } }, { fleet: "new", ledger });
    expect(readPrevious(text, "stack.json")).toMatchObject({
      ok: true,
      from: "the Ledger `new-ledger` in `stack.json`",
    });
  });

  it("reads a secret ledger exported with --show-secrets, and explains an encrypted one", () => {
    const ledger: Ledger = {
      version: 2,
      pools: { fw: { devices: { "fw-0": "az1" }, source: { driver: "0123456789abcdef" } } },
      placements: { a: { device: "fw-0", tenant: "t", context: 1, demand: { VCPU: 2 } } },
    };
    const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
    expect(
      readPrevious(
        exportWith({ fleet: "edge", ledger: { ...sig, plaintext: JSON.stringify(ledger) } }),
        "s.json",
      ),
    ).toMatchObject({ ok: true, ledger });
    expect(
      readPrevious(exportWith({ fleet: "edge", ledger: { ...sig, ciphertext: "v1:abc" } }), "s.json"),
    ).toEqual({
      ok: false,
      message:
        "the Ledger `edge-ledger` in `s.json` is an encrypted secret: export with `pulumi stack export --show-secrets`",
    });
  });

  it.each([
    [
      "version 2",
      { version: 2, pools: { fw: -1 }, placements: { a: { device: 3 } } },
      "`pools.fw` is not `{ devices, source }`; `placements.a` is not `{ device, tenant, context, demand }`",
    ],
    [
      "version 2 with a bad zone and demand",
      {
        version: 2,
        pools: { fw: { devices: { "fw-0": 1 }, source: {} } },
        placements: { a: { device: "fw-0", tenant: "t", context: null, demand: { VCPU: "2" } } },
      },
      "`pools.fw` is not `{ devices, source }`; `placements.a` is not `{ device, tenant, context, demand }`",
    ],
    [
      "version 1",
      { version: 1, pools: { fw: -1 }, placements: { a: { device: 3 } } },
      "`pools.fw` is not a device count; `placements.a` is not `{ device, tenant, context }`",
    ],
    ["an unknown version", { version: 3, pools: {}, placements: {} }, "`version` is 3, not 1 or 2"],
  ])("names what is wrong with a damaged ledger of %s", (_name, ledger, problems) => {
    expect(readPrevious(exportWith({ fleet: "edge", ledger }), "s.json")).toEqual({
      ok: false,
      message: `the Ledger \`edge-ledger\` in \`s.json\` is not a servicevm ledger: ${problems}: pass a stack export, unmodified`,
    });
  });

  it.each([
    ["a version 1 ledger", { version: 1, pools: { fw: 2 }, placements: {} }],
    [
      "a version 2 ledger",
      {
        version: 2,
        pools: { fw: { devices: { "fw-0": null }, source: {} } },
        placements: { a: { device: "fw-0", tenant: "t", context: null } },
      },
    ],
  ])("reads %s given alone and inside a plan output", (_name, ledger) => {
    expect(readPrevious(JSON.stringify(ledger), "l.json")).toEqual({
      ok: true,
      ledger,
      from: "`l.json` (a ledger)",
    });
    expect(readPrevious(JSON.stringify({ ok: true, placements: {}, ledger }), "p.json")).toEqual({
      ok: true,
      ledger,
      from: "`p.json` (a servicevm plan)",
    });
  });

  it("reads a bare ledger of an unknown version as a ledger, and says which versions it knows", () => {
    expect(readPrevious('{"version": 3, "pools": {}, "placements": {}}', "l.json")).toEqual({
      ok: false,
      message:
        "`l.json` (a ledger) is not a servicevm ledger: `version` is 3, not 1 or 2: pass a ledger, unmodified",
    });
  });

  it.each([
    [
      "not JSON",
      "templates: {}",
      "`x` is not JSON (Unexpected token 'e', \"templates: {}\" is not valid JSON): pass the output of `servicevm plan --format json` or of `pulumi stack export`",
    ],
    [
      "a JSON list",
      "[]",
      "`x` is JSON but not an object: pass the output of `servicevm plan --format json` or of `pulumi stack export`",
    ],
    [
      "some other JSON",
      '{"a": 1}',
      "`x` is neither a `servicevm plan --format json` output nor a `pulumi stack export` document (its top-level keys are `a`): pass one of those",
    ],
  ])("explains a document that is %s", (_name, text, message) => {
    expect(readPrevious(text, "x")).toEqual({ ok: false, message });
  });

  it("takes the resource name from a URN", () => {
    expect(
      urnName(
        "urn:pulumi:dev::sample::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::edge-ledger",
      ),
    ).toBe("edge-ledger");
  });
});

describe("servicevm plan --previous", () => {
  let dir: string;
  let first: PlanResult;
  const grown = readFileSync(NFV, "utf8").replace(
    "allocations:\n",
    "allocations:\n  umbrella-fw:\n    tenant: umbrella\n    serviceType: firewall\n    demand: { CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: 3000 }\n",
  );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-prev-"));
    const r = await run(["plan", NFV, "--format", "json"]);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, "plan.json"), r.stdout);
    first = JSON.parse(r.stdout) as PlanResult;
    writeFileSync(join(dir, "stack.json"), exportWith({ fleet: "edge", ledger: first.ledger }));
    writeFileSync(join(dir, "grown.yaml"), grown);
  });

  it("keeps every placement of a previous plan output and only adds the new one", async () => {
    const r = await run([
      "plan",
      join(dir, "grown.yaml"),
      "--previous",
      join(dir, "plan.json"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const next = JSON.parse(r.stdout) as PlanResult;
    for (const [name, p] of Object.entries(first.placements)) expect(next.placements[name]).toEqual(p);
    expect(next.changes.filter((c) => c.op !== "grow")).toEqual([
      {
        op: "place",
        allocation: "umbrella-fw",
        tenant: "umbrella",
        to: "fw-0",
        isolation: { kind: "vrf", id: 4 },
        demand: { CUSTOM_SERVICE_SLOT: 4, CUSTOM_THROUGHPUT_MBPS: 3000 },
      },
    ]);
  });

  it("gives the same plan from the stack export's Ledger as from the plan output", async () => {
    const fromPlan = await run([
      "plan",
      join(dir, "grown.yaml"),
      "--previous",
      join(dir, "plan.json"),
      "--format",
      "json",
    ]);
    const fromStack = await run([
      "plan",
      join(dir, "grown.yaml"),
      "--previous",
      join(dir, "stack.json"),
      "--format",
      "json",
    ]);
    expect(fromStack).toEqual(fromPlan);
  });

  it("reads the previous document from stdin", async () => {
    const r = await run(["plan", NFV, "--previous", "-", "--format", "json"], {
      stdin: readFileSync(join(dir, "stack.json")),
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as PlanResult).changes).toEqual([]);
  });

  it("exits 2 with the reason on a stack export without a Ledger", async () => {
    const file = join(FIXTURES, "eks-stack-export-aws-profile.json");
    expect(await run(["plan", NFV, "--previous", file])).toEqual({
      code: 2,
      stdout: "",
      stderr: `servicevm: \`${file}\` is a \`pulumi stack export\` document holding 32 resources and no servicevm Ledger (type \`pulumi-nodejs:dynamic/servicevm:Ledger\`): export the stack whose program creates the servicevm \`Fleet\`, or pass a \`servicevm plan --format json\` output\n`,
    });
  });
});
