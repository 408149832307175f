import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { failedDocument } from "../../cli/planDocument";
import { LEDGER_TYPE, readHealth, readPrevious, urnName } from "../../cli/previous";
import { canonicalJson } from "../../core/canonical";
import type { Ledger, LedgerV1, PlanResult } from "../../core/types";
import { PROVIDER_TOKENS } from "../../tokens";
import { run } from "./io";
import {
  BREAKER_FLEET,
  EXPORT_URNS,
  SIG,
  ledgerResources,
  pluginLedgerState,
  stackExport,
  wireSecret,
  type StateResource,
} from "./stackExport";

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
      "`stratify-stack-export.json` is a `pulumi stack export` document holding 17 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger` or `servicevm:index:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "driftadopter-stack-export-aws.json",
      "`driftadopter-stack-export-aws.json` is a `pulumi stack export` document holding 7 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger` or `servicevm:index:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "eks-stack-export-aws-profile.json",
      "`eks-stack-export-aws-profile.json` is a `pulumi stack export` document holding 32 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger` or `servicevm:index:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "csye-stack-export-empty.json",
      "`csye-stack-export-empty.json` is a `pulumi stack export` document holding 0 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger` or `servicevm:index:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
    ],
    [
      "pitfall-checkpoint-v1.4.0.json",
      "`pitfall-checkpoint-v1.4.0.json` is a Pulumi checkpoint holding 13 resources and no servicevm Ledger (type `pulumi-nodejs:dynamic/servicevm:Ledger` or `servicevm:index:Ledger`): export the stack whose program creates the servicevm `Fleet`, or pass a `servicevm plan --format json` output",
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
      health: {},
      sealed: [],
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
      health: {},
      sealed: [],
    });
    expect(readPrevious(JSON.stringify({ ok: true, placements: {}, ledger }), "p.json")).toEqual({
      ok: true,
      ledger,
      from: "`p.json` (a servicevm plan)",
      health: {},
      sealed: [],
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
      stderr: `servicevm: \`${file}\` is a \`pulumi stack export\` document holding 32 resources and no servicevm Ledger (type \`pulumi-nodejs:dynamic/servicevm:Ledger\` or \`servicevm:index:Ledger\`): export the stack whose program creates the servicevm \`Fleet\`, or pass a \`servicevm plan --format json\` output\n`,
    });
  });
});

// ---- the provider plugin's Ledger, recorded health and `--health` ---------------------------------

/** The plugin Ledger's state after `fw-a` went unhealthy: the breaker (25%) kept its two firewalls there. */
const BREAKER_LEDGER: Ledger = {
  version: 2,
  pools: { edge: { devices: { "fw-a": "rack1", "fw-b": "rack1", "fw-c": "rack2" }, source: {} } },
  placements: {
    "acme-fw": { device: "fw-b", tenant: "acme", context: 100, demand: { CUSTOM_SERVICE_SLOT: 2 } },
    "globex-fw": { device: "fw-a", tenant: "globex", context: 101, demand: { CUSTOM_SERVICE_SLOT: 3 } },
    "initech-fw": { device: "fw-a", tenant: "initech", context: 100, demand: { CUSTOM_SERVICE_SLOT: 4 } },
  },
};

