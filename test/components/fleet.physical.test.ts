import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { valueOf } from "../harness/engine";
import { newEngine } from "../harness/fixtures";
import { T, find, inputsOf, nameOf, tree } from "./helpers";

const PASSWORD = "correct-horse-battery-staple";

function spec(): FleetArgs {
  return {
    templates: {
      fgt: {
        driver: "physical",
        capacity: { CUSTOM_SERVICE_SLOT: 16 },
        tenancy: { mode: "shared", isolation: "vlan", contexts: { first: 100, last: 199 } },
      },
    },
    pools: {
      edge: {
        template: "fgt",
        devices: [
          {
            name: "rack1-fw01",
            management: { url: "https://192.0.2.10:8443/health", caFile: "ca.pem" },
            credentials: { username: "admin", passwordConfig: "rack1Password" },
            serial: "FGT1",
            zone: "rack1",
          },
          {
            name: "rack2-fw01",
            management: { url: "https://192.0.2.20:8443/health", insecure: true },
            zone: "rack2",
          },
        ],
      },
    },
    allocations: {
      "acme-fw": { tenant: "acme", demand: { CUSTOM_SERVICE_SLOT: 2 }, zone: "rack1" },
      "globex-fw": { tenant: "globex", demand: { CUSTOM_SERVICE_SLOT: 4 } },
    },
  };
}

function engineWithSecret() {
  return newEngine(undefined, { config: { rack1Password: PASSWORD }, secretConfig: ["rack1Password"] });
}

const EXPECTED_TREE = [
  `${T.fleet} dc <- (stack)`,
  `${T.template} dc-fgt <- dc`,
  `${T.pool} dc-edge <- dc`,
  `${T.appliance} dc-rack1-fw01 <- dc-edge`,
  `${T.appliance} dc-rack2-fw01 <- dc-edge`,
  `${T.ledger} dc-ledger <- dc`,
  `${T.allocation} dc-acme-fw <- dc`,
  `${T.allocation} dc-globex-fw <- dc`,
].sort();

describe("Fleet on physical appliances", () => {
  it("registers one ApplianceRegistration per declared appliance and nothing per allocation", async () => {
    const { engine } = engineWithSecret();
    const result = await engine.up(() => {
      new Fleet("dc", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
  });

  it("gives each declared appliance's registration id in the pool's deviceIds", async () => {
    const { engine } = engineWithSecret();
    let fleet: Fleet | undefined;
    const result = await engine.up(() => {
      fleet = new Fleet("dc", spec());
    });
    expect(await valueOf(fleet!.pools["edge"].deviceIds)).toEqual({
      "rack1-fw01": find(result, T.appliance, "dc-rack1-fw01").id,
      "rack2-fw01": find(result, T.appliance, "dc-rack2-fw01").id,
    });
    expect(await valueOf(fleet!.pools["edge"].deviceId("rack2-fw01"))).toBe(
      find(result, T.appliance, "dc-rack2-fw01").id,
    );
  });

  it("lists the same children in a preview, with placements known before any probe ran", async () => {
    const { engine, probe } = engineWithSecret();
    let fleet: Fleet | undefined;
    const result = await engine.preview(() => {
      fleet = new Fleet("dc", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
    expect(probe.requests).toEqual([]);
    expect(await valueOf(fleet!.placements)).toEqual({
      "acme-fw": { device: "rack1-fw01", pool: "edge", tenant: "acme", isolation: { kind: "vlan", id: 101 } },
      "globex-fw": {
        device: "rack1-fw01",
        pool: "edge",
        tenant: "globex",
        isolation: { kind: "vlan", id: 100 },
      },
    });
  });

  it("records the probe and the registration, with the password from secret config (full arguments: render/physical.test.ts)", async () => {
    const { engine, probe } = engineWithSecret();
    const result = await engine.up(() => {
      new Fleet("dc", spec());
    });
    // The full registration arguments are the renderer's (render/physical.test.ts); here: the
    // wiring of the secret password, and what the probe recorded.
    const reg = find(result, T.appliance, "dc-rack1-fw01");
    expect(nameOf(reg.parent)).toBe("dc-edge");
    expect(inputsOf(reg)).toMatchObject({
      device: "rack1-fw01",
      passwordConfig: "rack1Password",
      password: PASSWORD,
    });
    expect(reg.secretInputs.sort()).toEqual(["password", "username"]);
    expect(reg.outputs).toMatchObject({
      reachable: true,
      healthy: true,
      latencyMs: 7,
      lastSeen: "2026-01-02T03:04:05.000Z",
      status: "HTTP 200",
    });
    // The password stays in the outputs so that refresh probes with it, only as a secret output
    // (never plain in state: fleet.secrets.test.ts).
    expect(reg.secretOutputs.sort()).toEqual(["password", "username"]);
    expect(probe.requests.map((r) => r.url).sort()).toEqual([
      "https://192.0.2.10:8443/health",
      "https://192.0.2.20:8443/health",
    ]);
  });

  it("puts each allocation's VLAN in its outputs, the largest demand placed first", async () => {
    const { engine } = engineWithSecret();
    let fleet: Fleet | undefined;
    await engine.up(() => {
      fleet = new Fleet("dc", spec());
    });
    expect(await valueOf(fleet!.allocations["acme-fw"].vlan)).toBe(101);
    expect(await valueOf(fleet!.allocations["globex-fw"].vlan)).toBe(100);
  });
});
