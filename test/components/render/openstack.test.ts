import { describe, expect, it } from "vitest";
import type { DeviceModel } from "../../../core/model";
import {
  childName,
  flavorChoice,
  imageChoice,
  nameOrId,
  planPorts,
  renderFlavor,
  renderImage,
  renderInstance,
  renderInterfaceAttach,
  renderPort,
  renderServerGroup,
  serverGroupPolicy,
} from "../../../components/render/openstack";

const device: DeviceModel = {
  name: "fw-1",
  pool: "fw",
  index: 1,
  zone: "az2",
  driver: "openstack",
  inventory: {
    CUSTOM_SERVICE_SLOT: {
      total: 8,
      reserved: 0,
      minUnit: 1,
      maxUnit: 2147483647,
      stepSize: 1,
      allocationRatio: 1,
    },
  },
  traits: [],
  tenancy: { mode: "dedicated" },
};

describe("openstack renderer", () => {
  it("names children after the fleet", () => {
    expect(childName("prod", "fw", 3)).toBe("prod-fw-3");
  });

  it.each([
    ["mgmt-net", { name: "mgmt-net" }],
    ["5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10", { id: "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10" }],
  ])("reads %s as a name or an id", (value, expected) => {
    expect(nameOrId(value)).toEqual(expected);
  });

  it("uploads an image only when the template gives a source", () => {
    expect(renderImage("prod", "vfw", { name: "vyos" })).toBeUndefined();
    expect(renderImage("prod", "vfw", { source: "https://example.test/vyos.qcow2" })).toEqual({
      name: "prod-vfw",
      imageSourceUrl: "https://example.test/vyos.qcow2",
      diskFormat: "qcow2",
      containerFormat: "bare",
      visibility: "private",
      tags: ["servicevm-fleet=prod", "servicevm-template=vfw"],
    });
  });

  it("creates a flavor with sorted extra specs only when the template gives sizes", () => {
    expect(renderFlavor("prod", "vfw", { name: "m1.large" })).toBeUndefined();
    expect(
      renderFlavor("prod", "vfw", {
        vcpus: 8,
        ramMb: 16384,
        diskGb: 40,
        extraSpecs: { "hw:mem_page_size": "large", "hw:cpu_policy": "dedicated" },
      }),
    ).toEqual({
      name: "prod-vfw",
      vcpus: 8,
      ram: 16384,
      disk: 40,
      isPublic: false,
      extraSpecs: { "hw:cpu_policy": "dedicated", "hw:mem_page_size": "large" },
    });
  });

  it.each([
    [undefined, undefined],
    ["none", undefined],
    ["soft", "soft-anti-affinity"],
    ["hard", "anti-affinity"],
  ] as const)("maps anti-affinity %s to server group policy %s", (anti, policy) => {
    expect(serverGroupPolicy(anti)).toBe(policy);
    expect(renderServerGroup("prod", "fw", anti)).toEqual(
      policy === undefined ? undefined : { name: "prod-fw", policies: [policy] },
    );
  });

  it("picks the image and flavor by id, name or the created resource", () => {
    expect(imageChoice({ name: "vyos" })).toEqual({ imageName: "vyos" });
    expect(imageChoice({ id: "img-1" })).toEqual({ imageId: "img-1" });
    expect(imageChoice({ source: "https://x.test/i.qcow2" }, "uploaded")).toEqual({ imageId: "uploaded" });
    expect(flavorChoice({ name: "m1.large" })).toEqual({ flavorName: "m1.large" });
    expect(flavorChoice({ id: "fl-1" })).toEqual({ flavorId: "fl-1" });
    expect(flavorChoice({ vcpus: 1, ramMb: 1, diskGb: 1 }, "created")).toEqual({ flavorId: "created" });
  });

  it("renders an instance with zone, key pair, user data, security groups, tags and the server group hint", () => {
    expect(
      renderInstance({
        fleet: "prod",
        device,
        template: {
          image: { name: "vyos" },
          flavor: { name: "m1.large" },
          networks: ["edge-mgmt", "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10"],
          keyPair: "noc",
          securityGroups: ["mgmt-ssh"],
          userData: "#cloud-config\n",
          metadata: { role: "firewall" },
        },
        image: { imageName: "vyos" },
        flavor: { flavorName: "m1.large" },
        serverGroupId: "sg-1",
      }),
    ).toEqual({
      name: "prod-fw-1",
      imageName: "vyos",
      flavorName: "m1.large",
      networks: [{ name: "edge-mgmt" }, { uuid: "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10" }],
      metadata: {
        role: "firewall",
        "servicevm:device": "fw-1",
        "servicevm:fleet": "prod",
        "servicevm:pool": "fw",
      },
      availabilityZone: "az2",
      keyPair: "noc",
      securityGroups: ["mgmt-ssh"],
      userData: "#cloud-config\n",
      schedulerHints: [{ group: "sg-1" }],
    });
  });

  it("leaves out what the template does not set", () => {
    expect(
      renderInstance({
        fleet: "prod",
        device: { ...device, zone: null },
        template: { image: { id: "i" }, flavor: { id: "f" }, networks: ["m"] },
        image: { imageId: "i" },
        flavor: { flavorId: "f" },
      }),
    ).toEqual({
      name: "prod-fw-1",
      imageId: "i",
      flavorId: "f",
      networks: [{ name: "m" }],
      metadata: { "servicevm:device": "fw-1", "servicevm:fleet": "prod", "servicevm:pool": "fw" },
    });
  });

  it("plans one port per tenant network, in order", () => {
    expect(
      planPorts("prod", "acme-fw", [
        { network: "acme-inside", subnet: "acme-v4", fixedIp: "10.0.0.1" },
        { network: "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10" },
      ]),
    ).toEqual([
      {
        name: "prod-acme-fw-0",
        network: { name: "acme-inside" },
        subnet: { name: "acme-v4" },
        fixedIp: "10.0.0.1",
      },
      { name: "prod-acme-fw-1", network: { id: "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10" } },
    ]);
    expect(planPorts("prod", "x", undefined)).toEqual([]);
  });

  it("refuses a fixed IP without a subnet, naming the field to add", () => {
    expect(() => planPorts("prod", "acme-fw", [{ network: "n", fixedIp: "10.0.0.1" }])).toThrow(
      "allocation `acme-fw` network 0: OpenStack needs a subnet for a fixed IP; add `allocations.acme-fw.networks.0.subnet` or drop `fixedIp`",
    );
  });

  it("renders a port with its fixed IP and labels, and the attachment", () => {
    const [plan] = planPorts("prod", "acme-fw", [
      { network: "acme-inside", subnet: "acme-v4", fixedIp: "10.0.0.1" },
    ]);
    expect(
      renderPort(
        plan,
        { networkId: "net-1", subnetId: "sub-1" },
        { fleet: "prod", allocation: "acme-fw", tenant: "acme" },
      ),
    ).toEqual({
      name: "prod-acme-fw-0",
      networkId: "net-1",
      adminStateUp: true,
      tags: ["servicevm-fleet=prod", "servicevm-allocation=acme-fw", "servicevm-tenant=acme"],
      fixedIps: [{ subnetId: "sub-1", ipAddress: "10.0.0.1" }],
    });
    expect(renderInterfaceAttach("srv-1", "port-1")).toEqual({ instanceId: "srv-1", portId: "port-1" });
  });
});
