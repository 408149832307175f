/**
 * servicevm: service-hosting devices as code for Pulumi.
 *
 * - `loadSpec` / `parseSpec` / `checkSpec` read a fleet spec (YAML or JSON) with exact error positions;
 * - `plan` is the pure planner (previous ledger + spec -> next ledger + changes);
 * - `Fleet` and its parts are the Pulumi components; `Ledger` and `ApplianceRegistration` the dynamic resources, `ProviderLedger` and
 *   `ProviderApplianceRegistration` the same served by the provider plugin (`plugin/`).
 */
export * from "./core";
export { checkSpec, fleetSchema, formatIssue, loadSpec, parseSpec, SpecError } from "./schema";
export type { CheckResult, SpecIssue } from "./schema";
export * from "./components";
export { LedgerResource, ProviderLedger } from "./provider/ledger";
export type { AnyLedger, LedgerOutputs, LedgerResourceArgs } from "./provider/ledger";
export { ApplianceRegistration, ProviderApplianceRegistration } from "./provider/appliance";
export type { ApplianceRegistrationArgs } from "./provider/appliance";
