import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { planSpec } from "../../core/planSpec";
import type { FleetArgs } from "../../components/fleet";

describe("planSpec", () => {
  it("keeps what the planner reads and drops every pass-through value, Outputs included", () => {
    const args: FleetArgs = {
      templates: {
        vfw: {
          driver: "openstack",
          capacity: { CUSTOM_SERVICE_SLOT: 8 },
          traits: ["HW_NIC_SRIOV"],
          openstack: {
            image: { id: pulumi.output("img") },
            flavor: { name: "m1" },
            networks: [pulumi.output("net")],
            userData: "secret-ish",
          },
        },
        hw: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } },
      },
      pools: {
        fw: { template: "vfw", standby: 1, zones: ["az1"] },
        edge: {
          template: "hw",
          devices: [
            {
              name: "box1",
              management: { url: pulumi.output("https://x") },
              credentials: { username: "u", passwordConfig: "k" },
              serial: "S1",
              zone: "az1",
            },
          ],
        },
      },
      allocations: {
        a: {
          tenant: "t",
          demand: { CUSTOM_SERVICE_SLOT: 1 },
          zone: "az1",
          networks: [{ network: pulumi.output("tenant-net") }],
        },
      },
    };
    expect(planSpec(args)).toEqual({
      templates: {
        hw: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } },
        vfw: {
          driver: "openstack",
          capacity: { CUSTOM_SERVICE_SLOT: 8 },
          traits: ["HW_NIC_SRIOV"],
          openstack: {},
        },
      },
      pools: {
        edge: { template: "hw", devices: [{ name: "box1", serial: "S1", zone: "az1" }] },
        fw: { template: "vfw", standby: 1, zones: ["az1"] },
      },
      allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 }, zone: "az1" } },
    });
  });
});
