/**
 * A test engine that plays successive `pulumi up`s, previews and refreshes of a program.
 *
 * Resources are registered through Pulumi's own mock runtime (a `MockMonitor` subclass records
 * URNs, parents and secret options). Dynamic resources are run the way the Pulumi engine and the
 * nodejs dynamic-provider host run them: the `__provider` text the SDK serialized is evaluated
 * (like `requireFromString(...).handler()`), then `check(oldInputs, news)` -> `diff(id, oldOutputs,
 * checked)` -> `create`/`update`, with the state kept between runs. In a preview, new and changed
 * dynamic resources get their checked inputs as outputs (the engine's behaviour for providers
 * without preview support). After a successful `up`, resources no longer registered are deleted.
 *
 * A provider's `create`/`update` that throws is an error of the run (`<urn>: <message>`) and records
 * nothing for that resource, as the nodejs dynamic provider returns no outputs on failure. A `delete`
 * that throws fails the run and leaves the resource in state.
 *
 * The engine's own service is a real gRPC server (`fakeEngine.ts`) whose address the SDK's runtime
 * gets, as a Pulumi program and the provider hosts get the engine's: whatever the program or a
 * provider logs through the engine is the run's `logs`, with its severity and URN.
 *
 * What it does not model: the engine's parallelism and partial progress. A run whose `check`
 * fails commits nothing, which is what the real engine leaves for the Ledger too (its step never
 * ran and no delete runs after a failed update).
 */
import * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../../core/canonical";
import { type EngineLog, FakeEngine } from "./fakeEngine";

// Pulumi internals the public typings hide; plain CommonJS modules of the installed SDK.
const mocksModule = require("@pulumi/pulumi/runtime/mocks") as {
  MockMonitor: new (mocks: pulumi.runtime.Mocks) => MockMonitorLike;
};
const stateModule = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { settings: { monitor: unknown; options: { engineAddr?: string } } };
};
const settingsModule = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
const rpcModule = require("@pulumi/pulumi/runtime/rpc") as {
  specialSigKey: string;
  specialSecretSig: string;
  unknownValue: string;
};

interface RegisterRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getDependenciesList(): string[];
  getProtect(): boolean;
  getAliasesList(): { getSpec(): { getType(): string; getName(): string } | undefined }[];
}

interface MockMonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequestLike, callback: (err: unknown, resp?: unknown) => void): Promise<void>;
}

export const UNKNOWN = rpcModule.unknownValue;
const SIG = rpcModule.specialSigKey;
const SECRET = rpcModule.specialSecretSig;

export type Op = "create" | "update" | "same" | "delete";

export interface StoredResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  id: string;
  /** Plain values; `secretInputs`/`secretOutputs` list the top-level keys that are secret. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  secretInputs: string[];
  secretOutputs: string[];
  /** Provider reference (`<urn>::<id>`) when one was given explicitly or inherited from a parent. */
  provider: string;
  /**
   * URNs the resource depends on, sorted: what the engine records as the resource's `dependencies`
   * (explicit `dependsOn` and the resources its Inputs came from), and what stops a `pulumi destroy
   * --target` or `pulumi state delete` of a resource others depend on.
   */
  dependencies: string[];
  /** Pulumi's `protect`: the engine refuses to delete (or replace) the resource. */
  protect: boolean;
}

export interface Step {
  urn: string;
  type: string;
  name: string;
  op: Op;
  /** Top-level input keys that changed (updates). */
  changed: string[];
}

export interface RunResult {
  ok: boolean;
  /** Check failures and provider errors, `<urn>: <property>: <reason>`. */
  errors: string[];
  steps: Step[];
  /** Resources registered in this run, in registration order. */
  resources: StoredResource[];
  /** What the program and the providers logged through the engine in this run, in order. */
  logs: EngineLog[];
}

let engineService: Promise<FakeEngine> | undefined;

