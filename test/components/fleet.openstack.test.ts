import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { digest } from "../../core/sources";
import { valueOf } from "../harness/engine";
import { newEngine } from "../harness/fixtures";
import { T, find, inputsOf, tree } from "./helpers";

const NET_ID = "5b1a6b8e-7c1f-4d51-9d0e-2f0c7a1e9b10";

function spec(): FleetArgs {
  return {
    templates: {
      vfw: {
        driver: "openstack",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 8 } },
        openstack: {
          image: { source: "https://images.example.test/vyos.qcow2" },
          flavor: { vcpus: 8, ramMb: 16384, diskGb: 40, extraSpecs: { "hw:cpu_policy": "dedicated" } },
          networks: ["edge-mgmt"],
          keyPair: "noc",
        },
      },
    },
    pools: { fw: { template: "vfw", standby: 1, zones: ["az1", "az2"], antiAffinity: "soft" } },
    allocations: {
      "acme-fw": {
        tenant: "acme",
        demand: { CUSTOM_SERVICE_SLOT: 2 },
        networks: [{ network: "acme-inside", subnet: "acme-v4", fixedIp: "10.0.0.1" }, { network: NET_ID }],
      },
      "globex-fw": {
        tenant: "globex",
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        networks: [{ network: "globex-lan" }],
      },
    },
  };
}

/** What `spec()`'s pool is created from, one digest per field (`templateSource` + anti-affinity). */
const SOURCE = {
  antiAffinity: digest("soft"),
  driver: digest("openstack"),
  flavor: digest({ vcpus: 8, ramMb: 16384, diskGb: 40, extraSpecs: { "hw:cpu_policy": "dedicated" } }),
  image: digest({ source: "https://images.example.test/vyos.qcow2" }),
  keyPair: digest("noc"),
  networks: digest(["edge-mgmt"]),
};

const EXPECTED_TREE = [
  `${T.template} prod-vfw <- prod`,
  `${T.pool} prod-fw <- prod`,
  `${T.allocation} prod-acme-fw <- prod`,
  `${T.allocation} prod-globex-fw <- prod`,
  `${T.fleet} prod <- (stack)`,
  `${T.attach} prod-acme-fw-0-attach <- prod-acme-fw`,
  `${T.attach} prod-acme-fw-1-attach <- prod-acme-fw`,
  `${T.attach} prod-globex-fw-0-attach <- prod-globex-fw`,
  `${T.flavor} prod-vfw-flavor <- prod-vfw`,
  `${T.instance} prod-fw-0 <- prod-fw`,
  `${T.instance} prod-fw-1 <- prod-fw`,
  `${T.serverGroup} prod-fw <- prod-fw`,
  `${T.image} prod-vfw-image <- prod-vfw`,
  `${T.port} prod-acme-fw-0 <- prod-acme-fw`,
  `${T.port} prod-acme-fw-1 <- prod-acme-fw`,
  `${T.port} prod-globex-fw-0 <- prod-globex-fw`,
  `${T.ledger} prod-ledger <- prod`,
].sort();

