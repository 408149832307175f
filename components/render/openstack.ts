/**
 * OpenStack renderer: turns the device model into the arguments of `@pulumi/openstack` resources.
 * Pure functions, no resource creation, so each mapping is tested on its own (STYLE 11).
 */
import type * as openstack from "@pulumi/openstack";
import type * as pulumi from "@pulumi/pulumi";
import type { DeviceModel } from "../../core/model";
import type {
  AntiAffinity,
  FlavorRefSpec,
  ImageRefSpec,
  OpenStackTemplateSpec,
  TenantNetworkSpec,
} from "../../core/types";

type In = pulumi.Input<string>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Metadata keys servicevm puts on every server it creates. */
export const METADATA_KEYS = Object.freeze({
  fleet: "servicevm:fleet",
  pool: "servicevm:pool",
  device: "servicevm:device",
});

/**
 * How a network or subnet given "by name or id" is referenced: a UUID string or a
 * `pulumi.Input` coming from another resource is an id; any other plain string is a name.
 */
export type NameOrId = { id: In } | { name: string };

export function nameOrId(value: In): NameOrId {
  if (typeof value === "string" && !UUID.test(value)) return { name: value };
  return { id: value };
}

/** Name of a child resource of a fleet: `<fleet>-<suffix>`. */
export function childName(fleet: string, ...parts: (string | number)[]): string {
  return [fleet, ...parts].join("-");
}

/** `images.Image` arguments when the template uploads its image from a URL, else `undefined`. */
export function renderImage(
  fleet: string,
  template: string,
  image: ImageRefSpec<In>,
): openstack.images.ImageArgs | undefined {
  if (!("source" in image)) return undefined;
  return {
    name: childName(fleet, template),
    imageSourceUrl: image.source,
    diskFormat: image.diskFormat ?? "qcow2",
    containerFormat: image.containerFormat ?? "bare",
    visibility: "private",
    tags: [`servicevm-fleet=${fleet}`, `servicevm-template=${template}`],
  };
}

/** `compute.Flavor` arguments when the template defines sizes, else `undefined`. */
export function renderFlavor(
  fleet: string,
  template: string,
  flavor: FlavorRefSpec<In>,
): openstack.compute.FlavorArgs | undefined {
  if (!("vcpus" in flavor)) return undefined;
  const extraSpecs = flavor.extraSpecs ?? {};
  return {
    name: childName(fleet, template),
    vcpus: flavor.vcpus,
    ram: flavor.ramMb,
    disk: flavor.diskGb,
    isPublic: false,
    extraSpecs: Object.fromEntries(
      Object.keys(extraSpecs)
        .sort()
        .map((k) => [k, extraSpecs[k]]),
    ),
  };
}

/** Server group policy for a pool's anti-affinity, or `undefined` for `none`. */
export function serverGroupPolicy(antiAffinity: AntiAffinity | undefined): string | undefined {
  switch (antiAffinity ?? "none") {
    case "soft":
      return "soft-anti-affinity";
    case "hard":
      return "anti-affinity";
    default:
      return undefined;
  }
}

/** `compute.ServerGroup` arguments for a pool, or `undefined` when it has no anti-affinity. */
export function renderServerGroup(
  fleet: string,
  pool: string,
  antiAffinity: AntiAffinity | undefined,
): openstack.compute.ServerGroupArgs | undefined {
  const policy = serverGroupPolicy(antiAffinity);
  return policy === undefined ? undefined : { name: childName(fleet, pool), policies: [policy] };
}

/** The image of an instance: an id (given or uploaded) or a name. */
export type ImageChoice = { imageId: In } | { imageName: In };
/** The flavor of an instance: an id (given or created) or a name. */
export type FlavorChoice = { flavorId: In } | { flavorName: In };

export function imageChoice(image: ImageRefSpec<In>, uploadedId?: In): ImageChoice {
  if ("source" in image) {
    if (uploadedId === undefined) throw new Error("renderInstance: an uploaded image needs its resource id");
    return { imageId: uploadedId };
  }
  return "id" in image ? { imageId: image.id } : { imageName: image.name };
}