describe("readPrevious on a stack whose Ledger is the provider plugin's (`servicevm:index:Ledger`)", () => {
  it("reads the ledger and the health the plugin recorded, in the outputs the plugin returns to the engine", async () => {
    const state = await pluginLedgerState(BREAKER_FLEET, { "fw-a": false });
    // The outputs' names and the ledger are the plugin's own; nothing here is written by hand.
    expect(Object.keys(state.outputs).sort()).toEqual(["capacity", "health", "ledger", "pools"]);
    expect(state.outputs.ledger).toEqual(BREAKER_LEDGER);
    const text = stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state));
    expect(readPrevious(text, "stack.json")).toEqual({
      ok: true,
      ledger: BREAKER_LEDGER,
      from: "the Ledger `site-ledger` in `stack.json`",
      health: { "fw-a": false },
      sealed: [],
    });
  });

  it("reads a health entry the plugin gave back secret: its plaintext with --show-secrets; without, the device is sealed", async () => {
    const state = await pluginLedgerState(BREAKER_FLEET, { "fw-a": wireSecret(false), "fw-b": true });
    expect(state.outputs.health).toEqual({ "fw-a": wireSecret(false), "fw-b": true });
    const shown = stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state, true));
    expect(readPrevious(shown, "stack.json")).toMatchObject({
      ok: true,
      ledger: BREAKER_LEDGER,
      health: { "fw-a": false, "fw-b": true },
      sealed: [],
    });
    const hidden = stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state, false));
    expect(readPrevious(hidden, "stack.json")).toMatchObject({
      ok: true,
      ledger: BREAKER_LEDGER,
      health: { "fw-b": true },
      sealed: ["fw-a"],
    });
  });

  it("reads a `health` output the engine kept secret whole, and explains an encrypted one", () => {
    const outputs = (health: unknown) => ({ ledger: BREAKER_LEDGER, health });
    const shown = { ...SIG, plaintext: JSON.stringify({ "fw-a": false }) };
    expect(
      readPrevious(
        stackExport(...ledgerResources("site", LEDGER_TYPE, { outputs: outputs(shown) })),
        "s.json",
      ),
    ).toMatchObject({ ok: true, health: { "fw-a": false }, sealed: [] });
    const hidden = { ...SIG, ciphertext: "v1:abc" };
    expect(
      readPrevious(
        stackExport(...ledgerResources("site", LEDGER_TYPE, { outputs: outputs(hidden) })),
        "s.json",
      ),
    ).toEqual({
      ok: false,
      message:
        "the Ledger `site-ledger` in `s.json` records its `health` as an encrypted secret: export with `pulumi stack export --show-secrets`",
    });
  });

  it.each([
    ["a list", [false], "records a `health` output that is not a mapping of device to `true` or `false`"],
    [
      "entries that are not booleans",
      { "fw-a": "down", "fw-b": 0, "fw-c": true },
      "records the health of `fw-a`, `fw-b` as neither `true` nor `false`",
    ],
  ])("names a recorded health that is %s", (_name, health, problem) => {
    const text = stackExport(
      ...ledgerResources("site", PROVIDER_TOKENS.ledger, { outputs: { ledger: BREAKER_LEDGER, health } }),
    );
    expect(readPrevious(text, "s.json")).toEqual({
      ok: false,
      message: `the Ledger \`site-ledger\` in \`s.json\` ${problem}: export the stack again with a current servicevm, unmodified`,
    });
  });

  it("reads a richer recorded entry `{ healthy, ... }` by its `healthy`", () => {
    const health = { "fw-a": { healthy: false, status: "HTTP 503" }, "fw-b": { healthy: true } };
    const text = stackExport(
      ...ledgerResources("site", PROVIDER_TOKENS.ledger, { outputs: { ledger: BREAKER_LEDGER, health } }),
    );
    expect(readPrevious(text, "s.json")).toMatchObject({
      ok: true,
      health: { "fw-a": false, "fw-b": true },
      sealed: [],
    });
  });

  it("reads an older state without a `health` output as every device healthy", () => {
    const text = stackExport(
      ...ledgerResources("site", PROVIDER_TOKENS.ledger, { outputs: { ledger: BREAKER_LEDGER } }),
    );
    expect(readPrevious(text, "s.json")).toMatchObject({ ok: true, health: {}, sealed: [] });
  });

  it("with a dynamic and a plugin Ledger, asks for --fleet and takes either by its own or its Fleet's name", async () => {
    const plugin = await pluginLedgerState(BREAKER_FLEET, { "fw-a": false });
    const dynamic: Ledger = { version: 2, pools: {}, placements: {} };
    const text = stackExport(
      ...ledgerResources("site", PROVIDER_TOKENS.ledger, plugin),
      ...ledgerResources("core", LEDGER_TYPE, { outputs: { ledger: dynamic, health: {} } }),
    );
    expect(readPrevious(text, "stack.json")).toEqual({
      ok: false,
      message:
        "`stack.json` has 2 servicevm Ledger resources (`core-ledger`, `site-ledger`): choose one with `--fleet <name>`",
    });
    expect(readPrevious(text, "stack.json", "site")).toEqual({
      ok: true,
      ledger: BREAKER_LEDGER,
      from: "the Ledger `site-ledger` in `stack.json`",
      health: { "fw-a": false },
      sealed: [],
    });
    expect(readPrevious(text, "stack.json", "core-ledger")).toEqual({
      ok: true,
      ledger: dynamic,
      from: "the Ledger `core-ledger` in `stack.json`",
      health: {},
      sealed: [],
    });
  });

  it("tells apart a dynamic and a plugin Ledger of one name by their URNs", () => {
    const a: Ledger = { version: 2, pools: {}, placements: {} };
    const [fleet, plugin] = ledgerResources("edge", PROVIDER_TOKENS.ledger, {
      outputs: { ledger: BREAKER_LEDGER },
    });
    const dynamicUrn = `urn:pulumi:dev::sample::${LEDGER_TYPE}::edge-ledger`;
    const dynamic: StateResource = {
      urn: dynamicUrn,
      custom: true,
      id: "ledger",
      type: LEDGER_TYPE,
      parent: EXPORT_URNS.stack,
      outputs: { ledger: a },
    };
    const text = stackExport(fleet, plugin, dynamic);
    const pluginUrn = EXPORT_URNS.ledger("edge", PROVIDER_TOKENS.ledger);
    expect(readPrevious(text, "s.json")).toEqual({
      ok: false,
      message: `\`s.json\` has 2 servicevm Ledger resources (\`${dynamicUrn}\`, \`${pluginUrn}\`): choose one with \`--fleet <name>\``,
    });
    expect(readPrevious(text, "s.json", "edge-ledger")).toEqual({
      ok: false,
      message: `\`s.json\` has 2 servicevm Ledgers matching \`edge-ledger\`: pass the Ledger's URN to \`--fleet\` (one of \`${dynamicUrn}\`, \`${pluginUrn}\`)`,
    });
    expect(readPrevious(text, "s.json", dynamicUrn)).toMatchObject({ ok: true, ledger: a });
    expect(readPrevious(text, "s.json", pluginUrn)).toMatchObject({ ok: true, ledger: BREAKER_LEDGER });
  });
});

