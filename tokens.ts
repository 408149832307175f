/**
 * Every Pulumi type token servicevm registers, in one place (DESIGN §6).
 *
 * Dynamic resources get their token from the SDK: `pulumi.dynamic.Resource` registers
 * `pulumi-nodejs:dynamic/<module>:<type>`, so the Ledger is `pulumi-nodejs:dynamic/servicevm:Ledger`.
 */

/** Component resource tokens. */
export const COMPONENT_TOKENS = Object.freeze({
  fleet: "servicevm:index:Fleet",
  deviceTemplate: "servicevm:index:DeviceTemplate",
  devicePool: "servicevm:index:DevicePool",
  serviceAllocation: "servicevm:index:ServiceAllocation",
});

/** The `module` argument of `pulumi.dynamic.Resource` for servicevm's dynamic resources. */
export const DYNAMIC_MODULE = "servicevm";

/** The `type` arguments of `pulumi.dynamic.Resource`. */
export const DYNAMIC_TYPES = Object.freeze({
  ledger: "Ledger",
  appliance: "ApplianceRegistration",
});

/** Full tokens of the dynamic resources, as they appear in state (`pulumi stack export`). */
export const DYNAMIC_TOKENS = Object.freeze({
  ledger: `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${DYNAMIC_TYPES.ledger}`,
  appliance: `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${DYNAMIC_TYPES.appliance}`,
});

/** The Pulumi package (and provider plugin) name. */
export const PACKAGE = "servicevm";

/**
 * Tokens of the custom resources the servicevm provider plugin serves (`plugin/`): what the Fleet
 * registers under `Construct` (Pulumi YAML, Python, Go) and, with `resources: "provider"`, in
 * TypeScript. Their state has the same fields as the dynamic resources' above.
 */
export const PROVIDER_TOKENS = Object.freeze({
  ledger: `${PACKAGE}:index:Ledger`,
  appliance: `${PACKAGE}:index:ApplianceRegistration`,
});
