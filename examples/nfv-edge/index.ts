/**
 * An OpenStack NFV edge site: shared virtual firewalls (one VRF per tenant) and VPN gateways.
 *
 *   pulumi config set cloud edge          # the clouds.yaml entry (OS_CLOUD works too)
 *   pulumi preview                        # shows every server, port and placement
 *   pulumi up
 */
import * as path from "node:path";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Fleet, loadSpec } from "servicevm";

const config = new pulumi.Config();

// An explicit provider: every server, flavor, port and attachment of the fleet uses it.
const cloud = new openstack.Provider("edge", { cloud: config.get("cloud") ?? "edge" });

const fleet = new Fleet("edge", loadSpec(path.join(__dirname, "fleet.yaml")), {
  providers: { openstack: cloud },
});

/** Allocation -> device, pool, tenant and VRF. */
export const placements = fleet.placements;
/** Per pool and per device: total/used/free per resource class, standby devices. */
export const capacity = fleet.capacity;
