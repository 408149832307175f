/**
 * The servicevm provider plugin, installed from `npm pack` into a scratch project and started as
 * Pulumi's nodejs language host starts it (`node <sdk>/cmd/run-plugin <pluginDir> <engine>`),
 * driven over gRPC: its own RPCs, the Ledger and the ApplianceRegistration through successive
 * deployments, and `Construct` of a Fleet whose children register through the test monitor.
 *
 * Each deployment starts its own plugin process, as the CLI does. The engine's calls and encodings
 * follow its source at v3.248.0; its parallelism, default-provider state and diff rendering are
 * not modelled (see `monitor.ts`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TOKENS, PROVIDER_TOKENS } from "../../tokens";
import { ROOT } from "../cli/built";
import { FakeEngine } from "../harness/fakeEngine";
import { ACCOUNT, type ProbeServers, startProbeServers } from "../provider/probeServer";
import {
  type HostProcess,
  type Props,
  ProviderClient,
  UNKNOWN,
  type Wire,
  plaintextPaths,
  secret,
  startPluginHost,
} from "./hosts";
import { type ScratchProject, removeScratchProject, scratchProject } from "./install";
import { PluginEngine, type ProgramClient, type RunResult } from "./monitor";
import { DOCKER, IMAGE, ledgerSpec, placed } from "./ledgerFixture";

const STACK = "dev";
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;

let project: ScratchProject;
let engineService: FakeEngine;

// Each describe below has its own engine and stack, and runs its tests in order; the describes run
// at the same time (`describe.concurrent`, `it.sequential`): most of the time is plugin processes
// starting, one per deployment as with the CLI.

beforeAll(async () => {
  project = scratchProject();
  engineService = await FakeEngine.start();
});

afterAll(() => {
  engineService?.stop();
  removeScratchProject();
});

/** A test engine whose `servicevm` provider is the plugin, a new process per deployment. */
function newEngine(stack: string): Promise<PluginEngine> {
  return PluginEngine.start({
    project: project.name,
    stack,
    launchers: { servicevm: () => startPluginHost(project, engineService.address) },
    engineAddress: engineService.address,
    projectDir: project.dir,
  });
}

/** `<method> <resource name>` per provider call of a run, in order. */
function calls(result: RunResult): string[] {
  return result.calls.map((c) => `${c.method} ${c.urn.slice(c.urn.lastIndexOf("::") + 2)}`);
}

