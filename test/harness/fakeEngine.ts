/**
 * A fake Pulumi engine service (`pulumirpc.Engine`) on 127.0.0.1, over real gRPC with the SDK's own
 * generated service definition: it records every `Log` request (severity, URN, message) and answers
 * the other calls with empty responses. What a provider or program logs through the engine lands
 * here exactly as the Pulumi CLI would receive it; how the CLI then prints it is not modelled.
 */
import { createRequire } from "node:module";

// The gRPC and protobuf modules the installed SDK itself uses (its generated code checks types).
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = sdkRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
  EngineService: import("@grpc/grpc-js").ServiceDefinition;
};
const engineProto = require("@pulumi/pulumi/proto/engine_pb") as {
  LogSeverity: Record<string, number>;
  GetRootResourceResponse: new () => unknown;
  SetRootResourceResponse: new () => unknown;
  RequirePulumiVersionResponse: new () => unknown;
};
const emptyProto = sdkRequire("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };

export type Severity = "debug" | "info" | "warning" | "error";

/** One `Log` request as the engine received it. */
export interface EngineLog {
  severity: Severity;
  /** The resource the message is about; `""` for a global message. */
  urn: string;
  message: string;
}

interface LogRequestLike {
  getSeverity(): number;
  getUrn(): string;
  getMessage(): string;
}

type Callback = (err: null, value: unknown) => void;

const SEVERITIES = new Map<number, Severity>([
  [engineProto.LogSeverity.DEBUG, "debug"],
  [engineProto.LogSeverity.INFO, "info"],
  [engineProto.LogSeverity.WARNING, "warning"],
  [engineProto.LogSeverity.ERROR, "error"],
]);

export class FakeEngine {
  private constructor(
    private readonly server: import("@grpc/grpc-js").Server,
    /** `127.0.0.1:<port>`, what Pulumi passes providers and programs as the engine's address. */
    readonly address: string,
    /** Every `Log` received, in order. */
    readonly logs: EngineLog[],
  ) {}

  static async start(): Promise<FakeEngine> {
    const server = new grpc.Server();
    const logs: EngineLog[] = [];
    server.addService(engineGrpc.EngineService, {
      log: (call: { request: LogRequestLike }, callback: Callback) => {
        const r = call.request;
        logs.push({
          severity: SEVERITIES.get(r.getSeverity()) ?? "info",
          urn: r.getUrn(),
          message: r.getMessage(),
        });
        callback(null, new emptyProto.Empty());
      },
      getRootResource: (_call: unknown, callback: Callback) =>
        callback(null, new engineProto.GetRootResourceResponse()),
      setRootResource: (_call: unknown, callback: Callback) =>
        callback(null, new engineProto.SetRootResourceResponse()),
      startDebugging: (_call: unknown, callback: Callback) => callback(null, new emptyProto.Empty()),
      requirePulumiVersion: (_call: unknown, callback: Callback) =>
        callback(null, new engineProto.RequirePulumiVersionResponse()),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    return new FakeEngine(server, `127.0.0.1:${port}`, logs);
  }

  /** Stops at once; calls in flight fail. */
  stop(): void {
    this.server.forceShutdown();
  }
}
