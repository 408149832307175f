/**
 * Docker renderer: turns the device model into `@pulumi/docker` resource arguments.
 * Pure functions, no resource creation (STYLE 11).
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DeviceModel } from "../../core/model";
import type { DockerTemplateSpec } from "../../core/types";
import { childName } from "./openstack";

type In = pulumi.Input<string>;

/** Label keys servicevm puts on every container it creates. */
export const LABEL_KEYS = Object.freeze({
  fleet: "servicevm.fleet",
  pool: "servicevm.pool",
  device: "servicevm.device",
});

/** The restart policy of service containers: they come back after a daemon restart unless stopped. */
export const RESTART_POLICY = "unless-stopped";

/** `RemoteImage` arguments for a template: the image is pulled once and kept while devices use it. */
export function renderRemoteImage(docker: DockerTemplateSpec<In>): docker.RemoteImageArgs {
  return { name: docker.image, keepLocally: true };
}

/** Seconds as the Go duration string the Docker provider expects (`10s`). */
export function seconds(value: number): string {
  return `${value}s`;
}

/** Megabytes as the Docker provider's `memory` (which is in MB). */
export type Megabytes = number & { readonly __unit?: "MB" };

export interface ContainerInput {
  fleet: string;
  device: DeviceModel;
  template: DockerTemplateSpec<In>;
  /** The image reference to run (the `RemoteImage`'s `imageId`). */
  image: In;
}

/**
 * `Container` arguments for one device: limits, restart policy, healthcheck, labels and the
 * pool's networks. Nothing depends on allocations, so a tenant change never replaces a container.
 */
export function renderContainer(input: ContainerInput): docker.ContainerArgs {
  const { fleet, device, template } = input;
  const args: docker.ContainerArgs = {
    name: childName(fleet, device.name),
    image: input.image,
    restart: RESTART_POLICY,
    labels: [
      { label: LABEL_KEYS.device, value: device.name },
      { label: LABEL_KEYS.fleet, value: fleet },
      { label: LABEL_KEYS.pool, value: device.pool },
    ],
    networksAdvanced: (template.networks ?? []).map((name) => ({ name })),
  };
  if (template.cpus !== undefined) args.cpus = String(template.cpus);
  if (template.memoryMb !== undefined) args.memory = template.memoryMb satisfies Megabytes;
  if (template.env !== undefined) {
    const env = template.env;
    args.envs = Object.keys(env)
      .sort()
      .map((k) => {
        const v = env[k];
        return typeof v === "string" ? `${k}=${v}` : (v as pulumi.Output<string>).apply((x) => `${k}=${x}`);
      });
  }
  if (template.command !== undefined) args.command = [...template.command];
  if (template.ports !== undefined) {
    args.ports = template.ports.map((p) => {
      const port: docker.types.input.ContainerPort = { internal: p.internal, protocol: p.protocol ?? "tcp" };
      if (p.external !== undefined) port.external = p.external;
      return port;
    });
  }
  if (template.healthcheck !== undefined) {
    const h = template.healthcheck;
    const hc: docker.types.input.ContainerHealthcheck = { tests: [...h.test] };
    if (h.intervalSeconds !== undefined) hc.interval = seconds(h.intervalSeconds);
    if (h.timeoutSeconds !== undefined) hc.timeout = seconds(h.timeoutSeconds);
    if (h.retries !== undefined) hc.retries = h.retries;
    args.healthcheck = hc;
  }
  return args;
}

/**
 * Allocation networks on a Docker pool must already be among the pool's networks: connecting a
 * container to a new network would change (and replace) the container every other tenant shares.
 * Returns one message per offending network; an empty list when all are present.
 */
export function dockerNetworkErrors(
  allocation: string,
  networks: string[],
  pool: string,
  template: string,
  poolNetworks: string[],
): string[] {
  const have = new Set(poolNetworks);
  return networks
    .filter((n) => !have.has(n))
    .map(
      (n) =>
        `allocation \`${allocation}\` needs network \`${n}\`, which is not among pool \`${pool}\`'s networks [${poolNetworks.join(", ")}]; add it to \`templates.${template}.docker.networks\` or restrict \`allocations.${allocation}.pools\``,
    );
}