describe.concurrent("the plugin's own RPCs", () => {
  let host: HostProcess;
  let client: ProviderClient;

  beforeAll(async () => {
    host = await startPluginHost(project, engineService.address);
    client = new ProviderClient(host, "servicevm");
  });

  afterAll(async () => {
    client?.close();
    await host?.stop();
  });

  it.sequential("ships the plugin directory and its compiled entry in the package", () => {
    expect(project.files.filter((f) => f.startsWith("plugin/") || f.startsWith("dist/plugin/main."))).toEqual(
      [
        "dist/plugin/main.d.ts",
        "dist/plugin/main.js",
        "dist/plugin/main.js.map",
        "plugin/PulumiPlugin.yaml",
        "plugin/package.json",
        "plugin/schema.json",
      ],
    );
  });

  it.sequential("answers GetPluginInfo with the package's version", async () => {
    expect(await client.getPluginInfo()).toEqual({ version: VERSION });
  });

  it.sequential(
    "answers GetSchema with a schema that parses and names the Fleet component and both custom resources",
    async () => {
      const schema = JSON.parse(await client.getSchema()) as {
        name: string;
        version?: string;
        resources: Record<string, { isComponent?: boolean }>;
      };
      expect(schema.name).toBe("servicevm");
      expect(Object.keys(schema.resources).sort()).toEqual([
        PROVIDER_TOKENS.appliance,
        COMPONENT_TOKENS.fleet,
        PROVIDER_TOKENS.ledger,
      ]);
      expect(schema.resources[COMPONENT_TOKENS.fleet].isComponent).toBe(true);
    },
  );

  it.sequential(
    "does not handshake, so the engine takes its protocol from Configure: secrets, resources and outputs, no previews",
    async () => {
      expect(await client.handshake(engineService.address, project.dir)).toBeUndefined();
      expect(
        await client.configure({
          urn: `urn:pulumi:${STACK}::${project.name}::pulumi:providers:servicevm::default`,
          id: "00000000-0000-4000-8000-000000000000",
          inputs: {},
        }),
      ).toEqual({ acceptSecrets: true, acceptResources: true, acceptOutputs: true, supportsPreview: false });
      expect(host.stderr()).toBe("");
    },
  );

  // The plugin accepts secrets, so a secret health value reaches the Ledger wrapped (the dynamic
  // host gets plain values): it plans on the plain value and gives the entry back secret.
  it.sequential("reads a secret `false` health as unhealthy, as the dynamic Ledger does", async () => {
    const urn = `urn:pulumi:${STACK}::${project.name}::${PROVIDER_TOKENS.ledger}::lab-ledger`;
    const { inputs, failures } = await client.check(
      urn,
      {},
      { spec: ledgerSpec(["a-lb"]) as unknown as Wire, health: { "lb-0": secret(false) } },
    );
    expect(failures).toEqual([]);
    expect(inputs!.health).toEqual({ "lb-0": secret(false) });
    expect((inputs!.capacity as Record<string, { unhealthy: number }>).lb.unhealthy).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

/** A stack's Ledger and, for `replaceWith`, an unmanaged appliance (no URL: nothing probed). */
class LedgerStack {
  readonly ledgerUrn: string;
  readonly triggerUrn: string;

  constructor(readonly engine: PluginEngine) {
    const fleet = engine.urnOf(COMPONENT_TOKENS.fleet, "lab");
    this.ledgerUrn = engine.urnOf(PROVIDER_TOKENS.ledger, "lab-ledger", fleet);
    this.triggerUrn = engine.urnOf(PROVIDER_TOKENS.appliance, "lab-fw1", fleet);
  }

  /**
   * The stack, the `lab` component, the appliance and the Ledger, which lists the appliance in
   * `replaceWith` (a replacement the engine decides without `--replace`).
   */
  program(allocations: string[], image: Wire, opts: { protect?: boolean; seen?: { outputs?: Props } } = {}) {
    return async (p: ProgramClient): Promise<void> => {
      const stack = await p.stack();
      const fleet = await p.register({
        type: COMPONENT_TOKENS.fleet,
        name: "lab",
        custom: false,
        parent: stack,
        inputs: {},
      });
      const trigger = await p.register({
        type: PROVIDER_TOKENS.appliance,
        name: "lab-fw1",
        custom: true,
        parent: fleet.urn,
        inputs: { fleet: "lab", pool: "fw", device: "fw1" },
      });
      const ledger = await p.register({
        type: PROVIDER_TOKENS.ledger,
        name: "lab-ledger",
        custom: true,
        parent: fleet.urn,
        inputs: {
          spec: ledgerSpec(allocations) as unknown as Wire,
          health: {},
          sources: { haproxy: { driver: DOCKER, image } },
        },
        replaceWith: [trigger.urn],
        protect: opts.protect ?? false,
      });
      if (opts.seen) opts.seen.outputs = ledger.outputs;
      await p.registerOutputs(fleet.urn, {});
    };
  }

  stored(): { id: string; inputs: Props; outputs: Props } {
    return this.engine.state.get(this.ledgerUrn)!;
  }

  placements(): unknown {
    return (this.stored().outputs.ledger as { placements: unknown }).placements;
  }

  /** The run's calls but the appliance's. */
  ledgerCalls(result: RunResult): string[] {
    return calls(result).filter((c) => !c.endsWith(" lab-fw1"));
  }

  checks(result: RunResult): RunResult["calls"] {
    return result.calls.filter((c) => c.method === "Check" && c.urn === this.ledgerUrn);
  }
}

describe.concurrent("the plugin's Ledger (`servicevm:index:Ledger`) through successive deployments", () => {
  let s: LedgerStack;

  beforeAll(async () => {
    s = new LedgerStack(await newEngine("ledger"));
  });

  afterAll(() => s?.engine.stop());

  it.sequential(
    "previews the placements from `Check` (the unknown image kept as the engine's unknown), without `Create`",
    async () => {
      const seen: { outputs?: Props } = {};
      const result = await s.engine.preview(s.program(["a-lb", "b-lb"], UNKNOWN, { seen }));
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual(["Configure default", "Check lab-ledger"]);
      const [check] = s.checks(result);
      expect(check.request.olds).toEqual({});
      expect((check.request.news as Props).sources).toEqual({ haproxy: { driver: DOCKER, image: UNKNOWN } });
      expect(seen.outputs).toEqual({
        ledger: {
          version: 2,
          pools: { lb: { devices: { "lb-0": null, "lb-1": null }, source: { driver: DOCKER } } },
          placements: { "a-lb": placed("a-lb", 1), "b-lb": placed("b-lb", 2) },
        },
        pools: { lb: ["lb-0", "lb-1"] },
        health: {},
        capacity: {
          lb: {
            devices: 2,
            busy: 1,
            standby: 1,
            unhealthy: 0,
            classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 2, free: 6 } },
          },
        },
      });
      expect(result.stderr).toEqual({ servicevm: "" });
    },
  );

  it.sequential("creates the Ledger with id `ledger`; the outputs are the checked state", async () => {
    const result = await s.engine.up(s.program(["a-lb", "b-lb"], IMAGE));
    expect(result.errors).toEqual([]);
    expect(s.ledgerCalls(result)).toEqual(["Configure default", "Check lab-ledger", "Create lab-ledger"]);
    const { id, inputs, outputs } = s.stored();
    expect(id).toBe("ledger");
    // The plugin gets the URN from the engine: unlike the dynamic Ledger, no `resourceUrn` in its state.
    expect(Object.keys(inputs).sort()).toEqual(["capacity", "health", "ledger", "pools"]);
    expect(outputs).toEqual(inputs);
    expect(s.placements()).toEqual({ "a-lb": placed("a-lb", 1), "b-lb": placed("b-lb", 2) });
  });

  it.sequential(
    "adds an allocation without moving the others: `Check` from the old inputs, `Diff`, `Update`",
    async () => {
      const before = s.stored();
      const result = await s.engine.up(s.program(["a-lb", "b-lb", "c-lb"], IMAGE));
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check lab-ledger",
        "Diff lab-ledger",
        "Update lab-ledger",
      ]);
      expect(s.checks(result)[0].request.olds).toEqual(before.inputs);
      expect(s.placements()).toEqual({
        "a-lb": placed("a-lb", 1),
        "b-lb": placed("b-lb", 2),
        "c-lb": placed("c-lb", 3),
      });
    },
  );

  it.sequential("refreshes to the same state: `Read` returns the recorded outputs", async () => {
    const before = s.stored();
    const result = await s.engine.refresh();
    expect(result.errors).toEqual([]);
    expect(s.ledgerCalls(result)).toEqual(["Configure default", "Read lab-ledger"]);
    expect(s.stored()).toEqual(before);
  });

  it.sequential("deletes the Ledger on destroy with its recorded outputs and old inputs", async () => {
    const before = s.stored();
    const result = await s.engine.destroy();
    expect(result.errors).toEqual([]);
    const del = result.calls.find((c) => c.method === "Delete" && c.urn === s.ledgerUrn)!;
    expect(del.request).toEqual({ id: "ledger", properties: before.outputs, oldInputs: before.inputs });
    expect(s.engine.state.size).toBe(0);
    expect(s.engine.history.map((r) => r.stderr.servicevm ?? "")).toEqual(s.engine.history.map(() => ""));
  });
});

