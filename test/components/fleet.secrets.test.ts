/**
 * Appliance credentials never appear in plain text: not in the serialized provider, not in the
 * exported state (inputs and outputs, before and after a refresh), not in the Ledger, not in the
 * Fleet's outputs. The registration keeps the password as a secret output so that `pulumi refresh`
 * (whose `read` gets only the outputs) probes with it.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { valueOf } from "../harness/engine";
import { newEngine } from "../harness/fixtures";

const PASSWORD = "Tr0ub4dor&3-unique-secret";
const USER = "appliance-admin-unique";

function spec(): FleetArgs {
  return {
    templates: { fgt: { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 4 } } },
    pools: {
      edge: {
        template: "fgt",
        devices: [
          {
            name: "fw1",
            management: { url: "https://192.0.2.10/health" },
            credentials: { username: USER, passwordConfig: "fw1Password" },
          },
        ],
      },
    },
    allocations: { a: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 1 } } },
  };
}

describe("appliance credentials", () => {
  it("are used for the probe, on refresh too, and never plain in serialized state, outputs or the ledger", async () => {
    const { engine, probe } = newEngine(undefined, {
      config: { fw1Password: PASSWORD },
      secretConfig: ["fw1Password"],
    });
    let fleet: Fleet | undefined;
    const result = await engine.up(() => {
      fleet = new Fleet("dc", spec());
    });
    expect(result.errors).toEqual([]);
    expect(probe.requests.map((r) => r.password)).toEqual([PASSWORD]);

    const reg = [...engine.state.values()].find(
      (r) => r.type === "pulumi-nodejs:dynamic/servicevm:ApplianceRegistration",
    )!;
    expect(reg.secretInputs.sort()).toEqual(["password", "username"]);
    expect(reg.secretOutputs.sort()).toEqual(["password", "username"]);
    expect(String(reg.inputs.__provider)).not.toContain(PASSWORD);
    expect(engine.exportState()).not.toContain(PASSWORD);
    expect(engine.exportState()).not.toContain(USER);

    // Refresh probes with the password and keeps it secret: the engine re-marks outputs secret by
    // name after a `read` for providers that do not accept secrets. The harness models that by
    // keeping the secret names across `refresh`; it does not prove the real engine's encryption.
    await engine.refresh();
    expect(probe.requests.map((r) => r.password)).toEqual([PASSWORD, PASSWORD]);
    expect(reg.secretOutputs.sort()).toEqual(["password", "username"]);
    expect(engine.exportState()).not.toContain(PASSWORD);
    expect(engine.exportState()).not.toContain(USER);

    const ledger = [...engine.state.values()].find(
      (r) => r.type === "pulumi-nodejs:dynamic/servicevm:Ledger",
    )!;
    expect(JSON.stringify(ledger)).not.toContain(PASSWORD);
    expect(JSON.stringify(ledger)).not.toContain(USER);

    const outputs = JSON.stringify(
      await valueOf(pulumi.output({ p: fleet!.placements, c: fleet!.capacity, l: fleet!.ledger })),
    );
    expect(outputs).not.toContain(PASSWORD);
  });
});
