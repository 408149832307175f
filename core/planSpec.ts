/**
 * The planner's view of a fleet: the spec with every pass-through value removed. What is left is
 * plain data (capacity, traits, demand, tenants, pool sizing, zones, groups), always known when the
 * program runs, so the Ledger's inputs never hold an unknown value or a credential.
 */
import { sortDeep } from "./canonical";
import type { AllocationSpec, FleetSpec, FleetSpecOf, PoolSpec, TemplateSpec } from "./types";

/**
 * Driver blocks are reduced to `{}`: the planner reads only `driver` from the spec, and the core's
 * validation only checks that the block named by `driver` is present. What the devices are created
 * from (the blocks' values, possibly Outputs) reaches the planner as digests instead, through the
 * Ledger's `sources` input (`templateSources.ts`).
 */
function template<S>(t: TemplateSpec<S>): TemplateSpec {
  const { openstack, docker, ...rest } = t;
  const out = { ...rest } as TemplateSpec;
  if (openstack !== undefined) (out as { openstack?: unknown }).openstack = {};
  if (docker !== undefined) (out as { docker?: unknown }).docker = {};
  return out;
}

function pool<S>(p: PoolSpec<S>): PoolSpec {
  const { devices, ...rest } = p;
  const out: PoolSpec = { ...rest };
  if (devices !== undefined) {
    out.devices = devices.map((d) => {
      const plain = { ...d } as Partial<typeof d>;
      delete plain.management;
      delete plain.credentials;
      return plain as PoolSpec["devices"] extends (infer D)[] | undefined ? D : never;
    });
  }
  return out;
}

function allocation<S>(a: AllocationSpec<S>): AllocationSpec {
  const rest = { ...a } as Partial<AllocationSpec<S>>;
  delete rest.networks;
  return rest as AllocationSpec;
}

function mapValues<A, B>(record: Record<string, A>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const k of Object.keys(record).sort()) out[k] = f(record[k]);
  return out;
}

/** The spec the Ledger plans with: pass-through values removed, keys sorted. */
export function planSpec<S>(spec: FleetSpecOf<S>): FleetSpec {
  const out: FleetSpec = {
    templates: mapValues(spec.templates, template),
    pools: mapValues(spec.pools, pool),
  };
  if (spec.allocations !== undefined) out.allocations = mapValues(spec.allocations, allocation);
  if (spec.backend !== undefined) out.backend = spec.backend;
  return sortDeep(out) as FleetSpec;
}