describe("readHealth (`--health`)", () => {
  it("reads device -> boolean, `false` unhealthy and `true` healthy", () => {
    expect(readHealth('{ "fw-b": true, "fw-a": false }', "h.json")).toEqual({
      ok: true,
      health: { "fw-a": false, "fw-b": true },
    });
    expect(readHealth("{}", "h.json")).toEqual({ ok: true, health: {} });
  });

  const FORMAT =
    'a JSON object of device names to `false` (unhealthy) or `true` (healthy), e.g. `{ "fw-1": false }`';
  it.each([
    [
      "not JSON",
      "fw-a: false",
      `\`h.json\` (--health) is not JSON (Unexpected token 'w', "fw-a: false" is not valid JSON): give ${FORMAT}`,
    ],
    ["a list", '["fw-a"]', `\`h.json\` (--health) is a list, not an object: give ${FORMAT}`],
    ["a boolean", "false", `\`h.json\` (--health) is a boolean, not an object: give ${FORMAT}`],
    ["null", "null", `\`h.json\` (--health) is \`null\`, not an object: give ${FORMAT}`],
    [
      "an object with values that are not booleans",
      '{ "fw-a": "down", "fw-b": 0, "fw-c": null, "fw-d": {"healthy": false}, "fw-e": true }',
      '`h.json` (--health): `fw-a` is "down", `fw-b` is 0, `fw-c` is null and 1 more, not `true` or `false`: give each device `false` (unhealthy) or `true` (healthy), e.g. `{ "fw-1": false }`',
    ],
  ])("explains a file that is %s", (_name, text, message) => {
    expect(readHealth(text, "h.json")).toEqual({ ok: false, message });
  });
});

