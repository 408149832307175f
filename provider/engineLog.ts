/**
 * Warnings from servicevm's dynamic providers, sent as the engine's `Log` with the resource's URN:
 * `pulumi preview` and `pulumi up` then print them as warnings under that resource. Console output
 * would not do: the engine shows a provider's stderr as plugin output, with no severity and no
 * resource.
 *
 * The nodejs dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) gives a provider neither
 * of the two things a `Log` needs:
 * - the engine: the host is started with the engine's address as its argument (Pulumi starts every
 *   provider plugin with it) but never hands it to the SDK's runtime, so `pulumi.log.warn` falls
 *   back to the console there. {@link hostEngineAddress} finds it in the host's arguments and gives
 *   it to the runtime, which then opens its usual engine client. Where the runtime already has an
 *   engine (a program process, the test harness) that one is used.
 * - the URN: `check`/`diff`/`create`/`update` receive properties only, so the resource passes its
 *   own URN as an input (`resourceUrn`, see `LedgerResource`).
 *
 * Loaded inside the provider's methods only (STYLE: the serialized closure stays thin).
 */

/** Where the provider's warnings go: the engine's `Log` with a URN. */
export type Warn = (urn: string, message: string) => Promise<void>;

/** The engine's gRPC address: `host:port` or `[v6]:port` (Pulumi listens on the loopback). */
const ADDRESS = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** The dynamic-provider host's entry point, as Pulumi's `pulumi-resource-pulumi-nodejs` starts it. */
const HOST_MAIN = /[\\/]cmd[\\/]dynamic-provider(?:[\\/]index(?:\.js)?)?$/;

/**
 * The engine's address when this process is the nodejs dynamic-provider host, from its arguments
 * (`node .../cmd/dynamic-provider <engine>`, with Pulumi's own flags such as `--logtostderr`, `-v=N` or
 * `--tracing <endpoint>` around it): the first `host:port` argument that is not the value of
 * `--tracing`. `undefined` in any other process.
 */
export function hostEngineAddress(argv: readonly string[]): string | undefined {
  if (argv.length < 3 || !HOST_MAIN.test(argv[1])) return undefined;
  return argv.slice(2).find((arg, i, args) => ADDRESS.test(arg) && args[i - 1] !== "--tracing");
}

interface EngineLike {
  log(req: unknown, callback: (err: unknown) => void): void;
}

/** The runtime's engine client, given the host's address first when the runtime has none. */
function engineClient(): EngineLike | undefined {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getEngine(): EngineLike | undefined };
  const existing = settings.getEngine();
  if (existing !== undefined) return existing;
  const address = hostEngineAddress(process.argv);
  if (address === undefined) return undefined;
  const state = require("@pulumi/pulumi/runtime/state") as {
    getStore(): { settings: { options: { engineAddr?: string } } };
  };
  state.getStore().settings.options.engineAddr = address;
  return settings.getEngine();
}

/**
 * Logs `message` as a warning on the resource `urn` through the engine; resolves once the engine
 * has it. Without an engine (a provider method called outside Pulumi) it goes to stderr, marked as a
 * warning. A failed delivery never fails the provider's step.
 */
export const engineWarn: Warn = (urn, message) => {
  const engine = engineClient();
  if (engine === undefined) {
    console.warn(`warning: ${urn === "" ? "" : `${urn}: `}${message}`);
    return Promise.resolve();
  }
  const proto = require("@pulumi/pulumi/proto/engine_pb") as {
    LogRequest: new () => {
      setSeverity(s: number): unknown;
      setMessage(m: string): unknown;
      setUrn(u: string): unknown;
      setStreamid(n: number): unknown;
      setEphemeral(e: boolean): unknown;
    };
    LogSeverity: { WARNING: number };
  };
  const req = new proto.LogRequest();
  req.setSeverity(proto.LogSeverity.WARNING);
  req.setMessage(message);
  req.setUrn(urn);
  req.setStreamid(0);
  req.setEphemeral(false);
  const failed = (err: unknown): void =>
    console.warn(
      `warning: ${urn}: ${message} (the engine did not take the log: ${err instanceof Error ? err.message : JSON.stringify(err)})`,
    );
  return new Promise<void>((resolve) => {
    try {
      engine.log(req, (err) => {
        if (err) failed(err);
        resolve();
      });
    } catch (err) {
      failed(err);
      resolve();
    }
  });
};
