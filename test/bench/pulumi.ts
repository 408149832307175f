/**
 * Pulumi program benchmark (issue 4): evaluating a `Fleet` of 1,000 OpenStack devices and 5,000
 * allocations with one tenant network each under the mock runtime, through the engine harness
 * (real Ledger provider, real closure serialization). Reports wall time, resources registered per
 * second and the Ledger's serialized state per allocation (targets: < 30 s, <= 300 bytes).
 */
import * as os from "node:os";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { DYNAMIC_TOKENS } from "../../tokens";
import { Engine, stopSharedEngineService, valueOf } from "../harness/engine";
import { FakeProbe, extraOutputs, requireFor } from "../harness/fixtures";
import { fmtMs, heading, line, peakRssMiB } from "./util";

const POOLS = 4;
const DEVICES_PER_POOL = 250;
const SLOTS = 5;
const ALLOCATIONS = 5000;

/** 4 pools x 250 shared devices (5 VRF slots each) and 5,000 one-slot allocations, one network each. */
export function benchFleet(allocations = ALLOCATIONS): FleetArgs {
  const pools: FleetArgs["pools"] = {};
  for (let p = 0; p < POOLS; p++) {
    // Room above the 250 devices the allocations fill, so that the preview can grow a pool.
    pools[`fw${p}`] = {
      template: "vfw",
      max: DEVICES_PER_POOL + 10,
      zones: ["az1", "az2", "az3"],
      antiAffinity: "soft",
    };
  }
  const allocs: NonNullable<FleetArgs["allocations"]> = {};
  for (let i = 0; i < allocations; i++) {
    const id = i.toString(16).padStart(12, "0");
    allocs[`t${i}-fw`] = {
      tenant: `t${i}`,
      pools: [`fw${i % POOLS}`],
      demand: { CUSTOM_SERVICE_SLOT: 1 },
      networks: [{ network: `00000000-0000-4000-8000-${id}` }],
    };
  }
  return {
    templates: {
      vfw: {
        driver: "openstack",
        capacity: { CUSTOM_SERVICE_SLOT: SLOTS },
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: SLOTS } },
        openstack: {
          image: { name: "vyos-1.4" },
          flavor: { name: "m1.large" },
          networks: ["edge-mgmt"],
          keyPair: "noc",
        },
      },
    },
    pools,
    allocations: allocs,
  };
}

/** Bytes of the Ledger's state as `pulumi stack export` holds it (inputs and outputs, provider text included). */
export function ledgerStateBytes(engine: Engine): number {
  const r = [...engine.state.values()].find((x) => x.type === DYNAMIC_TOKENS.ledger);
  if (r === undefined) throw new Error("no Ledger in state");
  return Buffer.byteLength(JSON.stringify({ inputs: r.inputs, outputs: r.outputs }));
}

/**
 * Bytes of the whole stack state as `pulumi stack export` holds it: every resource's inputs and
 * outputs, plus the outputs components register (the harness's mock monitor does not keep those,
 * so the caller passes them resolved).
 */
export function stackStateBytes(engine: Engine, registered: unknown[] = []): number {
  let bytes = 0;
  for (const r of engine.state.values())
    bytes += Buffer.byteLength(JSON.stringify({ inputs: r.inputs, outputs: r.outputs }));
  for (const outputs of registered) bytes += Buffer.byteLength(JSON.stringify(outputs));
  return bytes;
}

/** Bytes of each resource type's inputs and outputs in the stack state, summed. */
export function stateBytesByType(engine: Engine): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of engine.state.values()) {
    const b = Buffer.byteLength(JSON.stringify({ inputs: r.inputs, outputs: r.outputs }));
    out.set(r.type, (out.get(r.type) ?? 0) + b);
  }
  return out;
}

/** A component with no children of its own making, outputs registered at once. */
class Bare extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

/**
 * The SDK's own floor: the same mix of resources (1,000 servers, 5,000 components, ports and
 * attachments) registered directly, without servicevm, under the same mock runtime.
 */
