/**
 * Invariants of a plan, checked from the spec and the result alone (not from the planner's
 * internals), so tests and adapters can verify any PlanResult independently.
 */
import { capacityOf, unitViolation } from "./inventory";
import { ledgerDevices, type DeviceModel } from "./model";
import type { AllocationSpec, FleetSpec, PlacementResult, PlanResult } from "./types";

/** One placement under check: the allocation's name and spec, its placement and its device. */
interface Placed {
  name: string;
  a: AllocationSpec;
  p: PlacementResult;
  dev: DeviceModel;
}

/** What the checks collect across placements. */
interface Seen {
  used: Map<string, Map<string, number>>;
  contexts: Map<string, Map<number, string>>;
  tenantContext: Map<string, number | null>;
  groups: Set<string>;
}

/** Every broken invariant as a sentence; empty when the plan is sound. */
export function checkInvariants(spec: FleetSpec, result: PlanResult): string[] {
  if (!result.ok) return [];
  const problems: string[] = [];
  const models = new Map<string, DeviceModel>(
    ledgerDevices(spec, result.ledger).map((d): [string, DeviceModel] => [d.name, d]),
  );
  const seen: Seen = { contexts: new Map(), groups: new Set(), tenantContext: new Map(), used: new Map() };
  const allocations = spec.allocations ?? {};
  for (const [name, p] of Object.entries(result.placements)) {
    const a = allocations[name];
    const dev = models.get(p.device);
    if (a === undefined) problems.push(`placement ${name} has no allocation in the spec`);
    else if (dev === undefined) problems.push(`${name} is placed on ${p.device}, which does not exist`);
    else {
      const placed: Placed = { a, dev, name, p };
      checkConstraints(spec, placed, seen, problems);
      checkTenancy(placed, seen, problems);
    }
  }
  for (const [devName, u] of seen.used) {
    const dev = models.get(devName)!;
    for (const [rc, amount] of u) {
      const inv = dev.inventory[rc];
      if (inv !== undefined && capacityOf(inv) < amount) {
        problems.push(`${devName} is over capacity for ${rc}: ${amount} used of ${capacityOf(inv)}`);
      }
    }
  }
  for (const name of Object.keys(allocations)) {
    if (result.placements[name] === undefined) problems.push(`${name} is not placed in an ok plan`);
    const l = result.ledger.placements[name];
    const p = result.placements[name];
    if (
      p !== undefined &&
      (l === undefined || l.device !== p.device || l.context !== (p.isolation?.id ?? null))
    ) {
      problems.push(`ledger disagrees with placement of ${name}`);
    }
  }
  return problems;
}

/** The allocation's own constraints on its device: pools, pin, zone, traits, service type, group, units; records use. */
function checkConstraints(
  spec: FleetSpec,
  { name, a, p, dev }: Placed,
  seen: Seen,
  problems: string[],
): void {
  if (p.pool !== dev.pool)
    problems.push(`${name} reports pool ${p.pool}, device ${dev.name} is in ${dev.pool}`);
  if (a.pools !== undefined && !a.pools.includes(dev.pool)) problems.push(`${name} is outside its pools`);
  if (a.device !== undefined && a.device !== dev.name) problems.push(`${name} is not on its pinned device`);
  if (a.zone !== undefined && dev.zone !== a.zone) problems.push(`${name} is outside zone ${a.zone}`);
  for (const t of a.require ?? []) if (!dev.traits.includes(t)) problems.push(`${name} lacks trait ${t}`);
  for (const t of a.forbid ?? [])
    if (dev.traits.includes(t)) problems.push(`${name} has forbidden trait ${t}`);
  for (const set of a.requireAny ?? []) {
    if (!set.some((t) => dev.traits.includes(t))) problems.push(`${name} has none of ${set.join(",")}`);
  }
  // Devices exist only in owned pools, which always name a template.
  const template = spec.templates[spec.pools[dev.pool].template!];
  if (
    a.serviceType !== undefined &&
    template.serviceTypes !== undefined &&
    !template.serviceTypes.includes(a.serviceType)
  ) {
    problems.push(`${name} is on a template that does not host ${a.serviceType}`);
  }
  if (a.antiAffinityGroup !== undefined) {
    const key = `${a.antiAffinityGroup}\u0000${dev.name}`;
    if (seen.groups.has(key))
      problems.push(`anti-affinity group ${a.antiAffinityGroup} has two members on ${dev.name}`);
    seen.groups.add(key);
  }
  const u = seen.used.get(dev.name) ?? new Map<string, number>();
  seen.used.set(dev.name, u);
  for (const [rc, amount] of Object.entries(a.demand)) {
    const inv = dev.inventory[rc];
    if (inv === undefined) problems.push(`${name} uses ${rc}, which ${dev.name} lacks`);
    else if (unitViolation(inv, amount) !== null)
      problems.push(`${name} breaks a unit rule of ${rc} on ${dev.name}`);
    u.set(rc, (u.get(rc) ?? 0) + amount);
  }
}

/** Tenancy: one context per (device, tenant), never shared by two tenants; dedicated: one tenant. */
function checkTenancy({ name, a, p, dev }: Placed, seen: Seen, problems: string[]): void {
  const tkey = `${dev.name}\u0000${a.tenant}`;
  const ctx = p.isolation === null ? null : p.isolation.id;
  if (dev.tenancy.mode === "shared") {
    if (ctx === null) problems.push(`${name} has no isolation context on shared ${dev.name}`);
    else if (ctx < dev.tenancy.contexts.first || ctx > dev.tenancy.contexts.last) {
      problems.push(`${name} has context ${ctx} outside the range of ${dev.name}`);
    }
  } else if (ctx !== null) problems.push(`${name} has a context on dedicated ${dev.name}`);
  if (seen.tenantContext.has(tkey) && seen.tenantContext.get(tkey) !== ctx) {
    problems.push(`tenant ${a.tenant} has two contexts on ${dev.name}`);
  }
  seen.tenantContext.set(tkey, ctx);
  const byId = seen.contexts.get(dev.name) ?? new Map<number, string>();
  seen.contexts.set(dev.name, byId);
  const key = ctx ?? -1;
  const owner = byId.get(key);
  if (owner !== undefined && owner !== a.tenant) {
    problems.push(
      ctx === null
        ? `dedicated ${dev.name} hosts tenants ${owner} and ${a.tenant}`
        : `context ${ctx} on ${dev.name} is shared by ${owner} and ${a.tenant}`,
    );
  }
  byId.set(key, a.tenant);
}
