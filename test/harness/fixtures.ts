/**
 * Shared test fixtures: module resolution for serialized providers, fake clocks and probes.
 */
import * as ledgerImpl from "../../provider/ledgerImpl";
import { type ApplianceDeps, makeApplianceProvider } from "../../provider/applianceImpl";
import type { ProbeRequest, ProbeResult } from "../../provider/probe";
import type { PlacementDeps } from "../../provider/ledgerPlacement";
import { Engine, type EngineOptions } from "./engine";

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

/** Maps the `servicevm/dist/...` specifiers the serialized providers require to the sources. */
export function requireFor(probe: FakeProbe, placementDeps?: PlacementDeps): (specifier: string) => unknown {
  const appliance = makeApplianceProvider(fakeApplianceDeps(probe));
  const ledger =
    placementDeps === undefined
      ? ledgerImpl
      : { ...ledgerImpl, ...ledgerImpl.makeLedgerMethods(placementDeps) };
  return (specifier: string) => {
    if (specifier === "servicevm/dist/provider/ledgerImpl.js") return ledger;
    if (specifier === "servicevm/dist/provider/applianceImpl.js") return appliance;
    throw new Error(`unexpected require(${JSON.stringify(specifier)}) in a serialized provider`);
  };
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
  const engine = new Engine({ requireModule: requireFor(probe, placementDeps), extraOutputs, ...opts });
  return { engine, probe };
}
