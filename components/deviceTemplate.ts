import * as docker from "@pulumi/docker";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { TemplateSpec } from "../core/types";
import * as dockerRender from "./render/docker";
import * as os from "./render/openstack";
import { COMPONENT_TOKENS } from "../tokens";

export interface DeviceTemplateArgs {
  /** Name of the fleet, used to name children (`<fleet>-<template>-image`). */
  fleet: string;
  /** The template's name in the spec. */
  template: string;
  /** The template, with pass-through values that may be `pulumi.Input`s. */
  spec: TemplateSpec<pulumi.Input<string>>;
}

/**
 * A device template (`servicevm:index:DeviceTemplate`): what every device of its pools shares.
 * openstack: an `images.Image` when the image is uploaded from `source`, a `compute.Flavor` when
 * sizes are given; docker: the `RemoteImage`; physical: nothing to create.
 */
export class DeviceTemplate extends pulumi.ComponentResource {
  /** openstack: the image instances boot from (uploaded id, given id, or name). */
  readonly image?: os.ImageChoice;
  /** openstack: the flavor of the instances (created id, given id, or name). */
  readonly flavor?: os.FlavorChoice;
  /** docker: the image reference containers run (the `RemoteImage`'s `imageId`). */
  readonly dockerImage?: pulumi.Output<string>;
  readonly driver: TemplateSpec["driver"];

  constructor(name: string, args: DeviceTemplateArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.deviceTemplate, name, {}, opts);
    const { fleet, template, spec } = args;
    this.driver = spec.driver;
    const childOpts = { parent: this };
    if (spec.driver === "openstack" && spec.openstack !== undefined) {
      const imageArgs = os.renderImage(fleet, template, spec.openstack.image);
      const image = imageArgs ? new openstack.images.Image(`${name}-image`, imageArgs, childOpts) : undefined;
      const flavorArgs = os.renderFlavor(fleet, template, spec.openstack.flavor);
      const flavor = flavorArgs
        ? new openstack.compute.Flavor(`${name}-flavor`, flavorArgs, childOpts)
        : undefined;
      this.image = os.imageChoice(spec.openstack.image, image?.id);
      this.flavor = os.flavorChoice(spec.openstack.flavor, flavor?.id);
    }
    if (spec.driver === "docker" && spec.docker !== undefined) {
      const remote = new docker.RemoteImage(
        `${name}-image`,
        dockerRender.renderRemoteImage(spec.docker),
        childOpts,
      );
      this.dockerImage = remote.imageId;
    }
    this.registerOutputs({ dockerImage: this.dockerImage });
  }
}
