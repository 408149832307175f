/**
 * The owner record (provider/placement/owner.ts): which Ledger instance owns a fleet in Placement,
 * so a replaced Ledger's delete leaves the fleet to its replacement. The pure decisions on plain
 * data; the Ledger's methods against a real OpenStack Placement on 127.0.0.1 (server.ts).
 *
 * Pulumi's replacement is modelled by calling the Ledger's methods in the engine's order (`check`
 * without old inputs, `create` of the new Ledger, then `delete` of the old one with its outputs); the
 * engine itself is not run here (the test harness does not model replacements).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../../cli/context";
import { main } from "../../../cli/main";
import type { FleetSpec } from "../../../core/types";
import { LEDGER_ID, makeLedgerMethods, type LedgerState } from "../../../provider/ledgerImpl";
import { connectFromEnv, removePlacement, type PlacementDeps } from "../../../provider/ledgerPlacement";
import {
  consumerUuid,
  ownedDevice,
  ownerAggregate,
  ownerProviderName,
  ownerProviderUuid,
} from "../../../provider/placement/ids";
import {
  mayRemove,
  ownerVerdict,
  planOwnership,
  readOwner,
  takeOwnership,
} from "../../../provider/placement/owner";
import { placementStatus } from "../../../provider/placement/status";
import { syncFleet } from "../../../provider/placement/sync";
import { planOk, usePlacementServer } from "./helpers";
import { PLACEMENT_TOKEN } from "./server";

const server = usePlacementServer();

type Allocations = NonNullable<FleetSpec["allocations"]>;

const alloc = (tenant: string, slots: number) => ({ tenant, demand: { CUSTOM_SERVICE_SLOT: slots } });

/** One docker pool of `size` dedicated devices with `slots` slots each, in this file's Placement. */
function edge(allocations: Allocations, slots = 4, size = 3): FleetSpec {
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: slots },
        traits: ["CUSTOM_FW"],
        docker: { image: "vyos:1.4" },
      },
    },
    pools: { fw: { template: "fw", size } },
    allocations,
    backend: { kind: "placement", endpoint: server.url },
  };
}

/** Placement dependencies with the test server's token, the warnings recorded, and fixed owner tokens. */
function ledgerDeps(tokens: string[]): { deps: PlacementDeps; warnings: [string, string][] } {
  const warnings: [string, string][] = [];
  const left = [...tokens];
  const deps: PlacementDeps = {
    connect: (backend) =>
      connectFromEnv(backend, {
        env: { OS_TOKEN: PLACEMENT_TOKEN },
        timeoutMs: 5000,
        retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
      }),
    warn: (urn, message) => {
      warnings.push([urn, message]);
      return Promise.resolve();
    },
    newOwnerToken: () => {
      const token = left.shift();
      if (token === undefined) throw new Error("the test gave no more owner tokens");
      return token;
    },
  };
  return { deps, warnings };
}

type Methods = ReturnType<typeof makeLedgerMethods>;

/** A new Ledger instance of `fleet`, as Pulumi creates one (and as it creates a replacement): `check` without old inputs, then `create`. */
async function createLedger(methods: Methods, fleet: string, spec: FleetSpec): Promise<LedgerState> {
  const checked = await methods.check({}, { spec, fleet });
  expect(checked.failures ?? []).toEqual([]);
  return (await methods.create(checked.inputs as Record<string, unknown>)).outs as LedgerState;
}

/** Pulumi's `delete` of a Ledger with its outputs. */
async function deleteLedger(methods: Methods, state: LedgerState): Promise<void> {
  await methods.remove(LEDGER_ID, state as unknown as Record<string, unknown>);
}

/** A state as servicevm wrote it before owner records: the same, without `owner`. */
function withoutOwner(state: LedgerState): LedgerState {
  const { owner, ...placement } = state.placement!;
  expect(owner).toEqual(expect.any(String));
  return { ...state, placement };
}

interface Holdings {
  /** Names of the fleet's device providers and its owner provider, sorted. */
  providers: string[];
  /** Per device: its `CUSTOM_SERVICE_SLOT` total and the allocations (of `names`) on it. */
  devices: Record<string, { slots: number; allocations: string[] }>;
  /** Allocations (of `names`) whose consumer holds anything anywhere, sorted. */
  consumers: string[];
  /** The owner provider's aggregates, `null` without one. */
  owner: string[] | null;
}

