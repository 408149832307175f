/**
 * A Docker lab: HAProxy load balancers shared between teams (one network namespace each) and
 * dedicated Suricata sensors.
 *
 *   docker network create lab-svc && docker network create lab-mirror
 *   pulumi config set dockerHost unix:///var/run/docker.sock
 *   pulumi up
 */
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Fleet, loadSpec } from "servicevm";

const config = new pulumi.Config();

// An explicit provider: every image and container of the fleet uses it.
const host = new docker.Provider("lab", { host: config.get("dockerHost") ?? "unix:///var/run/docker.sock" });

const fleet = new Fleet("lab", loadSpec(path.join(__dirname, "fleet.yaml")), { providers: { docker: host } });

/** Allocation -> container, pool, tenant and namespace. */
export const placements = fleet.placements;
/** Per pool and per container: total/used/free per resource class, standby containers. */
export const capacity = fleet.capacity;
