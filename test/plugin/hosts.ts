/**
 * The real plugin hosts of the installed `@pulumi/pulumi`, started as the Pulumi engine starts them,
 * and a typed client that speaks `pulumirpc.ResourceProvider` to them with the SDK's own generated
 * stubs. Values cross the wire in the engine's encodings (`sdk/go/common/resource/plugin/rpc.go`
 * at v3.248.0): an unknown is the string {@link UNKNOWN}, a secret is `{ [SIG]: SECRET_SIG, value }`,
 * an output value is `{ [SIG]: OUTPUT_SIG, value?, secret?, dependencies? }`.
 *
 * What this does not prove: the CLI's plugin discovery (`workspace.GetPluginPath`), its
 * `--logtostderr`/`-v` flags and the language host's own gRPC stream for the plugin's output; the
 * argv, working directory and environment the hosts get are replicated from the engine's source.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerGrpcTypes from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import type * as pluginTypes from "@pulumi/pulumi/proto/plugin_pb";
import type { Message } from "google-protobuf";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import type { ScratchProject } from "./install";

// The gRPC and protobuf modules the installed SDK itself uses (its generated code checks types).
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
export const grpc = sdkRequire("@grpc/grpc-js") as typeof grpcTypes;
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb") as typeof providerGrpcTypes;
export const providerProto = require("@pulumi/pulumi/proto/provider_pb") as typeof providerTypes;
export const structProto = sdkRequire("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;
const emptyProto = sdkRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyTypes;

// ---------------------------------------------------------------------------------------------
// The engine's encodings (rpc.go, sdk/go/common/resource/properties.go).

/** A value not known until apply: what the engine sends for an unknown when it keeps unknowns. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key of a special object's signature. */
export const SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/** A property value as it crosses the wire (`Struct.toJavaScript()`). */
export type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };
export type Props = Record<string, Wire>;

function isObject(v: unknown): v is Record<string, Wire> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `value` as a secret, as the engine sends it to a provider that accepts secrets. */
export function secret(value: Wire): Wire {
  return { [SIG]: SECRET_SIG, value };
}

export function isSecret(v: unknown): v is { [SIG]: string; value: Wire } {
  return isObject(v) && v[SIG] === SECRET_SIG;
}

export function isOutputValue(v: unknown): v is { [SIG]: string; value?: Wire; secret?: boolean } {
  return isObject(v) && v[SIG] === OUTPUT_SIG;
}

/** An output value, what the engine sends to `Construct` when the provider accepts outputs. */
export function outputValue(o: { value?: Wire; secret?: boolean; dependencies?: string[] }): Wire {
  const out: Record<string, Wire> = { [SIG]: OUTPUT_SIG };
  if (o.value !== undefined) out.value = o.value;
  if (o.secret === true) out.secret = true;
  if (o.dependencies !== undefined && o.dependencies.length > 0) out.dependencies = o.dependencies;
  return out;
}

function mapWire(v: Wire, f: (v: Wire) => Wire | undefined): Wire | undefined {
  const mapped = f(v);
  if (mapped !== v) return mapped;
  if (Array.isArray(v)) {
    const out: Wire[] = [];
    for (const e of v) {
      const m = mapWire(e, f);
      if (m !== undefined) out.push(m);
    }
    return out;
  }
  if (isObject(v) && !isSecret(v) && !isOutputValue(v)) {
    const out: Record<string, Wire> = {};
    for (const [k, e] of Object.entries(v)) {
      const m = mapWire(e, f);
      if (m !== undefined) out[k] = m;
    }
    return out;
  }
  return v;
}

/**
 * Output values as the engine keeps them once it no longer keeps output values: an unknown output
 * is {@link UNKNOWN}, a secret one a secret, a known one its value (`MarshalPropertyValue`).
 */
export function downgradeOutputValues(v: Wire): Wire {
  return mapWire(v, (e) => {
    if (isOutputValue(e)) {
      const inner = e.value === undefined ? UNKNOWN : downgradeOutputValues(e.value);
      return e.secret === true ? secret(inner) : inner;
    }
    if (isSecret(e)) return secret(downgradeOutputValues(e.value));
    return e;
  }) as Wire;
}

