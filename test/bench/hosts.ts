/**
 * The Fleet of `pulumi.ts` (1,000 OpenStack devices, 5,000 allocations) through the real hosts of
 * `@pulumi/pulumi`, from a scratch project with servicevm installed from `npm pack`
 * (`test/plugin/install.ts`), driven over gRPC as the engine drives them (`test/plugin/hosts.ts`):
 *
 * 1. the plugin's Ledger (`servicevm:index:Ledger`): `Check` with the previous state as olds and the
 *    spec plus one allocation (what a `pulumi preview` after a one-line change costs), and `Update`
 *    (olds = the previous outputs, news = the checked inputs); median of {@link RUNS} round trips
 *    after one warm-up, each target < 1 s, and the messages' sizes;
 * 2. the same calls through the nodejs dynamic-provider host (`pulumi-nodejs:dynamic/servicevm:Ledger`,
 *    `__provider` the real serialized closure), interleaved with the plugin's, and the ratio;
 * 3. `Construct` of the Fleet (a `pulumi up` of a new stack, the spec as a `spec` object) through the
 *    plugin and the test monitor (`test/plugin/monitor.ts`), against the same TypeScript program
 *    (`new Fleet(...)` with `resources: "provider"`, so its Ledger goes to the plugin as under
 *    Construct) run as the nodejs language host runs a program: a child `node` running the SDK's
 *    `@pulumi/pulumi/cmd/run` on an `index.js` of the scratch project, registering over gRPC with
 *    the same test monitor: resources registered per second, and where the time goes (each
 *    process's CPU time). Target: Construct at least as fast per resource as that program. The
 *    in-process program under the engine harness (Pulumi's mock monitor in this process, no gRPC)
 *    is shown for information.
 *
 * With `SERVICEVM_BENCH_CPU_PROF=<dir>`, the plugin process of step 3 runs under V8's CPU profiler
 * and the profile's self time is summarized by package and by function (the profiler slows it
 * down: read the shares, not the times).
 *
 * What it does not measure: the Pulumi CLI (its step generation, state writes, the language host's
 * monitor proxy between program and engine: the child registers with the test monitor directly, as
 * the plugin does under Construct); the test monitor stands in for it and its CPU time is shown.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { planSpec } from "../../core/planSpec";
import { templateSource } from "../../core/sources";
import type { TemplateSpec } from "../../core/types";
import { ledgerProvider } from "../../provider/ledger";
import { COMPONENT_TOKENS, DYNAMIC_TOKENS, PROVIDER_TOKENS } from "../../tokens";
import { Engine, stopSharedEngineService } from "../harness/engine";
import { FakeEngine } from "../harness/fakeEngine";
import { FakeProbe, extraOutputs, requireFor } from "../harness/fixtures";
import {
  type HostProcess,
  type Props,
  ProviderClient,
  type Wire,
  startDynamicHost,
  startPluginHost,
} from "../plugin/hosts";
import { type ScratchProject, removeScratchProject, scratchProject } from "../plugin/install";
import { PluginEngine, type Registration, type RunResult } from "../plugin/monitor";
import { benchFleet } from "./pulumi";
import { fmtMs, heading, line, median, peakRssMiB } from "./util";

/** Timed repetitions of each call, after one warm-up. */
const RUNS = 7;
const TARGET_MS = 1000;
const FLEET = "bench";
const STACK = "bench";

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

function target(ms: number): string {
  return ms < TARGET_MS ? "target < 1 s: ok" : "target < 1 s: MISSED";
}

