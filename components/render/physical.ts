/**
 * Physical renderer: declared appliances become ApplianceRegistration arguments; an allocation on
 * an appliance gets a VLAN context and nothing else is created. Pure functions (STYLE 11).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DeclaredDeviceSpec, Isolation } from "../../core/types";
import type { ApplianceRegistrationArgs } from "../../provider/appliance";
import { childName } from "./openstack";

type In = pulumi.Input<string>;

/** @default timeout of an appliance probe when the spec gives none */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

/**
 * Registration arguments of one declared appliance. `password` is the secret read from Pulumi
 * config under `credentials.passwordConfig`; the config key itself is recorded, never the value.
 */
export function renderAppliance(
  fleet: string,
  pool: string,
  device: DeclaredDeviceSpec<In>,
  password: pulumi.Input<string> | undefined,
): ApplianceRegistrationArgs {
  const args: ApplianceRegistrationArgs = { fleet, pool, device: device.name };
  if (device.serial !== undefined) args.serial = device.serial;
  if (device.zone !== undefined) args.zone = device.zone;
  if (device.management !== undefined) {
    const m = device.management;
    args.managementUrl = m.url;
    args.timeoutMs = m.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    if (m.caFile !== undefined) args.caFile = m.caFile;
    if (m.insecure === true) args.insecure = true;
  }
  if (device.credentials !== undefined) {
    args.username = device.credentials.username;
    args.passwordConfig = device.credentials.passwordConfig;
    if (password !== undefined) args.password = password;
  }
  return args;
}

/** Resource name of an appliance registration: `<fleet>-<device>`. */
export function applianceName(fleet: string, device: string): string {
  return childName(fleet, device);
}

/** The VLAN id of an allocation's isolation context, or `null` when it has none or it is not a VLAN. */
export function vlanOf(isolation: Isolation | null): number | null {
  return isolation !== null && isolation.kind === "vlan" ? isolation.id : null;
}
