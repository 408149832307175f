/**
 * A small Pulumi engine for tests: a fake `pulumirpc.ResourceMonitor` on 127.0.0.1 that plays the
 * engine's step generation (pkg/resource/deploy/step_generator.go and source_eval.go at v3.248.0)
 * against real provider hosts, keeping state between runs.
 *
 * A custom resource whose package has a provider host (`pulumi-nodejs` for dynamic resources,
 * `servicevm` for the plugin) goes through it as the engine does: `Check` (with the previous
 * inputs, or none on create and on a targeted replace (`--replace`)), `Diff` (none on a targeted
 * replace or a `replaceWith` trigger), a second `Check` without old inputs for a replacement that
 * was not targeted, then `Create`/`Update` in an update, or in a preview the checked inputs as
 * outputs (providers that neither handshake nor answer `supportsPreview`: both nodejs hosts).
 * Values are marshalled for each provider as the engine marshals them: secrets only to providers
 * that accept them (otherwise re-marked by name, `annotateSecrets`), unknowns only in previews.
 * Any other custom resource gets its inputs as outputs, and id `<name>-id` in an update (none in a
 * preview). A remote component (`remote: true`) is sent to its provider's `Construct` with this
 * monitor's address. After a successful update, resources not registered again are deleted
 * (`Delete` for provider-managed ones), replaced ones after the creates (create-before-delete,
 * unless `Diff` asks for delete-before-replace). `protect` refuses replacements and deletes with
 * the engine's messages. Provider hosts are started per run, as the CLI starts plugins per
 * deployment: nothing a provider process remembers outlives a run.
 *
 * The program is the test itself, playing the language SDK through {@link ProgramClient} (real
 * gRPC, the SDK's stubs), or a real program in another process given {@link PluginEngine.address}
 * as its monitor while the program function waits for it to exit. What it does not model: the
 * engine's parallelism and partial progress (a failed run still commits what succeeded, and
 * deletes nothing), default-provider resources in state, aliases, import, `ignoreChanges`,
 * `replaceOnChanges` (the nodejs hosts report no changed keys, so it never applies to them),
 * transforms, hooks, and the CLI's rendering of diffs.
 */
import type * as grpcTypes from "@grpc/grpc-js";
import type * as resourceGrpcTypes from "@pulumi/pulumi/proto/resource_grpc_pb";
import type * as resourceTypes from "@pulumi/pulumi/proto/resource_pb";
import {
  type ConstructResult,
  type HostProcess,
  type Props,
  type ProtocolFlags,
  ProviderClient,
  type Wire,
  UNKNOWN,
  annotateSecrets,
  containsUnknowns,
  downgradeOutputValues,
  fromStruct,
  grpc,
  isSecret,
  marshal,
  outputValue,
  parseUrn,
  providerProto,
  secret,
  toStruct,
} from "./hosts";

const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as typeof resourceGrpcTypes;
const resourceProto = require("@pulumi/pulumi/proto/resource_pb") as typeof resourceTypes;
const emptyProto = require(
  require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [require.resolve("@pulumi/pulumi")] }),
) as { Empty: new () => import("google-protobuf").Message };

/** Feature ids the engine's monitor answers true for (source_eval.go `supportsFeatureID`). */
const FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "aliasSpecs",
  "replacementTrigger",
  "deletedWith",
  "replaceWith",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
  "sendsOptionsToHooks",
]);

export interface StoredResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  id: string;
  inputs: Props;
  outputs: Props;
  provider: string;
  dependencies: string[];
  additionalSecretOutputs: string[];
  protect: boolean;
}

export type Op = "create" | "update" | "same" | "replace" | "delete" | "refresh";

export interface Step {
  op: Op;
  urn: string;
  type: string;
  name: string;
}

/** One registration as the monitor received it (inputs with output values downgraded). */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  remote: boolean;
  provider: string;
  dependencies: string[];
  inputs: Props;
  additionalSecretOutputs: string[];
  replaceWith: string[];
  protect: boolean;
}

/** A provider call the engine made: method, URN and the request's property maps as sent, and the answer. */
export interface ProviderCall {
  method: "Configure" | "Check" | "Diff" | "Create" | "Update" | "Read" | "Delete" | "Construct";
  urn: string;
  request: Record<string, unknown>;
  response?: unknown;
  error?: string;
  /** Wall time of the call as the engine waited for it, in ms (set when it ends). */
  ms?: number;
}

