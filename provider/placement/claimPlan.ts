/**
 * The deciding half of claims (claim.ts): pure functions from the spec, what Placement offers and
 * what it answered to the next claim action, the grant or the refusal sentence. No I/O here.
 */
import type { AllocationSpec, FleetSpec } from "../../core/types";
import type { AllocationCandidates, ConsumerAllocations, ProviderRecord, Query } from "./client";
import { externalPoolOf, sameResources } from "./desired";
import { PlacementError } from "./errors";
import { PENDING_CONSUMER_TYPE, poolAggregate, zoneAggregate } from "./ids";
import { compareNatural, compareText } from "../../core/order";

/** An external pool an allocation may claim from. */
export interface Target {
  fleet: string;
  /** Pool name in this spec. */
  pool: string;
  aggregate: string;
}

export interface ClaimGrant {
  /** Owning fleet and its device name. */
  fleet: string;
  pool: string;
  device: string;
  provider: string;
  consumer: string;
  /** True when an earlier claim was already in place and nothing was written. */
  kept: boolean;
  /** The planned device when Placement gave another one (another stack took it first). */
  insteadOf?: string;
}

/** A device Placement offers for a claim. */
export interface Candidate {
  uuid: string;
  where: { target: Target; device: string };
}

/** The external pools `alloc` may claim from, in its `pools` order (else pool name order). */
export function targetsOf(spec: FleetSpec, alloc: AllocationSpec): Target[] {
  const names = alloc.pools ?? Object.keys(spec.pools).sort(compareText);
  const out: Target[] = [];
  for (const pool of names) {
    const ext = externalPoolOf(spec.pools[pool]);
    if (ext !== null)
      out.push({ fleet: ext.fleet, pool, aggregate: poolAggregate(ext.fleet, ext.pool ?? pool) });
  }
  return out;
}

/** Every target of the requested allocations once, in a fixed order (one member listing each). */
export function targetsToList(spec: FleetSpec, requests: readonly string[]): Target[] {
  const unique = new Set<string>();
  for (const name of requests) {
    const alloc = spec.allocations?.[name];
    if (alloc !== undefined) for (const t of targetsOf(spec, alloc)) unique.add(JSON.stringify(t));
  }
  return [...unique].sort(compareText).map((s) => JSON.parse(s) as Target);
}

/** Every trait the requested allocations mention (required, forbidden, any-of), sorted. */
export function mentionedTraits(spec: FleetSpec, requests: readonly string[]): string[] {
  const mentioned = new Set<string>();
  for (const name of requests) {
    const alloc = spec.allocations?.[name];
    for (const t of [
      ...(alloc?.require ?? []),
      ...(alloc?.forbid ?? []),
      ...(alloc?.requireAny ?? []).flat(),
    ])
      mentioned.add(t);
  }
  return [...mentioned].sort(compareText);
}

/**
 * Placement answers 400 where servicevm's rules simply find no device: for a trait it does not know
 * (nobody has it), and for a trait both forbidden and required or listed in an any-of set
 * ("Conflicting required and forbidden traits"). So a forbidden unknown trait is left out, an any-of
 * set keeps its known, not forbidden traits, and the answer is `null` (no candidate can exist) when a
 * required trait is unknown or forbidden, or an any-of set has nothing left.
 */
export function withKnownTraits(alloc: AllocationSpec, known: ReadonlySet<string>): AllocationSpec | null {
  const forbid = (alloc.forbid ?? []).filter((t) => known.has(t));
  if ((alloc.require ?? []).some((t) => !known.has(t) || forbid.includes(t))) return null;
  const requireAny = (alloc.requireAny ?? []).map((any) =>
    any.filter((t) => known.has(t) && !forbid.includes(t)),
  );
  if (requireAny.some((any) => any.length === 0)) return null;
  return { ...alloc, forbid, requireAny };
}

