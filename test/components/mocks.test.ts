/**
 * A Fleet under Pulumi's mock runtime with the mock every Pulumi guide starts with (each resource's
 * outputs are its inputs), using exactly the code of README's "Testing a Fleet with Pulumi mocks".
 * What it does not prove: the Ledger's provider never runs under mocks, so stickiness across runs,
 * its check failures and its preview warnings are not exercised here (the engine harness tests them).
 */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- the README's mock as users write it: `args.inputs` is `any` */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Fleet, loadSpec } from "../../index";
import { T } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);

beforeEach(() => {
  rejections.length = 0;
  process.on("unhandledRejection", onRejection);
});

afterEach(() => {
  process.off("unhandledRejection", onRejection);
});

/** Waits until the program stops registering resources and every RPC has been answered. */
async function settled(count: () => number): Promise<void> {
  let seen = -1;
  for (let round = 0; round < 1000 && seen !== count(); round++) {
    seen = count();
    await settings.waitForRPCs();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The README's code, run as it is, with `servicevm` and `fleet.yaml` resolved to this checkout. */
async function readmeProgram() {
  const file = path.join(ROOT, "examples", "nfv-edge", "fleet.yaml");
  // README begin
  const resources: pulumi.runtime.MockResourceArgs[] = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      resources.push(args);
      return { id: args.name + "_id", state: args.inputs };
    },
    call: (args) => args.inputs,
  });

  const fleet = new Fleet("edge", loadSpec(file));
  const placements = await new Promise((resolve) => fleet.placements.apply(resolve));
  const servers = await new Promise((resolve) => fleet.pools.fw.deviceIds.apply(resolve));
  // README end
  return { resources, placements, servers };
}

/** The lines between the markers above, as the README shows them. */
function readmeCode(): string {
  const source = fs.readFileSync(__filename, "utf8").split("\n");
  const begin = source.findIndex((l) => l.trim() === "// README begin");
  const end = source.findIndex((l) => l.trim() === "// README end");
  return source
    .slice(begin + 1, end)
    .map((l) => l.replace(/^ {2}/, ""))
    .join("\n")
    .replace("loadSpec(file)", 'loadSpec("fleet.yaml")');
}

