/**
 * Claims: allocations a fleet takes from pools another fleet owns (`pools.fw.external.fleet`).
 * Placement decides capacity, so allocations of other stacks and other Placement users (Nova) are
 * respected; and since Placement under several workers on MariaDB's REPEATABLE-READ lets concurrent
 * writes through its capacity check, every claim is verified after it is written (overcommit.ts):
 *
 * 1. `GET /allocation_candidates` for the allocation's demand, `required` traits (`!forbidden`,
 *    `in:` any-of), `member_of` the pools' aggregates (and the zone's), `limit`;
 * 2. `PUT /allocations/{consumer}` with the consumer generation against the chosen provider, as
 *    *pending* (`PENDING_CONSUMER_TYPE`); Placement checks capacity inside its write transaction;
 * 3. the provider is observed (`observeProvider`): its inventories and allocations and, when it is
 *    over capacity, the type of each consumer on it. By the rule of overcommit.ts a claim beyond the capacity is undone (an
 *    empty write guarded by its consumer generation); a kept claim waits until the provider is
 *    within capacity and is then *settled* (re-written as `CONSUMER_TYPE`, generation-guarded):
 *    only then is it granted. A kept claim still waiting after `verifyTimeoutMs` is undone too,
 *    and pending claims beyond the capacity left unchanged for half of that are removed (abandoned);
 * 4. a refusal because someone took the capacity first (capacity exceeded, generation conflict, an
 *    undone claim) goes back to 1, with exponential backoff and jitter, a bounded number of times.
 *
 * Settling only after seeing the provider within capacity is what keeps settled claims within it:
 * the last settled claim to have been written saw every other settled one when it looked. A claim
 * an earlier run left pending is verified and settled or undone by the next run. An allocation with
 * no candidate left is refused with an error that says what it needed and where. Placement does not
 * know servicevm's tenancy rules: isolation contexts, dedicated devices and anti-affinity groups are
 * not enforced on external pools (the owning fleet's capacity is).
 */
import type { FleetSpec } from "../../core/types";
import type { ConsumerAllocations, PlacementClient, ProviderRecord, Query } from "./client";
import type { PlacementError } from "./errors";
import { mapLimit } from "./desired";
import { CONSUMER_TYPE, PENDING_CONSUMER_TYPE, claimUserId, consumerUuid, projectId } from "./ids";
import { compareText } from "../../core/order";
import {
  backoffCap,
  candidateQuery,
  chooseCandidate,
  claimResources,
  describeNeed,
  gaveUp,
  grantOf,
  keptClaim,
  leftPending,
  locate,
  lostRace,
  mentionedTraits,
  noCapacity,
  rankCandidates,
  targetsOf,
  targetsToList,
  unclaimable,
  unmatchable,
  withKnownTraits,
  type Candidate,
  type ClaimGrant,
} from "./claimPlan";
import {
  VERIFY_TIMEOUT_MS,
  claimStep,
  claimUndone,
  holdersOf,
  judge,
  type ClaimStep,
  type ConsumerInfo,
} from "./overcommit";
import { observeProvider, pause, reapAbandoned, sleep, undoConsumer } from "./observe";

export type { ConsumerInfo, ProviderView } from "./overcommit";

export { candidateQuery, withKnownTraits, type ClaimGrant } from "./claimPlan";

export interface ClaimOptions {
  fleet: string;
  spec: FleetSpec;
  /** Allocations (names in `spec.allocations`) to claim from external pools. */
  requests: string[];
  /** Allocations whose claims to release (names; their consumers are deleted). */
  release?: string[];
  /** Preferred device per allocation (the plan's choice); taken when Placement still offers it. */
  planned?: Record<string, string>;
  /** Claims in flight at once. @default 4 */
  concurrency?: number;
  /** Candidate queries per allocation before giving up under contention. @default 12 */
  maxAttempts?: number;
  /** `limit` of each candidates query. @default 100 */
  candidateLimit?: number;
  /** Backoff base between attempts, full jitter. @default 20 */
  backoffMs?: number;
  /**
   * How long a pending claim kept by the rule waits for the claims beyond the capacity to be undone
   * before it undoes itself and asks again; a pending claim beyond the capacity seen unchanged for
   * half of it is taken as abandoned (its claimer stopped) and removed. @default 10000 (`VERIFY_TIMEOUT_MS`)
   */
  verifyTimeoutMs?: number;
  /** Called at each verification step of a written claim (accounting in tests and benchmarks). */
  onVerify?: (event: VerifyEvent) => void;
  /** Called when Placement refuses a claim's write because someone took it first (accounting). */
  onLostRace?: (refusal: PlacementError) => void;
  onProgress?: (done: number, total: number) => void;
}

