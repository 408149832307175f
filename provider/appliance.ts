/**
 * ApplianceRegistration (`pulumi-nodejs:dynamic/servicevm:ApplianceRegistration`): one physical
 * appliance of a fleet. On create, update and `pulumi refresh` it probes the management URL and
 * records `reachable`, `healthy`, `latencyMs`, `lastSeen` and `status`; an unhealthy appliance
 * makes the Ledger move its services away and place nothing new on it.
 *
 * Credentials are secret inputs: `username` and `password` are wrapped in `pulumi.secret` and listed
 * in `additionalSecretOutputs`. The provider keeps the password in its outputs, because the nodejs
 * dynamic-provider host gives `read` (`pulumi refresh`) only the outputs and the refresh probe needs
 * it; it is a secret output, encrypted in state like the input (see `applianceImpl.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_MODULE, DYNAMIC_TOKENS, DYNAMIC_TYPES, PROVIDER_TOKENS } from "../tokens";
import type * as impl from "./applianceImpl";
import type { ApplianceInputs, ApplianceOutputs } from "./applianceImpl";

type ApplianceImpl = typeof impl;

/**
 * The provider the engine runs. Each method loads the implementation from the installed package,
 * so the closure Pulumi serializes into state is a few lines with no captured values (no
 * credentials, no modules).
 */
export const applianceProvider: pulumi.dynamic.ResourceProvider = {
  check(olds: Record<string, unknown>, news: ApplianceInputs) {
    return (require("servicevm/dist/provider/applianceImpl.js") as ApplianceImpl).check(olds, news);
  },
  diff(id: string, olds: ApplianceOutputs, news: ApplianceInputs) {
    return (require("servicevm/dist/provider/applianceImpl.js") as ApplianceImpl).diff(id, olds, news);
  },
  create(inputs: ApplianceInputs) {
    return (require("servicevm/dist/provider/applianceImpl.js") as ApplianceImpl).create(inputs);
  },
  update(id: string, olds: ApplianceOutputs, news: ApplianceInputs) {
    return (require("servicevm/dist/provider/applianceImpl.js") as ApplianceImpl).update(id, olds, news);
  },
  read(id: string, props: ApplianceOutputs) {
    return (require("servicevm/dist/provider/applianceImpl.js") as ApplianceImpl).read(id, props);
  },
  delete() {
    return Promise.resolve();
  },
};

export interface ApplianceRegistrationArgs {
  /** Name of the fleet the appliance belongs to. */
  fleet: string;
  /** Pool the appliance is declared in. */
  pool: string;
  /** Device name, unique in the fleet. */
  device: string;
  /** Serial number, recorded as given. @default none */
  serial?: string;
  /** Zone of the appliance. @default none */
  zone?: string;
  /** Management URL probed on create and refresh (`http://` or `https://`). @default none: not probed, counted healthy */
  managementUrl?: pulumi.Input<string>;
  /** PEM CA bundle trusted for the management URL, a path relative to the project. @default the system CAs */
  caFile?: string;
  /** Skip TLS verification; credentials are then not sent. @default false */
  insecure?: boolean;
  /** Probe timeout in milliseconds. @default 5000 */
  timeoutMs?: number;
  /** Management user name; stored as a secret. @default none */
  username?: pulumi.Input<string>;
  /** Name of the Pulumi secret config key holding the password (recorded; the value is not). @default none */
  passwordConfig?: string;
  /** The password, from `config.requireSecret(passwordConfig)`; used to probe, kept only as a secret output. @default none */
  password?: pulumi.Input<string>;
}

/**
 * Output properties that hold credentials and must be secret in state. The engine also marks an
 * output secret when the same-named input is, and keeps the mark across a refresh; listing them
 * here makes it explicit rather than relying on that.
 */
export const APPLIANCE_SECRET_OUTPUTS = ["username", "password"];

export class ApplianceRegistration extends pulumi.dynamic.Resource implements ApplianceOutputsOf {
  declare readonly fleet: pulumi.Output<string>;
  declare readonly pool: pulumi.Output<string>;
  declare readonly device: pulumi.Output<string>;
  declare readonly reachable: pulumi.Output<boolean>;
  declare readonly healthy: pulumi.Output<boolean>;
  declare readonly latencyMs: pulumi.Output<number | null>;
  declare readonly lastSeen: pulumi.Output<string | null>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: ApplianceRegistrationArgs, opts?: pulumi.CustomResourceOptions) {
    const secretOutputs = [
      ...new Set([...(opts?.additionalSecretOutputs ?? []), ...APPLIANCE_SECRET_OUTPUTS]),
    ];
    super(
      applianceProvider,
      name,
      applianceProps(args),
      { ...opts, additionalSecretOutputs: secretOutputs },
      DYNAMIC_MODULE,
      DYNAMIC_TYPES.appliance,
    );
  }
}

/** The appliance's outputs, whichever provider serves it. */
export interface ApplianceOutputsOf {
  readonly fleet: pulumi.Output<string>;
  readonly pool: pulumi.Output<string>;
  readonly device: pulumi.Output<string>;
  readonly reachable: pulumi.Output<boolean>;
  readonly healthy: pulumi.Output<boolean>;
  readonly latencyMs: pulumi.Output<number | null>;
  readonly lastSeen: pulumi.Output<string | null>;
  readonly status: pulumi.Output<string>;
}

/** An appliance registration of either kind. */
export type AnyApplianceRegistration = pulumi.CustomResource & ApplianceOutputsOf;

/** The inputs of an appliance registration: credentials made secret, outputs left to the provider. */
function applianceProps(args: ApplianceRegistrationArgs): Record<string, unknown> {
  const props: Record<string, unknown> = {
    ...args,
    reachable: undefined,
    healthy: undefined,
    latencyMs: undefined,
    lastSeen: undefined,
    status: undefined,
  };
  if (args.username !== undefined) props.username = pulumi.secret(args.username);
  if (args.password !== undefined) props.password = pulumi.secret(args.password);
  return props;
}

/**
 * The appliance registration as a custom resource of the servicevm provider plugin
 * (`servicevm:index:ApplianceRegistration`): the same probe and state as
 * {@link ApplianceRegistration}; the plugin accepts secrets, so the password reaches it as a secret,
 * is used to probe on create and refresh, and is recorded only as a secret.
 */
export class ProviderApplianceRegistration extends pulumi.CustomResource implements ApplianceOutputsOf {
  declare readonly fleet: pulumi.Output<string>;
  declare readonly pool: pulumi.Output<string>;
  declare readonly device: pulumi.Output<string>;
  declare readonly reachable: pulumi.Output<boolean>;
  declare readonly healthy: pulumi.Output<boolean>;
  declare readonly latencyMs: pulumi.Output<number | null>;
  declare readonly lastSeen: pulumi.Output<string | null>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: ApplianceRegistrationArgs, opts?: pulumi.CustomResourceOptions) {
    const secretOutputs = [
      ...new Set([...(opts?.additionalSecretOutputs ?? []), ...APPLIANCE_SECRET_OUTPUTS]),
    ];
    const aliases = [...(opts?.aliases ?? []), { type: DYNAMIC_TOKENS.appliance }];
    super(PROVIDER_TOKENS.appliance, name, applianceProps(args), {
      ...opts,
      aliases,
      additionalSecretOutputs: secretOutputs,
    });
  }
}