/** The fake engine service every run of this process logs to, started on first use. */
export function sharedEngineService(): Promise<FakeEngine> {
  return (engineService ??= FakeEngine.start());
}

/** Stops the shared engine service, for a process that must end on its own (the benchmark). */
export async function stopSharedEngineService(): Promise<void> {
  const service = engineService;
  engineService = undefined;
  if (service !== undefined) (await service).stop();
}

/** What the harness calls of the provider plugin (`@pulumi/pulumi/provider`'s `Provider`). */
export interface PluginLike {
  check?(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResultLike>;
  diff?(
    id: string,
    urn: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ changes?: boolean; replaces?: string[] }>;
  create?(
    urn: string,
    inputs: Record<string, unknown>,
  ): Promise<{ id: string; outs?: Record<string, unknown> }>;
  update?(
    id: string,
    urn: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ outs?: Record<string, unknown> }>;
  read?(
    id: string,
    urn: string,
    props: Record<string, unknown>,
  ): Promise<{ id?: string; props?: Record<string, unknown> }>;
  delete?(id: string, urn: string, props: Record<string, unknown>): Promise<void>;
}

type CheckResultLike = {
  inputs?: Record<string, unknown>;
  failures?: { property: string; reason: string }[];
};

/** Wraps the top-level `keys` of `props` as the engine marshals secrets. */
function wrapped(props: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out = { ...props };
  for (const k of keys)
    if (out[k] !== undefined && !isSecretValue(out[k])) out[k] = { [SIG]: SECRET, value: out[k] };
  return out;
}

/** The plugin's methods for the resource `urn`, as a dynamic provider's, with secrets wrapped on the way in. */
function boundPlugin(plugin: PluginLike, urn: string, secretKeys: readonly string[]): DynamicProviderLike {
  const outOf = (props: Record<string, unknown> | undefined) =>
    props === undefined ? undefined : (plain(props) as Record<string, unknown>);
  return {
    check: async (olds, news) => {
      const r = await plugin.check!(urn, wrapped(olds, secretKeys), wrapped(news, secretKeys));
      return { ...r, inputs: outOf(r.inputs) };
    },
    diff: (id, olds, news) => plugin.diff!(id, urn, wrapped(olds, secretKeys), wrapped(news, secretKeys)),
    create: async (inputs) => {
      const r = await plugin.create!(urn, wrapped(inputs, secretKeys));
      return { id: r.id, outs: outOf(r.outs) };
    },
    update: async (id, olds, news) => {
      const r = await plugin.update!(id, urn, wrapped(olds, secretKeys), wrapped(news, secretKeys));
      return { outs: outOf(r.outs) };
    },
    read: async (id, props) => {
      const r = await plugin.read!(id, urn, wrapped(props, secretKeys));
      return { id: r.id, props: outOf(r.props) };
    },
    delete: (id, props) => plugin.delete!(id, urn, wrapped(props, secretKeys)),
  };
}

/** The URN of an alias that changes only the type (`{ type }`): the same parents and name. */
export function aliasUrn(urn: string, type: string): string {
  const parts = urn.split("::");
  const qualified = parts[2];
  parts[2] = `${qualified.slice(0, qualified.lastIndexOf("$") + 1)}${type}`;
  return parts.join("::");
}

export interface DynamicProviderLike {
  check?(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ inputs?: Record<string, unknown>; failures?: { property: string; reason: string }[] }>;
  diff?(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ changes?: boolean; replaces?: string[] }>;
  create(inputs: Record<string, unknown>): Promise<{ id: string; outs?: Record<string, unknown> }>;
  update?(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ outs?: Record<string, unknown> }>;
  read?(
    id: string,
    props: Record<string, unknown>,
  ): Promise<{ id?: string; props?: Record<string, unknown> }>;
  delete?(id: string, props: Record<string, unknown>): Promise<void>;
}

export interface EngineOptions {
  project?: string;
  stack?: string;
  /** Stack config, `key` -> value (keys without the project prefix). */
  config?: Record<string, string>;
  /** Config keys that are secrets. */
  secretConfig?: string[];
  /** Resolves the `require(...)` calls of serialized dynamic providers. */
  requireModule: (specifier: string) => unknown;
  /**
   * The servicevm provider plugin's methods for one deployment (`makeProvider` of `plugin/`), which
   * then runs the `servicevm:index:*` custom resources (`resources: "provider"`) as the engine would
   * run the plugin: `check(urn, olds, news)`, `diff`, `create`/`update`, with secrets wrapped as the
   * engine marshals them. Without it those resources are mocks like any other provider's.
   */
  newPlugin?: () => PluginLike;
  /** Outputs a non-dynamic resource gets besides its inputs (ids of mocks). */
  extraOutputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;
}

function isSecretValue(v: unknown): v is { value: unknown } {
  return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG] === SECRET;
}

