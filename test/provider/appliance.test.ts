import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApplianceInputs,
  type ApplianceOutputs,
  makeApplianceProvider,
  UNKNOWN,
} from "../../provider/applianceImpl";
import { probe as realProbe } from "../../provider/probe";
import { FakeProbe, T0, fakeApplianceDeps } from "../harness/fixtures";
import { ACCOUNT, type ProbeServers, startProbeServers, steppingClock } from "./probeServer";

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

  it("probes on create and records the inputs, the password included for refresh", async () => {
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
        password: "hunter2",
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

  it.each<[number, boolean, string, Partial<ApplianceInputs>]>([
    [401, false, "the probe sent credentials", {}],
    [403, false, "the probe sent credentials", {}],
    [401, true, "the URL is plain HTTP", { managementUrl: "http://192.0.2.10/health" }],
    [401, true, "the probe is insecure", { insecure: true }],
    [401, true, "there is no password", { password: undefined }],
  ])(
    "counts an answer HTTP %i as healthy: %s when %s (a refused password is unhealthy)",
    async (code, healthy, _why, extra) => {
      const { provider, probe } = setup();
      const req = inputs(extra);
      probe.answers.set(req.managementUrl!, {
        reachable: true,
        httpStatus: code,
        status: `HTTP ${code}`,
        latencyMs: 7,
      });
      expect((await provider.create(req)).outs).toMatchObject({
        reachable: true,
        healthy,
        status: `HTTP ${code}`,
      });
    },
  );

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

  it("probes with the recorded credentials on refresh", async () => {
    const { provider, probe } = setup();
    const created = await provider.create(inputs());
    await provider.read("dc/rack1-fw01", created.outs as never);
    expect(probe.requests).toEqual([
      { url: URL, timeoutMs: 500, username: "admin", password: "hunter2" },
      { url: URL, timeoutMs: 500, username: "admin", password: "hunter2" },
    ]);
  });

  it("diffs the registration's fields and a rotated password (refresh probes with it), not the probe results", async () => {
    const { provider } = setup();
    const outs = (await provider.create(inputs())).outs as never;
    expect((await provider.diff("id", outs, inputs())).changes).toBe(false);
    expect((await provider.diff("id", outs, inputs({ password: "rotated" }))).changes).toBe(true);
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

// The provider's methods are called directly with what the engine would pass (`read` gets the
// outputs); the engine's secret handling is fleet.secrets.test.ts's.
describe("ApplianceRegistration provider against an HTTPS appliance that requires Basic auth", () => {
  let servers: ProbeServers;
  beforeAll(async () => {
    servers = await startProbeServers();
  });
  afterAll(() => servers.close());

  function realProvider() {
    return makeApplianceProvider({ now: () => T0, monotonic: steppingClock(3), probe: realProbe });
  }

  function authInputs(extra: Partial<ApplianceInputs> = {}): ApplianceInputs {
    return inputs({
      managementUrl: `${servers.httpsBase}/auth/200`,
      caFile: servers.certFile,
      ...ACCOUNT,
      ...extra,
    });
  }

  const healthy = {
    reachable: true,
    healthy: true,
    latencyMs: 3,
    lastSeen: T0.toISOString(),
    status: "HTTP 200",
  };

  it("is healthy on create and stays healthy on refresh: refresh sends the credentials too", async () => {
    const provider = realProvider();
    const outs = (await provider.create(authInputs())).outs as ApplianceOutputs;
    expect(outs).toMatchObject(healthy);
    expect(await provider.read("dc/rack1-fw01", outs)).toEqual({ id: "dc/rack1-fw01", props: outs });
  });

  it("is reachable but unhealthy when the appliance rejects the password, on create and refresh", async () => {
    const provider = realProvider();
    const rejected = {
      reachable: true,
      healthy: false,
      latencyMs: 3,
      lastSeen: T0.toISOString(),
      status: "HTTP 401",
    };
    const wrong = (await provider.create(authInputs({ password: "wrong" }))).outs as ApplianceOutputs;
    expect(wrong).toMatchObject(rejected);
    expect((await provider.read("dc/rack1-fw01", wrong)).props).toMatchObject(rejected);
    // A healthy registration whose recorded password the appliance no longer accepts.
    const outs = (await provider.create(authInputs())).outs as ApplianceOutputs;
    expect(outs).toMatchObject(healthy);
    const stale = { ...outs, password: "changed-on-the-device" };
    expect((await provider.read("dc/rack1-fw01", stale)).props).toMatchObject(rejected);
  });

  it("reports a missing CA file as a status on create, without throwing", async () => {
    const caFile = path.join(servers.dir, "absent.pem");
    const created = await realProvider().create(authInputs({ caFile }));
    expect(created.outs).toMatchObject({
      reachable: false,
      healthy: false,
      latencyMs: null,
      lastSeen: null,
      status: `CA file \`${caFile}\` cannot be read: no such file`,
    });
  });

  it("reports a CA file removed since the last probe as a status on refresh, keeping when it was last seen", async () => {
    const caFile = path.join(servers.dir, "removed.pem");
    fs.copyFileSync(servers.certFile, caFile);
    const provider = realProvider();
    const created = await provider.create(authInputs({ caFile }));
    expect(created.outs).toMatchObject(healthy);
    fs.rmSync(caFile);
    const refreshed = await provider.read(created.id, created.outs as ApplianceOutputs);
    expect(refreshed.props).toMatchObject({
      reachable: false,
      healthy: false,
      latencyMs: null,
      lastSeen: T0.toISOString(),
      status: `CA file \`${caFile}\` cannot be read: no such file`,
    });
  });
});