function spread(ms: number[]): string {
  return `${ms.length} runs, ${fmtMs(Math.min(...ms))} .. ${fmtMs(Math.max(...ms))}`;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The spec plus one allocation on pool `fw0`: the one-line change of a preview. */
function withOneMore(spec: FleetArgs): FleetArgs {
  return {
    ...spec,
    allocations: {
      ...spec.allocations,
      "new-fw": {
        tenant: "new",
        pools: ["fw0"],
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        networks: [{ network: "00000000-0000-4000-8000-ffffffffffff" }],
      },
    },
  };
}

/**
 * The Ledger's inputs as the Fleet registers them (`components/fleet.ts`): the planner's spec, no
 * health, the fleet's name and the templates' source digests (`templateSource` computes the same
 * digests from plain values as the Fleet's `templateSources` from Inputs).
 */
function ledgerInputs(spec: FleetArgs): Props {
  const sources: Record<string, Record<string, string | null>> = {};
  for (const t of Object.keys(spec.templates).sort())
    sources[t] = templateSource(spec.templates[t] as TemplateSpec);
  return {
    spec: planSpec(spec) as unknown as Wire,
    health: {},
    fleet: FLEET,
    sources,
  };
}

/** One host serving the Ledger, configured as the engine configures a default provider. */
interface Side {
  label: string;
  host: HostProcess;
  client: ProviderClient;
  urn: string;
  /** Inputs this kind of Ledger registers besides {@link ledgerInputs}. */
  extra: Props;
}

async function openSide(
  label: string,
  host: HostProcess,
  pkg: string,
  urn: string,
  extra: Props,
  engineAddress: string,
  project: ScratchProject,
): Promise<Side> {
  const client = new ProviderClient(host, label, true);
  try {
    await client.handshake(engineAddress, project.dir);
    await client.configure({
      urn: `urn:pulumi:${STACK}::${project.name}::pulumi:providers:${pkg}::default`,
      id: "00000000-0000-4000-8000-000000000000",
      inputs: {},
    });
  } catch (e) {
    client.close();
    await host.stop();
    throw e;
  }
  return { label, host, client, urn, extra };
}

/** The Ledger created from `spec` (`Check` without olds, then `Create`): the previous state. */
async function createLedger(
  side: Side,
  spec: FleetArgs,
): Promise<{ id: string; inputs: Props; outputs: Props }> {
  const checked = await side.client.check(side.urn, {}, { ...ledgerInputs(spec), ...side.extra });
  if (checked.failures.length > 0) throw new Error(`${side.label}: ${JSON.stringify(checked.failures)}`);
  const inputs = checked.inputs ?? {};
  const created = await side.client.create(side.urn, inputs, false);
  return { id: created.id, inputs, outputs: created.properties };
}

interface Timed<T> {
  ms: number[];
  last: T;
  bytes: { request: number; response: number };
}

/**
 * Each side's `fn`, one warm-up then {@link RUNS} timed round trips, the sides alternating so that
 * both see the same moments of a noisy machine.
 */
async function interleaved<T>(sides: Side[], fn: (side: Side) => Promise<T>): Promise<Timed<T>[]> {
  const out: Timed<T>[] = [];
  for (const side of sides) out.push({ ms: [], last: await fn(side), bytes: { request: 0, response: 0 } });
  for (let i = 0; i < RUNS; i++) {
    for (const [k, side] of sides.entries()) {
      gc();
      const t0 = performance.now();
      out[k].last = await fn(side);
      out[k].ms.push(performance.now() - t0);
    }
  }
  for (const [k, side] of sides.entries()) out[k].bytes = side.client.lastCallBytes()!;
  return out;
}

function placementsOf(props: Props): number {
  const ledger = props.ledger as { placements?: Record<string, unknown> } | undefined;
  return Object.keys(ledger?.placements ?? {}).length;
}

async function ledgerCalls(project: ScratchProject, service: FakeEngine, spec: FleetArgs): Promise<void> {
  const urnOf = (type: string) =>
    `urn:pulumi:${STACK}::${project.name}::${COMPONENT_TOKENS.fleet}$${type}::${FLEET}-ledger`;
  const providerText = (await pulumi.runtime.serializeFunction(() => ledgerProvider, { allowSecrets: true }))
    .text;
  const dynamicUrn = urnOf(DYNAMIC_TOKENS.ledger);
  const sides: Side[] = [];
  try {
    sides.push(
      await openSide(
        "plugin",
        await startPluginHost(project, service.address),
        "servicevm",
        urnOf(PROVIDER_TOKENS.ledger),
        {},
        service.address,
        project,
      ),
    );
    sides.push(
      await openSide(
        "dynamic",
        await startDynamicHost(project, service.address),
        "pulumi-nodejs",
        dynamicUrn,
        { resourceUrn: dynamicUrn, __provider: providerText },
        service.address,
        project,
      ),
    );
    const previous = await Promise.all(sides.map((s) => createLedger(s, spec)));
    // The news are built before timing: the round trips time the client's encoding, not planSpec.
    const news = sides.map((side) => ({ ...ledgerInputs(withOneMore(spec)), ...side.extra }));
    const checks = await interleaved(sides, async (side) => {
      const k = sides.indexOf(side);
      const r = await side.client.check(side.urn, previous[k].inputs, news[k]);
      if (r.failures.length > 0) throw new Error(`${side.label}: ${JSON.stringify(r.failures)}`);
      return r.inputs ?? {};
    });
    const updates = await interleaved(sides, (side) => {
      const k = sides.indexOf(side);
      const p = previous[k];
      return side.client.update({
        urn: side.urn,
        id: p.id,
        oldInputs: p.inputs,
        olds: p.outputs,
        news: checks[k].last,
        preview: false,
      });
    });

    for (const [what, timed] of [
      ["Check (olds: previous state; news: + 1 allocation)", checks],
      ["Update (olds: previous outputs; news: checked)", updates],
    ] as const) {
      const [plugin, dynamic] = timed.map((t) => median(t.ms));
      line(`Ledger ${what}, round trip with this client's encoding`, "");
      line("  plugin (servicevm:index:Ledger)", fmtMs(plugin), spread(timed[0].ms));
      line("  dynamic host (pulumi-nodejs:dynamic/servicevm:Ledger)", fmtMs(dynamic), spread(timed[1].ms));
      line("  plugin / dynamic", ratio(plugin, dynamic));
      for (const [k, side] of sides.entries())
        line(
          `  request / response (${side.label})`,
          `${kib(timed[k].bytes.request)}`,
          `response ${kib(timed[k].bytes.response)}`,
        );
    }
    // What the provider process itself spends: requests encoded beforehand, responses left
    // encoded. The engine encodes and decodes in Go; this client's JavaScript protobuf work on
    // 1-2 MiB of Struct is most of the round trips above.
    const encoded = sides.map((side, k) => ({
      check: ProviderClient.checkRequest(side.urn, previous[k].inputs, news[k]).serializeBinary(),
      update: ProviderClient.updateRequest({
        urn: side.urn,
        id: previous[k].id,
        oldInputs: previous[k].inputs,
        olds: previous[k].outputs,
        news: checks[k].last,
        preview: false,
      }).serializeBinary(),
    }));
    for (const method of ["Check", "Update"] as const) {
      const timed = await interleaved(sides, (side) =>
        side.client.rawCall(method, encoded[sides.indexOf(side)][method === "Check" ? "check" : "update"]),
      );
      const [plugin, dynamic] = timed.map((t) => median(t.ms));
      line(`Ledger ${method}, provider side (request encoded by the engine)`, "");
      line("  plugin (servicevm:index:Ledger)", fmtMs(plugin), `${target(plugin)}; ${spread(timed[0].ms)}`);
      line("  dynamic host (pulumi-nodejs:dynamic/servicevm:Ledger)", fmtMs(dynamic), spread(timed[1].ms));
    }
    const counts = [...checks.map((c) => placementsOf(c.last)), ...updates.map((u) => placementsOf(u.last))];
    line("placements after Check, Update (plugin, dynamic)", counts.join(", "));
    const stderr = sides.map((s) => s.host.stderr().trim()).filter((e) => e !== "");
    if (stderr.length > 0) process.stderr.write(`host stderr:\n${stderr.join("\n")}\n`);
  } finally {
    for (const side of sides) {
      side.client.close();
      await side.host.stop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Construct against the in-process program.

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process so far, in ms, from `/proc/<pid>/stat`; NaN elsewhere. */
function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The plugin process of a run: when it started, and its CPU time after starting and when stopped. */
interface PluginProcess {
  pid: number;
  startMs: number;
  cpuAtPort: number;
  cpuAtStop: number;
}

/**
 * The plugin's environment for a CPU profile: V8's sampling profiler (what `--cpu-prof` runs, which
 * Node 20 refuses in `NODE_OPTIONS`) started by a preloaded script through `node:inspector`, which
 * writes `plugin.<pid>.cpuprofile` into `dir` and exits when the host is stopped (SIGTERM).
 */
function profilingEnv(dir: string): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const preload = path.join(dir, "profile-until-sigterm.js");
  fs.writeFileSync(
    preload,
    `const inspector = require("node:inspector");
const fs = require("node:fs");
const session = new inspector.Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 1000 });
session.post("Profiler.start");
process.on("SIGTERM", () => {
  session.post("Profiler.stop", (err, result) => {
    if (!err) fs.writeFileSync(${JSON.stringify(dir)} + "/plugin." + process.pid + ".cpuprofile", JSON.stringify(result.profile));
    process.exit(0);
  });
});
`,
  );
  return { NODE_OPTIONS: `--require ${preload}` };
}

/** Starts the plugin as the monitor's `servicevm` launcher and keeps its {@link PluginProcess}. */
function pluginLauncher(
  project: ScratchProject,
  service: FakeEngine,
  env: Record<string, string>,
): { launch: () => Promise<HostProcess>; started: () => PluginProcess | undefined } {
  let plugin: PluginProcess | undefined;
  const launch = async (): Promise<HostProcess> => {
    const t0 = performance.now();
    const host = await startPluginHost(project, service.address, env);
    const p: PluginProcess = {
      pid: host.pid,
      startMs: performance.now() - t0,
      cpuAtPort: processCpuMs(host.pid),
      cpuAtStop: Number.NaN,
    };
    plugin = p;
    return {
      ...host,
      stop: async () => {
        p.cpuAtStop = processCpuMs(host.pid);
        await host.stop();
      },
    };
  };
  return { launch, started: () => plugin };
}

/** The Fleet's registrations: its component and every child (not the stack, not a remote component). */
function isFleetRegistration(r: Registration): boolean {
  return !r.remote && r.type !== "pulumi:pulumi:Stack";
}

/**
 * When the monitor received the first of the Fleet's registrations and answered the last, and when
 * it received the stack's (this process's `performance.now()`).
 */
interface Window {
  stackMs: number;
  firstMs: number;
  lastMs: number;
}

function watchRegistrations(engine: PluginEngine): Window {
  const w: Window = { stackMs: Number.NaN, firstMs: Infinity, lastMs: -Infinity };
  engine.onRegistered = (reg, receivedMs, answeredMs) => {
    if (reg.type === "pulumi:pulumi:Stack") w.stackMs = receivedMs;
    if (!isFleetRegistration(reg)) return;
    w.firstMs = Math.min(w.firstMs, receivedMs);
    w.lastMs = Math.max(w.lastMs, answeredMs);
  };
  return w;
}

async function startEngine(
  project: ScratchProject,
  service: FakeEngine,
  launch: () => Promise<HostProcess>,
): Promise<PluginEngine> {
  return PluginEngine.start({
    project: project.name,
    stack: STACK,
    launchers: { servicevm: launch },
    engineAddress: service.address,
    projectDir: project.dir,
  });
}

async function constructFleet(
  project: ScratchProject,
  service: FakeEngine,
  spec: FleetArgs,
  profileDir: string | undefined,
): Promise<{
  result: RunResult;
  wallMs: number;
  windowMs: number;
  monitorCpuMs: number;
  plugin: PluginProcess;
}> {
  const plugin = pluginLauncher(project, service, profileDir === undefined ? {} : profilingEnv(profileDir));
  const engine = await startEngine(project, service, plugin.launch);
  const window = watchRegistrations(engine);
  try {
    gc();
    const cpu0 = ownCpuMs();
    const t0 = performance.now();
    const result = await engine.up(async (p) => {
      const stack = await p.stack();
      await p.register({
        type: COMPONENT_TOKENS.fleet,
        name: FLEET,
        custom: false,
        remote: true,
        parent: stack,
        inputs: { spec: spec as unknown as Wire },
      });
    });
    const wallMs = performance.now() - t0;
    const monitorCpuMs = ownCpuMs() - cpu0;
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return {
      result,
      wallMs,
      windowMs: window.lastMs - window.firstMs,
      monitorCpuMs,
      plugin: plugin.started()!,
    };
  } finally {
    await engine.stop();
  }
}

/** How the child program was started, and what it cost. */
interface ChildRun {
  argv: string[];
  /** The variables set for it besides this process's environment. */
  env: Record<string, string>;
  spawnMs: number;
  exitMs: number;
  /** User + system CPU time of the child, in ms, as it measured itself at `exit`. */
  cpuMs: number;
}

/**
 * The program file of the scratch project (its package.json's `main`): what a user's `index.ts`
 * compiles to, the spec read from `fleet.json` (the bench's `benchFleet()`, which is not shipped).
 */
const PROGRAM = `"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Fleet } = require("servicevm");

const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "fleet.json"), "utf8"));
new Fleet(${JSON.stringify(FLEET)}, spec, { resources: "provider" });
`;

/**
 * The program's first line in the variant with the plugin's stack traces: `plugin/main.ts`
 * (`plainStackTraces`) removes the `Error.prepareStackTrace` that source-map-support installs;
 * `cmd/run` installs it for a program too (and ts-node's), and the program keeps it by default.
 */
const PLAIN_STACK_TRACES = "delete Error.prepareStackTrace;\n";

/** Preloaded (`NODE_OPTIONS=--require`) to measure the child: its CPU time when it exits. */
const CPU_AT_EXIT = `"use strict";
process.on("exit", () => {
  const u = process.cpuUsage();
  require("node:fs").writeFileSync(process.env.SERVICEVM_BENCH_CPU_OUT, String((u.user + u.system) / 1000));
});
`;

/**
 * Runs the program as `pulumi-language-nodejs` v3.248.0 runs it (`execRuntime`,
 * `constructArguments`): `node <@pulumi/pulumi/cmd/run resolved from the project> --monitor <m>
 * --engine <e> --organization organization --project <p> --root-directory <dir> --stack <s> --pwd
 * <dir> --parallel <4 x CPUs> .`, with `PULUMI_CONFIG={}`, `PULUMI_CONFIG_SECRET_KEYS=[]` and
 * `PULUMI_NODEJS_TYPESCRIPT=true` (the `typescript` option defaults to true). Not given: `--sync`
 * (the language host's pipes for synchronous invokes; the program makes none) and `--tracing`; the
 * monitor is the test monitor itself, not the language host's proxy of it.
 */
function runProgram(
  project: ScratchProject,
  monitor: string,
  engineAddress: string,
  plainStackTraces: boolean,
): Promise<ChildRun> {
  fs.writeFileSync(
    path.join(project.dir, "index.js"),
    plainStackTraces ? PROGRAM.replace('"use strict";\n', `"use strict";\n${PLAIN_STACK_TRACES}`) : PROGRAM,
  );
  const preload = path.join(project.dir, "cpu-at-exit.js");
  fs.writeFileSync(preload, CPU_AT_EXIT);
  const cpuOut = path.join(project.dir, "child-cpu.txt");
  fs.rmSync(cpuOut, { force: true });
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [project.dir] });
  const argv = [
    runPath,
    ...["--monitor", monitor, "--engine", engineAddress, "--organization", "organization"],
    ...["--project", project.name, "--root-directory", project.dir, "--stack", STACK, "--pwd", project.dir],
    ...["--parallel", String(os.cpus().length * 4)],
    ".",
  ];
  const env = {
    PULUMI_CONFIG: "{}",
    PULUMI_CONFIG_SECRET_KEYS: "[]",
    PULUMI_NODEJS_TYPESCRIPT: "true",
    NODE_OPTIONS: `--require ${preload}`,
    SERVICEVM_BENCH_CPU_OUT: cpuOut,
  };
  return new Promise((resolve, reject) => {
    const spawnMs = performance.now();
    const child = spawn(process.execPath, argv, {
      cwd: project.dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const exitMs = performance.now();
      if (code !== 0) {
        reject(new Error(`program exited (${code ?? signal}):\n${out}`));
        return;
      }
      if (out.trim() !== "") process.stderr.write(`program output:\n${out}\n`);
      const cpuMs = fs.existsSync(cpuOut) ? Number(fs.readFileSync(cpuOut, "utf8")) : Number.NaN;
      resolve({ argv: [process.execPath, ...argv], env, spawnMs, exitMs, cpuMs });
    });
  });
}

/** `pulumi up` of a new stack with the program run by the SDK's program runner in a child process. */
async function programOverGrpc(
  project: ScratchProject,
  service: FakeEngine,
  spec: FleetArgs,
  plainStackTraces: boolean,
): Promise<{
  result: RunResult;
  wallMs: number;
  window: Window;
  child: ChildRun;
  monitorCpuMs: number;
  plugin: PluginProcess;
}> {
  fs.writeFileSync(path.join(project.dir, "fleet.json"), JSON.stringify(spec));
  const plugin = pluginLauncher(project, service, {});
  const engine = await startEngine(project, service, plugin.launch);
  const window = watchRegistrations(engine);
  try {
    gc();
    const cpu0 = ownCpuMs();
    const t0 = performance.now();
    let child: ChildRun | undefined;
    const result = await engine.up(async () => {
      child = await runProgram(project, engine.address, service.address, plainStackTraces);
    });
    const wallMs = performance.now() - t0;
    const monitorCpuMs = ownCpuMs() - cpu0;
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return { result, wallMs, window, child: child!, monitorCpuMs, plugin: plugin.started()! };
  } finally {
    await engine.stop();
  }
}

async function inProcess(spec: FleetArgs): Promise<{ resources: number; wallMs: number; cpuMs: number }> {
  const engine = new Engine({ requireModule: requireFor(new FakeProbe()), extraOutputs });
  gc();
  const cpu0 = ownCpuMs();
  const t0 = performance.now();
  const created = await engine.up(() => {
    new Fleet(FLEET, spec);
  });
  const wallMs = performance.now() - t0;
  const cpuMs = ownCpuMs() - cpu0;
  if (!created.ok) throw new Error(created.errors.join("\n"));
  return { resources: created.resources.length, wallMs, cpuMs };
}

function perSecond(n: number, ms: number): string {
  return `${((n / ms) * 1000).toFixed(0)}/s`;
}

async function constructVsInProcess(
  project: ScratchProject,
  service: FakeEngine,
  spec: FleetArgs,
): Promise<void> {
  const profileDir = process.env.SERVICEVM_BENCH_CPU_PROF;
  const loadBefore = os.loadavg()[0];
  const c = await constructFleet(project, service, spec, profileDir);
  const loadConstruct = os.loadavg()[0];
  const g = await programOverGrpc(project, service, spec, false);
  const loadProgram = os.loadavg()[0];
  const plain = await programOverGrpc(project, service, spec, true);
  const loadPlain = os.loadavg()[0];
  const own = await inProcess(spec);

  const construct = c.result.calls.find((x) => x.method === "Construct")!;
  const constructMs = construct.ms!;
  const ledgerMs = c.result.calls
    .filter((x) => x.method !== "Construct" && x.method !== "Configure")
    .reduce((n, x) => n + (x.ms ?? 0), 0);
  // What the plugin registered: its Fleet component and every child (not the stack, not the
  // program's own registration of the remote component).
  const registered = c.result.registrations.filter(isFleetRegistration);
  const servers = registered.filter((r) => r.type === "openstack:compute/instance:Instance").length;
  const pluginRate = registered.length / constructMs;
  const ownRate = own.resources / own.wallMs;
  const programRegistered = g.result.registrations.filter(isFleetRegistration);
  const programWindowMs = g.window.lastMs - g.window.firstMs;
  // The program's counterpart of the Construct round trip: from the stack's registration (the SDK
  // then loads the program: servicevm, the spec, `new Fleet`) to the child's exit (every
  // registration answered, outputs registered, `signalAndWaitForShutdown`).
  const programRunMs = g.child.exitMs - g.window.stackMs;
  const programRate = programRegistered.length / programRunMs;
  const programLedgerMs = g.result.calls
    .filter((x) => x.method !== "Configure")
    .reduce((n, x) => n + (x.ms ?? 0), 0);

  line("Construct of the Fleet through the plugin (pulumi up, new stack)", "");
  line("  up: wall time", fmtMs(c.wallMs), "plugin start, Configure, Construct, stop");
  line("  plugin process start (spawn to port)", fmtMs(c.plugin.startMs));
  line("  Construct round trip", fmtMs(constructMs));
  line("  of which the Ledger's Check + Create (monitor -> plugin)", fmtMs(ledgerMs));
  line("  resources registered by Construct", String(registered.length), `${servers} servers`);
  line("  resources registered per second (Construct)", perSecond(registered.length, constructMs));
  line(
    "  registration window (first received .. last answered)",
    fmtMs(c.windowMs),
    perSecond(registered.length, c.windowMs),
  );
  line(
    "  CPU: plugin process during the up (after start)",
    fmtMs(c.plugin.cpuAtStop - c.plugin.cpuAtPort),
    `start ${fmtMs(c.plugin.cpuAtPort)}`,
  );
  line("  CPU: this process (test monitor) during the up", fmtMs(c.monitorCpuMs));
  line("  load average (1 min) after", loadConstruct.toFixed(2), `before ${loadBefore.toFixed(2)}`);
  line('program over gRPC (new Fleet, resources: "provider", child under cmd/run)', "");
  line("  up: wall time", fmtMs(g.wallMs), "child spawn to exit, plugin for the Ledger, stop");
  line("  child: spawn to exit", fmtMs(g.child.exitMs - g.child.spawnMs));
  line(
    "  child: spawn to stack registered",
    fmtMs(g.window.stackMs - g.child.spawnMs),
    "node, SDK, ts-node register",
  );
  line(
    "  registration window (first received .. last answered)",
    fmtMs(programWindowMs),
    "first Fleet registration .. last answer",
  );
  line(
    "  child: stack registered to exit (as Construct round trip)",
    fmtMs(programRunMs),
    `of which after the last answer ${fmtMs(g.child.exitMs - g.window.lastMs)}`,
  );
  line("  of which the Ledger's Check + Create (monitor -> plugin)", fmtMs(programLedgerMs));
  line(
    "  resources registered",
    String(programRegistered.length),
    `${programRegistered.filter((r) => r.type === "openstack:compute/instance:Instance").length} servers`,
  );
  line(
    "  resources registered per second (stack registered to exit)",
    perSecond(programRegistered.length, programRunMs),
  );
  line("  resources registered per second (window)", perSecond(programRegistered.length, programWindowMs));
  line("  CPU: child program process (spawn to exit)", fmtMs(g.child.cpuMs));
  line(
    "  CPU: plugin process during the up (after start)",
    fmtMs(g.plugin.cpuAtStop - g.plugin.cpuAtPort),
    `start ${fmtMs(g.plugin.cpuAtPort)}`,
  );
  line("  CPU: this process (test monitor) during the up", fmtMs(g.monitorCpuMs));
  line("  load average (1 min) after", loadProgram.toFixed(2));
  line(
    "Construct / program over gRPC, resources per second",
    ratio(pluginRate, programRate),
    `${pluginRate >= programRate ? "target >= 1: ok" : "target >= 1: MISSED"} (round trip vs stack..exit)`,
  );
  line(
    "  same measure (registration windows)",
    ratio(registered.length / c.windowMs, programRegistered.length / programWindowMs),
    "Construct window / program window",
  );
  // The same program with the plugin's plain stack traces: what the plugin gains from its own
  // `plainStackTraces()` rather than from Construct.
  const plainRegistered = plain.result.registrations.filter(isFleetRegistration).length;
  const plainRunMs = plain.child.exitMs - plain.window.stackMs;
  const plainRate = plainRegistered / plainRunMs;
  line("program over gRPC, first line `delete Error.prepareStackTrace`", "");
  line(
    "  child: stack registered to exit",
    fmtMs(plainRunMs),
    `window ${fmtMs(plain.window.lastMs - plain.window.firstMs)}`,
  );
  line("  resources registered", String(plainRegistered));
  line(
    "  resources registered per second (stack registered to exit)",
    perSecond(plainRegistered, plainRunMs),
  );
  line("  CPU: child program process (spawn to exit)", fmtMs(plain.child.cpuMs));
  line("  CPU: this process (test monitor) during the up", fmtMs(plain.monitorCpuMs));
  line("  load average (1 min) after", loadPlain.toFixed(2));
  line(
    "Construct / program over gRPC with plain stack traces",
    ratio(pluginRate, plainRate),
    `${pluginRate >= plainRate ? "target >= 1: ok" : "target >= 1: MISSED"} (round trip vs stack..exit)`,
  );
  line("in-process program (new Fleet under the engine harness; information)", "");
  line("  up: wall time", fmtMs(own.wallMs));
  line("  CPU time", fmtMs(own.cpuMs));
  line("  resources registered", String(own.resources));
  line("  resources registered per second", perSecond(own.resources, own.wallMs));
  line(
    "Construct / in-process (mock monitor, no gRPC), resources per second",
    ratio(pluginRate, ownRate),
    "information: not the same work",
  );
  line("child program argv", g.child.argv.join(" "));
  line(
    "child program env (besides this process's)",
    Object.entries(g.child.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  );
  if (profileDir !== undefined) summarizeProfile(profileDir, c.plugin.pid);
}

// ---------------------------------------------------------------------------------------------
// A CPU profile's self time, by package and by function.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** What a script URL belongs to: a package under node_modules, servicevm, node's own, or V8's. */
function packageOf(url: string): string {
  if (url === "") return "(native / V8)";
  if (url.startsWith("node:")) return "node core";
  const i = url.lastIndexOf("node_modules/");
  if (i < 0) return url;
  const rest = url.slice(i + "node_modules/".length).split("/");
  const pkg = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  if (pkg === "servicevm") return `servicevm/${rest[2] ?? ""}`;
  if (pkg === "@pulumi/pulumi") return `@pulumi/pulumi/${rest[2] ?? ""}`;
  return pkg;
}

/** Self time of the samples with `functionName` on their stack, and the SDK or servicevm frame above it that asked, by caller. */
function timeUnder(
  profile: CpuProfile,
  self: Map<number, number>,
  functionName: string,
): { ms: number; byCaller: Map<string, number> } {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let ms = 0;
  const byCaller = new Map<string, number>();
  for (const [id, t] of self) {
    const chain: ProfileNode["callFrame"][] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur))
      chain.push(byId.get(cur)!.callFrame);
    const at = chain.findIndex((f) => f.functionName === functionName);
    if (at < 0) continue;
    ms += t;
    // The first frame of the SDK or servicevm above it: what asked for the stack trace.
    const caller = chain
      .slice(at + 1)
      .find((f) => /@pulumi\/pulumi\/(runtime|resource)|servicevm\/dist/.test(f.url));
    const key = caller === undefined ? "(other)" : `${caller.functionName} ${packageOf(caller.url)}`;
    byCaller.set(key, (byCaller.get(key) ?? 0) + t);
  }
  return { ms, byCaller };
}

