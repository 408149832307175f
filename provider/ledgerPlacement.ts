/**
 * The Ledger with `backend: { kind: placement }`: what `create`/`update`/`delete` do against a real
 * OpenStack Placement, the shared ledger of many stacks.
 *
 * - `check` still plans from the previous ledger alone (so previews show placements); in placement
 *   mode it also passes the fleet's name, the backend block and the planner's spec through to
 *   `create`/`update`, which need them to sync.
 * - `create`/`update` re-run that same plan (deterministic) and call `reconcileFleet`: owned pools
 *   are synced, allocations on pools other fleets own are claimed, claims of removed allocations
 *   are released. The outputs record the sync state (the next sync's `previous`), the claims granted
 *   and the differences from the plan.
 * - A sync that stops half way, or a claim Placement refuses, fails the update with an error naming
 *   what was not done. A failed dynamic-provider step returns no outputs, so the previous state
 *   stays; claims granted in the failed run that the previous state did not hold are released
 *   again, so Placement holds nothing the state does not know of. A re-run converges.
 * - Each Ledger instance has a random `owner` token (kept in its `placement` state, made at its first
 *   sync); every successful create/update records it in Placement as the fleet's owner
 *   (`placement/owner.ts`).
 * - `delete` releases the fleet's claims and removes its consumers, providers and owner record
 *   (`removeFleet`), but only when the owner record names this Ledger or nobody: Pulumi replaces a
 *   resource create-then-delete, and the replaced Ledger's delete must not remove what the new one
 *   just synced (same fleet, same uuids). When another Ledger owns the fleet, it removes nothing,
 *   succeeds and warns.
 *
 * Credentials are read when the provider runs, from the provider process's environment: a token in
 * `OS_TOKEN` or `OS_AUTH_TOKEN` (with `backend.endpoint`), else Keystone through `clouds.yaml`
 * (`backend.cloud` or `OS_CLOUD`) or the `OS_*` variables. Nothing of them is an input, an output
 * or part of the serialized provider.
 */
import { randomUUID } from "node:crypto";
import type { PlanResult } from "../core/types";
import { engineWarn, type Warn } from "./engineLog";
import { connectPlacement, type ConnectOptions } from "./placement/auth";
import { claimAllocations } from "./placement/claim";
import type { PlacementClient } from "./placement/client";
import { mayRemove, ownerVerdict, readOwner, takeOwnership, type OwnerVerdict } from "./placement/owner";
import { claimRequests, reconcileFleet, type PlacementDifference } from "./placement/reconcile";
import { removeFleet } from "./placement/remove";
import { SyncError } from "./placement/sync";
import {
  specDigest,
  type LedgerClaim,
  type LedgerPlacementState,
  type PlacementBackend,
  type PlacementInputs,
} from "./ledgerPlacementState";

export {
  backendOf,
  isPlacementState,
  placementChanged,
  specDigest,
  type LedgerClaim,
  type LedgerPlacementState,
  type PlacementApplyCounts,
  type PlacementBackend,
  type PlacementInputs,
} from "./ledgerPlacementState";

export interface PlacementDeps {
  /** Connects to Placement for `backend`; reads credentials when called. */
  connect(backend: PlacementBackend): Promise<PlacementClient>;
  /**
   * Warnings on the Ledger (its URN, the message): Placement put allocations elsewhere than
   * planned, a preview replaces busy devices, a delete left the fleet to a newer Ledger. The engine's
   * `Log` by default (`engineLog.ts`).
   */
  warn: Warn;
  /**
   * Makes a new Ledger instance's `owner` token (tests inject fixed ones).
   * @default crypto.randomUUID
   */
  newOwnerToken?: () => string;
}

/**
 * Connects with the credentials of the running process: `OS_TOKEN` / `OS_AUTH_TOKEN` (needs an
 * endpoint), else `clouds.yaml` / `OS_*` through Keystone.
 */
export function connectFromEnv(
  backend: PlacementBackend,
  extra: Omit<ConnectOptions, "endpoint" | "cloud" | "token"> = {},
): Promise<PlacementClient> {
  const env = extra.env ?? process.env;
  const token = env.OS_TOKEN || env.OS_AUTH_TOKEN || undefined;
  return connectPlacement({
    ...extra,
    env,
    ...(backend.endpoint !== undefined ? { endpoint: backend.endpoint } : {}),
    ...(backend.cloud !== undefined ? { cloud: backend.cloud } : {}),
    ...(token !== undefined ? { token } : {}),
  });
}

export const DEFAULT_PLACEMENT_DEPS: PlacementDeps = {
  connect: (backend) => connectFromEnv(backend),
  warn: engineWarn,
};

