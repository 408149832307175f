/**
 * The provider plugin's methods in process (the gRPC server and the real host are exercised in
 * `pluginHost.test.ts`): dispatch by URN, the Ledger planning a replacement from the ledger it
 * replaces, a dynamic Ledger's state taken over by the plugin's Ledger, and the appliance's
 * credentials kept secret on every way out.
 */
import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../core/types";
import { makeApplianceProvider } from "../../provider/applianceImpl";
import { makeLedgerMethods } from "../../provider/ledgerImpl";
import { makeProvider, unwrapSecrets, urnType, wrapSecrets } from "../../plugin/provider";
import { FakeProbe, fakeApplianceDeps } from "../harness/fixtures";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SIG]: SECRET, value });

const LEDGER_URN = "urn:pulumi:prod::edge::servicevm:index:Fleet$servicevm:index:Ledger::edge-ledger";
const APPLIANCE_URN =
  "urn:pulumi:prod::edge::servicevm:index:Fleet$servicevm:index:DevicePool$servicevm:index:ApplianceRegistration::edge-rack1-fw01";

/** 8-slot firewalls; allocations of 3, 3, 5 and 5 slots. */
function fleet(allocations: string[]): FleetSpec {
  const demand: Record<string, number> = { a: 3, b: 3, c: 5, d: 5 };
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 16 } },
        docker: {} as never,
      },
    },
    pools: { fw: { template: "fw", standby: 0 } },
    allocations: Object.fromEntries(
      allocations.map((a) => [a, { tenant: `t-${a}`, demand: { CUSTOM_SERVICE_SLOT: demand[a] } }]),
    ),
  };
}

function recordingLedger() {
  const warnings: [string, string][] = [];
  const methods = makeLedgerMethods({
    connect: () => Promise.reject(new Error("no Placement with the state backend")),
    warn: (urn, message) => {
      warnings.push([urn, message]);
      return Promise.resolve();
    },
  });
  return { methods, warnings };
}

/** Inputs after allocations were added one at a time, as a stack's history would record them. */
async function grown(ledger: ReturnType<typeof makeLedgerMethods>): Promise<Record<string, unknown>> {
  let olds: Record<string, unknown> = {};
  for (const n of [1, 2, 3, 4]) {
    const r = await ledger.check(olds, { spec: fleet(["a", "b", "c", "d"].slice(0, n)) }, LEDGER_URN);
    expect(r.failures ?? []).toEqual([]);
    olds = r.inputs as Record<string, unknown>;
  }
  return olds;
}

const devicesOf = (inputs: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries((inputs.ledger as { placements: Record<string, { device: string }> }).placements).map(
      ([a, p]) => [a, p.device],
    ),
  );

describe("urnType", () => {
  it.each([
    [LEDGER_URN, "servicevm:index:Ledger"],
    [APPLIANCE_URN, "servicevm:index:ApplianceRegistration"],
    ["urn:pulumi:s::p::servicevm:index:Ledger::l", "servicevm:index:Ledger"],
    ["not-a-urn", ""],
  ])("reads the type of %s", (urn, type) => {
    expect(urnType(urn)).toBe(type);
  });
});