export function flavorChoice(flavor: FlavorRefSpec<In>, createdId?: In): FlavorChoice {
  if ("vcpus" in flavor) {
    if (createdId === undefined) throw new Error("renderInstance: a created flavor needs its resource id");
    return { flavorId: createdId };
  }
  return "id" in flavor ? { flavorId: flavor.id } : { flavorName: flavor.name };
}

export interface InstanceInput {
  fleet: string;
  device: DeviceModel;
  template: OpenStackTemplateSpec<In>;
  image: ImageChoice;
  flavor: FlavorChoice;
  /** Id of the pool's server group, when the pool has anti-affinity. */
  serverGroupId?: In;
}

/**
 * `compute.Instance` arguments for one device. Nothing here depends on allocations, so placing,
 * moving or removing a tenant service never changes (let alone replaces) a server.
 */
export function renderInstance(input: InstanceInput): openstack.compute.InstanceArgs {
  const { fleet, device, template } = input;
  const metadata: Record<string, In> = {};
  const userMeta = template.metadata ?? {};
  for (const k of Object.keys(userMeta).sort()) metadata[k] = userMeta[k]!;
  metadata[METADATA_KEYS.device] = device.name;
  metadata[METADATA_KEYS.fleet] = fleet;
  metadata[METADATA_KEYS.pool] = device.pool;
  const args: openstack.compute.InstanceArgs = {
    name: childName(fleet, device.name),
    ...input.image,
    ...input.flavor,
    networks: template.networks.map((n) => {
      const ref = nameOrId(n);
      return "id" in ref ? { uuid: ref.id } : { name: ref.name };
    }),
    metadata,
  };
  if (device.zone !== null) args.availabilityZone = device.zone;
  if (template.keyPair !== undefined) args.keyPair = template.keyPair;
  if (template.securityGroups !== undefined) args.securityGroups = [...template.securityGroups];
  if (template.userData !== undefined) args.userData = template.userData;
  if (input.serverGroupId !== undefined) args.schedulerHints = [{ group: input.serverGroupId }];
  return args;
}

/** A tenant network port, with the lookups the component must make for names. */
export interface PortPlan {
  name: string;
  network: NameOrId;
  subnet?: NameOrId;
  fixedIp?: In;
}

/** One port per tenant network of an allocation, in declaration order. */
export function planPorts(
  fleet: string,
  allocation: string,
  networks: TenantNetworkSpec<In>[] | undefined,
): PortPlan[] {
  return (networks ?? []).map((n, i) => {
    if (n.fixedIp !== undefined && n.subnet === undefined) {
      throw new Error(
        `allocation \`${allocation}\` network ${i}: OpenStack needs a subnet for a fixed IP; add \`allocations.${allocation}.networks.${i}.subnet\` or drop \`fixedIp\``,
      );
    }
    const plan: PortPlan = { name: childName(fleet, allocation, i), network: nameOrId(n.network) };
    if (n.subnet !== undefined) plan.subnet = nameOrId(n.subnet);
    if (n.fixedIp !== undefined) plan.fixedIp = n.fixedIp;
    return plan;
  });
}

/** `networking.Port` arguments from a port plan whose network and subnet ids are resolved. */
export function renderPort(
  port: PortPlan,
  ids: { networkId: In; subnetId?: In },
  labels: { fleet: string; allocation: string; tenant: string },
): openstack.networking.PortArgs {
  const args: openstack.networking.PortArgs = {
    name: port.name,
    networkId: ids.networkId,
    adminStateUp: true,
    tags: [
      `servicevm-fleet=${labels.fleet}`,
      `servicevm-allocation=${labels.allocation}`,
      `servicevm-tenant=${labels.tenant}`,
    ],
  };
  if (ids.subnetId !== undefined) {
    const fixed: openstack.types.input.networking.PortFixedIp = { subnetId: ids.subnetId };
    if (port.fixedIp !== undefined) fixed.ipAddress = port.fixedIp;
    args.fixedIps = [fixed];
  }
  return args;
}

/** `compute.InterfaceAttach` arguments plugging a port into the placed device's server. */
export function renderInterfaceAttach(instanceId: In, portId: In): openstack.compute.InterfaceAttachArgs {
  return { instanceId, portId };
}
