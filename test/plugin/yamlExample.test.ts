/**
 * `examples/yaml-edge`, the Pulumi YAML project, as the engine runs it: the Fleet resource of its
 * `Pulumi.yaml` (its `fn::readFile` evaluated as Pulumi YAML evaluates it, relative to the project)
 * is sent to `Construct` of the real plugin host, found where `plugins.providers` points inside the
 * installed package. The preview registers the servers, ports and attachments with placements
 * known; the up creates them and the Ledger. The OpenStack network lookups are answered as the
 * OpenStack provider would (`net-id-<name>`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMPONENT_TOKENS, PROVIDER_TOKENS } from "../../tokens";
import { ROOT } from "../cli/built";
import { FakeEngine } from "../harness/fakeEngine";
import { type Props, UNKNOWN, type Wire, startPluginHost } from "./hosts";
import { type ScratchProject, removeScratchProject, scratchProject } from "./install";
import { PluginEngine, type RunResult } from "./monitor";

const EXAMPLE = path.join(ROOT, "examples", "yaml-edge");

interface PulumiYaml {
  plugins: { providers: { name: string; path: string }[] };
  resources: Record<string, { type: string; properties: Record<string, unknown> }>;
}

/** A property value as Pulumi YAML evaluates it: `fn::readFile` reads a file of the project. */
function evaluate(value: unknown): Wire {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === "fn::readFile")
      return fs.readFileSync(path.join(EXAMPLE, entries[0][1] as string), "utf8");
  }
  return value as Wire;
}

function tree(result: RunResult): string[] {
  const names = new Map(result.registrations.map((r) => [r.urn, r.name]));
  return result.registrations
    .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.remote)
    .map((r) => `${r.type} ${r.name} <- ${names.get(r.parent)}`)
    .sort();
}

let project: ScratchProject;
let engineService: FakeEngine;
let engine: PluginEngine;
const program = JSON.parse(
  JSON.stringify(parse(fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8"))),
) as PulumiYaml;

beforeAll(async () => {
  project = scratchProject();
  engineService = await FakeEngine.start();
  engine = await PluginEngine.start({
    project: "servicevm-yaml-edge",
    stack: "edge",
    launchers: { servicevm: () => startPluginHost(project, engineService.address) },
    engineAddress: engineService.address,
    projectDir: project.dir,
    answerInvoke: (token, args) =>
      token === "openstack:networking/getNetwork:getNetwork"
        ? { id: `net-id-${typeof args.name === "string" ? args.name : "?"}`, name: args.name }
        : undefined,
  });
});

afterAll(async () => {
  await engine?.stop();
  engineService?.stop();
  removeScratchProject();
});

/** The program: the stack, then each resource of Pulumi.yaml (here the one remote Fleet). */
function run(seen: { outputs?: Props }) {
  return async (p: import("./monitor").ProgramClient): Promise<void> => {
    const stack = await p.stack();
    for (const [name, r] of Object.entries(program.resources)) {
      const inputs: Props = {};
      for (const [k, v] of Object.entries(r.properties)) inputs[k] = evaluate(v);
      const out = await p.register({
        type: r.type,
        name,
        custom: false,
        remote: true,
        parent: stack,
        inputs,
      });
      seen.outputs = out.outputs;
    }
  };
}

const PLACEMENTS = {
  "acme-fw": { device: "fw-0", isolation: { id: 1, kind: "vrf" }, pool: "fw", tenant: "acme" },
  "globex-fw": { device: "fw-0", isolation: { id: 2, kind: "vrf" }, pool: "fw", tenant: "globex" },
  "initech-fw": { device: "fw-1", isolation: { id: 1, kind: "vrf" }, pool: "fw", tenant: "initech" },
};

const TREE = [
  `${COMPONENT_TOKENS.fleet} edge <- servicevm-yaml-edge-edge`,
  `${COMPONENT_TOKENS.deviceTemplate} edge-vfw <- edge`,
  `${COMPONENT_TOKENS.devicePool} edge-fw <- edge`,
  `${COMPONENT_TOKENS.serviceAllocation} edge-acme-fw <- edge`,
  `${COMPONENT_TOKENS.serviceAllocation} edge-globex-fw <- edge`,
  `${COMPONENT_TOKENS.serviceAllocation} edge-initech-fw <- edge`,
  `${PROVIDER_TOKENS.ledger} edge-ledger <- edge`,
  "openstack:compute/instance:Instance edge-fw-0 <- edge-fw",
  "openstack:compute/instance:Instance edge-fw-1 <- edge-fw",
  "openstack:compute/instance:Instance edge-fw-2 <- edge-fw",
  "openstack:networking/port:Port edge-acme-fw-0 <- edge-acme-fw",
  "openstack:networking/port:Port edge-globex-fw-0 <- edge-globex-fw",
  "openstack:networking/port:Port edge-initech-fw-0 <- edge-initech-fw",
  "openstack:compute/interfaceAttach:InterfaceAttach edge-acme-fw-0-attach <- edge-acme-fw",
  "openstack:compute/interfaceAttach:InterfaceAttach edge-globex-fw-0-attach <- edge-globex-fw",
  "openstack:compute/interfaceAttach:InterfaceAttach edge-initech-fw-0-attach <- edge-initech-fw",
].sort();

describe("examples/yaml-edge through the real plugin host", () => {
  it("points Pulumi at the plugin's directory in the installed package", () => {
    expect(program.plugins.providers).toEqual([
      { name: "servicevm", path: "./node_modules/servicevm/plugin" },
    ]);
    const manifest = fs.readFileSync(
      path.join(project.dir, "node_modules/servicevm/plugin/PulumiPlugin.yaml"),
      "utf8",
    );
    expect(parse(manifest)).toEqual({ runtime: "nodejs" });
    expect(program.resources.edge.type).toBe(COMPONENT_TOKENS.fleet);
  });

  it.sequential("previews the servers, ports and attachments with the placements known", async () => {
    const seen: { outputs?: Props } = {};
    const result = await engine.preview(run(seen));
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(TREE);
    expect(seen.outputs!.placements).toEqual(PLACEMENTS);
    const zones = result.registrations
      .filter((r) => r.type === "openstack:compute/instance:Instance")
      .map((r) => [r.name, r.inputs.availabilityZone]);
    expect(zones).toEqual([
      ["edge-fw-0", "edge-az1"],
      ["edge-fw-1", "edge-az2"],
      ["edge-fw-2", "edge-az1"],
    ]);
    const port = result.registrations.find((r) => r.name === "edge-initech-fw-0")!;
    expect(port.inputs.networkId).toBe("net-id-initech-inside");
    const attach = result.registrations.find((r) => r.name === "edge-initech-fw-0-attach")!;
    expect(attach.inputs).toEqual({ instanceId: UNKNOWN, portId: UNKNOWN });
  });

  it.sequential("creates them and the Ledger on up, attachments on the placed servers", async () => {
    const seen: { outputs?: Props } = {};
    const result = await engine.up(run(seen));
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(TREE);
    expect(seen.outputs!.placements).toEqual(PLACEMENTS);
    const attach = result.registrations.find((r) => r.name === "edge-initech-fw-0-attach")!;
    expect(attach.inputs).toEqual({ instanceId: "edge-fw-1-id", portId: "edge-initech-fw-0-id" });
    expect(result.calls.map((c) => `${c.method} ${c.urn.slice(c.urn.lastIndexOf("::") + 2)}`)).toEqual([
      "Configure default",
      "Construct edge",
      "Check edge-ledger",
      "Create edge-ledger",
    ]);
  });
});