export interface RunOptions {
  /** URNs to replace (`pulumi up --replace`). @default [] */
  replaceTargets?: string[];
}

export interface RunResult {
  ok: boolean;
  errors: string[];
  steps: Step[];
  registrations: Registration[];
  calls: ProviderCall[];
  /** Outputs registered for components (`registerResourceOutputs`), by URN. */
  componentOutputs: Map<string, Props>;
  /** What each provider host wrote to stderr during the run, by package. */
  stderr: Record<string, string>;
  /** Tokens of the invokes the programs made (each answered with an empty result). */
  invokes: string[];
}

interface Run {
  preview: boolean;
  replaceTargets: Set<string>;
  result: RunResult;
  next: Map<string, StoredResource>;
  /** Old states replaced create-before-delete: deleted after the program ends. */
  condemned: StoredResource[];
  replaced: Set<string>;
  providers: Map<string, Promise<RunProvider>>;
  hosts: { pkg: string; host: HostProcess; client: ProviderClient }[];
}

interface RunProvider {
  client: ProviderClient;
  flags: ProtocolFlags;
}

type Callback = (err: Partial<grpcTypes.StatusObject> | null, value?: unknown) => void;

function packageOf(type: string): string {
  return type.slice(0, type.indexOf(":"));
}

function same(a: Props, b: Props): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/** The engine's `UpgradeToOutputValues` as `Construct` receives it from a provider that accepts outputs. */
function upgradeToOutputValues(v: Wire): Wire {
  if (v === UNKNOWN) return outputValue({});
  if (isSecret(v)) return outputValue({ value: upgradeToOutputValues(v.value), secret: true });
  if (Array.isArray(v)) return v.map(upgradeToOutputValues);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, upgradeToOutputValues(e)]));
  }
  return v;
}

function withSecretOutputs(outputs: Props, keys: string[]): Props {
  const out = { ...outputs };
  for (const k of keys) if (k in out && !isSecret(out[k])) out[k] = secret(out[k]);
  return out;
}

export class PluginEngine {
  readonly state = new Map<string, StoredResource>();
  readonly history: RunResult[] = [];
  /** Feature ids the SDKs asked about. */
  readonly featuresAsked = new Set<string>();
  /** What an invoke returns (see `start`). */
  answerInvoke: ((token: string, args: Props) => Props | undefined) | undefined;
  /**
   * Called when a registration is answered, with when it arrived and when it was answered
   * (`performance.now()` of this process); for timing a program that registers from another
   * process (a run whose program function waits for that process to exit).
   */
  onRegistered: ((reg: Registration, receivedMs: number, answeredMs: number) => void) | undefined;
  private run: Run | undefined;

  private constructor(
    private readonly server: grpcTypes.Server,
    /** `127.0.0.1:<port>`, the monitor endpoint. */
    readonly address: string,
    readonly project: string,
    readonly stack: string,
    /** Starts a provider host by package (`pulumi-nodejs`, `servicevm`); one per run, as the CLI does. */
    private readonly launchers: Record<string, () => Promise<HostProcess>>,
    /** The engine service's address (`FakeEngine`), given in `Handshake`. */
    private readonly engineAddress: string,
    private readonly projectDir: string,
  ) {}

