import * as docker from "@pulumi/docker";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { createdDevice, type DeviceModel, deviceIndex, isDeclaredPool } from "../core/model";
import type { FleetSpec, FleetSpecOf } from "../core/types";
import {
  type AnyApplianceRegistration,
  ApplianceRegistration,
  ProviderApplianceRegistration,
} from "../provider/appliance";
import type { DeviceTemplate } from "./deviceTemplate";
import { renderContainer } from "./render/docker";
import { childName, renderInstance, renderServerGroup } from "./render/openstack";
import { applianceName, renderAppliance } from "./render/physical";
import { COMPONENT_TOKENS } from "../tokens";

type In = pulumi.Input<string>;

/**
 * Which provider serves a fleet's Ledger and appliance registrations: `dynamic` (nodejs dynamic
 * resources, run by Pulumi's dynamic-provider host from the program's directory) or `provider`
 * (custom resources of the servicevm provider plugin, `plugin/`).
 */
export type FleetResources = "dynamic" | "provider";

export interface DevicePoolArgs {
  /** Name of the fleet; devices are named `<fleet>-<pool>-<n>` (physical: `<fleet>-<device>`). */
  fleet: string;
  /** The pool's name in the spec. */
  pool: string;
  /** The whole fleet spec (the pool, its template and declared devices are read from it). */
  spec: FleetSpecOf<In>;
  /** The pool's template component (images, flavor). */
  template: DeviceTemplate;
  /**
   * Devices of a created pool: device name -> the zone it was created in (`null`: no zone), usually
   * the Ledger's `ledger.pools[pool].devices`. A device keeps its name, and so its resource, and its
   * zone for life: growing adds devices, shrinking removes the ones named, and a change of the
   * pool's `zones` never moves an existing device. The set may have holes (`fw-0`, `fw-2`).
   * @default {} (ignored for physical pools, whose devices are declared)
   */
  devices?: pulumi.Input<Record<string, string | null>>;
  /**
   * The resource the created devices come from, usually the Fleet's Ledger: each device
   * `dependsOn` it, so the engine refuses to delete it alone (`pulumi destroy --target`,
   * `pulumi state delete`) while devices exist. Ignored for physical pools, whose appliances
   * feed the Ledger their health. @default undefined (no extra dependency)
   */
  ledger?: pulumi.Resource;
  /**
   * Reads a Pulumi secret config value by key: physical appliances' passwords.
   * @default `new pulumi.Config().requireSecret(key)`
   */
  secretConfig?: (key: string) => pulumi.Output<string>;
  /**
   * Which provider serves the appliance registrations: `dynamic` (nodejs dynamic resources) or
   * `provider` (the servicevm provider plugin). @default "dynamic"
   */
  resources?: FleetResources;
}

/**
 * A pool of devices (`servicevm:index:DevicePool`). openstack: a `compute.ServerGroup` for the
 * pool's anti-affinity and one `compute.Instance` per device; docker: one `Container` per device;
 * physical: one ApplianceRegistration per declared appliance.
 *
 * Created devices are registered inside an `apply` on `devices`, because they come from the
 * Ledger's output. That output is known during preview (see `LedgerResource`), so a preview lists
 * every device; were it ever unknown, the preview would show the pool's devices as unchanged
 * rather than planned. Each device's model is `createdDevice(spec, pool, index, zone)` with the zone
 * the Ledger recorded, and its resource is named `<fleet>-<device>` (`<fleet>-<pool>-<n>`).
 */
export class DevicePool extends pulumi.ComponentResource {
  /** Device names, in index order. */
  readonly devices: pulumi.Output<string[]>;
  /** Resource id per device name: server id, container id, or registration id. */
  readonly deviceIds: pulumi.Output<Record<string, string>>;
  /** Each device's id Output, by name; a Map so that nothing unwraps it into one big dependency. */
  private readonly handles: pulumi.Output<Map<string, pulumi.Output<string>>>;
  /** Health per declared appliance (physical pools); empty for created pools. */
  readonly health: Record<string, pulumi.Output<boolean>> = {};
  /** The appliance registrations of a physical pool, by device name. */
  readonly appliances: Record<string, AnyApplianceRegistration> = {};
  private readonly poolName: string;