/** Where the provider looks for credentials, for connection errors. */
const CREDENTIALS =
  "the Ledger reads credentials from its environment when it runs: `OS_TOKEN` or `OS_AUTH_TOKEN` with " +
  "`backend.endpoint`, else `backend.cloud`/`OS_CLOUD` in clouds.yaml, else `OS_AUTH_URL` and the other `OS_*` variables";

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a failed apply says after its cause: Pulumi keeps the previous outputs, so a re-run converges. */
const KEPT =
  "nothing was recorded: the previous ledger stays in state; fix the cause and run `pulumi up` again";

type FleetReport = Awaited<ReturnType<typeof reconcileFleet>>;

/**
 * Reconciles Placement with a plan; returns the `placement` output or throws an error naming what
 * was not done. `previous` is the last `placement` output (absent on create); `urn` is the Ledger's,
 * which the warnings name.
 *
 * The steps, in request order: connect, reconcile (sync the owned pools, claim and release), undo
 * this run's claims if Placement refused one, take ownership of the fleet in Placement (the token of
 * `previous`, any fleet's, else a new one), warn of every difference from the plan, record.
 */
export async function applyPlacement(
  deps: PlacementDeps,
  inputs: PlacementInputs,
  result: PlanResult,
  previous: LedgerPlacementState | undefined,
  urn = "",
): Promise<LedgerPlacementState> {
  const prefix = `Ledger of fleet \`${inputs.fleet}\` (backend placement)`;
  const client = await connectOrFail(deps, inputs.backend, prefix);
  // Only the same fleet's previous state says what this fleet holds in Placement.
  const before = previous !== undefined && previous.fleet === inputs.fleet ? previous : undefined;
  const report = await reconcileOrFail(client, inputs, result, before, prefix);
  await failOnRefusedClaims(client, inputs, report, before, prefix);
  const owner = previous?.owner ?? (deps.newOwnerToken ?? randomUUID)();
  await takeOwnershipOrFail(client, inputs.fleet, owner, prefix);
  const differences = withMovedClaims(report, before);
  for (const d of differences) await deps.warn(urn, `${prefix}: allocation \`${d.allocation}\`: ${d.reason}`);
  return placementState(inputs, report, differences, owner);
}

/** Records `owner` as the fleet's owner in Placement, last, so a failed apply never takes the fleet over. */
async function takeOwnershipOrFail(
  client: PlacementClient,
  fleet: string,
  owner: string,
  prefix: string,
): Promise<void> {
  try {
    await takeOwnership(client, fleet, owner);
  } catch (err) {
    throw new Error(
      `${prefix}: recording this Ledger as the fleet's owner in Placement failed; ${KEPT}.\n${describeError(err)}`,
      { cause: err },
    );
  }
}

async function connectOrFail(
  deps: PlacementDeps,
  backend: PlacementBackend,
  prefix: string,
): Promise<PlacementClient> {
  try {
    return await deps.connect(backend);
  } catch (err) {
    throw new Error(
      `${prefix}: cannot connect to Placement: ${describeError(err)} (${CREDENTIALS}); ${KEPT}`,
      { cause: err },
    );
  }
}

/** Syncs the owned pools, claims on external pools and releases the claims of allocations gone from the spec. */
async function reconcileOrFail(
  client: PlacementClient,
  { fleet, spec }: PlacementInputs,
  result: PlanResult,
  before: LedgerPlacementState | undefined,
  prefix: string,
): Promise<FleetReport> {
  const requests = new Set(claimRequests(spec, result));
  // Claims of allocations gone from the spec. One now placed on an owned pool keeps its consumer
  // (same uuid): the sync rewrites it onto the owned device, so it must not be released after.
  const release = Object.keys(before?.claims ?? {})
    .filter((a) => !requests.has(a) && result.placements[a] === undefined)
    .sort();
  try {
    return await reconcileFleet(client, {
      fleet,
      spec,
      result,
      release,
      ...(before !== undefined ? { previous: before.sync } : {}),
    });
  } catch (err) {
    const what = err instanceof SyncError ? "sync into Placement failed" : "Placement failed";
    throw new Error(`${prefix}: ${what}; ${KEPT}.\n${describeError(err)}`, { cause: err });
  }
}

/**
 * Throws when Placement refused a claim, after releasing the claims this run added, so Placement
 * holds no claim the (previous) state does not list.
 */