describe("the plugin's Ledger", () => {
  it("plans with its URN from the engine and stores no `resourceUrn`", async () => {
    const provider = makeProvider(recordingLedger().methods);
    const r = await provider.check(LEDGER_URN, {}, { spec: fleet(["a"]), health: {} });
    expect(Object.keys(r.inputs).sort()).toEqual(["capacity", "health", "ledger", "pools"]);
    expect(devicesOf(r.inputs)).toEqual({ a: "fw-0" });
  });

  it("plans a replacement from the ledger it replaces (the engine checks again without old inputs), and says so", async () => {
    const { methods, warnings } = recordingLedger();
    const provider = makeProvider(methods);
    const olds = await grown(methods);
    // What history gave: a and b share fw-0; c and d could not join them.
    expect(devicesOf(olds)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1", d: "fw-2" });
    const spec = fleet(["a", "b", "c", "d"]);

    const first = await provider.check(LEDGER_URN, olds, { spec });
    const again = await provider.check(LEDGER_URN, {}, { spec });
    expect(again.inputs.ledger).toEqual(first.inputs.ledger);
    expect(devicesOf(again.inputs)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1", d: "fw-2" });
    expect(warnings.at(-1)).toEqual([
      LEDGER_URN,
      "the Ledger is being replaced: the new one plans from the ledger it replaces (4 placement(s) kept)",
    ]);
    const created = await provider.create(LEDGER_URN, again.inputs);
    expect(created.outs.ledger).toEqual(first.inputs.ledger);
  });

  it("plans from empty in a process that never saw the old inputs (a first create): a fresh pack", async () => {
    const provider = makeProvider(recordingLedger().methods);
    const fresh = await provider.check(LEDGER_URN, {}, { spec: fleet(["a", "b", "c", "d"]) });
    expect(devicesOf(fresh.inputs)).toEqual({ a: "fw-0", b: "fw-1", c: "fw-0", d: "fw-1" });
  });

  it("does not carry one Ledger's ledger to another URN", async () => {
    const { methods } = recordingLedger();
    const provider = makeProvider(methods);
    await provider.check(LEDGER_URN, await grown(methods), { spec: fleet(["a", "b", "c", "d"]) });
    const other = await provider.check(`${LEDGER_URN}-2`, {}, { spec: fleet(["a"]) });
    expect(devicesOf(other.inputs)).toEqual({ a: "fw-0" });
    expect((other.inputs.ledger as { pools: { fw: { devices: object } } }).pools.fw.devices).toEqual({
      "fw-0": null,
    });
  });

  it("takes over a dynamic Ledger's state (the alias migration): same plan, no diff", async () => {
    // The dynamic Ledger's stored inputs: its checked state plus `__provider` and `resourceUrn`.
    const dynamicLedger = recordingLedger().methods;
    const history = await grown(dynamicLedger);
    const dynamicOlds = { ...history, __provider: "exports.handler = ...", resourceUrn: "urn:old" };
    const provider = makeProvider(recordingLedger().methods);
    const spec = fleet(["a", "b", "c", "d"]);
    const checked = await provider.check(LEDGER_URN, dynamicOlds, { spec, health: {} });
    expect(checked.inputs.ledger).toEqual(history.ledger);
    const diff = await provider.diff("ledger", LEDGER_URN, dynamicOlds, checked.inputs);
    expect(diff).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("plans on secret health as on plain health, and gives each entry that came secret back secret", async () => {
    const provider = makeProvider(recordingLedger().methods);
    const spec = { ...fleet(["a"]), pools: { fw: { template: "fw", size: 2 } } };
    const whole = await provider.check(LEDGER_URN, {}, { spec, health: secret({ "fw-0": false }) });
    const entry = await provider.check(
      LEDGER_URN,
      {},
      { spec, health: { "fw-0": secret(false), "fw-1": true } },
    );
    expect(devicesOf(whole.inputs)).toEqual({ a: "fw-1" });
    expect(devicesOf(entry.inputs)).toEqual({ a: "fw-1" });
    expect(whole.inputs.health).toEqual({ "fw-0": secret(false) });
    expect(entry.inputs.health).toEqual({ "fw-0": secret(false), "fw-1": true });
  });

  it("rejects a resource type it does not serve, naming the ones it does", async () => {
    const provider = makeProvider(recordingLedger().methods);
    await expect(provider.check("urn:pulumi:s::p::servicevm:index:Nope::n", {}, {})).rejects.toThrow(
      "servicevm provider: unknown resource type `servicevm:index:Nope` (urn:pulumi:s::p::servicevm:index:Nope::n); it serves servicevm:index:Ledger, servicevm:index:ApplianceRegistration and the component servicevm:index:Fleet",
    );
  });
});

describe("the plugin's ApplianceRegistration", () => {
  const inputs = {
    fleet: "edge",
    pool: "rack1",
    device: "rack1-fw01",
    managementUrl: "https://10.0.0.5/api",
    insecure: true,
    username: secret("admin"),
    passwordConfig: "fwPassword",
    password: secret("s3cret!"),
  };

  function provider() {
    const probe = new FakeProbe();
    return {
      probe,
      p: makeProvider(recordingLedger().methods, makeApplianceProvider(fakeApplianceDeps(probe))),
    };
  }

  it("keeps the credentials secret in the checked inputs and the outputs, and probes with them", async () => {
    const { probe, p } = provider();
    const checked = await p.check(APPLIANCE_URN, {}, inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.password).toEqual(secret("s3cret!"));
    expect(checked.inputs.username).toEqual(secret("admin"));

    const created = await p.create(APPLIANCE_URN, checked.inputs);
    expect(created.id).toBe("edge/rack1-fw01");
    expect(created.outs).toEqual({
      fleet: "edge",
      pool: "rack1",
      device: "rack1-fw01",
      managementUrl: "https://10.0.0.5/api",
      insecure: true,
      username: secret("admin"),
      passwordConfig: "fwPassword",
      password: secret("s3cret!"),
      reachable: true,
      healthy: true,
      latencyMs: 7,
      lastSeen: "2026-01-02T03:04:05.000Z",
      status: "HTTP 200",
    });
    expect(JSON.stringify(unwrapSecrets(created.outs).plain.password)).toBe('"s3cret!"');

    const refreshed = await p.read("edge/rack1-fw01", APPLIANCE_URN, created.outs);
    expect(refreshed.props).toEqual(created.outs);
    expect(probe.requests.map((r) => [r.url, r.username, r.password])).toEqual([
      ["https://10.0.0.5/api", "admin", "s3cret!"],
      ["https://10.0.0.5/api", "admin", "s3cret!"],
    ]);
  });

  it("makes the credentials secret even when they arrive plain", async () => {
    const { p } = provider();
    const plain = { ...inputs, username: "admin", password: "s3cret!" };
    const checked = await p.check(APPLIANCE_URN, {}, plain);
    expect([checked.inputs.username, checked.inputs.password]).toEqual([secret("admin"), secret("s3cret!")]);
    const created = await p.create(APPLIANCE_URN, plain);
    expect([created.outs.username, created.outs.password]).toEqual([secret("admin"), secret("s3cret!")]);
  });

  it("diffs on the plain values: a rotated password is an update, the same one none", async () => {
    const { p } = provider();
    const created = await p.create(APPLIANCE_URN, inputs);
    expect((await p.diff("x", APPLIANCE_URN, created.outs, inputs)).changes).toBe(false);
    const rotated = { ...inputs, password: secret("n3w!") };
    expect((await p.diff("x", APPLIANCE_URN, created.outs, rotated)).changes).toBe(true);
  });
});

describe("secret wrappers", () => {
  it("unwraps the top-level secrets and wraps named keys once", () => {
    const { plain, secret: keys } = unwrapSecrets({ a: secret(1), b: 2 });
    expect(plain).toEqual({ a: 1, b: 2 });
    expect([...keys]).toEqual(["a"]);
    expect(wrapSecrets({ a: 1, b: secret(2), c: undefined }, ["a", "b", "c"])).toEqual({
      a: secret(1),
      b: secret(2),
      c: undefined,
    });
  });
});