/** What Placement holds of `fleet`: providers, inventories, consumers of allocations `names`, owner record. */
async function holdings(fleet: string, names: string[]): Promise<Holdings> {
  const { client } = server.client();
  const byUuid = new Map(names.map((n) => [consumerUuid(fleet, n), n]));
  const all = await client.listProviders();
  const providers = all
    .filter((p) => ownedDevice(fleet, p) !== null || p.name === ownerProviderName(fleet))
    .map((p) => p.name)
    .sort();
  const devices: Holdings["devices"] = {};
  for (const p of all) {
    const device = ownedDevice(fleet, p);
    if (device === null) continue;
    const inventories = (await client.getInventories(p.uuid)).inventories;
    const on = (await client.getProviderAllocations(p.uuid)).allocations;
    devices[device] = {
      slots: inventories.CUSTOM_SERVICE_SLOT?.total ?? 0,
      allocations: Object.keys(on)
        .map((c) => byUuid.get(c) ?? `unknown consumer ${c}`)
        .sort(),
    };
  }
  const consumers: string[] = [];
  for (const n of [...names].sort())
    if (Object.keys((await client.getConsumerAllocations(consumerUuid(fleet, n))).allocations).length > 0)
      consumers.push(n);
  const record = await readOwner(client, fleet);
  return { providers, devices, consumers, owner: record === null ? null : record.aggregates };
}

const NOTHING: Holdings = { providers: [], devices: {}, consumers: [], owner: null };

/** The warning of a replaced Ledger's delete. */
const leftToNewer = (fleet: string): string =>
  `Ledger of fleet \`${fleet}\` (backend placement): fleet \`${fleet}\` in Placement is owned by a newer Ledger ` +
  "(this one was replaced, or another stack synced the fleet since); nothing removed: its devices, allocations " +
  "and claims stay with that Ledger";

describe("who owns a fleet, decided on plain data", () => {
  const mine = ownerAggregate("edge", "ledger-a");
  const theirs = ownerAggregate("edge", "ledger-b");

  it.each([
    { what: "no owner provider", token: "ledger-a", record: null, verdict: "none", remove: true },
    {
      what: "an owner provider without an aggregate",
      token: "ledger-a",
      record: [],
      verdict: "none",
      remove: true,
    },
    { what: "this Ledger's token", token: "ledger-a", record: [mine], verdict: "this", remove: true },
    { what: "another Ledger's token", token: "ledger-a", record: [theirs], verdict: "other", remove: false },
    {
      what: "this token beside another",
      token: "ledger-a",
      record: [mine, theirs],
      verdict: "other",
      remove: false,
    },
    {
      what: "a token of a state without one",
      token: undefined,
      record: [theirs],
      verdict: "other",
      remove: false,
    },
    {
      what: "no record, for a state without a token",
      token: undefined,
      record: null,
      verdict: "none",
      remove: true,
    },
    {
      what: "the same token for another fleet",
      token: "ledger-a",
      record: [ownerAggregate("core", "ledger-a")],
      verdict: "other",
      remove: false,
    },
  ])("$what: $verdict, removable $remove", ({ token, record, verdict, remove }) => {
    const v = ownerVerdict("edge", token, record === null ? null : { generation: 3, aggregates: record });
    expect(v).toBe(verdict);
    expect(mayRemove(v)).toBe(remove);
  });

  it("plans creating the owner provider, setting its aggregate over its generation, or nothing", () => {
    expect(planOwnership("edge", "ledger-a", null)).toEqual({
      kind: "create-owner",
      uuid: "e3bd3fd4-b060-52c5-a666-694d66762127",
      name: "servicevm:owner:edge",
      aggregates: [mine],
    });
    expect(planOwnership("edge", "ledger-a", { generation: 7, aggregates: [theirs] })).toEqual({
      kind: "set-owner",
      uuid: "e3bd3fd4-b060-52c5-a666-694d66762127",
      generation: 7,
      aggregates: [mine],
    });
    expect(planOwnership("edge", "ledger-a", { generation: 1, aggregates: [] })).toEqual({
      kind: "set-owner",
      uuid: "e3bd3fd4-b060-52c5-a666-694d66762127",
      generation: 1,
      aggregates: [mine],
    });
    expect(planOwnership("edge", "ledger-a", { generation: 7, aggregates: [mine] })).toEqual({
      kind: "keep",
    });
  });
});

