/**
 * Entry point of the servicevm provider plugin. Pulumi's nodejs language host runs it through
 * `@pulumi/pulumi/cmd/run-plugin` with the plugin directory (`plugin/`, whose `package.json` points
 * here) and the engine's address as its argument; `main()` serves the provider over gRPC and prints
 * its port on the first line of stdout, which is how the engine finds it.
 */
import { main } from "@pulumi/pulumi/provider";
import { makeProvider } from "./provider";

/** Tells the SDK's runtime the engine's address, so the Ledger's warnings reach the engine's `Log`. */
function useEngine(args: readonly string[]): void {
  const address = args.find(
    (a, i) => /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/.test(a) && args[i - 1] !== "--tracing",
  );
  if (address === undefined) return;
  const state = require("@pulumi/pulumi/runtime/state") as {
    getStore(): { settings: { options: { engineAddr?: string } } };
  };
  const options = state.getStore().settings.options;
  if (options.engineAddr === undefined || options.engineAddr === "") options.engineAddr = address;
}

/**
 * Stack traces formatted by V8, not through source maps. Pulumi's plugin launcher registers
 * ts-node and `main()` installs `source-map-support`, which maps every stack through source maps;
 * the SDK takes a stack for each promise it tracks, so a `Construct` of a Fleet of thousands of
 * resources spent over a quarter of its CPU time there (profiled). This package ships plain
 * JavaScript: its traces name the `dist/` files.
 */
function plainStackTraces(): void {
  delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
}

const args = process.argv.slice(2);
useEngine(args);
void main(makeProvider(), args); // installs source-map-support before its first `await`
plainStackTraces();