describe("Fleet under Pulumi mocks", () => {
  it("is what README's mock section shows, word for word", () => {
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain(readmeCode());
  });

  it("registers every child the spec implies, planned from the spec, with no unhandled rejection (the Ledger's provider is not run: stickiness and its failures are not modelled)", async () => {
    const { resources, placements, servers } = await readmeProgram();
    await settled(() => resources.length);
    expect(rejections.map(String)).toEqual([]);
    expect(resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        `${T.fleet} edge`,
        `${T.template} edge-vfw-large`,
        `${T.template} edge-vpn-gw`,
        `${T.flavor} edge-vfw-large-flavor`,
        `${T.pool} edge-fw`,
        `${T.pool} edge-vpn`,
        `${T.serverGroup} edge-fw`,
        `${T.instance} edge-fw-0`,
        `${T.instance} edge-fw-1`,
        `${T.instance} edge-fw-2`,
        `${T.instance} edge-vpn-0`,
        `${T.instance} edge-vpn-1`,
        `${T.ledger} edge-ledger`,
        ...["acme-fw", "acme-fw-standby", "acme-vpn", "globex-fw", "globex-vpn", "initech-fw"].map(
          (a) => `${T.allocation} edge-${a}`,
        ),
        ...[
          "acme-fw-0",
          "acme-fw-1",
          "acme-fw-standby-0",
          "acme-fw-standby-1",
          "acme-vpn-0",
          "globex-fw-0",
          "globex-vpn-0",
          "initech-fw-0",
        ].flatMap((p) => [`${T.port} edge-${p}`, `${T.attach} edge-${p}-attach`]),
      ].sort(),
    );
    // The placements `servicevm plan` shows for this spec (README, "A first look").
    expect(
      Object.fromEntries(
        Object.entries(placements as Record<string, { device: string }>).map(([a, p]) => [a, p.device]),
      ),
    ).toEqual({
      "acme-fw": "fw-0",
      "acme-fw-standby": "fw-1",
      "acme-vpn": "vpn-0",
      "globex-fw": "fw-0",
      "globex-vpn": "vpn-0",
      "initech-fw": "fw-0",
    });
    expect(servers).toEqual({ "fw-0": "edge-fw-0_id", "fw-1": "edge-fw-1_id", "fw-2": "edge-fw-2_id" });
  });

  it("keeps the devices of a servicevm 0.1 ledger the Ledger still outputs (an update that skipped the Ledger) instead of replanning from empty (mock runtime: the Ledger's state is given, not computed)", async () => {
    const resources: string[] = [];
    const v1 = {
      version: 1,
      pools: { fw: 4, vpn: 2 },
      placements: { "acme-fw": { device: "fw-3", tenant: "acme", context: 1 } },
    };
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        resources.push(`${args.type} ${args.name}`);
        const state = args.inputs as Record<string, unknown>;
        return { id: args.name + "_id", state: args.type === T.ledger ? { ...state, ledger: v1 } : state };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    });
    const fleet = new Fleet("edge", loadSpec(path.join(ROOT, "examples", "nfv-edge", "fleet.yaml")));
    const servers = await new Promise((resolve) => fleet.pools.fw.deviceIds.apply(resolve));
    const placements = await new Promise((resolve) => fleet.placements.apply(resolve));
    await settled(() => resources.length);
    expect(rejections.map(String)).toEqual([]);
    expect(servers).toEqual({
      "fw-0": "edge-fw-0_id",
      "fw-1": "edge-fw-1_id",
      "fw-2": "edge-fw-2_id",
      "fw-3": "edge-fw-3_id",
    });
    expect(placements).toEqual({
      "acme-fw": { device: "fw-3", pool: "fw", tenant: "acme", isolation: { kind: "vrf", id: 1 } },
    });
  });

  it("registers no device in preview mode, where the outputs a mock leaves out are unknown, and rejects nothing (a real preview has the Ledger's checked inputs as its outputs)", async () => {
    const resources: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          resources.push(`${args.type} ${args.name}`);
          return { id: args.name + "_id", state: args.inputs as Record<string, unknown> };
        },
        call: (args) => args.inputs as Record<string, unknown>,
      },
      "project",
      "stack",
      true,
    );
    new Fleet("edge", loadSpec(path.join(ROOT, "examples", "nfv-edge", "fleet.yaml")));
    await settled(() => resources.length);
    expect(rejections.map(String)).toEqual([]);
    expect(resources.sort()).toEqual(
      [
        `${T.fleet} edge`,
        `${T.template} edge-vfw-large`,
        `${T.template} edge-vpn-gw`,
        `${T.flavor} edge-vfw-large-flavor`,
        `${T.pool} edge-fw`,
        `${T.pool} edge-vpn`,
        `${T.serverGroup} edge-fw`,
        `${T.ledger} edge-ledger`,
        ...["acme-fw", "acme-fw-standby", "acme-vpn", "globex-fw", "globex-vpn", "initech-fw"].map(
          (a) => `${T.allocation} edge-${a}`,
        ),
      ].sort(),
    );
  });

  it("logs one error on the Fleet and creates no device for a spec that cannot be planned, with no unhandled rejection (under mocks only: the real engine fails the Ledger's check instead)", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const resources: string[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        resources.push(`${args.type} ${args.name}`);
        return { id: args.name + "_id", state: args.inputs as Record<string, unknown> };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    });
    const fleet = new Fleet("x", {
      templates: { box: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 8 }, docker: { image: "a" } } },
      pools: { box: { template: "box", max: 1 } },
      allocations: { big: { tenant: "t", demand: { CUSTOM_SERVICE_SLOT: 9 } } },
    });
    expect(await new Promise((resolve) => fleet.placements.apply(resolve))).toEqual({});
    await settled(() => resources.length);
    const logged = errors.mock.calls.map((c) => String(c[0]));
    errors.mockRestore();
    expect(rejections.map(String)).toEqual([]);
    expect(logged).toEqual([
      "error: [runtime] fleet `x` cannot be planned, so it has no devices and no placements:\n" +
        "  allocations.big: allocation `big` (tenant `t`) needs 9 CUSTOM_SERVICE_SLOT; the largest device of its pools holds 8 CUSTOM_SERVICE_SLOT (template `box`), less than the 9 demanded even when empty; lower `allocations.big.demand.CUSTOM_SERVICE_SLOT` from 9 to 8",
    ]);
    expect(resources.sort()).toEqual(
      [
        `${T.fleet} x`,
        `${T.template} x-box`,
        `${T.remoteImage} x-box-image`,
        `${T.pool} x-box`,
        `${T.ledger} x-ledger`,
        `${T.allocation} x-big`,
      ].sort(),
    );
  });
});