/** One verification step: what the rule said for `allocation` on `device`, or an abandoned claim removed. */
export interface VerifyEvent {
  allocation: string;
  device: string;
  step: ClaimStep | "timeout" | "reaped";
}

export interface ClaimReport {
  granted: Record<string, ClaimGrant>;
  /** Refused allocations and why, one clear sentence each. */
  refused: Record<string, string>;
  released: string[];
}

export class ClaimError extends Error {
  constructor(
    message: string,
    readonly report: ClaimReport,
  ) {
    super(message);
    this.name = "ClaimError";
  }
}

/** What every claim of one call shares. */
interface ClaimRun {
  client: PlacementClient;
  fleet: string;
  spec: FleetSpec;
  options: ClaimOptions;
  /** Members of every external pool claimed from, by provider uuid. */
  members: Map<string, ProviderRecord>;
  /** The traits Placement knows among those the requests mention. */
  known: Set<string>;
  /** Consumers seen on observed providers (`observeProvider`). */
  seen: Map<string, ConsumerInfo>;
}

/** One allocation's claim as it is attempted. */
interface Claim {
  name: string;
  consumer: string;
  need: string;
  where: (uuid: string) => Candidate["where"] | null;
  planned: string | undefined;
  projectId: string;
  resources: Record<string, number>;
}

/** Writes a claim on `provider` as `type` (pending, then settled), guarded by the consumer generation. */
function writeClaim(
  run: ClaimRun,
  claim: Claim,
  provider: string,
  generation: number | null,
  type: string,
): Promise<void> {
  return run.client.putAllocations(claim.consumer, {
    allocations: { [provider]: { resources: claim.resources } },
    project_id: claim.projectId,
    user_id: claimUserId(run.fleet),
    consumer_generation: generation,
    consumer_type: type,
  });
}

/** Claims (and releases) allocations from external pools through Placement. Throws nothing for refusals: see `refused`. */
export async function claimAllocations(client: PlacementClient, options: ClaimOptions): Promise<ClaimReport> {
  const { fleet, spec } = options;
  const report: ClaimReport = { granted: {}, refused: {}, released: [] };

  for (const name of [...(options.release ?? [])].sort(compareText)) {
    if (await client.deleteAllocations(consumerUuid(fleet, name))) report.released.push(name);
  }

  // Provider names of every external pool's members (one request per owning fleet's pool).
  const members = new Map<string, ProviderRecord>();
  for (const t of targetsToList(spec, options.requests)) {
    for (const rec of await client.listProviders({ member_of: t.aggregate })) members.set(rec.uuid, rec);
  }
  const mentioned = mentionedTraits(spec, options.requests);
  const known = new Set(
    mentioned.length === 0 ? [] : await client.listTraits({ name: `in:${mentioned.join(",")}` }),
  );

  const run: ClaimRun = { client, fleet, spec, options, members, known, seen: new Map() };
  let done = 0;
  const requests = [...options.requests].sort(compareText);
  await mapLimit(requests, options.concurrency ?? 4, async (name) => {
    const outcome = await claimOne(run, name);
    if (outcome.granted !== undefined) report.granted[name] = outcome.granted;
    if (outcome.refused !== undefined) report.refused[name] = outcome.refused;
    options.onProgress?.(++done, requests.length);
  });
  return report;
}

/**
 * One allocation's claim: kept when settled in place, verified when an earlier run left it pending,
 * else asked for and written, retried on lost races.
 */
async function claimOne(run: ClaimRun, name: string): Promise<{ granted?: ClaimGrant; refused?: string }> {
  const alloc = run.spec.allocations?.[name];
  const targets = alloc === undefined ? [] : targetsOf(run.spec, alloc);
  const cannot = unclaimable(name, alloc, targets);
  if (cannot !== null || alloc === undefined) return { refused: cannot ?? "" };
  const consumer = consumerUuid(run.fleet, name);
  const resources = claimResources(alloc);
  const need = describeNeed(name, alloc, targets);
  const where = (uuid: string): ReturnType<typeof locate> => locate(run.members, uuid, targets);
  let current = await run.client.getConsumerAllocations(consumer);
  const kept = keptClaim(current, resources, where, consumer);
  if (kept !== null) return { granted: kept };
  const claim: Claim = {
    name,
    consumer,
    need,
    where,
    planned: run.options.planned?.[name],
    projectId: projectId(alloc.tenant),
    resources,
  };
  const left = leftPending(current, resources, where);
  if (left !== null) {
    if (left.where !== null) {
      const verified = await verifyClaim(run, claim, { uuid: left.provider, where: left.where });
      if (verified.settled)
        return { granted: grantOf({ uuid: left.provider, where: left.where }, consumer, claim.planned) };
    } else await undoConsumer(run.client, consumer, ownInfo(run, claim, current.consumer_generation));
    current = await run.client.getConsumerAllocations(consumer);
  }
  const askable = withKnownTraits(alloc, run.known);
  if (askable === null) return { refused: unmatchable(name, need, alloc, run.known) };
  const query = candidateQuery(askable, targets, run.options.candidateLimit ?? 100);
  return attemptClaims(run, claim, query, current);
}