  static async start(opts: {
    project: string;
    stack: string;
    launchers: Record<string, () => Promise<HostProcess>>;
    engineAddress: string;
    projectDir: string;
    /** What an invoke returns, by token and arguments, as the package's provider would; else `{}`. */
    answerInvoke?: (token: string, args: Props) => Props | undefined;
  }): Promise<PluginEngine> {
    const server = new grpc.Server();
    const ref: { engine?: PluginEngine } = {};
    const handle =
      (fn: (e: PluginEngine, req: never) => unknown) =>
      (call: grpcTypes.ServerUnaryCall<unknown, unknown>, callback: Callback): void => {
        Promise.resolve()
          .then(() => fn(ref.engine!, call.request as never))
          .then(
            (res) => callback(null, res),
            (e: unknown) =>
              callback({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) }),
          );
      };
    server.addService(resourceGrpc.ResourceMonitorService, {
      supportsFeature: handle((e, req: resourceTypes.SupportsFeatureRequest) => {
        e.featuresAsked.add(req.getId());
        return new resourceProto.SupportsFeatureResponse().setHassupport(FEATURES.has(req.getId()));
      }),
      registerResource: handle((e, req: resourceTypes.RegisterResourceRequest) => e.register(req)),
      registerResourceOutputs: handle((e, req: resourceTypes.RegisterResourceOutputsRequest) => {
        e.registerOutputs(req.getUrn(), downgradeOutputValues(fromStruct(req.getOutputs()) ?? {}) as Props);
        return new emptyProto.Empty();
      }),
      invoke: handle((e, req: resourceTypes.ResourceInvokeRequest) => {
        e.recordInvoke(req.getTok());
        const answer = e.answerInvoke?.(req.getTok(), fromStruct(req.getArgs()) ?? {});
        // `ResourceInvokeResponse` since the SDK's 3.2xx protos; `InvokeResponse` in 3.248's.
        const Response =
          (resourceProto as unknown as { ResourceInvokeResponse?: typeof providerProto.InvokeResponse })
            .ResourceInvokeResponse ?? providerProto.InvokeResponse;
        const res = new Response();
        if (answer !== undefined) res.setReturn(toStruct(answer));
        return res;
      }),
      registerPackage: handle((_e, req: resourceTypes.RegisterPackageRequest) =>
        new resourceProto.RegisterPackageResponse().setRef(`${req.getName()}@${req.getVersion()}`),
      ),
      signalAndWaitForShutdown: handle(() => new emptyProto.Empty()),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const engine = new PluginEngine(
      server,
      `127.0.0.1:${port}`,
      opts.project,
      opts.stack,
      opts.launchers,
      opts.engineAddress,
      opts.projectDir,
    );
    engine.answerInvoke = opts.answerInvoke;
    ref.engine = engine;
    return engine;
  }

  /** Stops the monitor at once, and the hosts of a run still in progress. */
  async stop(): Promise<void> {
    this.server.forceShutdown();
    for (const { host, client } of this.run?.hosts ?? []) {
      client.close();
      await host.stop();
    }
  }

  urnOf(type: string, name: string, parent = ""): string {
    const parentType = parent === "" ? "" : parseUrn(parent).qualifiedType;
    const qualified =
      parentType === "" || parentType === "pulumi:pulumi:Stack" ? type : `${parentType}$${type}`;
    return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
  }

  /** `pulumi preview`: runs the program, commits nothing. */
  preview(program: (p: ProgramClient) => Promise<void>, opts: RunOptions = {}): Promise<RunResult> {
    return this.execute(program, true, opts);
  }

  /** `pulumi up`: runs the program, applies its steps, then deletes what it no longer registers. */
  up(program: (p: ProgramClient) => Promise<void>, opts: RunOptions = {}): Promise<RunResult> {
    return this.execute(program, false, opts);
  }

  /** `pulumi refresh`: `Read` on every provider-managed resource; outputs (and inputs if returned) replaced. */
  async refresh(): Promise<RunResult> {
    const run = this.begin(false, {});
    for (const r of this.state.values()) {
      const provider = r.custom ? this.provider(run, packageOf(r.type)) : undefined;
      if (provider === undefined) continue;
      try {
        const { client, flags } = await provider;
        const opts = { keepSecrets: flags.acceptSecrets, keepUnknowns: false };
        const request = { id: r.id, properties: marshal(r.outputs, opts), inputs: marshal(r.inputs, opts) };
        const res = await this.record(run, "Read", r.urn, request, () =>
          client.read({ urn: r.urn, ...request }),
        );
        let outputs = res.properties;
        let inputs = res.inputs ?? r.inputs;
        if (!flags.acceptSecrets) {
          outputs = annotateSecrets(outputs, r.outputs);
          if (res.inputs !== undefined) inputs = annotateSecrets(res.inputs, r.inputs);
        }
        r.outputs = withSecretOutputs(outputs, r.additionalSecretOutputs);
        r.inputs = inputs;
        if (res.id !== "") r.id = res.id;
        run.result.steps.push({ op: "refresh", urn: r.urn, type: r.type, name: r.name });
      } catch (e) {
        run.result.errors.push(`${r.urn}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return this.end(run);
  }

  /** `pulumi destroy`: deletes everything in reverse registration order. */
  async destroy(): Promise<RunResult> {
    const run = this.begin(false, {});
    for (const r of [...this.state.values()].reverse()) {
      if (await this.deleteOne(run, r)) this.state.delete(r.urn);
    }
    return this.end(run);
  }

  private begin(preview: boolean, opts: RunOptions): Run {
    if (this.run !== undefined) throw new Error("a run is in progress");
    const run: Run = {
      preview,
      replaceTargets: new Set(opts.replaceTargets ?? []),
      result: {
        ok: false,
        errors: [],
        steps: [],
        registrations: [],
        calls: [],
        componentOutputs: new Map(),
        stderr: {},
        invokes: [],
      },
      next: new Map(),
      condemned: [],
      replaced: new Set(),
      providers: new Map(),
      hosts: [],
    };
    this.run = run;
    return run;
  }

  /** Ends a run: its provider hosts are stopped (by process id), as the CLI stops plugins. */
  private async end(run: Run): Promise<RunResult> {
    await Promise.allSettled([...run.providers.values()]);
    for (const { pkg, host, client } of run.hosts) {
      client.close();
      await host.stop();
      run.result.stderr[pkg] = host.stderr();
    }
    this.run = undefined;
    run.result.ok = run.result.errors.length === 0;
    this.history.push(run.result);
    return run.result;
  }

  private async execute(
    program: (p: ProgramClient) => Promise<void>,
    preview: boolean,
    opts: RunOptions,
  ): Promise<RunResult> {
    const run = this.begin(preview, opts);
    const client = new ProgramClient(this.address, this);
    try {
      await program(client);
    } catch (e) {
      // A registration the monitor failed is already among the errors.
      const message = e instanceof Error ? e.message : String(e);
      if (!run.result.errors.includes(message)) run.result.errors.push(message);
    } finally {
      client.close();
    }
    if (!preview) {
      for (const [urn, r] of run.next) this.state.set(urn, r);
    }
    if (run.result.errors.length === 0) {
      // Replaced resources' old copies, then what the program no longer registers, last first.
      for (const old of run.condemned) {
        run.result.steps.push({ op: "delete", urn: old.urn, type: old.type, name: old.name });
        if (!preview) await this.deleteOne(run, old, false);
      }
      for (const old of [...this.state.values()].reverse()) {
        if (run.next.has(old.urn)) continue;
        if (preview) run.result.steps.push({ op: "delete", urn: old.urn, type: old.type, name: old.name });
        else if (await this.deleteOne(run, old)) this.state.delete(old.urn);
      }
      if (!preview) {
        // Keep registration order (the order deletes are reversed from).
        const ordered = new Map<string, StoredResource>();
        for (const urn of run.next.keys()) ordered.set(urn, this.state.get(urn)!);
        for (const [urn, r] of this.state) if (!ordered.has(urn)) ordered.set(urn, r);
        this.state.clear();
        for (const [urn, r] of ordered) this.state.set(urn, r);
      }
    }
    return this.end(run);
  }

  private async deleteOne(run: Run, r: StoredResource, step = true): Promise<boolean> {
    if (step && r.protect) {
      // step.go `deleteProtectedError` (a replacement's delete checked protect before).
      run.result.errors.push(
        `resource "${r.urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${r.urn}'\``,
      );
      return false;
    }
    if (step) run.result.steps.push({ op: "delete", urn: r.urn, type: r.type, name: r.name });
    const provider = r.custom ? this.provider(run, packageOf(r.type)) : undefined;
    if (provider === undefined) return true;
    try {
      const { client, flags } = await provider;
      const opts = { keepSecrets: flags.acceptSecrets, keepUnknowns: false };
      const request = { id: r.id, properties: marshal(r.outputs, opts), oldInputs: marshal(r.inputs, opts) };
      await this.record(run, "Delete", r.urn, request, () => client.delete({ urn: r.urn, ...request }));
      return true;
    } catch (e) {
      run.result.errors.push(`${r.urn}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  private async record<T>(
    run: Run,
    method: ProviderCall["method"],
    urn: string,
    request: Record<string, unknown>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const call: ProviderCall = { method, urn, request };
    run.result.calls.push(call);
    const t0 = performance.now();
    try {
      const response = await fn();
      call.response = response;
      return response;
    } catch (e) {
      call.error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      call.ms = performance.now() - t0;
    }
  }

  /**
   * The run's provider for a package, `undefined` when none is registered: started on first use
   * (the CLI starts plugins per deployment), then `Handshake` and `Configure` as for a default
   * provider (provider_plugin.go: the handshake's answer wins, else `Configure`'s).
   */
  private provider(run: Run, pkg: string): Promise<RunProvider> | undefined {
    const launch = this.launchers[pkg];
    if (launch === undefined) return undefined;
    let provider = run.providers.get(pkg);
    if (provider === undefined) {
      const urn = `urn:pulumi:${this.stack}::${this.project}::pulumi:providers:${pkg}::default`;
      const id = "00000000-0000-4000-8000-000000000000";
      provider = launch().then(async (host) => {
        const client = new ProviderClient(host, pkg);
        run.hosts.push({ pkg, host, client });
        const shaken = await client.handshake(this.engineAddress, this.projectDir);
        const configured = await this.record(run, "Configure", urn, { inputs: {} }, () =>
          client.configure({ urn, id, inputs: {} }),
        );
        return { client, flags: shaken ?? configured };
      });
      run.providers.set(pkg, provider);
    }
    return provider;
  }

  private recordInvoke(token: string): void {
    this.run?.result.invokes.push(token);
  }

  private registerOutputs(urn: string, outputs: Props): void {
    const run = this.run;
    if (run === undefined) throw new Error("registerResourceOutputs outside a run");
    run.result.componentOutputs.set(urn, outputs);
    const r = run.next.get(urn);
    if (r !== undefined) r.outputs = outputs;
  }

  private async register(
    req: resourceTypes.RegisterResourceRequest,
  ): Promise<resourceTypes.RegisterResourceResponse> {
    const run = this.run;
    if (run === undefined) throw new Error("registerResource outside a run");
    const receivedMs = performance.now();
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent();
    const custom = req.getCustom();
    const remote = req.getRemote();
    const inputs = downgradeOutputValues(fromStruct(req.getObject()) ?? {}) as Props;
    const urn = this.urnOf(type, name, parent);
    const reg: Registration = {
      urn,
      type,
      name,
      parent,
      custom,
      remote,
      provider: req.getProvider(),
      dependencies: [...new Set(req.getDependenciesList())].sort(),
      inputs,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      replaceWith: req.getReplaceWithList(),
      protect: req.getProtect() ?? false,
    };
    run.result.registrations.push(reg);

    let id = "";
    let outputs: Props = {};
    let resultUrn = urn;
    if (remote) {
      const constructed = await this.construct(run, reg, req);
      resultUrn = constructed.urn;
      outputs = downgradeOutputValues(constructed.state) as Props;
    } else if (!custom) {
      this.component(run, reg);
    } else {
      const provider = this.provider(run, packageOf(type));
      const stored =
        provider === undefined
          ? this.plainCustom(run, reg)
          : await this.managedCustom(run, reg, await provider);
      id = stored.id;
      outputs = stored.outputs;
    }

    let object = marshal(outputs, { keepSecrets: req.getAcceptsecrets(), keepUnknowns: true });
    if (!custom && !remote) object = {};
    if (!req.getSupportspartialvalues()) {
      object = Object.fromEntries(Object.entries(object).filter(([, v]) => !containsUnknowns(v)));
    }
    const res = new resourceProto.RegisterResourceResponse();
    res.setUrn(resultUrn);
    res.setId(id);
    res.setObject(toStruct(object));
    this.onRegistered?.(reg, receivedMs, performance.now());
    return res;
  }

  private stored(reg: Registration, id: string, inputs: Props, outputs: Props): StoredResource {
    return {
      urn: reg.urn,
      type: reg.type,
      name: reg.name,
      parent: reg.parent,
      custom: reg.custom,
      id,
      inputs,
      outputs: withSecretOutputs(outputs, reg.additionalSecretOutputs),
      provider: reg.provider,
      dependencies: reg.dependencies,
      additionalSecretOutputs: reg.additionalSecretOutputs,
      protect: reg.protect,
    };
  }

  private step(run: Run, op: Op, reg: Registration): void {
    run.result.steps.push({ op, urn: reg.urn, type: reg.type, name: reg.name });
  }

  private component(run: Run, reg: Registration): void {
    const old = this.state.get(reg.urn);
    this.step(run, old === undefined ? "create" : same(old.inputs, reg.inputs) ? "same" : "update", reg);
    run.next.set(reg.urn, this.stored(reg, "", reg.inputs, old?.outputs ?? {}));
  }

  private plainCustom(run: Run, reg: Registration): StoredResource {
    const old = this.state.get(reg.urn);
    const op: Op = old === undefined ? "create" : same(old.inputs, reg.inputs) ? "same" : "update";
    this.step(run, op, reg);
    const id = old?.id ?? (run.preview ? "" : `${reg.name}-id`);
    const r = this.stored(reg, id, reg.inputs, reg.inputs);
    run.next.set(reg.urn, r);
    return r;
  }

  private async managedCustom(run: Run, reg: Registration, provider: RunProvider): Promise<StoredResource> {
    const { urn } = reg;
    const old = this.state.get(urn);
    const { client, flags } = provider;
    const keep = { keepSecrets: flags.acceptSecrets, keepUnknowns: run.preview };
    const targeted = run.replaceTargets.has(urn);

    const check = async (olds: Props): Promise<Props> => {
      const request = { olds: marshal(olds, keep), news: marshal(reg.inputs, keep) };
      const res = await this.record(run, "Check", urn, request, () =>
        client.check(urn, request.olds, request.news),
      );
      if (res.failures.length > 0) {
        throw new Error(res.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
      }
      const checked = res.inputs ?? {};
      return flags.acceptSecrets ? checked : annotateSecrets(checked, reg.inputs);
    };
    const fail = (e: unknown): never => {
      const message = `${urn}: ${e instanceof Error ? e.message : String(e)}`;
      run.result.errors.push(message);
      throw new Error(message);
    };
    const create = async (inputs: Props, op: Op): Promise<StoredResource> => {
      this.step(run, op, reg);
      if (run.preview && !flags.supportsPreview) {
        const r = this.stored(reg, old?.id ?? "", inputs, inputs);
        run.next.set(urn, r);
        return r;
      }
      const request = {
        properties: marshal(inputs, { ...keep, keepUnknowns: run.preview }),
        preview: run.preview,
      };
      const res = await this.record(run, "Create", urn, request, () =>
        client.create(urn, request.properties, request.preview),
      ).catch(fail);
      const outs = flags.acceptSecrets ? res.properties : annotateSecrets(res.properties, inputs);
      const r = this.stored(reg, res.id, inputs, outs);
      run.next.set(urn, r);
      return r;
    };

    // step_generator.go: no olds on create, on a targeted replace, and when re-creating.
    const checked = await check(old === undefined || targeted ? {} : old.inputs).catch(fail);
    if (old === undefined) return create(checked, "create");

    let replace = targeted || reg.replaceWith.some((u) => run.replaced.has(u));
    let deleteBeforeReplace = false;
    let changed = replace;
    if (!replace) {
      const request = {
        id: old.id,
        oldInputs: marshal(old.inputs, keep),
        olds: marshal(old.outputs, keep),
        news: marshal(checked, keep),
      };
      const diff = await this.record(run, "Diff", urn, request, () => client.diff({ urn, ...request })).catch(
        fail,
      );
      changed = diff.changes === "some" || (diff.changes === "unknown" && !same(old.inputs, checked));
      replace = changed && diff.replaces.length > 0;
      deleteBeforeReplace = diff.deleteBeforeReplace;
    }
    if (!changed) {
      this.step(run, "same", reg);
      const r = this.stored(reg, old.id, checked, old.outputs);
      run.next.set(urn, r);
      return r;
    }
    if (replace) {
      if (reg.protect && old.protect) {
        // step_generator.go: a protected resource is not replaced; an update stops here.
        fail(
          new Error(
            `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
          ),
        );
      }
      run.replaced.add(urn);
      // A replacement that was not targeted is checked again, without the old inputs.
      const inputs = targeted ? checked : await check({}).catch(fail);
      if (deleteBeforeReplace && !run.preview) {
        if (!(await this.deleteOne(run, old, false))) fail(new Error("delete before replace failed"));
        this.state.delete(urn);
      } else {
        run.condemned.push(old);
      }
      return create(inputs, "replace");
    }
    this.step(run, "update", reg);
    if (run.preview && !flags.supportsPreview) {
      const r = this.stored(reg, old.id, checked, checked);
      run.next.set(urn, r);
      return r;
    }
    const request = {
      id: old.id,
      oldInputs: marshal(old.inputs, { ...keep, keepUnknowns: false }),
      olds: marshal(old.outputs, { ...keep, keepUnknowns: false }),
      news: marshal(checked, keep),
      preview: run.preview,
    };
    const outs = await this.record(run, "Update", urn, request, () =>
      client.update({ urn, ...request }),
    ).catch(fail);
    const r = this.stored(reg, old.id, checked, flags.acceptSecrets ? outs : annotateSecrets(outs, checked));
    run.next.set(urn, r);
    return r;
  }