describe.concurrent("the plugin's Ledger replaced", () => {
  let s: LedgerStack;

  beforeAll(async () => {
    s = new LedgerStack(await newEngine("replaced"));
  });

  afterAll(() => s?.engine.stop());

  it.sequential(
    "keeps the other placements when an allocation goes (contexts 2 and 3 stay, where a fresh plan would give 1 and 2)",
    async () => {
      expect((await s.engine.up(s.program(["a-lb", "b-lb", "c-lb"], IMAGE))).errors).toEqual([]);
      expect((await s.engine.up(s.program(["b-lb", "c-lb"], IMAGE))).errors).toEqual([]);
      expect(s.placements()).toEqual({ "b-lb": placed("b-lb", 2), "c-lb": placed("c-lb", 3) });
    },
  );

  it.sequential(
    "plans a replacement the engine decides (`replaceWith`) from the ledger it replaces: the second `Check`, without olds, keeps contexts 2 and 3",
    async () => {
      const logs = engineService.logs.length;
      const before = s.stored();
      const result = await s.engine.up(s.program(["b-lb", "c-lb"], IMAGE), {
        replaceTargets: [s.triggerUrn],
      });
      expect(result.errors).toEqual([]);
      // step_generator.go: `Check` with the old inputs, no `Diff` (replaceWith), `Check` again without them.
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check lab-ledger",
        "Check lab-ledger",
        "Create lab-ledger",
        "Delete lab-ledger",
      ]);
      expect(s.checks(result).map((c) => c.request.olds)).toEqual([before.inputs, {}]);
      expect(s.placements()).toEqual({ "b-lb": placed("b-lb", 2), "c-lb": placed("c-lb", 3) });
      expect(
        engineService.logs.slice(logs).filter((l) => l.urn === s.ledgerUrn && l.severity !== "debug"),
      ).toEqual([
        {
          severity: "warning",
          urn: s.ledgerUrn,
          message:
            "the Ledger is being replaced: the new one plans from the ledger it replaces (2 placement(s) kept)",
        },
      ]);
    },
  );

  it.sequential(
    "re-plans from nothing on a targeted replace (`--replace`): the only `Check` has no olds, so `b-lb` and `c-lb` move to contexts 1 and 2",
    async () => {
      // Protected from now on: the engine checks the old state's `protect` (still false here).
      const result = await s.engine.up(s.program(["b-lb", "c-lb"], IMAGE, { protect: true }), {
        replaceTargets: [s.ledgerUrn],
      });
      expect(result.errors).toEqual([]);
      expect(s.ledgerCalls(result)).toEqual([
        "Configure default",
        "Check lab-ledger",
        "Create lab-ledger",
        "Delete lab-ledger",
      ]);
      expect(s.checks(result)[0].request.olds).toEqual({});
      expect(s.placements()).toEqual({ "b-lb": placed("b-lb", 1), "c-lb": placed("c-lb", 2) });
    },
  );

  it.sequential(
    "refuses a targeted replace of a protected Ledger (what the Fleet's `protectLedger` relies on), keeping its state",
    async () => {
      const before = s.stored();
      const result = await s.engine.up(s.program(["b-lb", "c-lb"], IMAGE, { protect: true }), {
        replaceTargets: [s.ledgerUrn],
      });
      expect(result.errors).toEqual([
        `${s.ledgerUrn}: unable to replace resource "${s.ledgerUrn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
      ]);
      expect(s.ledgerCalls(result)).toEqual(["Configure default", "Check lab-ledger"]);
      expect(s.stored()).toEqual(before);
      expect(s.engine.history.map((r) => r.stderr.servicevm ?? "")).toEqual(s.engine.history.map(() => ""));
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe.concurrent(
  "the plugin's ApplianceRegistration with a secret password, against an appliance that requires it",
  () => {
    let engine: PluginEngine;
    let servers: ProbeServers;
    let urn: string;

    beforeAll(async () => {
      engine = await newEngine("appliance");
      servers = await startProbeServers();
      urn = engine.urnOf(PROVIDER_TOKENS.appliance, "dc-fw1");
    });

    afterAll(async () => {
      await engine?.stop();
      await servers?.close();
    });

    const program = async (p: ProgramClient, timeoutMs = 2000): Promise<void> => {
      const stack = await p.stack();
      await p.register({
        type: PROVIDER_TOKENS.appliance,
        name: "dc-fw1",
        custom: true,
        parent: stack,
        inputs: {
          fleet: "dc",
          pool: "edge",
          device: "fw1",
          managementUrl: `${servers.httpsBase}/auth/200`,
          caFile: servers.certFile,
          timeoutMs,
          username: secret(ACCOUNT.username),
          password: secret(ACCOUNT.password),
        },
        additionalSecretOutputs: ["username", "password"],
      });
    };

    const basicAuth = `Basic ${Buffer.from(`${ACCOUNT.username}:${ACCOUNT.password}`).toString("base64")}`;

    /** Every Struct the plugin answered in a run. */
    const responses = (result: RunResult): unknown[] => result.calls.map((c) => c.response);

    it.sequential(
      "keeps the credentials secret in `Check`'s inputs and probes with them on `Create` (HTTPS, basic auth): `HTTP 200`",
      async () => {
        const preview = await engine.preview(program);
        expect(preview.errors).toEqual([]);
        const check = preview.calls.find((c) => c.method === "Check")!;
        expect((check.response as { inputs: Props }).inputs).toEqual({
          fleet: "dc",
          pool: "edge",
          device: "fw1",
          managementUrl: `${servers.httpsBase}/auth/200`,
          caFile: servers.certFile,
          timeoutMs: 2000,
          username: secret(ACCOUNT.username),
          password: secret(ACCOUNT.password),
        });
        expect(servers.seenAuth.has("/auth/200")).toBe(false);

        const up = await engine.up(program);
        expect(up.errors).toEqual([]);
        expect(calls(up)).toEqual(["Configure default", "Check dc-fw1", "Create dc-fw1"]);
        const { id, outputs } = engine.state.get(urn)!;
        expect(id).toBe("dc/fw1");
        expect({ ...outputs, latencyMs: 0, lastSeen: "" }).toEqual({
          fleet: "dc",
          pool: "edge",
          device: "fw1",
          managementUrl: `${servers.httpsBase}/auth/200`,
          caFile: servers.certFile,
          timeoutMs: 2000,
          username: secret(ACCOUNT.username),
          password: secret(ACCOUNT.password),
          reachable: true,
          healthy: true,
          latencyMs: 0,
          lastSeen: "",
          status: "HTTP 200",
        });
        expect(servers.seenAuth.get("/auth/200")).toBe(basicAuth);
        for (const result of [preview, up])
          expect(plaintextPaths(responses(result), ACCOUNT.password)).toEqual([]);
      },
    );

    it.sequential(
      "probes on refresh with the password from state (`Read`): still `HTTP 200`, the password still secret",
      async () => {
        servers.seenAuth.clear();
        const result = await engine.refresh();
        expect(result.errors).toEqual([]);
        expect(calls(result)).toEqual(["Configure default", "Read dc-fw1"]);
        const read = result.calls[1];
        expect((read.request.properties as Props).password).toEqual(secret(ACCOUNT.password));
        const outputs = engine.state.get(urn)!.outputs;
        expect(outputs.status).toBe("HTTP 200");
        expect(outputs.healthy).toBe(true);
        expect(outputs.password).toEqual(secret(ACCOUNT.password));
        expect(outputs.username).toEqual(secret(ACCOUNT.username));
        expect(servers.seenAuth.get("/auth/200")).toBe(basicAuth);
        expect(plaintextPaths(responses(result), ACCOUNT.password)).toEqual([]);
      },
    );

    it.sequential(
      "probes again on an update (the timeout changed): `Diff`, `Update` with the secret password, still `HTTP 200`",
      async () => {
        servers.seenAuth.clear();
        const result = await engine.up((p) => program(p, 3000));
        expect(result.errors).toEqual([]);
        expect(calls(result)).toEqual(["Configure default", "Check dc-fw1", "Diff dc-fw1", "Update dc-fw1"]);
        const update = result.calls[3];
        expect((update.request.news as Props).password).toEqual(secret(ACCOUNT.password));
        const outputs = engine.state.get(urn)!.outputs;
        expect([outputs.timeoutMs, outputs.status, outputs.password]).toEqual([
          3000,
          "HTTP 200",
          secret(ACCOUNT.password),
        ]);
        expect(servers.seenAuth.get("/auth/200")).toBe(basicAuth);
        expect(plaintextPaths(responses(result), ACCOUNT.password)).toEqual([]);
      },
    );

    it.sequential(
      "deletes it on destroy; no answer of any deployment held the password in plain text",
      async () => {
        const destroyed = await engine.destroy();
        expect(destroyed.errors).toEqual([]);
        expect(calls(destroyed)).toEqual(["Configure default", "Delete dc-fw1"]);
        expect(plaintextPaths(engine.history.map(responses), ACCOUNT.password)).toEqual([]);
        expect(engine.history.map((r) => r.stderr.servicevm ?? "")).toEqual(engine.history.map(() => ""));
      },
    );
  },
);

// ---------------------------------------------------------------------------------------------

const FLEET_YAML = `templates:
  haproxy:
    driver: docker
    capacity: { CUSTOM_SERVICE_SLOT: 4 }
    tenancy: { mode: shared, isolation: namespace, contexts: { first: 1, last: 4 } }
    docker:
      image: "haproxy:2.9"
      networks: [lab-svc]
pools:
  lb: { template: haproxy, size: 2 }
allocations:
  a-lb: { tenant: alpha, demand: { CUSTOM_SERVICE_SLOT: 1 }, networks: [{ network: lab-svc }] }
  b-lb: { tenant: bravo, demand: { CUSTOM_SERVICE_SLOT: 1 } }
`;

const FLEET_OBJECT: Wire = {
  templates: {
    haproxy: {
      driver: "docker",
      capacity: { CUSTOM_SERVICE_SLOT: 4 },
      tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
      docker: { image: "haproxy:2.9", networks: ["lab-svc"] },
    },
  },
  pools: { lb: { template: "haproxy", size: 2 } },
  allocations: {
    "a-lb": { tenant: "alpha", demand: { CUSTOM_SERVICE_SLOT: 1 }, networks: [{ network: "lab-svc" }] },
    "b-lb": { tenant: "bravo", demand: { CUSTOM_SERVICE_SLOT: 1 } },
  },
};

/** The Fleet's children as `<type> <name> <- <parent's name>`, in registration order. */
function tree(result: RunResult): string[] {
  const names = new Map(
    result.registrations.map((r) => [r.urn, r.type === "pulumi:pulumi:Stack" ? "(stack)" : r.name]),
  );
  return result.registrations
    .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.remote)
    .map((r) => `${r.type} ${r.name} <- ${names.get(r.parent)}`)
    .sort();
}

const FLEET_TREE = [
  `${COMPONENT_TOKENS.fleet} lab <- (stack)`,
  `${COMPONENT_TOKENS.deviceTemplate} lab-haproxy <- lab`,
  `${COMPONENT_TOKENS.devicePool} lab-lb <- lab`,
  `${COMPONENT_TOKENS.serviceAllocation} lab-a-lb <- lab`,
  `${COMPONENT_TOKENS.serviceAllocation} lab-b-lb <- lab`,
  "docker:index/remoteImage:RemoteImage lab-haproxy-image <- lab-haproxy",
  `${PROVIDER_TOKENS.ledger} lab-ledger <- lab`,
  "docker:index/container:Container lab-lb-0 <- lab-lb",
  "docker:index/container:Container lab-lb-1 <- lab-lb",
].sort();

const FLEET_PLACEMENTS = {
  "a-lb": { device: "lb-0", isolation: { id: 1, kind: "namespace" }, pool: "lb", tenant: "alpha" },
  "b-lb": { device: "lb-0", isolation: { id: 2, kind: "namespace" }, pool: "lb", tenant: "bravo" },
};

const NET_ID = "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10";

/** An OpenStack fleet whose networks are ids, so nothing is looked up (no invoke). */
const OPENSTACK_YAML = `templates:
  vfw:
    driver: openstack
    capacity: { CUSTOM_SERVICE_SLOT: 8 }
    tenancy: { mode: shared, isolation: vrf, contexts: { first: 1, last: 8 } }
    openstack:
      image: { source: "https://images.example.test/vyos.qcow2" }
      flavor: { vcpus: 8, ramMb: 16384, diskGb: 40 }
      networks: [${NET_ID}]
pools:
  fw: { template: vfw, standby: 1, zones: [az1, az2], antiAffinity: soft }
allocations:
  acme-fw: { tenant: acme, demand: { CUSTOM_SERVICE_SLOT: 2 }, networks: [{ network: ${NET_ID} }] }
  globex-fw: { tenant: globex, demand: { CUSTOM_SERVICE_SLOT: 1 }, networks: [{ network: ${NET_ID} }] }
`;

describe.concurrent("Construct of a Fleet (`servicevm:index:Fleet`)", () => {
  let engine: PluginEngine;

  beforeAll(async () => {
    engine = await newEngine("construct");
  });

  afterAll(() => engine?.stop());

  const program =
    (inputs: Props, seen: { outputs?: Props } = {}) =>
    async (p: ProgramClient): Promise<void> => {
      const stack = await p.stack();
      const fleet = await p.register({
        type: COMPONENT_TOKENS.fleet,
        name: "lab",
        custom: false,
        remote: true,
        parent: stack,
        inputs,
      });
      seen.outputs = fleet.outputs;
    };

  it.sequential(
    "previews from `specText`: children registered through the monitor, the Ledger only checked, placements known",
    async () => {
      const seen: { outputs?: Props } = {};
      const result = await engine.preview(program({ specText: FLEET_YAML, specFile: "fleet.yaml" }, seen));
      expect(result.errors).toEqual([]);
      expect(calls(result)).toEqual(["Configure default", "Construct lab", "Check lab-ledger"]);
      expect(tree(result)).toEqual(FLEET_TREE);
      const ledger = result.registrations.find((r) => r.type === PROVIDER_TOKENS.ledger)!;
      expect(ledger.custom).toBe(true);
      expect(ledger.protect).toBe(true);
      expect(Object.keys(seen.outputs!).sort()).toEqual(["capacity", "ledger", "placements"]);
      expect(seen.outputs!.placements).toEqual(FLEET_PLACEMENTS);
      expect(result.steps.every((s) => s.op === "create")).toBe(true);
      expect(result.stderr).toEqual({ servicevm: "" });
    },
  );

  it.sequential(
    "creates from a `spec` object: the same children and placements, the Ledger created",
    async () => {
      const seen: { outputs?: Props } = {};
      const result = await engine.up(program({ spec: FLEET_OBJECT }, seen));
      expect(result.errors).toEqual([]);
      expect(calls(result)).toEqual([
        "Configure default",
        "Construct lab",
        "Check lab-ledger",
        "Create lab-ledger",
      ]);
      expect(tree(result)).toEqual(FLEET_TREE);
      expect(seen.outputs!.placements).toEqual(FLEET_PLACEMENTS);
      const containers = [...engine.state.values()].filter(
        (r) => r.type === "docker:index/container:Container",
      );
      expect(containers.map((c) => c.id)).toEqual(["lab-lb-0-id", "lab-lb-1-id"]);
      const ledger = result.registrations.find((r) => r.type === PROVIDER_TOKENS.ledger)!;
      expect(containers.every((c) => c.dependencies.includes(ledger.urn))).toBe(true);
    },
  );

  it.sequential("updates from the same spec as `specText` without changing anything", async () => {
    const result = await engine.up(program({ specText: FLEET_YAML, specFile: "fleet.yaml" }));
    expect(result.errors).toEqual([]);
    expect(calls(result)).toEqual([
      "Configure default",
      "Construct lab",
      "Check lab-ledger",
      "Diff lab-ledger",
    ]);
    expect([
      ...new Set(result.steps.filter((s) => s.type !== COMPONENT_TOKENS.fleet).map((s) => s.op)),
    ]).toEqual(["same"]);
  });

  it.sequential(
    "previews an OpenStack fleet: flavor, image, server group, one instance per device, a port and an attachment per allocation",
    async () => {
      const result = await engine.preview(async (p) => {
        const stack = await p.stack();
        const inputs = { specText: OPENSTACK_YAML, specFile: "fleet.yaml" };
        await p.register({
          type: COMPONENT_TOKENS.fleet,
          name: "edge",
          custom: false,
          remote: true,
          parent: stack,
          inputs,
        });
      });
      expect(result.errors).toEqual([]);
      expect(calls(result)).toEqual(["Configure default", "Construct edge", "Check edge-ledger"]);
      expect(result.invokes).toEqual([]);
      expect(tree(result)).toEqual(
        [
          `${COMPONENT_TOKENS.fleet} edge <- (stack)`,
          `${COMPONENT_TOKENS.deviceTemplate} edge-vfw <- edge`,
          `${COMPONENT_TOKENS.devicePool} edge-fw <- edge`,
          `${COMPONENT_TOKENS.serviceAllocation} edge-acme-fw <- edge`,
          `${COMPONENT_TOKENS.serviceAllocation} edge-globex-fw <- edge`,
          `${PROVIDER_TOKENS.ledger} edge-ledger <- edge`,
          "openstack:compute/flavor:Flavor edge-vfw-flavor <- edge-vfw",
          "openstack:images/image:Image edge-vfw-image <- edge-vfw",
          "openstack:compute/serverGroup:ServerGroup edge-fw <- edge-fw",
          "openstack:compute/instance:Instance edge-fw-0 <- edge-fw",
          "openstack:compute/instance:Instance edge-fw-1 <- edge-fw",
          "openstack:networking/port:Port edge-acme-fw-0 <- edge-acme-fw",
          "openstack:networking/port:Port edge-globex-fw-0 <- edge-globex-fw",
          "openstack:compute/interfaceAttach:InterfaceAttach edge-acme-fw-0-attach <- edge-acme-fw",
          "openstack:compute/interfaceAttach:InterfaceAttach edge-globex-fw-0-attach <- edge-globex-fw",
        ].sort(),
      );
      const attach = result.registrations.find((r) => r.name === "edge-acme-fw-0-attach")!;
      // Ids of resources not created yet are the engine's unknown in a preview.
      expect(attach.inputs).toEqual({ instanceId: UNKNOWN, portId: UNKNOWN });
      const port = result.registrations.find((r) => r.name === "edge-acme-fw-0")!;
      expect(port.inputs.networkId).toBe(NET_ID);
      expect([...engine.featuresAsked]).toEqual(
        expect.arrayContaining([
          "secrets",
          "resourceReferences",
          "outputValues",
          "deletedWith",
          "aliasSpecs",
        ]),
      );
    },
  );

  it.sequential("fails Construct with the error's file:line:col in `specFile`", async () => {
    const result = await engine.preview(
      program({ specText: FLEET_YAML.replace("size: 2", "size: two"), specFile: "fleet.yaml" }),
    );
    expect(result.errors).toEqual([
      `${engine.urnOf(COMPONENT_TOKENS.fleet, "lab")}: servicevm.Construct: ${COMPONENT_TOKENS.fleet} \`lab\`: 1 error in fleet spec:\nfleet.yaml:10:34: pools.lb.size: must be a whole number, not the string \`two\` (gRPC status 2)`,
    ]);
  });

  it.sequential("refuses to destroy the Fleet's Ledger, protected by default", async () => {
    const result = await engine.destroy();
    const ledgerUrn = [...engine.state.keys()].find((u) =>
      u.endsWith(`${PROVIDER_TOKENS.ledger}::lab-ledger`),
    )!;
    expect(result.errors).toEqual([
      `resource "${ledgerUrn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${ledgerUrn}'\``,
    ]);
    expect(calls(result)).not.toContain("Delete lab-ledger");
  });
});
