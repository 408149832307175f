import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { AllocationSpec, Driver, Isolation, PlacementResult } from "../core/types";
import { dockerNetworkErrors } from "./render/docker";
import { type NameOrId, planPorts, renderInterfaceAttach, renderPort } from "./render/openstack";
import { vlanOf } from "./render/physical";
import { COMPONENT_TOKENS } from "./tokens";

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
  readonly device: pulumi.Output<string | null>;
  readonly pool: pulumi.Output<string | null>;
  readonly tenant: string;
  readonly isolation: pulumi.Output<Isolation | null>;
  /** VLAN id on physical appliances with VLAN isolation, else `null`. */
  readonly vlan: pulumi.Output<number | null>;
  /** openstack: the tenant ports' ids, in network order. */
  readonly portIds: pulumi.Output<string[]>;

  constructor(name: string, args: ServiceAllocationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.serviceAllocation, name, {}, opts);
    const { fleet, allocation, spec } = args;
    this.tenant = spec.tenant;
    const errors = ServiceAllocation.networkErrors(allocation, spec, args.pools, spec.pools ?? []);
    if (errors.length > 0) throw new Error(errors.join("\n"));

    const placement = pulumi.output(args.placement);
    this.device = placement.apply((p) => p?.device ?? null);
    this.pool = placement.apply((p) => p?.pool ?? null);
    this.isolation = placement.apply((p) => p?.isolation ?? null);
    this.vlan = this.isolation.apply((i) => vlanOf(i));
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
    this.registerOutputs({ device: this.device, pool: this.pool, isolation: this.isolation, vlan: this.vlan, portIds: this.portIds });
  }

  /** Docker pools: every plain-string network of the allocation must be one of the pool's. */
  private static networkErrors(
    allocation: string,
    spec: AllocationSpec<In>,
    pools: Record<string, PoolFacts>,
    poolNames: string[],
  ): string[] {
    const wanted = (spec.networks ?? []).map((n) => n.network).filter((n): n is string => typeof n === "string");
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
      if (subnetOf === undefined) return openstack.networking.getNetworkOutput({ name: ref.name }, opts).apply((n) => n.id);
      return openstack.networking.getSubnetOutput({ name: ref.name, networkId: subnetOf }, opts).apply((s) => s.id);
    };
    const ids = planPorts(fleet, allocation, spec.networks).map((plan) => {
      const networkId = resolve(plan.network);
      const portIds: { networkId: In; subnetId?: In } = { networkId };
      if (plan.subnet !== undefined) portIds.subnetId = resolve(plan.subnet, networkId);
      const port = new openstack.networking.Port(plan.name, renderPort(plan, portIds, { fleet, allocation, tenant: spec.tenant }), opts);
      new openstack.compute.InterfaceAttach(`${plan.name}-attach`, renderInterfaceAttach(instanceId, port.id), {
        ...opts,
        deleteBeforeReplace: true,
      });
      return port.id;
    });
    return pulumi.all(ids);
  }
}