/** The `GET /allocation_candidates` query for one allocation over the given external pools. */
export function candidateQuery(alloc: AllocationSpec, targets: Target[], limit: number): Query {
  const resources = Object.keys(alloc.demand)
    .sort()
    .filter((rc) => alloc.demand[rc] > 0)
    .map((rc) => `${rc}:${alloc.demand[rc]}`)
    .join(",");
  const required: string[] = [];
  const plain = [...(alloc.require ?? []), ...(alloc.forbid ?? []).map((t) => `!${t}`)];
  if (plain.length > 0) required.push(plain.join(","));
  for (const any of alloc.requireAny ?? []) required.push(`in:${[...any].sort().join(",")}`);
  const memberOf = [
    `in:${targets
      .map((t) => t.aggregate)
      .sort()
      .join(",")}`,
  ];
  if (alloc.zone !== undefined)
    memberOf.push(
      `in:${[...new Set(targets.map((t) => zoneAggregate(t.fleet, alloc.zone!)))].sort().join(",")}`,
    );
  return { resources, required: required.length > 0 ? required : undefined, member_of: memberOf, limit };
}

/** The resources a claim writes: the demand without amounts of 0, in class order. */
export function claimResources(alloc: AllocationSpec): Record<string, number> {
  const resources: Record<string, number> = {};
  for (const rc of Object.keys(alloc.demand).sort(compareText))
    if (alloc.demand[rc] > 0) resources[rc] = alloc.demand[rc]!;
  return resources;
}

/** `allocation \`a\` needs 1 CUSTOM_X with trait T from pool \`fw\` (fleet \`infra\`)`: the head of every refusal. */
export function describeNeed(name: string, alloc: AllocationSpec, targets: Target[]): string {
  const demand = Object.keys(alloc.demand)
    .sort()
    .map((rc) => `${alloc.demand[rc]} ${rc}`)
    .join(" + ");
  const traits = [
    ...(alloc.require ?? []).map((t) => `trait ${t}`),
    ...(alloc.forbid ?? []).map((t) => `no trait ${t}`),
    ...(alloc.requireAny ?? []).map((any) => `one of ${any.join("/")}`),
    ...(alloc.zone === undefined ? [] : [`zone ${alloc.zone}`]),
  ];
  const pools = targets.map((t) => `\`${t.pool}\` (fleet \`${t.fleet}\`)`).join(", ");
  return `allocation \`${name}\` needs ${demand}${traits.length > 0 ? ` with ${traits.join(", ")}` : ""} from pool ${pools}`;
}

/** Why an allocation cannot be claimed at all, before asking Placement; `null` when it can. */
export function unclaimable(
  name: string,
  alloc: AllocationSpec | undefined,
  targets: Target[],
): string | null {
  if (alloc === undefined) return `allocation \`${name}\` is not in the spec; add it under \`allocations\``;
  if (targets.length === 0)
    return `allocation \`${name}\` has no external pool to claim from; list one in \`allocations.${name}.pools\` or give a pool an \`external\` block`;
  return null;
}

/** Why no provider can match an allocation whose traits `withKnownTraits` rejected. */
export function unmatchable(
  name: string,
  need: string,
  alloc: AllocationSpec,
  known: ReadonlySet<string>,
): string {
  const unknown = [...new Set([...(alloc.require ?? []), ...(alloc.requireAny ?? []).flat()])].filter(
    (t) => !known.has(t),
  );
  return unknown.length > 0
    ? `${need}; no provider can match: Placement does not know trait(s) ${unknown.join(", ")}; check the trait names or register them on the owning fleet's devices`
    : `${need}; no provider can match: the allocation forbids a trait it also requires; fix \`allocations.${name}\``;
}

/** Which target and device a provider is, when it is a member of one of `targets`' pools. */
export function locate(
  members: ReadonlyMap<string, ProviderRecord>,
  uuid: string,
  targets: readonly Target[],
): Candidate["where"] | null {
  const rec = members.get(uuid);
  if (rec === undefined) return null;
  for (const target of targets)
    if (rec.name.startsWith(`${target.fleet}-`))
      return { target, device: rec.name.slice(target.fleet.length + 1) };
  return null;
}