/** Unwraps secrets (remembering the top-level keys) and turns unknowns into the engine's placeholder. */
function plain(value: unknown): unknown {
  if (isSecretValue(value)) return plain(value.value);
  if (pulumi.Output.isInstance(value)) return UNKNOWN;
  if (value !== null && typeof value === "object" && value.constructor?.name === "Unknown") return UNKNOWN;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

function containsSecret(value: unknown): boolean {
  if (isSecretValue(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
  return false;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

const PROVIDER_KEY = "__provider";

/** Evaluates serialized closure text the way the dynamic-provider host does. */
export function loadSerializedProvider(
  text: string,
  requireModule: (s: string) => unknown,
): DynamicProviderLike {
  const module = { exports: {} as Record<string, unknown> };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function("exports", "require", "module", "__filename", "__dirname", text) as (
    ...args: unknown[]
  ) => void;
  run(module.exports, requireModule, module, "", "");
  const handler = module.exports.handler as () => DynamicProviderLike;
  return handler();
}

export class Engine {
  readonly state = new Map<string, StoredResource>();
  private readonly providers = new Map<string, DynamicProviderLike>();
  private readonly opts: EngineOptions;
  /** Every run's result, in order. */
  readonly history: RunResult[] = [];

  constructor(opts: EngineOptions) {
    this.opts = opts;
  }

  /**
   * The dynamic provider of `text` in this deployment's host. Pulumi starts a provider host per
   * deployment, so each run (and each refresh) gets new provider instances with modules loaded
   * anew: nothing a provider keeps in memory outlives the run.
   */
  provider(text: string): DynamicProviderLike {
    let p = this.providers.get(text);
    if (p === undefined) {
      const loaded = new Map<string, unknown>();
      const requireOnce = (specifier: string): unknown => {
        if (!loaded.has(specifier)) loaded.set(specifier, this.opts.requireModule(specifier));
        return loaded.get(specifier);
      };
      p = loadSerializedProvider(text, requireOnce);
      this.providers.set(text, p);
    }
    return p;
  }

  /** `pulumi preview`: runs the program, computes the steps, commits nothing. */
  preview(program: () => void | Promise<void>): Promise<RunResult> {
    return this.run(program, true);
  }

  /** `pulumi up`: runs the program, applies the steps, deletes what is no longer registered. */
  up(program: () => void | Promise<void>): Promise<RunResult> {
    return this.run(program, false);
  }

  /** `pulumi refresh`: `read` on every dynamic resource; outputs are replaced, inputs kept. */
  async refresh(): Promise<void> {
    this.providers.clear();
    const plugin = this.opts.newPlugin?.();
    for (const r of this.state.values()) {
      const p = this.providerOf(r, plugin);
      if (p?.read === undefined) continue;
      const res = await p.read(r.id, { ...r.outputs });
      const own = r.type.startsWith("pulumi-nodejs:dynamic")
        ? { [PROVIDER_KEY]: r.inputs[PROVIDER_KEY] }
        : {};
      r.outputs = { ...(res.props ?? {}), ...own };
      if (res.id !== undefined && res.id !== "") r.id = res.id;
    }
  }

  /** The provider that runs a stored custom resource: its dynamic provider, or the plugin's methods. */
  private providerOf(r: StoredResource, plugin: PluginLike | undefined): DynamicProviderLike | undefined {
    if (!r.custom) return undefined;
    if (r.type.startsWith("pulumi-nodejs:dynamic")) return this.provider(r.inputs[PROVIDER_KEY] as string);
    if (plugin !== undefined && r.type.startsWith("servicevm:index:"))
      return boundPlugin(plugin, r.urn, r.secretOutputs);
    return undefined;
  }

  /** The state as `pulumi stack export` shows it: secret values are ciphertext. */
  exportState(): string {
    const hide = (values: Record<string, unknown>, secret: string[]): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(values)) {
        out[k] = secret.includes(k) ? { [SIG]: SECRET, ciphertext: "v1:AAAAAAAAAAAAAAAA:encrypted" } : v;
      }
      return out;
    };
    const resources = [...this.state.values()].map((r) => ({
      urn: r.urn,
      custom: r.custom,
      id: r.id,
      type: r.type,
      parent: r.parent,
      inputs: hide(r.inputs, r.secretInputs),
      outputs: hide(r.outputs, r.secretOutputs),
    }));
    return JSON.stringify({ version: 3, deployment: { resources } }, null, 2);
  }

  private async run(program: () => void | Promise<void>, preview: boolean): Promise<RunResult> {
    this.providers.clear();
    const project = this.opts.project ?? "project";
    const stack = this.opts.stack ?? "stack";
    const errors: string[] = [];
    const steps: Step[] = [];
    const registered: StoredResource[] = [];
    const next = new Map<string, StoredResource>();
    const pending: {
      urn: string;
      parent: string;
      secretOutputs: string[];
      dependencies: string[];
      protect: boolean;
      /** Types the resource was registered as before (`aliases: [{ type }]`). */
      aliasTypes: string[];
    }[] = [];
    /** Old URNs whose state a registration took over through an alias: not deleted. */
    const aliased = new Set<string>();
    const plugin = this.opts.newPlugin?.();

    const mocks: pulumi.runtime.Mocks = {
      call: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        const name = String(inputs.name);
        if (args.token === "openstack:networking/getNetwork:getNetwork")
          return { id: `net-id-${name}`, name };
        if (args.token === "openstack:networking/getSubnet:getSubnet")
          return { id: `subnet-id-${name}`, name };
        return inputs;
      },
      newResource: async (args) => {
        const ctx = pending.shift()!;
        const urn = ctx.urn;
        const rawInputs = args.inputs as Record<string, unknown>;
        const secretInputs = Object.keys(rawInputs).filter((k) => containsSecret(rawInputs[k]));
        const inputs = plain(args.inputs) as Record<string, unknown>;
        let old = this.state.get(urn);
        for (const type of ctx.aliasTypes) {
          const from = aliasUrn(urn, type);
          if (old !== undefined || !this.state.has(from)) continue;
          old = this.state.get(from);
          aliased.add(from);
        }
        const record = (
          id: string,
          outputs: Record<string, unknown>,
          op: Op,
          changed: string[],
          storedInputs = inputs,
        ): void => {
          const secretOutputs = [...new Set([...ctx.secretOutputs, ...secretInputs])];
          const r: StoredResource = {
            urn,
            type: args.type,
            name: args.name,
            parent: ctx.parent,
            custom: args.custom ?? false,
            id,
            inputs: storedInputs,
            outputs,
            secretInputs,
            secretOutputs,
            provider: args.provider ?? "",
            dependencies: ctx.dependencies,
            protect: ctx.protect,
          };
          registered.push(r);
          next.set(urn, r);
          steps.push({ urn, type: args.type, name: args.name, op, changed });
        };
        if (!args.custom) {
          record("", {}, old ? "same" : "create", []);
          return { id: "", state: {} };
        }
        const dynamic = args.type.startsWith("pulumi-nodejs:dynamic");
        if (dynamic || (plugin !== undefined && args.type.startsWith("servicevm:index:"))) {
          const text = inputs[PROVIDER_KEY] as string;
          const secretKeys = [...new Set([...secretInputs, ...ctx.secretOutputs])];
          const provider = dynamic ? this.provider(text) : boundPlugin(plugin!, urn, secretKeys);
          // What the dynamic provider's state carries besides its own: the serialized provider.
          const own = dynamic ? { [PROVIDER_KEY]: text } : {};
          const news = { ...inputs };
          let checked = news;
          if (provider.check) {
            const res = await provider.check(old ? { ...old.inputs } : {}, news);
            if (res.failures && res.failures.length > 0) {
              for (const f of res.failures) errors.push(`${urn}: ${f.property}: ${f.reason}`);
              // The registration fails; keep the old state so the program can finish quietly.
              if (old) {
                next.set(urn, old);
                return { id: old.id, state: old.outputs };
              }
              return { id: "", state: {} };
            }
            checked = { ...(res.inputs ?? news) };
          }
          Object.assign(checked, own);
          if (old === undefined) {
            if (preview) {
              record("", checked, "create", []);
              return { id: "", state: checked };
            }
            let created: { id: string; outs?: Record<string, unknown> };
            try {
              created = await provider.create(checked);
            } catch (e) {
              // A failed create records nothing: the resource does not exist.
              errors.push(`${urn}: ${e instanceof Error ? e.message : String(e)}`);
              return { id: "", state: {} };
            }
            const outs = { ...(created.outs ?? {}), ...own };
            record(created.id, outs, "create", [], checked);
            return { id: created.id, state: outs };
          }
          const d = provider.diff
            ? await provider.diff(old.id, { ...old.outputs }, checked)
            : { changes: true };
          const changed = Object.keys({ ...old.inputs, ...checked }).filter(
            (k) => k !== PROVIDER_KEY && !same(old.inputs[k], checked[k]),
          );
          if (d.changes === false) {
            record(old.id, old.outputs, "same", [], checked);
            return { id: old.id, state: old.outputs };
          }
          if (preview) {
            record(old.id, checked, "update", changed, checked);
            return { id: old.id, state: checked };
          }
          let updated: { outs?: Record<string, unknown> } = {};
          try {
            if (provider.update) updated = await provider.update(old.id, { ...old.outputs }, checked);
          } catch (e) {
            // A failed update returns no outputs: the engine keeps the previous state.
            errors.push(`${urn}: ${e instanceof Error ? e.message : String(e)}`);
            next.set(urn, old);
            return { id: old.id, state: old.outputs };
          }
          const outs = { ...(updated.outs ?? {}), ...own };
          record(old.id, outs, "update", changed, checked);
          return { id: old.id, state: outs };
        }
        // Ordinary provider resources: outputs are the inputs plus an id (and mock extras).
        const extra = this.opts.extraOutputs?.(args.type, args.name, inputs) ?? {};
        const changed = old
          ? Object.keys({ ...old.inputs, ...inputs }).filter((k) => !same(old.inputs[k], inputs[k]))
          : [];
        const op: Op = old === undefined ? "create" : changed.length > 0 ? "update" : "same";
        const id = old?.id ?? (preview ? "" : `${args.name}-id`);
        const outputs = { ...inputs, ...extra };
        record(id, outputs, op, changed);
        return { id, state: outputs };
      },
    };

    class RecordingMonitor extends mocksModule.MockMonitor {
      override registerResource(
        req: RegisterRequestLike,
        callback: (err: unknown, resp?: unknown) => void,
      ): Promise<void> {
        pending.push({
          urn: this.newUrn(req.getParent(), req.getType(), req.getName()),
          parent: req.getParent(),
          secretOutputs: req.getAdditionalsecretoutputsList(),
          dependencies: [...new Set(req.getDependenciesList())].sort(),
          protect: req.getProtect(),
          aliasTypes: req
            .getAliasesList()
            .map((a) => a.getSpec())
            .filter((spec) => spec !== undefined && spec.getType() !== "" && spec.getName() === "")
            .map((spec) => spec!.getType()),
        });
        return super.registerResource(req, callback);
      }
    }

    const service = await sharedEngineService();
    const firstLog = service.logs.length;
    await pulumi.runtime.setMocks(mocks, project, stack, preview);
    stateModule.getStore().settings.monitor = new RecordingMonitor(mocks);
    stateModule.getStore().settings.options.engineAddr = service.address;
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.opts.config ?? {})) config[`${project}:${k}`] = v;
    pulumi.runtime.setAllConfig(
      config,
      (this.opts.secretConfig ?? []).map((k) => `${project}:${k}`),
    );

    try {
      await program();
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
    // Wait until registrations stop: resources registered inside `apply` arrive in later turns.
    let seen = -1;
    for (let round = 0; round < 1000 && seen !== registered.length; round++) {
      seen = registered.length;
      await settingsModule.waitForRPCs();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    if (errors.length === 0) {
      for (const [urn, old] of this.state) {
        if (next.has(urn) || aliased.has(urn)) continue;
        steps.push({ urn, type: old.type, name: old.name, op: "delete", changed: [] });
        if (!preview && old.protect) {
          // The engine's DeleteStep refuses (pkg/resource/deploy/step.go); the preview shows the delete.
          errors.push(
            `${urn}: resource "${urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, ` +
              "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, " +
              `or use the command:\n\`pulumi state unprotect '${urn}'\``,
          );
          next.set(urn, old);
          continue;
        }
        const p = preview ? undefined : this.providerOf(old, plugin);
        if (p !== undefined) {
          try {
            if (p.delete) await p.delete(old.id, { ...old.outputs });
          } catch (e) {
            // A failed delete fails the run and the resource stays in state; the other steps are done.
            errors.push(`${urn}: ${e instanceof Error ? e.message : String(e)}`);
            next.set(urn, old);
          }
        }
      }
      if (!preview) {
        this.state.clear();
        for (const [urn, r] of next) this.state.set(urn, r);
      }
    }
    const logs = service.logs.slice(firstLog);
    const result: RunResult = { ok: errors.length === 0, errors, steps, resources: registered, logs };
    this.history.push(result);
    return result;
  }
}

/** The value of an Output in a test (`undefined` when unknown). */
export async function valueOf<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  const o = output as unknown as { promise(withUnknowns?: boolean): Promise<T>; isKnown: Promise<boolean> };
  return (await o.isKnown) ? await o.promise() : undefined;
}

/** The logs of a run the CLI shows without `--debug`/`-v`: all but debug messages (the SDK's own). */
export function shownLogs(result: RunResult): EngineLog[] {
  return result.logs.filter((l) => l.severity !== "debug");
}

/** Steps of a run with a given op, as `<type>::<name>`. */
/** Resource name -> step op for the steps of one type in a run. */
export function opsOf(result: RunResult, type: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of result.steps.filter((x) => x.type === type)) out[s.name] = s.op;
  return out;
}

/** The outputs of the first stored resource of `type` (a Ledger), without the serialized provider. */
export function outputsOf(engine: Engine, type: string): Record<string, unknown> {
  const r = [...engine.state.values()].find((x) => x.type === type);
  if (r === undefined) throw new Error(`no ${type} in state`);
  const { [PROVIDER_KEY]: _p, ...outs } = r.outputs;
  void _p;
  return outs;
}

export function stepsOf(result: RunResult, op: Op): string[] {
  return result.steps.filter((s) => s.op === op).map((s) => `${s.type}::${s.name}`);
}