  private async construct(
    run: Run,
    reg: Registration,
    req: resourceTypes.RegisterResourceRequest,
  ): Promise<ConstructResult> {
    const provider = this.provider(run, packageOf(reg.type));
    if (provider === undefined) throw new Error(`no provider for remote component ${reg.type}`);
    const { client, flags } = await provider;
    const kept = marshal(reg.inputs, { keepSecrets: flags.acceptSecrets, keepUnknowns: true });
    const inputs = flags.acceptOutputs ? (upgradeToOutputValues(kept) as Props) : kept;
    const inputDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => (inputDependencies[key] = deps.getUrnsList()));
    const request = {
      project: this.project,
      stack: this.stack,
      dryRun: run.preview,
      monitorEndpoint: this.address,
      type: reg.type,
      name: reg.name,
      parent: reg.parent,
      inputs,
      dependencies: reg.dependencies,
      inputDependencies,
    };
    return this.record(run, "Construct", reg.urn, request, () => client.construct(request)).catch(
      (e: unknown) => {
        const message = `${reg.urn}: ${e instanceof Error ? e.message : String(e)}`;
        run.result.errors.push(message);
        throw new Error(message);
      },
    );
  }
}

/** What a program registers, as the nodejs SDK sends it. */
export interface ResourceGoal {
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  remote?: boolean;
  inputs: Props;
  dependencies?: string[];
  additionalSecretOutputs?: string[];
  replaceWith?: string[];
  protect?: boolean;
}

