import type { RunResult, StoredResource } from "../harness/engine";

/** Last segment of a URN: the resource's name. */
export function nameOf(urn: string): string {
  return urn.split("::").pop()!;
}

/** `<type> <name> <- <parent name>` per registered resource, sorted. */
export function tree(result: RunResult): string[] {
  return result.resources
    .map((r) => `${r.type} ${r.name} <- ${r.parent === "" ? "(stack)" : nameOf(r.parent)}`)
    .sort();
}

/** The registered resource of a type and name. */
export function find(result: RunResult, type: string, name: string): StoredResource {
  const r = result.resources.find((x) => x.type === type && x.name === name);
  if (r === undefined) throw new Error(`no ${type} ${name} registered`);
  return r;
}

/** Inputs without the serialized provider. */
export function inputsOf(r: StoredResource): Record<string, unknown> {
  const { __provider: _p, ...rest } = r.inputs;
  void _p;
  return rest;
}

export const T = {
  fleet: "servicevm:index:Fleet",
  template: "servicevm:index:DeviceTemplate",
  pool: "servicevm:index:DevicePool",
  allocation: "servicevm:index:ServiceAllocation",
  ledger: "pulumi-nodejs:dynamic/servicevm:Ledger",
  appliance: "pulumi-nodejs:dynamic/servicevm:ApplianceRegistration",
  image: "openstack:images/image:Image",
  flavor: "openstack:compute/flavor:Flavor",
  instance: "openstack:compute/instance:Instance",
  serverGroup: "openstack:compute/serverGroup:ServerGroup",
  port: "openstack:networking/port:Port",
  attach: "openstack:compute/interfaceAttach:InterfaceAttach",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  container: "docker:index/container:Container",
} as const;