describe("Fleet on OpenStack", () => {
  it("creates the image, flavor, server group, one server per device and a port plus attachment per tenant network", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("prod", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
  });

  it("makes every server depend on the Ledger, in an up and in a preview (harness: the engine's refusal to delete a resource with dependents is not run)", async () => {
    for (const mode of ["up", "preview"] as const) {
      const { engine } = newEngine();
      const result = await engine[mode](() => {
        new Fleet("prod", spec());
      });
      const ledgerUrn = find(result, T.ledger, "prod-ledger").urn;
      const servers = result.resources.filter((r) => r.type === T.instance);
      expect(servers.map((r) => [r.name, r.dependencies.includes(ledgerUrn)])).toEqual([
        ["prod-fw-0", true],
        ["prod-fw-1", true],
      ]);
    }
  });

  it("lists exactly the same children in a preview, with placements known", async () => {
    const { engine } = newEngine();
    let fleet: Fleet | undefined;
    const result = await engine.preview(() => {
      fleet = new Fleet("prod", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
    expect(await valueOf(fleet!.placements)).toEqual({
      "acme-fw": { device: "fw-0", pool: "fw", tenant: "acme", isolation: { kind: "vrf", id: 1 } },
      "globex-fw": { device: "fw-0", pool: "fw", tenant: "globex", isolation: { kind: "vrf", id: 2 } },
    });
    expect(engine.state.size).toBe(0);
  });

  it("gives every server its zone, the uploaded image, the created flavor, key pair, tags and the server group hint", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("prod", spec());
    });
    expect(inputsOf(find(result, T.instance, "prod-fw-1"))).toEqual({
      name: "prod-fw-1",
      imageId: "prod-vfw-image-id",
      flavorId: "prod-vfw-flavor-id",
      networks: [{ name: "edge-mgmt" }],
      metadata: { "servicevm:device": "fw-1", "servicevm:fleet": "prod", "servicevm:pool": "fw" },
      availabilityZone: "az2",
      keyPair: "noc",
      schedulerHints: [{ group: "prod-fw-id" }],
    });
    expect(find(result, T.instance, "prod-fw-0").inputs.availabilityZone).toBe("az1");
    expect(inputsOf(find(result, T.serverGroup, "prod-fw"))).toEqual({
      name: "prod-fw",
      policies: ["soft-anti-affinity"],
    });
    expect(inputsOf(find(result, T.flavor, "prod-vfw-flavor"))).toEqual({
      name: "prod-vfw",
      vcpus: 8,
      ram: 16384,
      disk: 40,
      isPublic: false,
      extraSpecs: { "hw:cpu_policy": "dedicated" },
    });
  });

  it("keeps every server in its zone when the pool's zones change, and creates a new server in the least-populated zone (mock runtime: the openstack provider is not run)", async () => {
    const { engine } = newEngine();
    const first = await engine.up(() => {
      new Fleet("prod", spec());
    });
    expect(first.errors).toEqual([]);
    // A zone is added in the middle: round-robin over the new list would move `fw-1` to `az3`.
    const grown = spec();
    grown.pools.fw.zones = ["az1", "az3", "az2"];
    grown.allocations!["initech-fw"] = { tenant: "initech", demand: { CUSTOM_SERVICE_SLOT: 8 } };
    let fleet: Fleet | undefined;
    const second = await engine.up(() => {
      fleet = new Fleet("prod", grown);
    });
    expect(second.errors).toEqual([]);
    const instances = second.resources.filter((r) => r.type === T.instance);
    expect(Object.fromEntries(instances.map((r) => [r.name, r.inputs.availabilityZone]))).toEqual({
      "prod-fw-0": "az1",
      "prod-fw-1": "az2",
      "prod-fw-2": "az3",
    });
    expect(
      Object.fromEntries(second.steps.filter((x) => x.type === T.instance).map((x) => [x.name, x.op])),
    ).toEqual({
      "prod-fw-0": "same",
      "prod-fw-1": "same",
      "prod-fw-2": "create",
    });
    expect((await valueOf(fleet!.ledger))!.pools).toEqual({
      fw: { devices: { "fw-0": "az1", "fw-1": "az2", "fw-2": "az3" }, source: SOURCE },
    });
    expect((await valueOf(fleet!.placements))!["initech-fw"]).toEqual({
      device: "fw-1",
      pool: "fw",
      tenant: "initech",
      isolation: { kind: "vrf", id: 1 },
    });
  });

  it("plugs each tenant network into the placed server: names looked up, ids passed through", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("prod", spec());
    });
    expect(inputsOf(find(result, T.port, "prod-acme-fw-0"))).toEqual({
      name: "prod-acme-fw-0",
      networkId: "net-id-acme-inside",
      adminStateUp: true,
      tags: ["servicevm-fleet=prod", "servicevm-allocation=acme-fw", "servicevm-tenant=acme"],
      fixedIps: [{ subnetId: "subnet-id-acme-v4", ipAddress: "10.0.0.1" }],
    });
    expect(find(result, T.port, "prod-acme-fw-1").inputs.networkId).toBe(NET_ID);
    expect(inputsOf(find(result, T.attach, "prod-acme-fw-0-attach"))).toEqual({
      instanceId: "prod-fw-0-id",
      portId: "prod-acme-fw-0-id",
    });
    expect(inputsOf(find(result, T.attach, "prod-globex-fw-0-attach"))).toEqual({
      instanceId: "prod-fw-0-id",
      portId: "prod-globex-fw-0-id",
    });
  });

  it("outputs capacity per pool and per device, with the standby device idle", async () => {
    const { engine } = newEngine();
    let fleet: Fleet | undefined;
    await engine.up(() => {
      fleet = new Fleet("prod", spec());
    });
    expect(await valueOf(fleet!.capacity)).toEqual({
      pools: {
        fw: {
          devices: ["fw-0", "fw-1"],
          busy: 1,
          standby: 1,
          unhealthy: 0,
          classes: { CUSTOM_SERVICE_SLOT: { total: 16, used: 3, free: 13 } },
        },
      },
      devices: {
        "fw-0": {
          pool: "fw",
          zone: "az1",
          healthy: true,
          classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 3, free: 5 } },
          tenants: ["acme", "globex"],
          allocations: ["acme-fw", "globex-fw"],
        },
        "fw-1": {
          pool: "fw",
          zone: "az2",
          healthy: true,
          classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 0, free: 8 } },
          tenants: [],
          allocations: [],
        },
      },
      // Per distinct demand: fw-0 has 5 slots and 6 contexts free, fw-1 is empty; the pool may
      // have 100 devices (`max` default), 50 per zone.
      headroom: [
        {
          demand: { CUSTOM_SERVICE_SLOT: 2 },
          tenant: null,
          allocations: 1,
          pools: {
            fw: {
              template: "vfw",
              devices: 2,
              maxDevices: 100,
              existing: { fits: 2 + 4, limit: "CUSTOM_SERVICE_SLOT" },
              upToMax: { fits: 2 + 4 + 98 * 4, limit: "max" },
              zones: {
                az1: {
                  devices: 1,
                  maxDevices: 50,
                  existing: { fits: 2, limit: "CUSTOM_SERVICE_SLOT" },
                  upToMax: { fits: 2 + 49 * 4, limit: "max" },
                },
                az2: {
                  devices: 1,
                  maxDevices: 50,
                  existing: { fits: 4, limit: "CUSTOM_SERVICE_SLOT" },
                  upToMax: { fits: 4 + 49 * 4, limit: "max" },
                },
              },
            },
          },
        },
        {
          demand: { CUSTOM_SERVICE_SLOT: 1 },
          tenant: null,
          allocations: 1,
          pools: {
            fw: {
              template: "vfw",
              devices: 2,
              maxDevices: 100,
              existing: { fits: 5 + 8, limit: "CUSTOM_SERVICE_SLOT" },
              upToMax: { fits: 5 + 8 + 98 * 8, limit: "max" },
              zones: {
                az1: {
                  devices: 1,
                  maxDevices: 50,
                  existing: { fits: 5, limit: "CUSTOM_SERVICE_SLOT" },
                  upToMax: { fits: 5 + 49 * 8, limit: "max" },
                },
                az2: {
                  devices: 1,
                  maxDevices: 50,
                  existing: { fits: 8, limit: "CUSTOM_SERVICE_SLOT" },
                  upToMax: { fits: 8 + 49 * 8, limit: "max" },
                },
              },
            },
          },
        },
      ],
    });
    expect(await valueOf(fleet!.ledger)).toEqual({
      version: 2,
      pools: { fw: { devices: { "fw-0": "az1", "fw-1": "az2" }, source: SOURCE } },
      placements: {
        "acme-fw": { device: "fw-0", tenant: "acme", context: 1, demand: { CUSTOM_SERVICE_SLOT: 2 } },
        "globex-fw": { device: "fw-0", tenant: "globex", context: 2, demand: { CUSTOM_SERVICE_SLOT: 1 } },
      },
    });
  });

  it("passes opts.providers down to every child", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      const openstack = require("@pulumi/openstack") as typeof import("@pulumi/openstack");
      const region = new openstack.Provider("edge", { region: "edge-1" });
      new Fleet("prod", spec(), { providers: { openstack: region } });
    });
    expect(result.errors).toEqual([]);
    const openstackChildren = result.resources
      .filter((r) => r.type.startsWith("openstack:"))
      .map((r) => `${r.name} ${r.provider}`);
    expect(openstackChildren.sort()).toEqual(
      [
        "prod-acme-fw-0",
        "prod-acme-fw-0-attach",
        "prod-acme-fw-1",
        "prod-acme-fw-1-attach",
        "prod-fw",
        "prod-fw-0",
        "prod-fw-1",
        "prod-globex-fw-0",
        "prod-globex-fw-0-attach",
        "prod-vfw-flavor",
        "prod-vfw-image",
      ].map((n) => `${n} urn:pulumi:stack::project::pulumi:providers:openstack::edge::edge-id`),
    );
  });
});
