/**
 * The example Pulumi programs run under the mock runtime (the engine harness) exactly as
 * `pulumi up` and `pulumi preview` would run them, with `servicevm` resolved to this checkout.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import * as servicevm from "../../index";
import { type RunResult, valueOf } from "../harness/engine";
import { newEngine } from "../harness/fixtures";

const EXAMPLES = path.join(__dirname, "..", "..", "examples");
const nodeRequire = createRequire(__filename);

/** Compiles an example's index.ts to CommonJS and runs it, as Pulumi's TypeScript runtime does. */
function runProgram(name: string): Exports {
  const file = path.join(EXAMPLES, name, "index.ts");
  const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: file,
  }).outputText;
  const module = { exports: {} as Exports };
  const req = (id: string): unknown => (id === "servicevm" ? servicevm : nodeRequire(id));
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function("exports", "require", "module", "__filename", "__dirname", js) as (
    ...args: unknown[]
  ) => void;
  run(module.exports, req, module, file, path.dirname(file));
  return module.exports;
}

type Exports = Record<string, import("@pulumi/pulumi").Output<unknown>>;

const SECRETS = { rack1Password: "r1", rack2Password: "r2", lbPassword: "lb", dc1FwPassword: "dc1" };

function engine() {
  return newEngine(undefined, { config: SECRETS, secretConfig: Object.keys(SECRETS) });
}

async function runExample(
  name: string,
  mode: "up" | "preview",
): Promise<{ result: RunResult; exports: Exports }> {
  const { engine: e } = engine();
  let exports: Exports = {};
  const program = (): void => {
    exports = runProgram(name);
  };
  const result = mode === "up" ? await e.up(program) : await e.preview(program);
  return { result, exports };
}

function counts(result: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of result.resources) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

const EXPECTED: Record<string, { counts: Record<string, number>; devices: Record<string, string> }> = {
  "nfv-edge": {
    counts: {
      "pulumi:providers:openstack": 1,
      "servicevm:index:Fleet": 1,
      "servicevm:index:DeviceTemplate": 2,
      "servicevm:index:DevicePool": 2,
      "servicevm:index:ServiceAllocation": 6,
      "openstack:compute/serverGroup:ServerGroup": 1,
      "openstack:compute/flavor:Flavor": 1,
      "pulumi-nodejs:dynamic/servicevm:Ledger": 1,
      "openstack:compute/instance:Instance": 5,
      "openstack:networking/port:Port": 8,
      "openstack:compute/interfaceAttach:InterfaceAttach": 8,
    },
    devices: {
      "acme-fw": "fw-0",
      "acme-fw-standby": "fw-1",
      "acme-vpn": "vpn-0",
      "globex-fw": "fw-0",
      "globex-vpn": "vpn-0",
      "initech-fw": "fw-0",
    },
  },
  "docker-lab": {
    counts: {
      "pulumi:providers:docker": 1,
      "servicevm:index:Fleet": 1,
      "servicevm:index:DeviceTemplate": 2,
      "servicevm:index:DevicePool": 2,
      "servicevm:index:ServiceAllocation": 5,
      "pulumi-nodejs:dynamic/servicevm:Ledger": 1,
      "docker:index/remoteImage:RemoteImage": 2,
      "docker:index/container:Container": 5,
    },
    devices: {
      "team-blue-ids": "ids-0",
      "team-blue-lb": "lb-0",
      "team-green-lb": "lb-0",
      "team-red-ids": "ids-1",
      "team-red-lb": "lb-0",
    },
  },
  "physical-appliances": {
    counts: {
      "servicevm:index:Fleet": 1,
      "servicevm:index:DeviceTemplate": 2,
      "servicevm:index:DevicePool": 2,
      "servicevm:index:ServiceAllocation": 5,
      "pulumi-nodejs:dynamic/servicevm:ApplianceRegistration": 3,
      "pulumi-nodejs:dynamic/servicevm:Ledger": 1,
    },
    devices: {
      "acme-fw": "rack1-fw01",
      "acme-lb": "rack1-lb01",
      "globex-fw": "rack2-fw01",
      "initech-fw": "rack2-fw01",
      "legacy-fw": "rack1-fw01",
    },
  },
  mixed: {
    counts: {
      "pulumi:providers:docker": 1,
      "pulumi:providers:openstack": 1,
      "servicevm:index:Fleet": 1,
      "servicevm:index:DeviceTemplate": 3,
      "servicevm:index:DevicePool": 3,
      "servicevm:index:ServiceAllocation": 5,
      "docker:index/remoteImage:RemoteImage": 1,
      "openstack:compute/serverGroup:ServerGroup": 1,
      "pulumi-nodejs:dynamic/servicevm:ApplianceRegistration": 1,
      "pulumi-nodejs:dynamic/servicevm:Ledger": 1,
      "openstack:compute/instance:Instance": 3,
      "openstack:networking/port:Port": 2,
      "docker:index/container:Container": 2,
      "openstack:compute/interfaceAttach:InterfaceAttach": 2,
    },
    devices: {
      "acme-dns": "dns-0",
      "acme-fw": "vfw-0",
      "acme-vpn": "vfw-1",
      "globex-dns": "dns-1",
      "globex-fw": "dc1-fw01",
    },
  },
};

describe.each(Object.keys(EXPECTED))("example %s", (name) => {
  it("runs under pulumi up with no error, creates the expected resources and exports placements and capacity, not the ledger again", async () => {
    const { result, exports } = await runExample(name, "up");
    expect(result.errors).toEqual([]);
    expect(counts(result)).toEqual(EXPECTED[name].counts);
    const placements = (await valueOf(exports.placements)) as Record<string, { device: string }>;
    expect(Object.fromEntries(Object.entries(placements).map(([k, v]) => [k, v.device]))).toEqual(
      EXPECTED[name].devices,
    );
    expect(Object.keys((await valueOf(exports.capacity)) as object)).toEqual([
      "pools",
      "devices",
      "headroom",
    ]);
    // The ledger is stored once, in the Ledger resource; the program does not export it again.
    expect(Object.keys(exports)).not.toContain("ledger");
    const ledger = result.resources.find((r) => r.type === "pulumi-nodejs:dynamic/servicevm:Ledger");
    expect(ledger?.outputs.ledger).toMatchObject({ version: 2 });
  });

  it("registers the same resources in a preview", async () => {
    const up = await runExample(name, "up");
    const preview = await runExample(name, "preview");
    expect(preview.result.errors).toEqual([]);
    expect(counts(preview.result)).toEqual(counts(up.result));
    expect(await valueOf(preview.exports.placements)).toEqual(await valueOf(up.exports.placements));
  });
});
