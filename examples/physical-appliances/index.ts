/**
 * Physical appliances in two racks, shared between tenants with one VLAN each. Nothing is created
 * in a cloud: each appliance is registered and probed, and the ledger places services on healthy
 * ones. Passwords are Pulumi secrets named in fleet.yaml (`credentials.passwordConfig`):
 *
 *   pulumi config set --secret rack1Password ...
 *   pulumi config set --secret rack2Password ...
 *   pulumi config set --secret lbPassword ...
 *   pulumi up
 *   pulumi refresh     # re-probes every appliance; `pulumi up` then moves services off dead ones
 */
import * as path from "node:path";
import { Fleet, loadSpec } from "servicevm";

// The CA bundles named in fleet.yaml (`caFile`) are read relative to this project directory.
const fleet = new Fleet("racks", loadSpec(path.join(__dirname, "fleet.yaml")));

/** Allocation -> appliance, pool, tenant and VLAN. */
export const placements = fleet.placements;
/** Per pool and per appliance: total/used/free per resource class, health. */
export const capacity = fleet.capacity;
/** VLAN id of each allocation. */
export const vlans = Object.fromEntries(Object.entries(fleet.allocations).map(([name, a]) => [name, a.vlan]));