/** The program's side of the monitor: registers resources over gRPC as the nodejs SDK does. */
export class ProgramClient {
  private readonly client: resourceGrpcTypes.ResourceMonitorClient;

  constructor(
    address: string,
    private readonly engine: PluginEngine,
  ) {
    this.client = new resourceGrpc.ResourceMonitorClient(address, grpc.credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  /** The root stack resource, `pulumi:pulumi:Stack` `<project>-<stack>`. */
  async stack(): Promise<string> {
    const { urn } = await this.register({
      type: "pulumi:pulumi:Stack",
      name: `${this.engine.project}-${this.engine.stack}`,
      custom: false,
      inputs: {},
    });
    return urn;
  }

  register(goal: ResourceGoal): Promise<{ urn: string; id: string; outputs: Props }> {
    const req = new resourceProto.RegisterResourceRequest();
    req.setType(goal.type);
    req.setName(goal.name);
    req.setParent(goal.parent ?? "");
    req.setCustom(goal.custom);
    req.setRemote(goal.remote ?? false);
    req.setObject(toStruct(goal.inputs));
    req.setDependenciesList(goal.dependencies ?? []);
    req.setAdditionalsecretoutputsList(goal.additionalSecretOutputs ?? []);
    req.setReplaceWithList(goal.replaceWith ?? []);
    req.setProtect(goal.protect ?? false);
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSupportspartialvalues(true);
    req.setAliasspecs(true);
    return new Promise((resolve, reject) =>
      this.client.registerResource(req, (err, res) =>
        err
          ? reject(new Error(err.details))
          : resolve({ urn: res.getUrn(), id: res.getId(), outputs: fromStruct(res.getObject()) ?? {} }),
      ),
    );
  }

  registerOutputs(urn: string, outputs: Props): Promise<void> {
    const req = new resourceProto.RegisterResourceOutputsRequest();
    req.setUrn(urn);
    req.setOutputs(toStruct(outputs));
    return new Promise((resolve, reject) =>
      this.client.registerResourceOutputs(req, (err) => (err ? reject(new Error(err.details)) : resolve())),
    );
  }
}
