import { describe, expect, it } from "vitest";
import { type ApplianceInputs, makeApplianceProvider, UNKNOWN } from "../../provider/applianceImpl";
import { FakeProbe, fakeApplianceDeps } from "../harness/fixtures";

const URL = "https://192.0.2.10:8443/health";

function inputs(extra: Partial<ApplianceInputs> = {}): ApplianceInputs {
  return {
    fleet: "dc",
    pool: "edge",
    device: "rack1-fw01",
    managementUrl: URL,
    timeoutMs: 500,
    username: "admin",
    passwordConfig: "pw",
    password: "hunter2",
    ...extra,
  };
}

function setup() {
  const probe = new FakeProbe();
  let now = new Date("2026-01-02T03:04:05.000Z");
  const deps = { ...fakeApplianceDeps(probe), now: () => now };
  return { probe, provider: makeApplianceProvider(deps), tick: (iso: string) => (now = new Date(iso)) };
}

describe("ApplianceRegistration provider", () => {
  it("accepts sound inputs and an unknown URL during preview", async () => {
    const { provider } = setup();
    expect((await provider.check({}, inputs())).failures).toEqual([]);
    expect((await provider.check({}, inputs({ managementUrl: UNKNOWN }))).failures).toEqual([]);
  });

  it("collects every problem of the inputs", async () => {
    const { provider } = setup();
    const res = await provider.check(
      {},
      inputs({ device: "Bad_Name", managementUrl: "ssh://x", caFile: "ca.pem", insecure: true }),
    );
    expect(res.failures).toEqual([
      { property: "device", reason: 'appliance `device` must match ^[a-z][a-z0-9-]{0,62}$; got "Bad_Name"' },
      {
        property: "managementUrl",
        reason:
          "appliance `Bad_Name` `management.url` must be an http:// or https:// URL; fix `management.url`",
      },
      {
        property: "insecure",
        reason: "appliance `Bad_Name` sets both `management.caFile` and `management.insecure`; keep one",
      },
    ]);
  });

  it("probes on create and records everything but the password", async () => {
    const { provider, probe } = setup();
    const created = await provider.create(inputs());
    expect(created).toEqual({
      id: "dc/rack1-fw01",
      outs: {
        fleet: "dc",
        pool: "edge",
        device: "rack1-fw01",
        managementUrl: URL,
        timeoutMs: 500,
        username: "admin",
        passwordConfig: "pw",
        reachable: true,
        healthy: true,
        latencyMs: 7,
        lastSeen: "2026-01-02T03:04:05.000Z",
        status: "HTTP 200",
      },
    });
    expect(probe.requests).toEqual([{ url: URL, timeoutMs: 500, username: "admin", password: "hunter2" }]);
  });

  it("marks an unreachable appliance unhealthy on refresh and keeps when it was last seen", async () => {
    const { provider, probe, tick } = setup();
    const created = await provider.create(inputs());
    probe.down(URL);
    tick("2026-01-03T00:00:00.000Z");
    const read = await provider.read("dc/rack1-fw01", created.outs as never);
    expect(read.props).toMatchObject({
      reachable: false,
      healthy: false,
      latencyMs: null,
      lastSeen: "2026-01-02T03:04:05.000Z",
      status: "ECONNREFUSED",
    });
    probe.up(URL);
    const back = await provider.read("dc/rack1-fw01", read.props as never);
    expect(back.props).toMatchObject({
      reachable: true,
      healthy: true,
      lastSeen: "2026-01-03T00:00:00.000Z",
      status: "HTTP 200",
    });
  });

  it("counts an appliance without a management URL as healthy and unmanaged, without probing", async () => {
    const { provider, probe } = setup();
    const created = await provider.create({ fleet: "dc", pool: "edge", device: "quiet" });
    expect(created.outs).toEqual({
      fleet: "dc",
      pool: "edge",
      device: "quiet",
      reachable: false,
      healthy: true,
      latencyMs: null,
      lastSeen: null,
      status: "unmanaged",
    });
    expect(probe.requests).toEqual([]);
  });

  it("diffs the registration's fields, not the password nor the probe results", async () => {
    const { provider } = setup();
    const outs = (await provider.create(inputs())).outs as never;
    expect((await provider.diff("id", outs, inputs({ password: "rotated" }))).changes).toBe(false);
    expect((await provider.diff("id", outs, inputs({ timeoutMs: 900 }))).changes).toBe(true);
  });

  it("re-probes on update", async () => {
    const { provider, probe } = setup();
    const outs = (await provider.create(inputs())).outs as never;
    probe.down("https://192.0.2.11/health");
    const updated = await provider.update("id", outs, inputs({ managementUrl: "https://192.0.2.11/health" }));
    expect(updated.outs).toMatchObject({
      managementUrl: "https://192.0.2.11/health",
      healthy: false,
      lastSeen: "2026-01-02T03:04:05.000Z",
    });
  });
});