/** Every secret replaced by its value. */
export function reveal(v: Wire): Wire {
  return mapWire(v, (e) => (isSecret(e) ? reveal(e.value) : e)) as Wire;
}

export interface MarshalOptions {
  keepSecrets: boolean;
  keepUnknowns: boolean;
}

/**
 * What the engine sends a provider (`MarshalProperties`): secrets stay secrets only when the
 * provider accepts them, and an unknown is left out (its key, or its array element) unless the
 * engine keeps unknowns (`AllowUnknowns`, i.e. in a preview).
 */
export function marshal(props: Props, opts: MarshalOptions): Props {
  const one = (v: Wire): Wire | undefined =>
    mapWire(v, (e) => {
      if (e === UNKNOWN) return opts.keepUnknowns ? e : undefined;
      if (isSecret(e)) {
        const inner = one(e.value);
        if (inner === undefined) return undefined;
        return opts.keepSecrets ? secret(inner) : inner;
      }
      return e;
    });
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    const m = one(v);
    if (m !== undefined) out[k] = m;
  }
  return out;
}

export function containsSecrets(v: Wire): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isObject(v)) return Object.values(v).some(containsSecrets);
  return false;
}

export function containsUnknowns(v: Wire): boolean {
  if (v === UNKNOWN) return true;
  if (isSecret(v)) return containsUnknowns(v.value);
  if (Array.isArray(v)) return v.some(containsUnknowns);
  if (isObject(v)) return Object.values(v).some(containsUnknowns);
  return false;
}

/**
 * The engine's `annotateSecrets` for providers that do not accept secrets: an output with the same
 * key as a secret (or secret-holding) input becomes secret; two objects are compared key by key.
 */
export function annotateSecrets(outs: Props, ins: Props): Props {
  const out: Props = { ...outs };
  for (const [k, inValue] of Object.entries(ins)) {
    if (!(k in out)) continue;
    const o = out[k];
    if (isObject(o) && !isSecret(o) && isObject(inValue) && !isSecret(inValue)) {
      out[k] = annotateSecrets(o, inValue);
    } else if (!isSecret(o) && containsSecrets(inValue)) {
      out[k] = secret(o);
    }
  }
  return out;
}

/**
 * Paths (`a.b[0]`) where `needle` appears in plain text in `value`: inside a string or a key that
 * is not under a secret. A secret's value, and the `value` of a secret output value, are skipped.
 */
export function plaintextPaths(value: unknown, needle: string, at = ""): string[] {
  if (typeof value === "string") return value.includes(needle) ? [at || "(root)"] : [];
  if (Array.isArray(value)) return value.flatMap((e, i) => plaintextPaths(e, needle, `${at}[${i}]`));
  if (isSecret(value) || (isOutputValue(value) && value.secret === true)) return [];
  if (isObject(value)) {
    return Object.entries(value).flatMap(([k, e]) => [
      ...(k.includes(needle) ? [`${at}.${k} (key)`] : []),
      ...plaintextPaths(e, needle, at === "" ? k : `${at}.${k}`),
    ]);
  }
  return [];
}

export function toStruct(props: Props): structTypes.Struct {
  return structProto.Struct.fromJavaScript(props);
}

export function fromStruct(s: structTypes.Struct | undefined): Props | undefined {
  return s?.toJavaScript();
}

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, split. */
export function parseUrn(urn: string): {
  stack: string;
  project: string;
  qualifiedType: string;
  type: string;
  name: string;
} {
  const m = /^urn:pulumi:([^:]*)::([^:]*)::(.*?)::(.*)$/.exec(urn);
  if (m === null) throw new Error(`not a URN: ${urn}`);
  const qualifiedType = m[3];
  return {
    stack: m[1],
    project: m[2],
    qualifiedType,
    type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1),
    name: m[4],
  };
}

// ---------------------------------------------------------------------------------------------
// Host processes.