export async function sdkFloor(): Promise<{
  resources: number;
  ms: number;
  cpuMs: number;
  stateBytes: number;
  byType: Map<string, number>;
}> {
  const engine = new Engine({ requireModule: requireFor(new FakeProbe()), extraOutputs });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await engine.up(() => {
    const root = new Bare("bench:index:Root", "floor");
    const servers: openstack.compute.Instance[] = [];
    for (let d = 0; d < POOLS * DEVICES_PER_POOL; d++) {
      servers.push(
        new openstack.compute.Instance(
          `floor-${d}`,
          { name: `floor-${d}`, flavorName: "m1", imageName: "i" },
          { parent: root },
        ),
      );
    }
    for (let i = 0; i < ALLOCATIONS; i++) {
      const c = new Bare("bench:index:Alloc", `floor-a${i}`, { parent: root });
      const port = new openstack.networking.Port(`floor-a${i}-0`, { networkId: `net-${i}` }, { parent: c });
      new openstack.compute.InterfaceAttach(
        `floor-a${i}-0-attach`,
        { instanceId: servers[i % servers.length].id, portId: port.id },
        { parent: c },
      );
    }
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    resources: result.resources.length,
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    stateBytes: stackStateBytes(engine),
    byType: stateBytesByType(engine),
  };
}

export async function main(): Promise<void> {
  heading(
    `pulumi: Fleet of ${POOLS * DEVICES_PER_POOL} devices, ${ALLOCATIONS} allocations (mock runtime, engine harness)`,
  );
  const engine = new Engine({ requireModule: requireFor(new FakeProbe()), extraOutputs });
  const spec = benchFleet();

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let fleet: Fleet | undefined;
  const created = await engine.up(() => {
    fleet = new Fleet("bench", spec);
  });
  const createMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (!created.ok) throw new Error(created.errors.join("\n"));
  const resources = created.resources.length;
  const instances = created.resources.filter((r) => r.type === "openstack:compute/instance:Instance").length;
  line(
    "pulumi up (create): wall time",
    fmtMs(createMs),
    createMs < 30_000 ? "target < 30 s: ok" : "target < 30 s: MISSED",
  );
  line(
    "pulumi up (create): CPU time",
    fmtMs((cpu.user + cpu.system) / 1000),
    "wall time minus waiting for a busy machine",
  );
  line("resources registered", String(resources), `${instances} servers`);
  line("resources registered per second", ((resources / createMs) * 1000).toFixed(0));

  // What the components register, resolved (real state keeps it; the mock monitor does not).
  const f = fleet!;
  const registered: unknown[] = [{ capacity: await valueOf(f.capacity) }];
  for (const p of Object.values(f.pools))
    registered.push({ devices: await valueOf(p.devices), deviceIds: await valueOf(p.deviceIds) });
  const stackBytes = stackStateBytes(engine, registered);
  const bytes = ledgerStateBytes(engine);
  const perAllocation = bytes / ALLOCATIONS;
  line("Ledger state (inputs + outputs)", `${(bytes / 1024).toFixed(1)} KiB`);
  line(
    "Ledger state per allocation",
    `${perAllocation.toFixed(1)} B`,
    perAllocation <= 300 ? "target <= 300 B: ok" : "target <= 300 B: MISSED",
  );

  const t1 = performance.now();
  const again = await engine.up(() => {
    new Fleet("bench", spec);
  });
  const againMs = performance.now() - t1;
  const changed = again.steps.filter((s) => s.op !== "same").length;
  line("pulumi up (no change): wall time", fmtMs(againMs), `${changed} steps other than same`);

  const t2 = performance.now();
  const preview = await engine.preview(() => {
    new Fleet("bench", {
      ...spec,
      allocations: { ...spec.allocations, "new-fw": { tenant: "new", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
    });
  });
  const previewMs = performance.now() - t2;
  if (!preview.ok) throw new Error(preview.errors.join("\n"));
  const creates = preview.steps.filter((s) => s.op === "create").map((s) => s.name);
  line(
    "pulumi preview (one allocation added): wall time",
    fmtMs(previewMs),
    `creates: ${creates.join(", ")}`,
  );
  const floor = await sdkFloor();
  line(
    "SDK floor: same resource mix without servicevm",
    fmtMs(floor.ms),
    `${floor.resources} resources, ${((floor.resources / floor.ms) * 1000).toFixed(0)}/s`,
  );
  line("SDK floor: CPU time", fmtMs(floor.cpuMs));
  const beyond = (stackBytes - floor.stateBytes) / ALLOCATIONS;
  line(
    "stack state (every resource, registered outputs)",
    `${(stackBytes / 1024).toFixed(1)} KiB`,
    `SDK floor ${(floor.stateBytes / 1024).toFixed(1)} KiB`,
  );
  // What servicevm itself adds to a stack: the Ledger and what its components register. The cloud
  // resources (servers, ports, attachments) are what a hand-written program would create too.
  const registeredBytes = registered.reduce<number>((n, o) => n + Buffer.byteLength(JSON.stringify(o)), 0);
  const own = (bytes + registeredBytes) / ALLOCATIONS;
  line(
    "servicevm's own state per allocation (Ledger, registered outputs)",
    `${own.toFixed(1)} B`,
    own <= 300 ? "target <= 300 B: ok" : "target <= 300 B: MISSED",
  );
  line(
    "stack state beyond bare resources, per allocation",
    `${beyond.toFixed(1)} B`,
    "the SDK floor's ports carry no name or tags",
  );
  // Where the bytes beyond the floor are: per resource type (the floor's ports and attachments
  // carry the minimum inputs), and the outputs components register.
  const byType = stateBytesByType(engine);
  const floorOf = (type: string) => floor.byType.get(type) ?? 0;
  const parts: [string, number][] = [...byType].map(([type, b]) => [type, b - floorOf(type)]);
  parts.push(["registered outputs of components", registeredBytes]);
  for (const [what, b] of parts.sort((x, y) => y[1] - x[1]).slice(0, 6))
    line(`  beyond the floor: ${what}`, `${(b / ALLOCATIONS).toFixed(1)} B per allocation`);
  line("load average (1 min) / CPUs", `${os.loadavg()[0].toFixed(2)} / ${os.cpus().length}`);
  line("peak RSS", `${peakRssMiB().toFixed(0)} MiB`);
  await stopSharedEngineService();
}