describe("servicevm plan --previous <plugin stack> --health", () => {
  let dir: string;
  const at = (name: string): string => join(dir, name);
  const breaker = (share: string): { op: string; allocation: string; device: string; reason: string }[] =>
    ["globex-fw", "initech-fw"].map((allocation) => ({
      allocation,
      device: "fw-a",
      op: "defer",
      reason: `circuit breaker of pool \`edge\`: 1 of 3 devices unhealthy (33.3%, above \`maxUnhealthyShare\` ${share}): not evacuating`,
    }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "svm-plugin-"));
    writeFileSync(at("fleet.yaml"), BREAKER_FLEET);
    // The pull request under review: the breaker raised from 25% to 50%.
    writeFileSync(
      at("raised.yaml"),
      BREAKER_FLEET.replace("maxUnhealthyShare: 0.25", "maxUnhealthyShare: 0.5"),
    );
    const state = await pluginLedgerState(BREAKER_FLEET, { "fw-a": false });
    writeFileSync(at("stack.json"), stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, state)));
    const secret = await pluginLedgerState(BREAKER_FLEET, { "fw-a": wireSecret(false) });
    writeFileSync(
      at("sealed.json"),
      stackExport(...ledgerResources("site", PROVIDER_TOKENS.ledger, secret, false)),
    );
    writeFileSync(
      at("both.json"),
      stackExport(
        ...ledgerResources("site", PROVIDER_TOKENS.ledger, state),
        ...ledgerResources("core", LEDGER_TYPE, {
          outputs: { ledger: { version: 2, pools: {}, placements: {} }, health: {} },
        }),
      ),
    );
    writeFileSync(at("healed.json"), '{ "fw-a": true }');
    writeFileSync(at("fw-b-down.json"), '{ "fw-b": false }');
    writeFileSync(at("typo.json"), '{ "fw-aa": false, "rack9": false }');
    writeFileSync(at("not-json.json"), "fw-a: false\n");
    writeFileSync(at("list.json"), '["fw-a"]');
    writeFileSync(at("strings.json"), '{ "fw-a": "down" }');
  });

  const json = async (...argv: string[]) => {
    const r = await run([...argv, "--format", "json"]);
    return { code: r.code, stderr: r.stderr, result: JSON.parse(r.stdout) as PlanResult };
  };

  it("shows the breaker's defers from the health the plugin Ledger recorded", async () => {
    const r = await run(["plan", at("fleet.yaml"), "--previous", at("stack.json")]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([`servicevm plan ${at("fleet.yaml")}: ok`, "  2 deferred"]);
    const changes = lines.indexOf("Changes");
    expect(lines.slice(changes, changes + 9).join("\n")).toBe(
      [
        "Changes",
        "  OP     WHAT        WHERE          DETAILS",
        "  defer  globex-fw   stays on fw-a  circuit breaker of pool `edge`: 1 of 3",
        "                                    devices unhealthy (33.3%, above",
        "                                    `maxUnhealthyShare` 25%): not evacuating",
        "  defer  initech-fw  stays on fw-a  circuit breaker of pool `edge`: 1 of 3",
        "                                    devices unhealthy (33.3%, above",
        "                                    `maxUnhealthyShare` 25%): not evacuating",
        "",
      ].join("\n"),
    );
    expect(lines.slice(lines.indexOf("Pools"), lines.indexOf("Pools") + 5)).toEqual([
      "Pools",
      "  POOL  TEMPLATE  DEVICES  BUSY  STANDBY",
      "  edge  fgt       3        2     1",
      "  unhealthy devices: edge: 1",
      "",
    ]);
    const { result } = await json("plan", at("fleet.yaml"), "--previous", at("stack.json"));
    expect(result.changes).toEqual(breaker("25%"));
    expect(result.devices["fw-a"].healthy).toBe(false);
    expect(result.ledger).toEqual(BREAKER_LEDGER);
  });

  it("shows the evacuation a raised breaker lets happen: `move ... device unhealthy`", async () => {
    const { code, result } = await json("plan", at("raised.yaml"), "--previous", at("stack.json"));
    expect(code).toBe(0);
    expect(result.changes).toEqual([
      {
        op: "move",
        allocation: "globex-fw",
        from: "fw-a",
        to: "fw-c",
        reason: "device unhealthy",
        isolation: { from: { kind: "vlan", id: 101 }, to: { kind: "vlan", id: 100 } },
      },
      {
        op: "move",
        allocation: "initech-fw",
        from: "fw-a",
        to: "fw-b",
        reason: "device unhealthy",
        isolation: { from: { kind: "vlan", id: 100 }, to: { kind: "vlan", id: 101 } },
      },
    ]);
  });

  it("overrides the recorded health device by device with --health", async () => {
    // `fw-a` healed: nothing to defer or move.
    const healed = await json(
      "plan",
      at("fleet.yaml"),
      "--previous",
      at("stack.json"),
      "--health",
      at("healed.json"),
    );
    expect([healed.code, healed.stderr, healed.result.changes]).toEqual([0, "", []]);
    expect(healed.result.devices["fw-a"].healthy).toBe(true);
    // `fw-b` down as well, `fw-a` still down as recorded: 2 of 3 trips the raised breaker too.
    const worse = await json(
      "plan",
      at("raised.yaml"),
      "--previous",
      at("stack.json"),
      "--health",
      at("fw-b-down.json"),
    );
    expect(worse.code).toBe(0);
    expect(worse.result.changes).toEqual(
      ["acme-fw", "globex-fw", "initech-fw"].map((allocation) => ({
        allocation,
        device: allocation === "acme-fw" ? "fw-b" : "fw-a",
        op: "defer",
        reason:
          "circuit breaker of pool `edge`: 2 of 3 devices unhealthy (66.7%, above `maxUnhealthyShare` 50%): not evacuating",
      })),
    );
  });

  it("takes --health without --previous: a first plan that avoids the unhealthy device", async () => {
    const { code, result } = await json("plan", at("fleet.yaml"), "--health", at("fw-b-down.json"));
    expect(code).toBe(0);
    expect(Object.fromEntries(Object.entries(result.placements).map(([a, p]) => [a, p.device]))).toEqual({
      "acme-fw": "fw-c",
      "globex-fw": "fw-a",
      "initech-fw": "fw-a",
    });
  });

  it("warns about a device --health names that the plan does not have, and plans on", async () => {
    const r = await run([
      "plan",
      at("fleet.yaml"),
      "--previous",
      at("stack.json"),
      "--health",
      at("typo.json"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        `servicevm: warning: \`${at("typo.json")}\` (--health) names \`fw-aa\`, which is no device of the plan or the previous ledger, so its health changes nothing: did you mean \`fw-a\`?`,
        `servicevm: warning: \`${at("typo.json")}\` (--health) names \`rack9\`, which is no device of the plan or the previous ledger, so its health changes nothing: defined devices: \`fw-a\`, \`fw-b\`, \`fw-c\``,
        "",
      ].join("\n"),
    );
    expect((JSON.parse(r.stdout) as PlanResult).changes).toEqual(breaker("25%"));
  });

  const FORMAT =
    'a JSON object of device names to `false` (unhealthy) or `true` (healthy), e.g. `{ "fw-1": false }`';
  it.each([
    [
      "not-json.json",
      (f: string) =>
        `\`${f}\` (--health) is not JSON (Unexpected token 'w', "fw-a: false\\n" is not valid JSON): give ${FORMAT}`,
    ],
    ["list.json", (f: string) => `\`${f}\` (--health) is a list, not an object: give ${FORMAT}`],
    [
      "strings.json",
      (f: string) =>
        `\`${f}\` (--health): \`fw-a\` is "down", not \`true\` or \`false\`: give each device \`false\` (unhealthy) or \`true\` (healthy), e.g. \`{ "fw-1": false }\``,
    ],
    ["missing.json", (f: string) => `cannot read the health file \`${f}\`: no such file`],
  ])(
    "exits 2 on a --health file %s, and writes the complete JSON document with the previous ledger",
    async (name, message) => {
      const file = at(name);
      const text = await run(["plan", at("fleet.yaml"), "--previous", at("stack.json"), "--health", file]);
      expect(text).toEqual({ code: 2, stdout: "", stderr: `servicevm: ${message(file)}\n` });
      const r = await run([
        "plan",
        at("fleet.yaml"),
        "--previous",
        at("stack.json"),
        "--health",
        file,
        "--format",
        "json",
      ]);
      expect(r.code).toBe(2);
      const error = { path: "", message: message(file), file, line: 0, col: 0 };
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(doc).toMatchObject({ ok: false, errors: [error], changes: [], ledger: BREAKER_LEDGER });
      // The same complete document as for an unreadable `--previous`: every other key empty.
      expect(doc).toEqual(JSON.parse(canonicalJson(failedDocument([error], BREAKER_LEDGER))));
    },
  );

  it("asks for --show-secrets or --health when the stack records a device's health encrypted", async () => {
    const file = at("sealed.json");
    const message = `the Ledger \`site-ledger\` in \`${file}\` records the health of \`fw-a\` as an encrypted secret: export with \`pulumi stack export --show-secrets\`, or give its health in \`--health\``;
    const r = await run(["plan", at("fleet.yaml"), "--previous", file, "--format", "json"]);
    expect([r.code, r.stderr]).toEqual([2, `servicevm: ${message}\n`]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      errors: [{ path: "", message, file, line: 0, col: 0 }],
      ledger: BREAKER_LEDGER,
    });
    const given = await json("plan", at("fleet.yaml"), "--previous", file, "--health", at("healed.json"));
    expect([given.code, given.stderr, given.result.changes]).toEqual([0, "", []]);
  });

  it("asks for --fleet when the stack has a plugin and a dynamic Ledger, and plans from the one it names", async () => {
    const file = at("both.json");
    expect(await run(["plan", at("fleet.yaml"), "--previous", file])).toEqual({
      code: 2,
      stdout: "",
      stderr: `servicevm: \`${file}\` has 2 servicevm Ledger resources (\`core-ledger\`, \`site-ledger\`): choose one with \`--fleet <name>\`\n`,
    });
    const site = await json("plan", at("fleet.yaml"), "--previous", file, "--fleet", "site");
    expect([site.code, site.result.changes]).toEqual([0, breaker("25%")]);
    const core = await json("plan", at("fleet.yaml"), "--previous", file, "--fleet", "core");
    expect(core.code).toBe(0);
    expect(core.result.changes.map((c) => c.op)).toEqual(["place", "place", "place", "grow"]);
  });
});
