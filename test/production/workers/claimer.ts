/**
 * One claiming Ledger as its own OS process, for the production-shaped over-commit tests
 * (test/production/overcommit.test.ts). Compiled by `tsconfig.build.json` to
 * `dist/test/production/workers/claimer.js` and run with `node`:
 *
 *   node claimer.js <placement-url> <allocations> [owner-fleet]
 *
 * It prints `ready`, then serves one run per line on stdin: for a line `<fleet>` it claims
 * `<allocations>` allocations of 1 `CUSTOM_SERVICE_SLOT` each (names `<fleet>-0`, ...) from pool `fw`
 * of fleet `[owner-fleet]` (default `infra`) through `claimAllocations`, and prints one JSON line
 * (`ClaimerOutput`): the claim report, the client's retries and the claim's lost races by Placement
 * error code, the verification steps, the requests made. The test writes the line to every process
 * at once, so they claim together; the process stays up between runs (no start-up cost per run)
 * and exits when stdin ends. Exit code 0 unless it failed outright (then the error is on stderr).
 */
import { claimAllocations, type ClaimReport, type VerifyEvent } from "../../../provider/placement/claim";
import { PlacementClient } from "../../../provider/placement/client";
import { createInterface } from "node:readline";
import type { FleetSpec } from "../../../core/types";

/** What the claimer prints: one JSON line. */
export interface ClaimerOutput {
  fleet: string;
  report: ClaimReport;
  /** Retries the client made, by Placement error code (`placement.concurrent_update`, ...). */
  retries: Record<string, number>;
  /** Writes Placement refused that the claim retried itself, by `<code> (<kind>)`. */
  lostRaces: Record<string, number>;
  /** Verification steps by kind (`settle`, `undo`, `wait`, `gone`, `timeout`, `reaped`). */
  verify: Record<string, number>;
  requests: number;
  ms: number;
}

/** The claiming fleet's spec: pool `fw` owned by `owner`, `count` allocations of one slot. */
export function claimerSpec(fleet: string, count: number, owner: string): FleetSpec {
  const allocations: NonNullable<FleetSpec["allocations"]> = {};
  for (let i = 0; i < count; i++)
    allocations[`${fleet}-${i}`] = { tenant: fleet, pools: ["fw"], demand: { CUSTOM_SERVICE_SLOT: 1 } };
  return {
    templates: {},
    pools: { fw: { external: { fleet: owner } } },
    allocations,
  };
}

async function main(): Promise<void> {
  const [url, countText, owner = "infra"] = process.argv.slice(2);
  const count = Number(countText);
  if (url === undefined || !Number.isInteger(count) || count < 1)
    throw new Error("usage: claimer.js <placement-url> <allocations> [owner-fleet]");
  const lines = createInterface({ input: process.stdin });
  process.stdout.write("ready\n");
  for await (const line of lines) {
    const fleet = line.trim();
    if (fleet !== "") process.stdout.write(`${JSON.stringify(await claimRun(url, fleet, count, owner))}\n`);
  }
}

/** One run: claims the fleet's allocations and counts what happened on the way. */
async function claimRun(url: string, fleet: string, count: number, owner: string): Promise<ClaimerOutput> {
  const retries: Record<string, number> = {};
  const lostRaces: Record<string, number> = {};
  const verify: Record<string, number> = {};
  let requests = 0;
  const client = new PlacementClient({
    endpoint: url,
    auth: "admin",
    timeoutMs: 30_000,
    retry: { attempts: 6, baseDelayMs: 20, maxDelayMs: 500 },
    onRequest: () => requests++,
    onRetry: (failure) => {
      const code = failure.info.code ?? failure.kind;
      retries[code] = (retries[code] ?? 0) + 1;
    },
  });
  const spec = claimerSpec(fleet, count, owner);
  const started = Date.now();
  const report = await claimAllocations(client, {
    fleet,
    spec,
    requests: Object.keys(spec.allocations ?? {}),
    maxAttempts: 30,
    onVerify: (e: VerifyEvent) => (verify[e.step] = (verify[e.step] ?? 0) + 1),
    onLostRace: (err) => {
      const code = `${err.info.code ?? "none"} (${err.kind})`;
      lostRaces[code] = (lostRaces[code] ?? 0) + 1;
    },
  });
  return { fleet, report, retries, lostRaces, verify, requests, ms: Date.now() - started };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