describe("a replaced Ledger (create-then-delete) against a real Placement", () => {
  it("the old Ledger's delete leaves every provider and consumer to the new one; the new one's delete removes all, the owner provider too", async () => {
    const { deps, warnings } = ledgerDeps(["ledger-a", "ledger-b"]);
    const methods = makeLedgerMethods(deps);
    const names = ["a", "b", "c"];
    const a = await createLedger(methods, "own-a", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    expect(a.placement!.owner).toBe("ledger-a");
    expect(await holdings("own-a", names)).toEqual({
      providers: ["own-a-fw-0", "own-a-fw-1", "own-a-fw-2", "servicevm:owner:own-a"],
      devices: {
        "fw-0": { slots: 4, allocations: ["b"] },
        "fw-1": { slots: 4, allocations: ["a"] },
        "fw-2": { slots: 4, allocations: [] },
      },
      consumers: ["a", "b"],
      owner: [ownerAggregate("own-a", "ledger-a")],
    });

    // The replacement, with another inventory and one more allocation: created first...
    const specB = edge({ a: alloc("t1", 2), b: alloc("t2", 3), c: alloc("t3", 5) }, 6);
    const b = await createLedger(methods, "own-a", specB);
    expect(b.placement!.owner).toBe("ledger-b");
    const bHoldings: Holdings = {
      providers: ["own-a-fw-0", "own-a-fw-1", "own-a-fw-2", "servicevm:owner:own-a"],
      devices: {
        "fw-0": { slots: 6, allocations: ["c"] },
        "fw-1": { slots: 6, allocations: ["b"] },
        "fw-2": { slots: 6, allocations: ["a"] },
      },
      consumers: ["a", "b", "c"],
      owner: [ownerAggregate("own-a", "ledger-b")],
    };
    expect(await holdings("own-a", names)).toEqual(bHoldings);

    // ...then the old one is deleted: nothing goes, and it says why.
    await deleteLedger(methods, a);
    expect(await holdings("own-a", names)).toEqual(bHoldings);
    expect(warnings).toEqual([["", leftToNewer("own-a")]]);
    const status = await placementStatus(server.client().client, {
      fleet: "own-a",
      spec: specB,
      result: planOk(specB),
    });
    expect(status.inSync).toBe(true);

    await deleteLedger(methods, b);
    expect(await holdings("own-a", names)).toEqual(NOTHING);
    expect(await server.client().client.getProvider(ownerProviderUuid("own-a"))).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it("the old claimer's delete releases none of the claims its replacement holds (same consumer uuids)", async () => {
    const { deps, warnings } = ledgerDeps(["infra", "claims-a", "claims-b"]);
    const methods = makeLedgerMethods(deps);
    const infra = await createLedger(methods, "own-infra", edge({}, 4, 2));
    const claimer: FleetSpec = {
      templates: {},
      pools: { fw: { external: { fleet: "own-infra" } } },
      allocations: { x1: { tenant: "tx", pools: ["fw"], demand: { CUSTOM_SERVICE_SLOT: 2 } } },
      backend: { kind: "placement", endpoint: server.url },
    };
    const a = await createLedger(methods, "own-claims", claimer);
    expect(a.placement!.claims).toEqual({ x1: { fleet: "own-infra", pool: "fw", device: "fw-0" } });
    const b = await createLedger(methods, "own-claims", claimer);
    expect(b.placement!.claims).toEqual({ x1: { fleet: "own-infra", pool: "fw", device: "fw-0" } });
    expect(b.placement!.lastApply.claims).toEqual({ granted: 0, kept: 1, released: 0 });

    await deleteLedger(methods, a);
    expect(warnings).toEqual([["", leftToNewer("own-claims")]]);
    // The claim is the consumer of `x1` written by fleet `own-claims`, on the infra fleet's `fw-0`.
    const onInfra = async (): Promise<Holdings["devices"]> => (await holdings("own-infra", [])).devices;
    const claim = consumerUuid("own-claims", "x1");
    expect(await onInfra()).toEqual({
      "fw-0": { slots: 4, allocations: [`unknown consumer ${claim}`] },
      "fw-1": { slots: 4, allocations: [] },
    });
    expect(await holdings("own-claims", ["x1"])).toEqual({
      providers: ["servicevm:owner:own-claims"],
      devices: {},
      consumers: ["x1"],
      owner: [ownerAggregate("own-claims", "claims-b")],
    });

    await deleteLedger(methods, b);
    expect(await holdings("own-claims", ["x1"])).toEqual(NOTHING);
    expect(await onInfra()).toEqual({
      "fw-0": { slots: 4, allocations: [] },
      "fw-1": { slots: 4, allocations: [] },
    });
    await deleteLedger(methods, infra);
    expect(await holdings("own-infra", [])).toEqual(NOTHING);
    expect(warnings).toHaveLength(1);
  });

  it("the warning names the Ledger's URN when the caller passes it", async () => {
    const { deps, warnings } = ledgerDeps(["urn-a", "urn-b"]);
    const methods = makeLedgerMethods(deps);
    const a = await createLedger(methods, "own-urn", edge({ a: alloc("t1", 1) }));
    const b = await createLedger(methods, "own-urn", edge({ a: alloc("t1", 1) }));
    const urn =
      "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::own-urn-ledger";
    await removePlacement(deps, a.placement!, urn);
    expect(warnings).toEqual([[urn, leftToNewer("own-urn")]]);
    await deleteLedger(methods, b);
    expect(await holdings("own-urn", ["a"])).toEqual(NOTHING);
  });
});

describe("a state written before owner records (no `owner`)", () => {
  it("deletes as before when Placement has no owner record: every provider and consumer goes", async () => {
    const { deps, warnings } = ledgerDeps(["ledger-old"]);
    const methods = makeLedgerMethods(deps);
    const created = await createLedger(methods, "own-b1", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    // What the previous version left: the same fleet, no owner provider, no token in state.
    const { client } = server.client();
    await client.deleteProvider(ownerProviderUuid("own-b1"));
    const old = withoutOwner(created);
    expect(await holdings("own-b1", ["a", "b"])).toEqual({
      providers: ["own-b1-fw-0", "own-b1-fw-1", "own-b1-fw-2"],
      devices: {
        "fw-0": { slots: 4, allocations: ["b"] },
        "fw-1": { slots: 4, allocations: ["a"] },
        "fw-2": { slots: 4, allocations: [] },
      },
      consumers: ["a", "b"],
      owner: null,
    });

    await deleteLedger(methods, old);
    expect(await holdings("own-b1", ["a", "b"])).toEqual(NOTHING);
    expect(warnings).toEqual([]);
  });

  it("takes ownership at its next update, keeping it for its life; its delete then removes the owner record too", async () => {
    const { deps, warnings } = ledgerDeps(["ledger-old", "ledger-upgraded"]);
    const methods = makeLedgerMethods(deps);
    const spec = edge({ a: alloc("t1", 2) });
    const created = await createLedger(methods, "own-b2", spec);
    await server.client().client.deleteProvider(ownerProviderUuid("own-b2"));
    const old = withoutOwner(created);

    const grown = edge({ a: alloc("t1", 2), b: alloc("t2", 1) });
    const checked = await methods.check(old as unknown as Record<string, unknown>, {
      spec: grown,
      fleet: "own-b2",
    });
    expect(checked.failures ?? []).toEqual([]);
    const updated = (
      await methods.update(
        LEDGER_ID,
        old as unknown as Record<string, unknown>,
        checked.inputs as Record<string, unknown>,
      )
    ).outs as LedgerState;
    expect(updated.placement!.owner).toBe("ledger-upgraded");
    expect((await holdings("own-b2", ["a", "b"])).owner).toEqual([
      ownerAggregate("own-b2", "ledger-upgraded"),
    ]);

    // A later update keeps the token and writes nothing for the owner record.
    const again = await methods.check(updated as unknown as Record<string, unknown>, {
      spec,
      fleet: "own-b2",
    });
    const kept = (
      await methods.update(
        LEDGER_ID,
        updated as unknown as Record<string, unknown>,
        again.inputs as Record<string, unknown>,
      )
    ).outs as LedgerState;
    expect(kept.placement!.owner).toBe("ledger-upgraded");

    await deleteLedger(methods, kept);
    expect(await holdings("own-b2", ["a", "b"])).toEqual(NOTHING);
    expect(warnings).toEqual([]);
  });

  it("leaves the fleet to a newer Ledger that took it over", async () => {
    const { deps, warnings } = ledgerDeps(["ledger-old", "ledger-new"]);
    const methods = makeLedgerMethods(deps);
    const spec = edge({ a: alloc("t1", 2) });
    const created = await createLedger(methods, "own-b3", spec);
    await server.client().client.deleteProvider(ownerProviderUuid("own-b3"));
    const old = withoutOwner(created);

    const replacement = await createLedger(methods, "own-b3", spec);
    await deleteLedger(methods, old);
    expect(warnings).toEqual([["", leftToNewer("own-b3")]]);
    expect(await holdings("own-b3", ["a"])).toEqual({
      providers: ["own-b3-fw-0", "own-b3-fw-1", "own-b3-fw-2", "servicevm:owner:own-b3"],
      devices: {
        "fw-0": { slots: 4, allocations: ["a"] },
        "fw-1": { slots: 4, allocations: [] },
        "fw-2": { slots: 4, allocations: [] },
      },
      consumers: ["a"],
      owner: [ownerAggregate("own-b3", "ledger-new")],
    });
    await deleteLedger(methods, replacement);
    expect(await holdings("own-b3", ["a"])).toEqual(NOTHING);
  });
});

describe("owner providers of two fleets", () => {
  it("are two providers, each naming its own Ledger; removing one fleet leaves the other's", async () => {
    const { deps, warnings } = ledgerDeps(["ledger-c", "ledger-c-fw"]);
    const methods = makeLedgerMethods(deps);
    // `own-c-fw`'s providers are named `own-c-fw-fw-<n>`: they start with `own-c-` too.
    const c = await createLedger(methods, "own-c", edge({ a: alloc("t1", 2) }));
    const cfw = await createLedger(methods, "own-c-fw", edge({ a: alloc("t1", 2) }));
    const owners = (await server.client().client.listProviders())
      .filter((p) => p.name.startsWith("servicevm:owner:own-c"))
      .map((p) => ({ name: p.name, uuid: p.uuid }))
      .sort((x, y) => (x.name < y.name ? -1 : 1));
    expect(owners).toEqual([
      { name: "servicevm:owner:own-c", uuid: ownerProviderUuid("own-c") },
      { name: "servicevm:owner:own-c-fw", uuid: ownerProviderUuid("own-c-fw") },
    ]);
    expect(ownerProviderUuid("own-c")).not.toBe(ownerProviderUuid("own-c-fw"));
    const cfwHoldings: Holdings = {
      providers: ["own-c-fw-fw-0", "own-c-fw-fw-1", "own-c-fw-fw-2", "servicevm:owner:own-c-fw"],
      devices: {
        "fw-0": { slots: 4, allocations: ["a"] },
        "fw-1": { slots: 4, allocations: [] },
        "fw-2": { slots: 4, allocations: [] },
      },
      consumers: ["a"],
      owner: [ownerAggregate("own-c-fw", "ledger-c-fw")],
    };
    expect(await holdings("own-c", ["a"])).toEqual({
      providers: ["own-c-fw-0", "own-c-fw-1", "own-c-fw-2", "servicevm:owner:own-c"],
      devices: {
        "fw-0": { slots: 4, allocations: ["a"] },
        "fw-1": { slots: 4, allocations: [] },
        "fw-2": { slots: 4, allocations: [] },
      },
      consumers: ["a"],
      owner: [ownerAggregate("own-c", "ledger-c")],
    });
    expect(await holdings("own-c-fw", ["a"])).toEqual(cfwHoldings);

    await deleteLedger(methods, c);
    expect(await holdings("own-c", ["a"])).toEqual(NOTHING);
    expect(await holdings("own-c-fw", ["a"])).toEqual(cfwHoldings);
    await deleteLedger(methods, cfw);
    expect(await holdings("own-c-fw", ["a"])).toEqual(NOTHING);
    expect(warnings).toEqual([]);
  });

  it("taking ownership again for the same Ledger writes nothing", async () => {
    const counting = server.client();
    expect(await takeOwnership(counting.client, "own-c2", "ledger-x")).toBe("create-owner");
    counting.reset();
    expect(await takeOwnership(counting.client, "own-c2", "ledger-x")).toBe("keep");
    expect(counting.log).toEqual([`GET /resource_providers/${ownerProviderUuid("own-c2")}/aggregates`]);
    expect(await takeOwnership(counting.client, "own-c2", "ledger-y")).toBe("set-owner");
    expect((await readOwner(counting.client, "own-c2"))!.aggregates).toEqual([
      ownerAggregate("own-c2", "ledger-y"),
    ]);
    await counting.client.deleteProvider(ownerProviderUuid("own-c2"));
  });
});

describe("status and sync with an owner provider in Placement", () => {
  const spec = (): FleetSpec => edge({ "t1-fw": alloc("t1", 3), "t2-fw": alloc("t2", 2) }, 4, 2);

  async function owned(): Promise<{ methods: Methods; state: LedgerState }> {
    const { deps } = ledgerDeps(["ledger-d"]);
    const methods = makeLedgerMethods(deps);
    const state = await createLedger(methods, "own-d", spec());
    expect((await holdings("own-d", [])).providers).toEqual([
      "own-d-fw-0",
      "own-d-fw-1",
      "servicevm:owner:own-d",
    ]);
    return { methods, state };
  }

  it("`placementStatus` and a sync count only the devices: the owner provider is neither a device nor extra, and stays", async () => {
    const { methods, state } = await owned();
    const { client } = server.client();
    const result = planOk(spec());
    expect(await placementStatus(client, { fleet: "own-d", spec: spec(), result })).toEqual({
      fleet: "own-d",
      inSync: true,
      providers: { ok: 2, missing: [], extra: [], drift: [] },
      consumers: { ok: 2, missing: [], drift: [], extra: [] },
      foreign: [],
    });
    const report = await syncFleet(client, { fleet: "own-d", spec: spec(), result });
    expect({ ...report, state: Object.keys(report.state.providers) }).toEqual({
      fleet: "own-d",
      providers: { created: [], updated: [], deleted: [], unchanged: 2 },
      consumers: { written: [], deleted: [], unchanged: 2 },
      foreign: {},
      state: ["fw-0", "fw-1"],
    });
    // A sync towards an empty fleet (what `removeFleet` runs) deletes the devices only.
    const empty: FleetSpec = { templates: {}, pools: {}, allocations: {} };
    const emptied = await syncFleet(client, { fleet: "own-d", spec: empty, result: planOk(empty) });
    expect(emptied.providers).toEqual({ created: [], updated: [], deleted: ["fw-0", "fw-1"], unchanged: 0 });
    expect(await holdings("own-d", ["t1-fw", "t2-fw"])).toEqual({
      providers: ["servicevm:owner:own-d"],
      devices: {},
      consumers: [],
      owner: [ownerAggregate("own-d", "ledger-d")],
    });
    await deleteLedger(methods, state);
    expect(await holdings("own-d", [])).toEqual(NOTHING);
  });

  it("`servicevm placement status` prints the devices only", async () => {
    const { methods, state } = await owned();
    const dir = mkdtempSync(join(tmpdir(), "svm-owner-status-"));
    const file = join(dir, "own-d.yaml");
    writeFileSync(file, JSON.stringify(spec()));
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      stdin: Readable.from([]),
      env: {},
    };
    const code = await main(["placement", "status", file, "--token", PLACEMENT_TOKEN], io);
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: `fleet own-d: Placement is in sync with the spec
providers: 2 ok, 0 missing, 0 different, 0 extra
allocations: 2 ok, 0 missing, 0 different, 0 extra
foreign usage: 0 consumer allocation(s) on this fleet's devices
`,
      stderr: "",
    });
    await deleteLedger(methods, state);
    expect(await holdings("own-d", [])).toEqual(NOTHING);
  });
});
