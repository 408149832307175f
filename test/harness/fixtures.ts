/**
 * Shared test fixtures: module resolution for serialized providers, fake clocks and probes.
 */
import * as ledgerImpl from "../../provider/ledgerImpl";
import { type ApplianceDeps, makeApplianceProvider } from "../../provider/applianceImpl";
import type { ProbeRequest, ProbeResult } from "../../provider/probe";
import type { PlacementDeps } from "../../provider/ledgerPlacement";
import { makeProvider } from "../../plugin/provider";
import { Engine, type EngineOptions, type PluginLike } from "./engine";

/** The fixed wall clock of tests. */
export const T0 = new Date("2026-01-02T03:04:05.000Z");

/** A probe whose answer per URL the test sets; unknown URLs answer `HTTP 200` in 7 ms. */
export class FakeProbe {
  readonly answers = new Map<string, ProbeResult>();
  readonly requests: ProbeRequest[] = [];
  down(url: string): void {
    this.answers.set(url, { reachable: false, httpStatus: null, status: "ECONNREFUSED", latencyMs: null });
  }
  up(url: string): void {
    this.answers.delete(url);
  }
  probe = (req: ProbeRequest): Promise<ProbeResult> => {
    this.requests.push(req);
    return Promise.resolve(
      this.answers.get(req.url) ?? { reachable: true, httpStatus: 200, status: "HTTP 200", latencyMs: 7 },
    );
  };
}

export function fakeApplianceDeps(probe: FakeProbe): ApplianceDeps {
  return { now: () => T0, monotonic: () => 0, probe: probe.probe };
}

/**
 * Maps the `servicevm/dist/...` specifiers the serialized providers require to the sources; the
 * Ledger's module is instantiated anew on each call (the engine loads it once per host process).
 */
export function requireFor(probe: FakeProbe, placementDeps?: PlacementDeps): (specifier: string) => unknown {
  const appliance = makeApplianceProvider(fakeApplianceDeps(probe));
  // A new module instance per load, as a new provider host process would have.
  return (specifier: string) => {
    if (specifier === "servicevm/dist/provider/ledgerImpl.js")
      return { ...ledgerImpl, ...ledgerImpl.makeLedgerMethods(placementDeps) };
    if (specifier === "servicevm/dist/provider/applianceImpl.js") return appliance;
    throw new Error(`unexpected require(${JSON.stringify(specifier)}) in a serialized provider`);
  };
}

/** A new instance of the provider plugin's methods (one per deployment), with the test's probe. */
export function pluginFor(probe: FakeProbe, placementDeps?: PlacementDeps): () => PluginLike {
  return () =>
    makeProvider(
      ledgerImpl.makeLedgerMethods(placementDeps),
      makeApplianceProvider(fakeApplianceDeps(probe)),
    );
}

/** Ids and computed outputs the mocked cloud gives non-dynamic resources. */
export function extraOutputs(type: string, name: string): Record<string, unknown> {
  if (type === "docker:index/remoteImage:RemoteImage") return { imageId: `sha256:${name}` };
  return {};
}

export function newEngine(
  probe = new FakeProbe(),
  opts: Partial<EngineOptions> = {},
  placementDeps?: PlacementDeps,
): { engine: Engine; probe: FakeProbe } {
  const engine = new Engine({
    requireModule: requireFor(probe, placementDeps),
    newPlugin: pluginFor(probe, placementDeps),
    extraOutputs,
    ...opts,
  });
  return { engine, probe };
}