async function failOnRefusedClaims(
  client: PlacementClient,
  { fleet, spec }: PlacementInputs,
  report: FleetReport,
  before: LedgerPlacementState | undefined,
  prefix: string,
): Promise<void> {
  const refused = report.differences.filter((d) => d.placed === null);
  if (refused.length === 0) return;
  const added = Object.keys(report.claims.granted)
    .filter((a) => !report.claims.granted[a].kept && !(before !== undefined && a in before.claims))
    .sort();
  let undone = "";
  if (added.length > 0) {
    try {
      await claimAllocations(client, { fleet, spec, requests: [], release: added });
      undone = ` Claims granted in this run were released again: ${added.map((a) => `\`${a}\``).join(", ")}.`;
    } catch (err) {
      undone = ` Releasing the claims granted in this run failed (${describeError(err)}); the next run releases or keeps them.`;
    }
  }
  const lines = refused.map((d) => `  ${d.allocation}: ${d.reason}`);
  throw new Error(
    `${prefix}: Placement refused ${refused.length} claim(s); ${KEPT}.${undone}\n${lines.join("\n")}`,
  );
}

/**
 * The reconcile's differences from the plan, plus each claim Placement moved since the last apply
 * (its demand changed, or it was lost and the old device had no room left): it differs from what the
 * previous ledger showed. Sorted by allocation.
 */
function withMovedClaims(
  report: FleetReport,
  before: LedgerPlacementState | undefined,
): PlacementDifference[] {
  const differences = [...report.differences];
  for (const a of Object.keys(report.claims.granted)) {
    const g = report.claims.granted[a];
    const was = before?.claims[a];
    if (g.kept || was === undefined || differences.some((d) => d.allocation === a)) continue;
    if (was.fleet === g.fleet && was.device === g.device) continue;
    differences.push({
      allocation: a,
      planned: was.device,
      placed: g.device,
      reason:
        `the claim was on \`${was.device}\` of fleet \`${was.fleet}\` at the last apply; Placement granted ` +
        `\`${g.device}\` of fleet \`${g.fleet}\` (the demand changed, or the claim was gone and \`${was.device}\` had no room left)`,
    });
  }
  return differences.sort((x, y) => (x.allocation < y.allocation ? -1 : x.allocation > y.allocation ? 1 : 0));
}

/** The `placement` output of a successful apply: the sync state, the claims held, what was written, the owner token. */
function placementState(
  { fleet, backend, spec }: PlacementInputs,
  report: FleetReport,
  differences: PlacementDifference[],
  owner: string,
): LedgerPlacementState {
  const claims: Record<string, LedgerClaim> = {};
  let keptCount = 0;
  for (const a of Object.keys(report.claims.granted).sort()) {
    const g = report.claims.granted[a];
    claims[a] = { fleet: g.fleet, pool: g.pool, device: g.device };
    if (g.kept) keptCount++;
  }
  const { providers, consumers } = report.sync;
  return {
    fleet,
    endpoint: backend.endpoint ?? null,
    cloud: backend.cloud ?? null,
    specDigest: specDigest(spec),
    sync: report.sync.state,
    claims,
    differences,
    lastApply: {
      providers: {
        created: providers.created.length,
        updated: providers.updated.length,
        deleted: providers.deleted.length,
        unchanged: providers.unchanged,
      },
      consumers: {
        written: consumers.written.length,
        deleted: consumers.deleted.length,
        unchanged: consumers.unchanged,
      },
      claims: {
        granted: Object.keys(claims).length - keptCount,
        kept: keptCount,
        released: report.claims.released.length,
      },
    },
    owner,
  };
}

/**
 * Removes the fleet recorded in `state` from Placement (Ledger `delete`, a switch back to `state`,
 * or the old name after a rename): its claims on other fleets' pools, its consumers and providers,
 * and its owner record, but only when the owner record names this Ledger (`state.owner`) or nobody
 * (no record: a fleet synced by an older servicevm). When it names another Ledger (this one was
 * replaced: Pulumi created the new one first, which synced the same uuids, claims included), nothing
 * is removed, the step succeeds, and a warning on `urn` (the Ledger's, `""` when not known) says so.
 * Throws, naming the cause, when Placement cannot be read or the removal fails.
 */
export async function removePlacement(
  deps: PlacementDeps,
  state: LedgerPlacementState,
  urn = "",
): Promise<void> {
  const backend: PlacementBackend = {
    kind: "placement",
    ...(state.endpoint !== null ? { endpoint: state.endpoint } : {}),
    ...(state.cloud !== null ? { cloud: state.cloud } : {}),
  };
  const prefix = `Ledger of fleet \`${state.fleet}\` (backend placement)`;
  let verdict: OwnerVerdict;
  try {
    const client = await deps.connect(backend);
    verdict = ownerVerdict(state.fleet, state.owner, await readOwner(client, state.fleet));
    if (mayRemove(verdict))
      await removeFleet(client, { fleet: state.fleet, release: Object.keys(state.claims) });
  } catch (err) {
    throw new Error(
      `${prefix}: removing the fleet from Placement failed; the Ledger stays in state, run the command again: ${describeError(err)}`,
      { cause: err },
    );
  }
  if (!mayRemove(verdict)) await deps.warn(urn, `${prefix}: ${newerOwner(state.fleet)}`);
}

/** The delete's warning when another Ledger owns the fleet in Placement. */
function newerOwner(fleet: string): string {
  return (
    `fleet \`${fleet}\` in Placement is owned by a newer Ledger (this one was replaced, or another stack synced the fleet since); ` +
    "nothing removed: its devices, allocations and claims stay with that Ledger"
  );
}
