/**
 * Claims: allocations a fleet takes from pools another fleet owns (`pools.fw.external.fleet`).
 * Placement decides capacity, so allocations of other stacks and other Placement users (Nova) are
 * respected and concurrent claimers never over-commit:
 *
 * 1. `GET /allocation_candidates` for the allocation's demand, `required` traits (`!forbidden`,
 *    `in:` any-of), `member_of` the pools' aggregates (and the zone's), `limit`;
 * 2. `PUT /allocations/{consumer}` with the consumer generation against the chosen provider;
 *    Placement re-checks capacity inside its write transaction;
 * 3. a refusal because someone took the capacity first (capacity exceeded, generation conflict)
 *    goes back to 1, with exponential backoff and jitter, a bounded number of times.
 *
 * An allocation with no candidate left is refused with an error that says what it needed and where.
 * Placement does not know servicevm's tenancy rules: isolation contexts, dedicated devices and
 * anti-affinity groups are not enforced on external pools (the owning fleet's capacity is).
 */
import type { FleetSpec } from "../../core/types";
import type { ConsumerAllocations, PlacementClient, ProviderRecord, Query } from "./client";
import { mapLimit } from "./desired";
import { CONSUMER_TYPE, claimUserId, consumerUuid, projectId } from "./ids";
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
  type ClaimGrant,
  type Target,
} from "./claimPlan";

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
  onProgress?: (done: number, total: number) => void;
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

  const run: ClaimRun = { client, fleet, spec, options, members, known };
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

/** One allocation's claim: kept when already in place, else asked for and written, retried on lost races. */
async function claimOne(run: ClaimRun, name: string): Promise<{ granted?: ClaimGrant; refused?: string }> {
  const alloc = run.spec.allocations?.[name];
  const targets = alloc === undefined ? [] : targetsOf(run.spec, alloc);
  const cannot = unclaimable(name, alloc, targets);
  if (cannot !== null || alloc === undefined) return { refused: cannot ?? "" };
  const consumer = consumerUuid(run.fleet, name);
  const resources = claimResources(alloc);
  const need = describeNeed(name, alloc, targets);
  const where = (uuid: string): ReturnType<typeof locate> => locate(run.members, uuid, targets);
  const current = await run.client.getConsumerAllocations(consumer);
  const kept = keptClaim(current, resources, where, consumer);
  if (kept !== null) return { granted: kept };
  const askable = withKnownTraits(alloc, run.known);
  if (askable === null) return { refused: unmatchable(name, need, alloc, run.known) };
  return attemptClaims(run, {
    consumer,
    need,
    targets,
    where,
    current,
    planned: run.options.planned?.[name],
    projectId: projectId(alloc.tenant),
    query: candidateQuery(askable, targets, run.options.candidateLimit ?? 100),
    resources,
  });
}

/**
 * Asks for candidates and writes the claim (`PUT /allocations/{consumer}`) on the chosen one; a race
 * lost to another claimer goes back to asking, after a jittered backoff, up to `maxAttempts` times.
 */
async function attemptClaims(
  run: ClaimRun,
  claim: {
    consumer: string;
    need: string;
    targets: Target[];
    where: Parameters<typeof rankCandidates>[1];
    current: ConsumerAllocations;
    planned: string | undefined;
    projectId: string;
    query: Query;
    resources: Record<string, number>;
  },
): Promise<{ granted?: ClaimGrant; refused?: string }> {
  const maxAttempts = run.options.maxAttempts ?? 12;
  let current = claim.current;
  let lastRefusal = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const ranked = rankCandidates(await run.client.allocationCandidates(claim.query), claim.where);
    if (ranked.length === 0) return { refused: noCapacity(claim.need, lastRefusal) };
    const choice = chooseCandidate(ranked, attempt, claim.planned, Math.random());
    if (choice === undefined) return {};
    try {
      await run.client.putAllocations(claim.consumer, {
        allocations: { [choice.uuid]: { resources: claim.resources } },
        project_id: claim.projectId,
        user_id: claimUserId(run.fleet),
        consumer_generation: current.consumer_generation,
        consumer_type: CONSUMER_TYPE,
      });
      return { granted: grantOf(choice, claim.consumer, claim.planned) };
    } catch (err) {
      if (!lostRace(err)) throw err;
      lastRefusal = err.message;
      if (err.kind === "generation-conflict")
        current = await run.client.getConsumerAllocations(claim.consumer);
      if (attempt === maxAttempts) return { refused: gaveUp(claim.need, maxAttempts, err.message) };
      const cap = backoffCap(run.options.backoffMs ?? 20, attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * cap)));
    }
  }
  return {};
}