/** A plugin host subprocess that printed its port. */
export interface HostProcess {
  readonly pid: number;
  /** `127.0.0.1:<port>`, the address the host printed. */
  readonly address: string;
  /** Everything the host wrote to stderr so far. */
  stderr(): string;
  /** Everything it wrote to stdout after the port. */
  stdout(): string;
  /** SIGTERM by process id, SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How long to wait for the port. @default 30000 */
  timeoutMs?: number;
}

/** Starts `node <args>` and waits (bounded) for the first stdout line, the port. */
export function startHost(args: string[], opts: StartOptions): Promise<HostProcess> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  let out = "";
  let err = "";
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const stop = async (): Promise<void> => {
    if (exited || pid === undefined) return;
    process.kill(pid, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!exited) process.kill(pid, "SIGKILL");
        resolve();
      }, 3000);
    });
    await Promise.race([exit, killed]);
    clearTimeout(timer);
    await exit;
  };
  return new Promise<HostProcess>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${args.join(" ")}: no port after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf("\n");
      if (nl < 0 || pid === undefined) return;
      clearTimeout(timer);
      const line = out.slice(0, nl).trim();
      if (!/^\d+$/.test(line)) {
        void stop();
        reject(
          new Error(`${args.join(" ")}: first line is not a port: ${JSON.stringify(line)}\nstderr: ${err}`),
        );
        return;
      }
      resolve({
        pid,
        address: `127.0.0.1:${line}`,
        stderr: () => err,
        stdout: () => out.slice(nl + 1),
        stop,
      });
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")}: ${e.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${args.join(" ")} exited (${code ?? signal}) before printing a port\nstderr: ${err}`),
      );
    });
  });
}

/** The environment the engine gives plugins: its own, plus `PULUMI_PROJECT` (`NewProvider`). */
function pluginEnv(project: ScratchProject, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, PULUMI_PROJECT: project.name, ...extra };
}

/** `require.resolve(module)` run by `node -e` in `dir`, as `pulumi-resource-pulumi-nodejs` and `locateModule` do. */
function locate(module: string, dir: string): string {
  return execFileSync(process.execPath, ["-e", `console.log(require.resolve(${JSON.stringify(module)}))`], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

/**
 * The nodejs dynamic-provider host: the CLI's `pulumi-resource-pulumi-nodejs` script runs
 * `node $(require.resolve('@pulumi/pulumi/cmd/dynamic-provider')) <engine>` in the project directory,
 * with `PULUMI_NODEJS_PROJECT` and `PULUMI_PROJECT` set (`NewProvider`, provider_plugin.go).
 */
export function startDynamicHost(project: ScratchProject, engineAddress: string): Promise<HostProcess> {
  const script = locate("@pulumi/pulumi/cmd/dynamic-provider", project.dir);
  return startHost([script, engineAddress], {
    cwd: project.dir,
    env: pluginEnv(project, { PULUMI_NODEJS_PROJECT: project.name }),
  });
}

/**
 * The servicevm provider plugin as the nodejs language host's `RunPlugin` starts it
 * (sdk/nodejs/cmd/pulumi-language-nodejs/main.go): `node <run-plugin> <pluginDir> <engine>`, with
 * `<run-plugin>` resolved from the plugin directory, the working directory the engine's (the
 * project), and `PULUMI_NODEJS_TYPESCRIPT=true` (the `typescript` runtime option defaults to true).
 * `env` adds variables to its environment, as a user's shell gives the CLI and so its plugins
 * (`OS_TOKEN` for the Ledger's Placement backend).
 */
export function startPluginHost(
  project: ScratchProject,
  engineAddress: string,
  env: Record<string, string> = {},
): Promise<HostProcess> {
  const runPlugin = locate("@pulumi/pulumi/cmd/run-plugin", project.pluginDir);
  return startHost([runPlugin, path.resolve(project.pluginDir), engineAddress], {
    cwd: project.dir,
    env: pluginEnv(project, { ...env, PULUMI_NODEJS_TYPESCRIPT: "true" }),
  });
}

// ---------------------------------------------------------------------------------------------
// The provider client.

/** A failed provider call: the gRPC status and message, and the host's stderr at that time. */
export class ProviderCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
    readonly stderr: string,
  ) {
    super(
      `${method}: ${details} (gRPC status ${code})${stderr.trim() === "" ? "" : `\nhost stderr:\n${stderr}`}`,
    );
  }
}