export function summarizeProfile(dir: string, pid: number): void {
  const file = fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.`));
  if (file === undefined) {
    line("CPU profile of the plugin", "none written");
    return;
  }
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i] / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = functionName.startsWith("(") ? functionName : packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const fn = `${functionName || "(anonymous)"} ${packageOf(url)}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  line(`CPU profile of the plugin (${path.join(dir, file)})`, fmtMs(total), "self time sampled");
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  for (const [pkg, ms] of top(byPackage, 10))
    line(`  ${pkg}`.slice(0, 58), `${((ms / total) * 100).toFixed(1)} %`, fmtMs(ms));
  // V8 formats `new Error().stack` through `Error.prepareStackTrace`, which the source-map-support
  // of the ts-node `run-plugin` registers (under Node always: `typeScript: !process.versions.bun`)
  // replaces with source-map lookups; the in-process program runs without it.
  const stacks = timeUnder(profile, self, "prepareStackTrace");
  line(
    "  under Error.prepareStackTrace (stack traces)",
    `${((stacks.ms / total) * 100).toFixed(1)} %`,
    fmtMs(stacks.ms),
  );
  for (const [caller, ms] of top(stacks.byCaller, 3))
    line(`    asked by ${caller}`.slice(0, 58), `${((ms / total) * 100).toFixed(1)} %`, fmtMs(ms));
  line("  top functions by self time", "");
  for (const [fn, ms] of top(byFunction, 15))
    line(`    ${fn}`.slice(0, 58), `${((ms / total) * 100).toFixed(1)} %`, fmtMs(ms));
}

// ---------------------------------------------------------------------------------------------

export async function main(): Promise<void> {
  const t0 = performance.now();
  const load0 = os.loadavg()[0];
  const spec = benchFleet();
  heading(
    `hosts: benchFleet() (1,000 devices, ${Object.keys(spec.allocations ?? {}).length} allocations) through the real hosts`,
  );
  const project = scratchProject({ build: false });
  line("scratch project from npm pack", fmtMs(performance.now() - t0));
  const service = await FakeEngine.start();
  try {
    await ledgerCalls(project, service, spec);
    await constructVsInProcess(project, service, spec);
  } finally {
    service.stop();
    removeScratchProject();
    await stopSharedEngineService();
  }
  line(
    "load average (1 min) at start, end / CPUs",
    `${load0.toFixed(2)}, ${os.loadavg()[0].toFixed(2)} / ${os.cpus().length}`,
  );
  line("peak RSS (this process)", `${peakRssMiB().toFixed(0)} MiB`);
  line("module run time", fmtMs(performance.now() - t0));
}
