import { describe, expect, it } from "vitest";
import { applianceName, renderAppliance, vlanOf } from "../../../components/render/physical";

describe("physical renderer", () => {
  it("registers a declared appliance with its management settings and the password config key", () => {
    expect(
      renderAppliance(
        "dc",
        "edge-fw",
        {
          name: "rack1-fw01",
          management: { url: "https://192.0.2.10:8443/health", caFile: "ca.pem" },
          credentials: { username: "admin", passwordConfig: "rack1Password" },
          serial: "FGT60F0000001",
          zone: "rack1",
        },
        "s3cret",
      ),
    ).toEqual({
      fleet: "dc",
      pool: "edge-fw",
      device: "rack1-fw01",
      serial: "FGT60F0000001",
      zone: "rack1",
      managementUrl: "https://192.0.2.10:8443/health",
      timeoutMs: 5000,
      caFile: "ca.pem",
      username: "admin",
      passwordConfig: "rack1Password",
      password: "s3cret",
    });
  });

  it("keeps an explicit insecure flag and timeout", () => {
    expect(
      renderAppliance(
        "dc",
        "lb",
        { name: "lb1", management: { url: "https://x.test/", insecure: true, timeoutMs: 900 } },
        undefined,
      ),
    ).toEqual({
      fleet: "dc",
      pool: "lb",
      device: "lb1",
      managementUrl: "https://x.test/",
      timeoutMs: 900,
      insecure: true,
    });
  });

  it("names the registration after the fleet and device", () => {
    expect(applianceName("dc", "rack1-fw01")).toBe("dc-rack1-fw01");
  });

  it.each([
    [{ kind: "vlan", id: 120 }, 120],
    [{ kind: "vrf", id: 3 }, null],
    [null, null],
  ] as const)("gives the VLAN of isolation %j as %s", (isolation, vlan) => {
    expect(vlanOf(isolation)).toBe(vlan);
  });
});
