import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { AllocationSpec, Driver, Isolation, PlacementResult } from "../core/types";
import { dockerNetworkErrors } from "./render/docker";
import { type NameOrId, planPorts, renderInterfaceAttach, renderPort } from "./render/openstack";
import { vlanOf } from "./render/physical";
import { COMPONENT_TOKENS } from "../tokens";

type In = pulumi.Input<string>;

/** What a ServiceAllocation needs to know about the pools it may land in. */
export interface PoolFacts {
  driver: Driver;
  template: string;
  /** docker: the networks every container of the pool is connected to. */
  networks: In[];
}

export interface ServiceAllocationArgs {
  /** Name of the fleet; children are named `<fleet>-<allocation>-<i>`. */
  fleet: string;
  /** The allocation's name in the spec. */
  allocation: string;
  /** The allocation, with tenant network values that may be `pulumi.Input`s. */
  spec: AllocationSpec<In>;
  /** Where the Ledger placed it; `undefined` when it is not placed. */
  placement: pulumi.Input<PlacementResult | undefined>;
  /** Facts per pool name. */
  pools: Record<string, PoolFacts>;
  /** The resource id of a device (the server id for openstack pools). */
  deviceId: (pool: string, device: string) => pulumi.Input<string>;
}

/**
 * A tenant service placed on part of a device (`servicevm:index:ServiceAllocation`).
 * openstack: one `networking.Port` per tenant network and a `compute.InterfaceAttach` of each to
 * the placed server (a move replaces the attachments, never a server); docker: the allocation's
 * networks must already be among the pool's networks; physical: only the VLAN context, in outputs.
 *
 * Children are registered inside an `apply` on the placement, which the Ledger makes known during
 * preview.
 */
export class ServiceAllocation extends pulumi.ComponentResource {
  /** Where the Ledger placed the allocation: device, pool, tenant, isolation; `null` when unplaced. */
  readonly placement: pulumi.Output<PlacementResult | null>;
  readonly tenant: string;
  /** openstack: the tenant ports' ids, in network order; empty on other drivers. */
  readonly portIds: pulumi.Output<string[]>;
  private derived: Partial<Record<"device" | "pool" | "isolation" | "vlan", pulumi.Output<unknown>>> = {};

  /** The device the allocation is placed on. */
  get device(): pulumi.Output<string | null> {
    return (this.derived.device ??= this.placement.apply((p) => p?.device ?? null)) as pulumi.Output<
      string | null
    >;
  }

  /** The pool of that device. */
  get pool(): pulumi.Output<string | null> {
    return (this.derived.pool ??= this.placement.apply((p) => p?.pool ?? null)) as pulumi.Output<
      string | null
    >;
  }

  /** The tenant's isolation context on a shared device; `null` on a dedicated one. */
  get isolation(): pulumi.Output<Isolation | null> {
    return (this.derived.isolation ??= this.placement.apply(
      (p) => p?.isolation ?? null,
    )) as pulumi.Output<Isolation | null>;
  }

  /** VLAN id on devices with VLAN isolation (physical appliances), else `null`. */
  get vlan(): pulumi.Output<number | null> {
    return (this.derived.vlan ??= this.placement.apply((p) => vlanOf(p?.isolation ?? null))) as pulumi.Output<
      number | null
    >;
  }

  constructor(name: string, args: ServiceAllocationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.serviceAllocation, name, {}, opts);
    const { fleet, allocation, spec } = args;
    this.tenant = spec.tenant;
    const errors = ServiceAllocation.networkErrors(allocation, spec, args.pools, spec.pools ?? []);
    if (errors.length > 0) throw new Error(errors.join("\n"));

    const placement = pulumi.output(args.placement);
    this.placement = placement.apply((p) => p ?? null);
    this.portIds = placement.apply((p): pulumi.Output<string[]> => {
      const none = pulumi.output<string[]>([]);
      if (p === undefined) return none;
      const facts = args.pools[p.pool];
      if (facts === undefined) return none;
      const late = ServiceAllocation.networkErrors(allocation, spec, args.pools, [p.pool]);
      if (late.length > 0) throw new Error(late.join("\n"));
      if (facts.driver !== "openstack") return none;
      return this.plugOpenStack(fleet, allocation, spec, args.deviceId(p.pool, p.device));
    });
    // `device`, `pool`, `isolation` and `vlan` are derived on first use: at thousands of
    // allocations, Outputs nobody reads are a measurable share of program time. Nothing is
    // registered as the component's outputs: the placement is in the Fleet's `placements` and the
    // Ledger's state, the port ids in the ports' own; once more per allocation is state every
    // step of a self-managed backend rewrites.
    this.registerOutputs({});
  }

  /** Docker pools: every plain-string network of the allocation must be one of the pool's. */
  private static networkErrors(
    allocation: string,
    spec: AllocationSpec<In>,
    pools: Record<string, PoolFacts>,
    poolNames: string[],
  ): string[] {
    const wanted = (spec.networks ?? [])
      .map((n) => n.network)
      .filter((n): n is string => typeof n === "string");
    return poolNames.flatMap((p) => {
      const facts = pools[p];
      if (facts === undefined || facts.driver !== "docker") return [];
      const have = facts.networks.filter((n): n is string => typeof n === "string");
      return dockerNetworkErrors(allocation, wanted, p, facts.template, have);
    });
  }

  private plugOpenStack(
    fleet: string,
    allocation: string,
    spec: AllocationSpec<In>,
    instanceId: pulumi.Input<string>,
  ): pulumi.Output<string[]> {
    const opts = { parent: this };
    const resolve = (ref: NameOrId, subnetOf?: pulumi.Input<string>): pulumi.Input<string> => {
      if ("id" in ref) return ref.id;
      if (subnetOf === undefined)
        return openstack.networking.getNetworkOutput({ name: ref.name }, opts).apply((n) => n.id);
      return openstack.networking
        .getSubnetOutput({ name: ref.name, networkId: subnetOf }, opts)
        .apply((s) => s.id);
    };
    const ids = planPorts(fleet, allocation, spec.networks).map((plan) => {
      const networkId = resolve(plan.network);
      const portIds: { networkId: In; subnetId?: In } = { networkId };
      if (plan.subnet !== undefined) portIds.subnetId = resolve(plan.subnet, networkId);
      const port = new openstack.networking.Port(
        plan.name,
        renderPort(plan, portIds, { fleet, allocation, tenant: spec.tenant }),
        opts,
      );
      new openstack.compute.InterfaceAttach(
        `${plan.name}-attach`,
        renderInterfaceAttach(instanceId, port.id),
        {
          ...opts,
          deleteBeforeReplace: true,
        },
      );
      return port.id;
    });
    return pulumi.all(ids);
  }
}