function ownInfo(run: ClaimRun, claim: Claim, generation: number | null): ConsumerInfo {
  return {
    generation,
    type: PENDING_CONSUMER_TYPE,
    projectId: claim.projectId,
    userId: claimUserId(run.fleet),
  };
}

/**
 * Asks for candidates, writes the claim pending on the chosen one and verifies it; a race lost to
 * another claimer (refused write, undone claim) goes back to asking, after a jittered backoff, up to
 * `maxAttempts` times.
 */
async function attemptClaims(
  run: ClaimRun,
  claim: Claim,
  query: Query,
  initial: ConsumerAllocations,
): Promise<{ granted?: ClaimGrant; refused?: string }> {
  const maxAttempts = run.options.maxAttempts ?? 12;
  let current = initial;
  let lastRefusal = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const ranked = rankCandidates(await run.client.allocationCandidates(query), claim.where);
    if (ranked.length === 0) return { refused: noCapacity(claim.need, lastRefusal) };
    const choice = chooseCandidate(ranked, attempt, claim.planned, Math.random());
    if (choice === undefined) return {};
    try {
      await writeClaim(run, claim, choice.uuid, current.consumer_generation, PENDING_CONSUMER_TYPE);
      const verified = await verifyClaim(run, claim, choice);
      if (verified.settled) return { granted: grantOf(choice, claim.consumer, claim.planned) };
      lastRefusal = verified.reason;
      current = await run.client.getConsumerAllocations(claim.consumer);
    } catch (err) {
      if (!lostRace(err)) throw err;
      run.options.onLostRace?.(err);
      lastRefusal = err.message;
      if (err.kind === "generation-conflict")
        current = await run.client.getConsumerAllocations(claim.consumer);
    }
    if (attempt === maxAttempts) return { refused: gaveUp(claim.need, maxAttempts, lastRefusal) };
    await sleep(Math.floor(Math.random() * backoffCap(run.options.backoffMs ?? 20, attempt)));
  }
  return {};
}

/**
 * Observes the provider of a pending claim until the rule settles it (granted) or undoes it, at most
 * `verifyTimeoutMs` (then it is undone). Pending claims of others beyond the capacity that stay
 * unchanged for half of that are removed as abandoned.
 */
async function verifyClaim(
  run: ClaimRun,
  claim: Claim,
  on: Candidate,
): Promise<{ settled: true } | { settled: false; reason: string }> {
  const timeoutMs = run.options.verifyTimeoutMs ?? VERIFY_TIMEOUT_MS;
  const started = Date.now();
  const firstSeen = new Map<string, number>();
  const event = (step: VerifyEvent["step"]): void =>
    run.options.onVerify?.({ allocation: claim.name, device: on.where.device, step });
  for (let round = 0; ; round++) {
    const view = await observeProvider(run.client, on.uuid, run.seen);
    const judgement = judge(view.capacity, holdersOf(view, new Set()));
    const step = claimStep(judgement, claim.consumer);
    const mine = view.holders.find((h) => h.consumer === claim.consumer);
    const undone = claimUndone(on.where.device, on.where.target.fleet, judgement.exceeded);
    event(step);
    if (step === "gone" || mine === undefined)
      return {
        settled: false,
        reason: `the pending claim on device \`${on.where.device}\` was removed by another claimer (it stayed beyond the capacity)`,
      };
    if (step === "settle") {
      try {
        await writeClaim(run, claim, on.uuid, mine.generation, CONSUMER_TYPE);
        return { settled: true };
      } catch (err) {
        // Another write got in meanwhile (over again), or the claim was removed: look again.
        if (!lostRace(err)) throw err;
      }
    }
    const timedOut = Date.now() - started >= timeoutMs;
    if (step === "undo" || timedOut) {
      if (timedOut && step !== "undo") event("timeout");
      await undoConsumer(run.client, claim.consumer, ownInfo(run, claim, mine.generation));
      return { settled: false, reason: undone };
    }
    const reaped = await reapAbandoned(run.client, view, judgement.over, firstSeen, timeoutMs / 2);
    for (let i = 0; i < reaped; i++) event("reaped");
    await pause(round);
  }
}
