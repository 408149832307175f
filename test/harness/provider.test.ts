/**
 * A Fleet whose Ledger and appliance registrations are custom resources of the servicevm provider
 * plugin (`resources: "provider"`, what `Construct` builds), run through the engine harness with the
 * plugin's methods: the move of an existing TypeScript stack from the dynamic Ledger to the plugin's,
 * and the Ledger's protection against replacement and deletion.
 */
import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import type { LedgerState } from "../../provider/ledgerImpl";
import { type Engine, opsOf, outputsOf } from "./engine";
import { newEngine } from "./fixtures";

const INSTANCE = "openstack:compute/instance:Instance";
const ATTACH = "openstack:compute/interfaceAttach:InterfaceAttach";
const DYNAMIC_LEDGER = "pulumi-nodejs:dynamic/servicevm:Ledger";
const LEDGER = "servicevm:index:Ledger";
const URN = (type: string) => `urn:pulumi:stack::project::servicevm:index:Fleet$${type}::prod-ledger`;

type Allocations = NonNullable<FleetArgs["allocations"]>;

/** 8-slot firewalls without standby; allocations of 3, 3, 5 and 5 slots. */
function edge(names: string[]): FleetArgs {
  const slots: Record<string, number> = { a: 3, b: 3, c: 5, d: 5 };
  const allocations: Allocations = {};
  for (const n of names) {
    allocations[n] = {
      tenant: `t-${n}`,
      demand: { CUSTOM_SERVICE_SLOT: slots[n] },
      networks: [{ network: `${n}-net` }],
    };
  }
  return {
    templates: {
      vfw: {
        driver: "openstack",
        capacity: { CUSTOM_SERVICE_SLOT: 8 },
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 8 } },
        openstack: { image: { name: "vyos" }, flavor: { name: "m1.large" }, networks: ["mgmt"] },
      },
    },
    pools: { fw: { template: "vfw", standby: 0, max: 6 } },
    allocations,
  };
}

const ledgerOf = (engine: Engine, type: string) => outputsOf(engine, type) as unknown as LedgerState;
const ops = opsOf;

const devicesOf = (state: LedgerState) =>
  Object.fromEntries(Object.entries(state.ledger.placements).map(([a, p]) => [a, p.device]));

/** Ups that add the allocations one at a time, as a stack's history would. */
async function history(engine: Engine, resources: "dynamic" | "provider"): Promise<void> {
  for (const n of [1, 2, 3, 4]) {
    const r = await engine.up(
      () => void new Fleet("prod", edge(["a", "b", "c", "d"].slice(0, n)), { resources }),
    );
    expect(r.errors).toEqual([]);
  }
}

describe('a Fleet with `resources: "provider"`', () => {
  it("registers the plugin's Ledger, protected, and creates devices and attachments from its outputs", async () => {
    const { engine } = newEngine();
    const up = await engine.up(() => void new Fleet("prod", edge(["a", "b"]), { resources: "provider" }));
    expect(up.errors).toEqual([]);
    const ledger = up.resources.find((r) => r.type === LEDGER)!;
    expect([ledger.urn, ledger.custom, ledger.protect]).toEqual([URN(LEDGER), true, true]);
    // The checked inputs the engine stores: the plan's state (the spec is not kept).
    expect(Object.keys(ledger.inputs).sort()).toEqual(["capacity", "health", "ledger", "pools"]);
    expect(ops(up, INSTANCE)).toEqual({ "prod-fw-0": "create" });
    expect(ops(up, ATTACH)).toEqual({ "prod-a-0-attach": "create", "prod-b-0-attach": "create" });
    expect(devicesOf(ledgerOf(engine, LEDGER))).toEqual({ a: "fw-0", b: "fw-0" });
  });

  it("keeps every placement when an existing stack moves from the dynamic Ledger (an update through the alias)", async () => {
    const { engine } = newEngine();
    await history(engine, "dynamic");
    const before = ledgerOf(engine, DYNAMIC_LEDGER);
    // History packed a and b together; c and d could not join them. A fresh plan would pack 2 devices.
    expect(devicesOf(before)).toEqual({ a: "fw-0", b: "fw-0", c: "fw-1", d: "fw-2" });

    const preview = await engine.preview(
      () => void new Fleet("prod", edge(["a", "b", "c", "d"]), { resources: "provider" }),
    );
    expect(preview.errors).toEqual([]);
    const moved = await engine.up(
      () => void new Fleet("prod", edge(["a", "b", "c", "d"]), { resources: "provider" }),
    );
    expect(moved.errors).toEqual([]);
    for (const run of [preview, moved]) {
      expect(ops(run, LEDGER)).toEqual({ "prod-ledger": "same" });
      expect(ops(run, DYNAMIC_LEDGER)).toEqual({});
      expect(Object.values(ops(run, INSTANCE))).toEqual(["same", "same", "same"]);
      expect(Object.values(ops(run, ATTACH))).toEqual(["same", "same", "same", "same"]);
    }
    expect([...engine.state.keys()].filter((u) => u.includes("prod-ledger"))).toEqual([URN(LEDGER)]);
    expect(ledgerOf(engine, LEDGER).ledger).toEqual(before.ledger);
  });

  it("refuses to be deleted while protected, with the engine's way out; deletes once `protectLedger: false`", async () => {
    const { engine } = newEngine();
    await engine.up(() => void new Fleet("prod", edge(["a"]), { resources: "provider" }));
    const refused = await engine.up(() => undefined);
    expect(refused.errors).toEqual([
      `${URN(LEDGER)}: resource "${URN(LEDGER)}" cannot be deleted\nbecause it is protected. To unprotect the resource, ` +
        "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, " +
        `or use the command:\n\`pulumi state unprotect '${URN(LEDGER)}'\``,
    ]);
    expect(engine.state.has(URN(LEDGER))).toBe(true);

    const unprotected = await engine.up(
      () => void new Fleet("prod", edge(["a"]), { resources: "provider", protectLedger: false }),
    );
    expect(unprotected.errors).toEqual([]);
    expect((await engine.up(() => undefined)).errors).toEqual([]);
    expect(engine.state.size).toBe(0);
  });
});
