/**
 * One fleet, three drivers: OpenStack virtual firewalls, a physical appliance for line-rate
 * inspection, and Docker containers for DNS resolvers.
 *
 *   pulumi config set cloud edge
 *   pulumi config set dockerHost ssh://ops@dns-host
 *   pulumi config set --secret dc1FwPassword ...
 *   pulumi up
 */
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Fleet, loadSpec } from "servicevm";

const config = new pulumi.Config();

// One explicit provider per driver; the Fleet hands each child the one for its package.
const providers = {
  openstack: new openstack.Provider("edge", { cloud: config.get("cloud") ?? "edge" }),
  docker: new docker.Provider("dns", { host: config.get("dockerHost") ?? "unix:///var/run/docker.sock" }),
};

const fleet = new Fleet("mixed", loadSpec(path.join(__dirname, "fleet.yaml")), { providers });

/** Allocation -> device, pool, tenant and isolation context (VRF, VLAN or none). */
export const placements = fleet.placements;
/** Per pool and per device: total/used/free per resource class, standby devices. */
export const capacity = fleet.capacity;