  constructor(name: string, args: DevicePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.devicePool, name, {}, opts);
    const { fleet, pool, spec } = args;
    this.poolName = pool;
    const poolSpec = spec.pools[pool];
    if (poolSpec.template === undefined) {
      throw new Error(
        `pool \`${pool}\` is external (owned by fleet \`${poolSpec.external.fleet}\`) and has no devices in fleet \`${fleet}\`: create a DevicePool only for a pool this fleet owns`,
      );
    }
    const templateSpec = spec.templates[poolSpec.template];
    const plain = spec as unknown as FleetSpec;
    const childOpts = { parent: this };

    if (isDeclaredPool(plain.pools[pool], plain.templates[poolSpec.template])) {
      const secret = args.secretConfig ?? ((key: string) => new pulumi.Config().requireSecret(key));
      const ids = new Map<string, pulumi.Output<string>>();
      for (const device of poolSpec.devices ?? []) {
        const key = device.credentials?.passwordConfig;
        const Registration =
          args.resources === "provider" ? ProviderApplianceRegistration : ApplianceRegistration;
        const reg = new Registration(
          applianceName(fleet, device.name),
          renderAppliance(fleet, pool, device, key === undefined ? undefined : secret(key)),
          childOpts,
        );
        this.appliances[device.name] = reg;
        this.health[device.name] = reg.healthy;
        ids.set(device.name, reg.id);
      }
      this.devices = pulumi.output((poolSpec.devices ?? []).map((d) => d.name));
      // `pulumi.output` would turn the Map into a plain object; `apply` hands it over as it is.
      this.handles = pulumi.output(ids.size).apply(() => ids);
    } else {
      const group =
        templateSpec.driver === "openstack"
          ? renderServerGroup(fleet, pool, poolSpec.antiAffinity)
          : undefined;
      const serverGroup = group
        ? new openstack.compute.ServerGroup(childName(fleet, pool), group, childOpts)
        : undefined;
      const models = pulumi.output(args.devices ?? {}).apply((devices) =>
        Object.keys(devices)
          .map((d) => createdDevice(plain, pool, deviceIndex(d), devices[d] ?? null))
          .sort((a, b) => a.index - b.index),
      );
      this.devices = models.apply((ms) => ms.map((m) => m.name));
      this.handles = models.apply(
        (ms) => new Map(ms.map((m) => [m.name, this.createDevice(fleet, m, args, serverGroup, childOpts)])),
      );
    }
    this.deviceIds = this.handles.apply((m) => pulumi.all(Object.fromEntries(m)));
    this.registerOutputs({ devices: this.devices, deviceIds: this.deviceIds });
  }

  /**
   * The id of one device (server, container or registration). It depends on that device alone,
   * so an attachment never waits on, nor records a dependency on, every server of the pool.
   */
  deviceId(device: string): pulumi.Output<string> {
    return this.handles.apply((m) => {
      const id = m.get(device);
      if (id === undefined) throw new Error(`pool \`${this.poolName}\` has no device \`${device}\``);
      return id;
    });
  }

  private createDevice(
    fleet: string,
    device: DeviceModel,
    args: DevicePoolArgs,
    serverGroup: openstack.compute.ServerGroup | undefined,
    opts: pulumi.CustomResourceOptions,
  ): pulumi.Output<string> {
    // The constructor refuses external pools, so this pool names a template.
    const template = args.spec.templates[args.spec.pools[args.pool].template!];
    const name = childName(fleet, device.name);
    if (args.ledger !== undefined) opts = { ...opts, dependsOn: [args.ledger] };
    if (template.driver === "openstack") {
      const instanceArgs = renderInstance({
        fleet,
        device,
        template: template.openstack!,
        image: args.template.image!,
        flavor: args.template.flavor!,
        ...(serverGroup ? { serverGroupId: serverGroup.id } : {}),
      });
      return new openstack.compute.Instance(name, instanceArgs, opts).id;
    }
    const containerArgs = renderContainer({
      fleet,
      device,
      template: template.docker!,
      image: args.template.dockerImage!,
    });
    return new docker.Container(name, containerArgs, opts).id;
  }
}