/** The grant of a settled claim already in place (one provider, exactly these resources), else `null`. */
export function keptClaim(
  current: ConsumerAllocations,
  resources: Record<string, number>,
  where: (uuid: string) => Candidate["where"] | null,
  consumer: string,
): ClaimGrant | null {
  const held = Object.keys(current.allocations);
  if (held.length !== 1 || !sameResources(current.allocations[held[0]].resources, resources)) return null;
  if (current.consumer_type === PENDING_CONSUMER_TYPE) return null;
  const w = where(held[0]);
  if (w === null) return null;
  return {
    fleet: w.target.fleet,
    pool: w.target.pool,
    device: w.device,
    provider: held[0],
    consumer,
    kept: true,
  };
}

/**
 * A pending claim of this consumer left in place by an earlier run (it stopped between writing and
 * settling): the provider and, when it is still a member of a target pool with exactly these
 * resources, where it is (to verify and settle it); `where` is `null` when it is to be undone.
 */
export function leftPending(
  current: ConsumerAllocations,
  resources: Record<string, number>,
  where: (uuid: string) => Candidate["where"] | null,
): { provider: string; where: Candidate["where"] | null } | null {
  const held = Object.keys(current.allocations);
  if (current.consumer_type !== PENDING_CONSUMER_TYPE || held.length === 0) return null;
  const one = held.length === 1 && sameResources(current.allocations[held[0]].resources, resources);
  return { provider: held[0], where: one ? where(held[0]) : null };
}

/** Single-provider candidates in the targets' pools, in device order (`fw-2` before `fw-10`). */
export function rankCandidates(
  candidates: AllocationCandidates,
  where: (uuid: string) => Candidate["where"] | null,
): Candidate[] {
  return candidates.allocation_requests
    .map((r) => Object.keys(r.allocations))
    .filter((rps) => rps.length === 1)
    .map((rps) => rps[0])
    .map((uuid) => ({ uuid, where: where(uuid) }))
    .filter((c): c is Candidate => c.where !== null)
    .sort((a, b) => compareNatural(a.where.device, b.where.device));
}

/**
 * First attempt: the planned device, else the first in device order (pack). After losing a race, a
 * random candidate (`random` in [0, 1)), so claimers that collided spread out instead of colliding again.
 */
export function chooseCandidate(
  ranked: readonly Candidate[],
  attempt: number,
  planned: string | undefined,
  random: number,
): Candidate | undefined {
  return attempt === 1
    ? (ranked.find((c) => c.where.device === planned) ?? ranked[0])
    : ranked[Math.floor(random * ranked.length)];
}

/** The grant of a claim just written on `choice`. */
export function grantOf(choice: Candidate, consumer: string, planned: string | undefined): ClaimGrant {
  return {
    fleet: choice.where.target.fleet,
    pool: choice.where.target.pool,
    device: choice.where.device,
    provider: choice.uuid,
    consumer,
    kept: false,
    ...(planned !== undefined && planned !== choice.where.device ? { insteadOf: planned } : {}),
  };
}

/** A refusal because another claimer took the capacity first: worth another attempt. */
export function lostRace(err: unknown): err is PlacementError {
  return (
    err instanceof PlacementError &&
    (err.kind === "capacity-exceeded" ||
      err.kind === "generation-conflict" ||
      err.kind === "constraint-violation")
  );
}

/** The refusal when Placement offers no candidate (any more). */
export function noCapacity(need: string, lastRefusal: string): string {
  return (
    `${need}; Placement has no provider there with that much free capacity` +
    `${lastRefusal === "" ? "" : ` (the last one was taken by another claimer: ${lastRefusal})`}; ` +
    `raise the pool's capacity in the owning fleet, release other claims, or lower the demand`
  );
}

/** The refusal after `maxAttempts` lost races. */
export function gaveUp(need: string, maxAttempts: number, last: string): string {
  return `${need}; gave up after ${maxAttempts} attempts because other claimers kept taking the capacity first (last: ${last}); try again`;
}

/** Full-jitter backoff bound (ms) before attempt `attempt + 1`: `base * 2^(attempt-1)`, at most 2 s. */
export function backoffCap(base: number, attempt: number): number {
  return Math.min(2000, base * 2 ** (attempt - 1));
}
