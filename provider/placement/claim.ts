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
import type { AllocationSpec, FleetSpec } from "../../core/types";
import type { PlacementClient, ProviderRecord, Query } from "./client";
import { externalPoolOf, mapLimit, sameResources } from "./desired";
import { PlacementError } from "./errors";
import { CONSUMER_TYPE, claimUserId, consumerUuid, poolAggregate, projectId, zoneAggregate } from "./ids";

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

interface Target {
  fleet: string;
  /** Pool name in this spec. */
  pool: string;
  aggregate: string;
}

function targetsOf(spec: FleetSpec, alloc: AllocationSpec): Target[] {
  const names = alloc.pools ?? Object.keys(spec.pools).sort();
  const out: Target[] = [];
  for (const pool of names) {
    const ext = externalPoolOf(spec.pools[pool]);
    if (ext !== null)
      out.push({ fleet: ext.fleet, pool, aggregate: poolAggregate(ext.fleet, ext.pool ?? pool) });
  }
  return out;
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

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function describeNeed(name: string, alloc: AllocationSpec, targets: Target[]): string {
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

/** Claims (and releases) allocations from external pools through Placement. Throws nothing for refusals: see `refused`. */
export async function claimAllocations(client: PlacementClient, options: ClaimOptions): Promise<ClaimReport> {
  const { fleet, spec } = options;
  const maxAttempts = options.maxAttempts ?? 12;
  const limit = options.candidateLimit ?? 100;
  const backoff = options.backoffMs ?? 20;
  const report: ClaimReport = { granted: {}, refused: {}, released: [] };

  for (const name of [...(options.release ?? [])].sort()) {
    if (await client.deleteAllocations(consumerUuid(fleet, name))) report.released.push(name);
  }

  // Provider names of every external pool's members (one request per owning fleet's pool).
  const members = new Map<string, ProviderRecord>();
  const aggregates = new Set<string>();
  for (const name of options.requests) {
    const alloc = spec.allocations?.[name];
    if (alloc !== undefined) for (const t of targetsOf(spec, alloc)) aggregates.add(JSON.stringify(t));
  }
  for (const t of [...aggregates].sort().map((s) => JSON.parse(s) as Target)) {
    for (const rec of await client.listProviders({ member_of: t.aggregate })) members.set(rec.uuid, rec);
  }
  const deviceOf = (uuid: string, t: Target[]): { target: Target; device: string } | null => {
    const rec = members.get(uuid);
    if (rec === undefined) return null;
    for (const target of t)
      if (rec.name.startsWith(`${target.fleet}-`))
        return { target, device: rec.name.slice(target.fleet.length + 1) };
    return null;
  };

  const mentioned = new Set<string>();
  for (const name of options.requests) {
    const alloc = spec.allocations?.[name];
    for (const t of [
      ...(alloc?.require ?? []),
      ...(alloc?.forbid ?? []),
      ...(alloc?.requireAny ?? []).flat(),
    ])
      mentioned.add(t);
  }
  const known = new Set(
    mentioned.size === 0 ? [] : await client.listTraits({ name: `in:${[...mentioned].sort().join(",")}` }),
  );

  let done = 0;
  const requests = [...options.requests].sort();
  await mapLimit(requests, options.concurrency ?? 4, async (name) => {
    const alloc = spec.allocations?.[name];
    const targets = alloc === undefined ? [] : targetsOf(spec, alloc);
    if (alloc === undefined || targets.length === 0) {
      report.refused[name] =
        alloc === undefined
          ? `allocation \`${name}\` is not in the spec; add it under \`allocations\``
          : `allocation \`${name}\` has no external pool to claim from; list one in \`allocations.${name}.pools\` or give a pool an \`external\` block`;
      options.onProgress?.(++done, requests.length);
      return;
    }
    const consumer = consumerUuid(fleet, name);
    const resources: Record<string, number> = {};
    for (const rc of Object.keys(alloc.demand).sort())
      if (alloc.demand[rc] > 0) resources[rc] = alloc.demand[rc]!;
    const need = describeNeed(name, alloc, targets);
    let current = await client.getConsumerAllocations(consumer);
    const held = Object.keys(current.allocations);
    if (held.length === 1 && sameResources(current.allocations[held[0]].resources, resources)) {
      const where = deviceOf(held[0], targets);
      if (where !== null) {
        report.granted[name] = {
          fleet: where.target.fleet,
          pool: where.target.pool,
          device: where.device,
          provider: held[0],
          consumer,
          kept: true,
        };
        options.onProgress?.(++done, requests.length);
        return;
      }
    }
    const askable = withKnownTraits(alloc, known);
    if (askable === null) {
      const unknown = [...new Set([...(alloc.require ?? []), ...(alloc.requireAny ?? []).flat()])].filter(
        (t) => !known.has(t),
      );
      report.refused[name] =
        unknown.length > 0
          ? `${need}; no provider can match: Placement does not know trait(s) ${unknown.join(", ")}; check the trait names or register them on the owning fleet's devices`
          : `${need}; no provider can match: the allocation forbids a trait it also requires; fix \`allocations.${name}\``;
      options.onProgress?.(++done, requests.length);
      return;
    }
    const query = candidateQuery(askable, targets, limit);
    let lastRefusal = "";
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const candidates = await client.allocationCandidates(query);
      const options2 = candidates.allocation_requests
        .map((r) => Object.keys(r.allocations))
        .filter((rps) => rps.length === 1)
        .map((rps) => rps[0])
        .map((uuid) => ({ uuid, where: deviceOf(uuid, targets) }))
        .filter((c): c is { uuid: string; where: { target: Target; device: string } } => c.where !== null)
        .sort((a, b) => naturalCompare(a.where.device, b.where.device));
      if (options2.length === 0) {
        report.refused[name] =
          `${need}; Placement has no provider there with that much free capacity` +
          `${lastRefusal === "" ? "" : ` (the last one was taken by another claimer: ${lastRefusal})`}; ` +
          `raise the pool's capacity in the owning fleet, release other claims, or lower the demand`;
        break;
      }
      // First attempt: the planned device, else the first in device order (pack). After losing a
      // race, a random candidate, so claimers that collided spread out instead of colliding again.
      const planned = options.planned?.[name];
      const choice =
        attempt === 1
          ? (options2.find((c) => c.where.device === planned) ?? options2[0])
          : options2[Math.floor(Math.random() * options2.length)];
      if (choice === undefined) break;
      try {
        await client.putAllocations(consumer, {
          allocations: { [choice.uuid]: { resources } },
          project_id: projectId(alloc.tenant),
          user_id: claimUserId(fleet),
          consumer_generation: current.consumer_generation,
          consumer_type: CONSUMER_TYPE,
        });
        report.granted[name] = {
          fleet: choice.where.target.fleet,
          pool: choice.where.target.pool,
          device: choice.where.device,
          provider: choice.uuid,
          consumer,
          kept: false,
          ...(planned !== undefined && planned !== choice.where.device ? { insteadOf: planned } : {}),
        };
        break;
      } catch (err) {
        if (!(err instanceof PlacementError)) throw err;
        if (
          err.kind !== "capacity-exceeded" &&
          err.kind !== "generation-conflict" &&
          err.kind !== "constraint-violation"
        )
          throw err;
        lastRefusal = err.message;
        if (err.kind === "generation-conflict") current = await client.getConsumerAllocations(consumer);
        if (attempt === maxAttempts) {
          report.refused[name] =
            `${need}; gave up after ${maxAttempts} attempts because other claimers kept taking the capacity first (last: ${err.message}); try again`;
          break;
        }
        const cap = Math.min(2000, backoff * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * cap)));
      }
    }
    options.onProgress?.(++done, requests.length);
  });
  return report;
}