export type DiffChanges = "unknown" | "none" | "some";

export interface ProtocolFlags {
  acceptSecrets: boolean;
  acceptResources: boolean;
  acceptOutputs: boolean;
  supportsPreview: boolean;
}

export interface CheckResult {
  inputs: Props | undefined;
  failures: { property: string; reason: string }[];
}

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  stables: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
}

export interface ConstructArgs {
  project: string;
  stack: string;
  dryRun: boolean;
  monitorEndpoint: string;
  type: string;
  name: string;
  parent: string;
  inputs: Props;
  config?: Record<string, string>;
  dependencies?: string[];
  inputDependencies?: Record<string, string[]>;
}

export interface ConstructResult {
  urn: string;
  state: Props;
  stateDependencies: Record<string, string[]>;
}

type Reply<Res> = (err: grpcTypes.ServiceError | null, res: Res) => void;

function nameAndType(urn: string): { name: string; type: string } {
  const { name, type } = parseUrn(urn);
  return { name, type };
}

/** A `pulumirpc.ResourceProvider` client with a promise per method; requests carry name and type as the engine's do. */
export class ProviderClient {
  private readonly client: providerGrpcTypes.ResourceProviderClient;
  private last: { request: Message; response?: Message } | undefined;

  constructor(
    readonly host: HostProcess,
    private readonly label = "provider",
    /** Keep the last call's request and response messages, for {@link lastCallBytes}. @default false */
    private readonly keepLast = false,
  ) {
    this.client = new providerGrpc.ResourceProviderClient(host.address, grpc.credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  /**
   * The encoded sizes in bytes of the last call's request and response (the protobuf messages,
   * without gRPC's framing), serialized again on demand; `undefined` unless the client keeps them.
   */
  lastCallBytes(): { request: number; response: number } | undefined {
    if (this.last === undefined) return undefined;
    return {
      request: this.last.request.serializeBinary().length,
      response: this.last.response?.serializeBinary().length ?? 0,
    };
  }

  private call<Res extends Message>(
    method: string,
    request: Message,
    invoke: (reply: Reply<Res>) => unknown,
  ): Promise<Res> {
    if (this.keepLast) this.last = { request };
    return new Promise<Res>((resolve, reject) => {
      invoke((err, res) => {
        if (err)
          reject(new ProviderCallError(`${this.label}.${method}`, err.code, err.details, this.host.stderr()));
        else {
          if (this.keepLast) this.last = { request, response: res };
          resolve(res);
        }
      });
    });
  }

  /** `Handshake`; `undefined` when the host does not implement it (the engine then waits for `Configure`). */
  async handshake(engineAddress: string, dir: string): Promise<ProtocolFlags | undefined> {
    const req = new providerProto.ProviderHandshakeRequest();
    req.setEngineAddress(engineAddress);
    req.setRootDirectory(dir);
    req.setProgramDirectory(dir);
    req.setConfigureWithUrn(true);
    req.setSupportsViews(true);
    req.setInvokeWithPreview(true);
    try {
      const res = await this.call<providerTypes.ProviderHandshakeResponse>("Handshake", req, (reply) =>
        this.client.handshake(req, reply),
      );
      return {
        acceptSecrets: res.getAcceptSecrets(),
        acceptResources: res.getAcceptResources(),
        acceptOutputs: res.getAcceptOutputs(),
        // provider_plugin.go: a provider that handshakes supports previews.
        supportsPreview: true,
      };
    } catch (e) {
      if (e instanceof ProviderCallError && e.code === (grpc.status.UNIMPLEMENTED as number))
        return undefined;
      throw e;
    }
  }

  async getPluginInfo(): Promise<{ version: string }> {
    const res = await this.call<pluginTypes.PluginInfo>("GetPluginInfo", new emptyProto.Empty(), (reply) =>
      this.client.getPluginInfo(new emptyProto.Empty(), reply),
    );
    return { version: res.getVersion() };
  }

  async getSchema(): Promise<string> {
    const req = new providerProto.GetSchemaRequest();
    req.setVersion(0);
    return (
      await this.call<providerTypes.GetSchemaResponse>("GetSchema", req, (reply) =>
        this.client.getSchema(req, reply),
      )
    ).getSchema();
  }

  /** `Configure` as the engine sends it for a default provider (provider_plugin.go `Configure`). */
  async configure(args: {
    urn: string;
    id: string;
    inputs: Props;
    variables?: Record<string, string>;
  }): Promise<ProtocolFlags> {
    const req = new providerProto.ConfigureRequest();
    const { name, type } = nameAndType(args.urn);
    req.setUrn(args.urn);
    req.setName(name);
    req.setType(type);
    req.setId(args.id);
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    for (const [k, v] of Object.entries(args.variables ?? {})) req.getVariablesMap().set(k, v);
    req.setArgs(toStruct(args.inputs));
    const res = await this.call<providerTypes.ConfigureResponse>("Configure", req, (reply) =>
      this.client.configure(req, reply),
    );
    return {
      acceptSecrets: res.getAcceptsecrets(),
      acceptResources: res.getAcceptresources(),
      acceptOutputs: res.getAcceptoutputs(),
      supportsPreview: res.getSupportspreview(),
    };
  }

  /** A `Check` request as the engine encodes it. */
  static checkRequest(urn: string, olds: Props, news: Props): providerTypes.CheckRequest {
    const req = new providerProto.CheckRequest();
    const { name, type } = nameAndType(urn);
    req.setUrn(urn);
    req.setName(name);
    req.setType(type);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    return req;
  }

  /** An `Update` request as the engine encodes it. */
  static updateRequest(args: {
    urn: string;
    id: string;
    oldInputs: Props;
    olds: Props;
    news: Props;
    preview: boolean;
  }): providerTypes.UpdateRequest {
    const req = new providerProto.UpdateRequest();
    const { name, type } = nameAndType(args.urn);
    req.setId(args.id);
    req.setUrn(args.urn);
    req.setName(name);
    req.setType(type);
    req.setOldInputs(toStruct(args.oldInputs));
    req.setOlds(toStruct(args.olds));
    req.setNews(toStruct(args.news));
    req.setPreview(args.preview);
    return req;
  }

  /**
   * A call with the request already encoded, the response kept encoded: what the provider process
   * spends (decoding, work, encoding) and the transport, without this client's own protobuf work,
   * which the real engine does in Go. Resolves with the response's size in bytes.
   */
  rawCall(method: "Check" | "Update", request: Uint8Array): Promise<number> {
    const identity = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        `/pulumirpc.ResourceProvider/${method}`,
        identity,
        identity,
        Buffer.from(request.buffer, request.byteOffset, request.byteLength),
        (err, res) => {
          if (err)
            reject(
              new ProviderCallError(`${this.label}.${method}`, err.code, err.details, this.host.stderr()),
            );
          else resolve(res!.length);
        },
      );
    });
  }

  async check(urn: string, olds: Props, news: Props): Promise<CheckResult> {
    const req = ProviderClient.checkRequest(urn, olds, news);
    const res = await this.call<providerTypes.CheckResponse>("Check", req, (reply) =>
      this.client.check(req, reply),
    );
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(args: {
    urn: string;
    id: string;
    oldInputs: Props;
    olds: Props;
    news: Props;
    ignoreChanges?: string[];
  }): Promise<DiffResult> {
    const req = new providerProto.DiffRequest();
    const { name, type } = nameAndType(args.urn);
    req.setId(args.id);
    req.setUrn(args.urn);
    req.setName(name);
    req.setType(type);
    req.setOldInputs(toStruct(args.oldInputs));
    req.setOlds(toStruct(args.olds));
    req.setNews(toStruct(args.news));
    req.setIgnorechangesList(args.ignoreChanges ?? []);
    const res = await this.call<providerTypes.DiffResponse>("Diff", req, (reply) =>
      this.client.diff(req, reply),
    );
    const C = providerProto.DiffResponse.DiffChanges;
    const changes = res.getChanges();
    return {
      changes: changes === C.DIFF_SOME ? "some" : changes === C.DIFF_NONE ? "none" : "unknown",
      replaces: res.getReplacesList(),
      stables: res.getStablesList(),
      diffs: res.getDiffsList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  async create(urn: string, properties: Props, preview: boolean): Promise<{ id: string; properties: Props }> {
    const req = new providerProto.CreateRequest();
    const { name, type } = nameAndType(urn);
    req.setUrn(urn);
    req.setName(name);
    req.setType(type);
    req.setProperties(toStruct(properties));
    req.setPreview(preview);
    const res = await this.call<providerTypes.CreateResponse>("Create", req, (reply) =>
      this.client.create(req, reply),
    );
    return { id: res.getId(), properties: fromStruct(res.getProperties()) ?? {} };
  }

  async read(args: {
    urn: string;
    id: string;
    properties: Props;
    inputs: Props;
  }): Promise<{ id: string; properties: Props; inputs: Props | undefined }> {
    const req = new providerProto.ReadRequest();
    const { name, type } = nameAndType(args.urn);
    req.setId(args.id);
    req.setUrn(args.urn);
    req.setName(name);
    req.setType(type);
    req.setProperties(toStruct(args.properties));
    req.setInputs(toStruct(args.inputs));
    const res = await this.call<providerTypes.ReadResponse>("Read", req, (reply) =>
      this.client.read(req, reply),
    );
    return {
      id: res.getId(),
      properties: fromStruct(res.getProperties()) ?? {},
      inputs: fromStruct(res.getInputs()),
    };
  }

  async update(args: {
    urn: string;
    id: string;
    oldInputs: Props;
    olds: Props;
    news: Props;
    preview: boolean;
  }): Promise<Props> {
    const req = ProviderClient.updateRequest(args);
    const res = await this.call<providerTypes.UpdateResponse>("Update", req, (reply) =>
      this.client.update(req, reply),
    );
    return fromStruct(res.getProperties()) ?? {};
  }

  async delete(args: { urn: string; id: string; properties: Props; oldInputs: Props }): Promise<void> {
    const req = new providerProto.DeleteRequest();
    const { name, type } = nameAndType(args.urn);
    req.setId(args.id);
    req.setUrn(args.urn);
    req.setName(name);
    req.setType(type);
    req.setProperties(toStruct(args.properties));
    req.setOldInputs(toStruct(args.oldInputs));
    await this.call<Message>("Delete", req, (reply) => this.client.delete(req, reply));
  }

  /** `Construct` with the fields the engine sets (provider_plugin.go `Construct`). */
  async construct(args: ConstructArgs): Promise<ConstructResult> {
    const req = new providerProto.ConstructRequest();
    req.setProject(args.project);
    req.setStack(args.stack);
    for (const [k, v] of Object.entries(args.config ?? {})) req.getConfigMap().set(k, v);
    req.setDryrun(args.dryRun);
    req.setParallel(48);
    req.setMonitorendpoint(args.monitorEndpoint);
    req.setType(args.type);
    req.setName(args.name);
    req.setParent(args.parent);
    req.setInputs(toStruct(args.inputs));
    for (const [k, urns] of Object.entries(args.inputDependencies ?? {})) {
      const deps = new providerProto.ConstructRequest.PropertyDependencies();
      deps.setUrnsList(urns);
      req.getInputdependenciesMap().set(k, deps);
    }
    req.setDependenciesList(args.dependencies ?? []);
    req.setAcceptsOutputValues(true);
    const res = await this.call<providerTypes.ConstructResponse>("Construct", req, (reply) =>
      this.client.construct(req, reply),
    );
    const stateDependencies: Record<string, string[]> = {};
    res.getStatedependenciesMap().forEach((deps, key) => (stateDependencies[key] = deps.getUrnsList()));
    return { urn: res.getUrn(), state: fromStruct(res.getState()) ?? {}, stateDependencies };
  }
}
