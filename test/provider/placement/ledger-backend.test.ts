/**
 * `backend: { kind: placement }` as `pulumi up` sees it: the Fleet and its Ledger run in the engine
 * harness (serialized provider, check/diff/create/update/delete, state kept between runs) against a
 * real OpenStack Placement on 127.0.0.1, with the token read from `OS_TOKEN` at run time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../../components/fleet";
import type { FleetSpec } from "../../../core/types";
import { check, makeLedgerMethods, type LedgerState } from "../../../provider/ledgerImpl";
import { connectFromEnv, type PlacementDeps } from "../../../provider/ledgerPlacement";
import {
  consumerUuid,
  fleetUserId,
  ownedDevice,
  projectId,
  providerUuid,
} from "../../../provider/placement/ids";
import { type Engine, type RunResult, valueOf } from "../../harness/engine";
import { newEngine } from "../../harness/fixtures";
import { usePlacementServer } from "./helpers";

const LEDGER = "pulumi-nodejs:dynamic/servicevm:Ledger";
/** The Fleets of the stacks a test tears down: their Ledgers are not protected. */
const UNPROTECTED = { protectLedger: false };
/** noauth2 gives `admin:<project>` the admin role; the project part makes the token unique to find. */
const TOKEN = "admin:servicevm-secret-token-7f3c9a";

const server = usePlacementServer();
const savedEnv = { ...process.env };
beforeAll(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
  process.env.OS_TOKEN = TOKEN;
});
afterAll(() => {
  process.env = savedEnv;
});

type Allocations = NonNullable<FleetArgs["allocations"]>;

/** One docker pool of `size` devices with 4 slots each, in Placement. */
function edge(allocations: Allocations, size = 3): FleetArgs {
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        traits: ["CUSTOM_FW"],
        docker: { image: "vyos:1.4" },
      },
    },
    pools: { fw: { template: "fw", size } },
    allocations,
    backend: { kind: "placement", endpoint: server.url },
  };
}

const alloc = (tenant: string, slots: number) => ({ tenant, demand: { CUSTOM_SERVICE_SLOT: slots } });

/** Dependencies that log every Placement request the Ledger makes (and can act on one). */
function recordingDeps(onRequest?: (method: string, path: string) => void): {
  deps: PlacementDeps;
  requests: string[];
  /** `<urn>: <message>` per warning. */
  warnings: string[];
  writes(): string[];
  /** Milliseconds from the first request to the start of the last one since the last reset. */
  span(): number;
  reset(): void;
} {
  const requests: string[] = [];
  const warnings: string[] = [];
  const times: number[] = [];
  const deps: PlacementDeps = {
    connect: (backend) =>
      connectFromEnv(backend, {
        timeoutMs: 5000,
        retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
        onRequest: (method, path) => {
          requests.push(`${method} ${path}`);
          times.push(performance.now());
          onRequest?.(method, path);
        },
      }),
    warn: (urn, m) => {
      warnings.push(`${urn}: ${m}`);
      return Promise.resolve();
    },
  };
  return {
    deps,
    requests,
    warnings,
    writes: () => requests.filter((r) => !r.startsWith("GET ")),
    span: () => (times.length === 0 ? 0 : times[times.length - 1] - times[0]),
    reset: () => {
      requests.length = 0;
      times.length = 0;
    },
  };
}

function ledgerOf(engine: Engine): LedgerState {
  const r = [...engine.state.values()].find((x) => x.type === LEDGER);
  if (r === undefined) throw new Error("no Ledger in state");
  const { __provider: _p, ...outs } = r.outputs;
  void _p;
  return outs as unknown as LedgerState;
}

function ledgerOp(result: RunResult): string | undefined {
  return result.steps.find((s) => s.type === LEDGER)?.op;
}

/** What Placement holds for `fleet`: its devices, and on each the allocations (of `names`) of its consumers. */
async function placementOf(fleet: string, names: string[]): Promise<Record<string, string[]>> {
  const { client } = server.client();
  const byUuid = new Map(names.map((n) => [consumerUuid(fleet, n), n]));
  const out: Record<string, string[]> = {};
  const providers = (await client.listProviders())
    .map((p) => ({ p, d: ownedDevice(fleet, p) }))
    .filter((x): x is { p: (typeof x)["p"]; d: string } => x.d !== null)
    .sort((a, b) => a.d.localeCompare(b.d));
  for (const { p, d } of providers) {
    const allocs = await client.getProviderAllocations(p.uuid);
    out[d] = Object.keys(allocs.allocations)
      .map((c) => byUuid.get(c) ?? `unknown consumer ${c}`)
      .sort();
  }
  return out;
}

describe("a fleet with backend placement", () => {
  it("creates its devices as providers and its allocations as consumers, and a no-change up touches nothing", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    const program = (): void => {
      new Fleet("edge1", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    };
    const up = await engine.up(program);
    expect(up.errors).toEqual([]);
    expect(ledgerOp(up)).toBe("create");
    // Largest demand first, one tenant per device (dedicated).
    expect(await placementOf("edge1", ["a", "b"])).toEqual({ "fw-0": ["b"], "fw-1": ["a"], "fw-2": [] });
    const placement = ledgerOf(engine).placement!;
    expect(placement.lastApply).toEqual({
      providers: { created: 3, updated: 0, deleted: 0, unchanged: 0 },
      consumers: { written: 2, deleted: 0, unchanged: 0 },
      claims: { granted: 0, kept: 0, released: 0 },
    });
    expect(Object.keys(placement.sync.providers)).toEqual(["fw-0", "fw-1", "fw-2"]);
    expect(placement.claims).toEqual({});
    expect(placement.differences).toEqual([]);
    expect({ fleet: placement.fleet, endpoint: placement.endpoint, cloud: placement.cloud }).toEqual({
      fleet: "edge1",
      endpoint: server.url,
      cloud: null,
    });
    // Tenant usage as Placement counts it.
    const { client } = server.client();
    expect(await client.usages(projectId("t2"), fleetUserId("edge1"))).toEqual({
      SERVICEVM: { CUSTOM_SERVICE_SLOT: 3, consumer_count: 1 },
    });

    rec.reset();
    const again = await engine.up(program);
    expect(again.errors).toEqual([]);
    expect(ledgerOp(again)).toBe("same");
    expect(rec.requests).toEqual([]);
  });

  it("adds an allocation: one consumer is written and nothing else", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    await engine.up(() => {
      new Fleet("edge2", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    });
    rec.reset();
    const up = await engine.up(() => {
      new Fleet("edge2", edge({ a: alloc("t1", 2), b: alloc("t2", 3), c: alloc("t3", 4) }));
    });
    expect(up.errors).toEqual([]);
    expect(ledgerOp(up)).toBe("update");
    expect(rec.writes()).toEqual(["POST /allocations"]);
    expect(await placementOf("edge2", ["a", "b", "c"])).toEqual({
      "fw-0": ["b"],
      "fw-1": ["a"],
      "fw-2": ["c"],
    });
    expect(ledgerOf(engine).placement!.lastApply).toEqual({
      providers: { created: 0, updated: 0, deleted: 0, unchanged: 3 },
      consumers: { written: 1, deleted: 0, unchanged: 2 },
      claims: { granted: 0, kept: 0, released: 0 },
    });
  });

  it("removes an allocation: its consumer is deleted, the others stay", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    await engine.up(() => {
      new Fleet("edge3", edge({ a: alloc("t1", 2), b: alloc("t2", 3), c: alloc("t3", 4) }));
    });
    rec.reset();
    const up = await engine.up(() => {
      new Fleet("edge3", edge({ a: alloc("t1", 2), c: alloc("t3", 4) }));
    });
    expect(up.errors).toEqual([]);
    expect(rec.writes()).toEqual(["POST /allocations"]);
    expect(await placementOf("edge3", ["a", "b", "c"])).toEqual({ "fw-0": ["c"], "fw-1": [], "fw-2": ["a"] });
    const { client } = server.client();
    expect((await client.getConsumerAllocations(consumerUuid("edge3", "b"))).allocations).toEqual({});
    expect(ledgerOf(engine).placement!.lastApply.consumers).toEqual({ written: 0, deleted: 1, unchanged: 2 });
  });

  it("deleting the stack removes the fleet's consumers and providers from Placement", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    await engine.up(() => {
      // Unprotected: the stack is torn down below.
      new Fleet("edge4", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }), { protectLedger: false });
    });
    expect(Object.keys(await placementOf("edge4", []))).toEqual(["fw-0", "fw-1", "fw-2"]);
    const down = await engine.up(() => undefined);
    expect(down.errors).toEqual([]);
    expect(down.steps.filter((s) => s.type === LEDGER).map((s) => s.op)).toEqual(["delete"]);
    expect(await placementOf("edge4", [])).toEqual({});
    const { client } = server.client();
    expect(await client.usages(projectId("t1"), fleetUserId("edge4"))).toEqual({});
    expect(await client.usages(projectId("t2"), fleetUserId("edge4"))).toEqual({});
  });

  it("keeps the token out of state and outputs: it is read from OS_TOKEN when the provider runs", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    await engine.up(() => {
      new Fleet("edge5", edge({ a: alloc("t1", 2) }));
    });
    expect(rec.writes().length).toBeGreaterThan(0);
    const exported = engine.exportState();
    expect(exported).toContain(server.url);
    expect(exported).not.toContain(TOKEN);
    expect(exported).not.toContain("servicevm-secret-token");
  });

  it("fails an update when no token is set, naming the cause, and keeps the previous state", async () => {
    const { engine } = newEngine(undefined, {}, recordingDeps().deps);
    await engine.up(() => {
      new Fleet("edge6", edge({ a: alloc("t1", 2) }));
    });
    const before = engine.exportState();
    delete process.env.OS_TOKEN;
    try {
      const up = await engine.up(() => {
        new Fleet("edge6", edge({ a: alloc("t1", 2), b: alloc("t2", 1) }));
      });
      expect(up.ok).toBe(false);
      expect(up.errors).toHaveLength(1);
      expect(up.errors[0]).toContain(
        "Ledger of fleet `edge6` (backend placement): cannot connect to Placement: no OpenStack credentials: ",
      );
      expect(up.errors[0]).toContain(
        "(the Ledger reads credentials from its environment when it runs: `OS_TOKEN` or `OS_AUTH_TOKEN` with `backend.endpoint`, ",
      );
      expect(up.errors[0]).toContain(
        "nothing was recorded: the previous ledger stays in state; fix the cause and run `pulumi up` again",
      );
      expect(engine.exportState()).toBe(before);
      expect(await placementOf("edge6", ["a", "b"])).toEqual({ "fw-0": ["a"], "fw-1": [], "fw-2": [] });
    } finally {
      process.env.OS_TOKEN = TOKEN;
    }
  });
});

describe("credentials from the provider's environment", () => {
  it("takes the token from OS_AUTH_TOKEN too", async () => {
    const client = await connectFromEnv(
      { kind: "placement", endpoint: server.url },
      { env: { OS_AUTH_TOKEN: TOKEN } },
    );
    expect(Array.isArray(await client.listProviders())).toBe(true);
  });

  it("without a token, cloud or OS_* variables, says what is missing", async () => {
    const err = await connectFromEnv({ kind: "placement", endpoint: server.url }, { env: {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      "no OpenStack credentials: set `OS_CLOUD` (a cloud in clouds.yaml), or `OS_AUTH_URL` with `OS_USERNAME`/`OS_PASSWORD` " +
        "or `OS_APPLICATION_CREDENTIAL_ID`/`OS_APPLICATION_CREDENTIAL_SECRET`, or give a Placement endpoint and token",
    );
  });
});

describe("what reaches Placement and when", () => {
  it("a preview shows the placements and asks Placement nothing", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    let fleet: Fleet | undefined;
    const preview = await engine.preview(() => {
      fleet = new Fleet("edge7", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    });
    expect(preview.errors).toEqual([]);
    expect(ledgerOp(preview)).toBe("create");
    expect(await valueOf(fleet!.placements)).toEqual({
      a: { device: "fw-1", pool: "fw", tenant: "t1", isolation: null },
      b: { device: "fw-0", pool: "fw", tenant: "t2", isolation: null },
    });
    expect(rec.requests).toEqual([]);
    expect(await placementOf("edge7", [])).toEqual({});
  });

  it("a change only Placement sees (a template's traits) is an update that rewrites the providers", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    const spec = edge({ a: alloc("t1", 2) });
    await engine.up(() => {
      new Fleet("edge8", spec);
    });
    const withTrait = edge({ a: alloc("t1", 2) });
    withTrait.templates.fw.traits = ["CUSTOM_FW", "CUSTOM_FW_V2"];
    rec.reset();
    const up = await engine.up(() => {
      new Fleet("edge8", withTrait);
    });
    expect(up.errors).toEqual([]);
    expect(ledgerOp(up)).toBe("update");
    expect(ledgerOf(engine).placement!.lastApply.providers).toEqual({
      created: 0,
      updated: 3,
      deleted: 0,
      unchanged: 0,
    });
    const { client } = server.client();
    const fw0 = (await client.listProviders()).find((p) => ownedDevice("edge8", p) === "fw-0")!;
    expect((await client.getTraits(fw0.uuid)).traits.sort()).toEqual(["CUSTOM_FW", "CUSTOM_FW_V2"]);
  });

  it("switching a stack to Placement writes its fleet there keeping the placements; switching back removes it", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    const state = { ...edge({ a: alloc("t1", 2), b: alloc("t2", 3) }), backend: { kind: "state" as const } };
    await engine.up(() => {
      new Fleet("edge9", state);
    });
    expect(rec.requests).toEqual([]);
    const ledger = ledgerOf(engine).ledger;

    const on = await engine.up(() => {
      new Fleet("edge9", edge({ a: alloc("t1", 2), b: alloc("t2", 3) }));
    });
    expect(on.errors).toEqual([]);
    expect(ledgerOp(on)).toBe("update");
    expect(ledgerOf(engine).ledger).toEqual(ledger);
    expect(await placementOf("edge9", ["a", "b"])).toEqual({ "fw-0": ["b"], "fw-1": ["a"], "fw-2": [] });

    const off = await engine.up(() => {
      new Fleet("edge9", state);
    });
    expect(off.errors).toEqual([]);
    expect(ledgerOp(off)).toBe("update");
    expect(ledgerOf(engine).placement).toBeUndefined();
    expect(ledgerOf(engine).ledger).toEqual(ledger);
    expect(await placementOf("edge9", [])).toEqual({});
  });

  it("a Ledger renamed in place (an alias) moves the fleet to its new name in Placement", async () => {
    const methods = makeLedgerMethods(recordingDeps().deps);
    const spec = edge({ a: alloc("t1", 2) }) as FleetSpec;
    const first = await check({}, { spec, fleet: "old-name" });
    const created = await methods.create(first.inputs as Record<string, unknown>);
    expect(Object.keys(await placementOf("old-name", []))).toEqual(["fw-0", "fw-1", "fw-2"]);
    const second = await check(first.inputs as Record<string, unknown>, { spec, fleet: "new-name" });
    const updated = await methods.update("ledger", created.outs as Record<string, unknown>, {
      ...(second.inputs as Record<string, unknown>),
    });
    expect((updated.outs as LedgerState).placement!.fleet).toBe("new-name");
    expect(await placementOf("old-name", [])).toEqual({});
    expect(await placementOf("new-name", ["a"])).toEqual({ "fw-0": ["a"], "fw-1": [], "fw-2": [] });
  });

  it("refuses a Ledger without a fleet name when the backend is Placement", async () => {
    const res = await check({}, { spec: edge({ a: alloc("t1", 2) }) as FleetSpec });
    expect(res.failures).toEqual([
      {
        property: "fleet",
        reason:
          "`fleet` must be the fleet's name (^[a-z][a-z0-9-]{0,62}$) with `backend: { kind: placement }`, got null; " +
          "Placement identities derive from it (`new Fleet(name, ...)` passes it)",
      },
    ]);
  });
});

describe("the Ledger's placement state", () => {
  it("stays small (about 70 bytes per device, nothing per owned allocation); adding one allocation to 121 devices is one write", async () => {
    const rec = recordingDeps();
    const { engine } = newEngine(undefined, {}, rec.deps);
    const allocations: Allocations = {};
    for (let i = 0; i < 120; i++) allocations[`svc-${i}`] = alloc(`tenant-${i}`, 1 + (i % 4));
    let t0 = performance.now();
    const up = await engine.up(() => {
      new Fleet("big", edge(allocations, 121));
    });
    const createMs = performance.now() - t0;
    const createPlacementMs = rec.span();
    expect(up.errors).toEqual([]);
    const placement = ledgerOf(engine).placement!;
    expect(placement.lastApply.providers.created).toBe(121);
    expect(placement.lastApply.consumers.written).toBe(120);
    const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));
    const sync = bytes(placement.sync);
    const total = bytes(placement);
    // `"fw-N":{"generation":G,"digest":"<32 hex>"}` per device.
    expect(sync / 121).toBeGreaterThan(65);
    expect(sync / 121).toBeLessThan(72);
    expect(total - sync).toBeLessThan(500);

    rec.reset();
    t0 = performance.now();
    const added = await engine.up(() => {
      new Fleet("big", edge({ ...allocations, extra: alloc("tenant-x", 2) }, 121));
    });
    const addMs = performance.now() - t0;
    const addPlacementMs = rec.span();
    expect(added.errors).toEqual([]);
    expect(rec.writes()).toEqual(["POST /allocations"]);
    // The list, one changed provider read (4), classes and traits, one usage check per tenant (120),
    // the bulk write, the over-commit check of the device written to (its usages), the list again,
    // the owner record's read (already this Ledger's: no write).
    expect(rec.requests.length).toBe(131);
    console.log(
      `Ledger with backend placement, 121 devices / 120 allocations: ` +
        `create ${createMs.toFixed(0)} ms (Placement ${createPlacementMs.toFixed(0)} ms), ` +
        `add one allocation ${addMs.toFixed(0)} ms (Placement ${addPlacementMs.toFixed(0)} ms, ${rec.requests.length} requests); ` +
        `state: sync ${sync} B, placement output ${total} B`,
    );
  });
});

describe("Placement stops in the middle of an update", () => {
  it("fails naming what was not done, keeps the previous state, and a re-run after restart converges without leaks", async () => {
    let killOnPost = false;
    const rec = recordingDeps((method, path) => {
      if (killOnPost && method === "POST" && path === "/allocations") {
        killOnPost = false;
        void server.kill();
      }
    });
    const { engine } = newEngine(undefined, {}, rec.deps);
    const first: Allocations = { a: alloc("t1", 2), b: alloc("t2", 3), c: alloc("t3", 4), d: alloc("t4", 1) };
    await engine.up(() => {
      new Fleet("crash", edge(first, 5));
    });
    const before = engine.exportState();

    expect(await placementOf("crash", ["a", "b", "c", "d"])).toEqual({
      "fw-0": ["c"],
      "fw-1": ["b"],
      "fw-2": ["a"],
      "fw-3": ["d"],
      "fw-4": [],
    });
    // The update removes `b` and `d`, adds `e` and `f` in their place and drops the idle `fw-4`:
    // Placement dies at the allocation writes.
    const second: Allocations = { a: first.a, c: first.c, e: alloc("t5", 2), f: alloc("t6", 2) };
    killOnPost = true;
    const failed = await engine.up(() => {
      new Fleet("crash", edge(second, 4));
    });
    expect(failed.ok).toBe(false);
    expect(failed.errors).toHaveLength(1);
    const message = failed.errors[0];
    expect(message).toMatch(
      /^urn:pulumi:stack::project::servicevm:index:Fleet\$pulumi-nodejs:dynamic\/servicevm:Ledger::crash-ledger: Ledger of fleet `crash` \(backend placement\): sync into Placement failed; nothing was recorded: the previous ledger stays in state; fix the cause and run `pulumi up` again\.\nsync of fleet `crash` into Placement did not finish \(writing allocations\): Placement stopped answering/,
    );
    expect(message).toContain("delete consumer ");
    expect(message).toContain("write allocation `e` on `fw-");
    expect(message).toContain("write allocation `f` on `fw-");
    expect(message).toContain("delete provider `fw-4`");
    expect(engine.exportState()).toBe(before);

    await server.restart();
    const rerun = await engine.up(() => {
      new Fleet("crash", edge(second, 4));
    });
    expect(rerun.errors).toEqual([]);
    // Exactly the planned devices and consumers: `fw-4` and the consumers of `b` and `d` are gone.
    expect(await placementOf("crash", ["a", "b", "c", "d", "e", "f"])).toEqual({
      "fw-0": ["c"],
      "fw-1": ["e"],
      "fw-2": ["a"],
      "fw-3": ["f"],
    });
    expect(
      Object.fromEntries(Object.entries(ledgerOf(engine).ledger.placements).map(([n, p]) => [n, p.device])),
    ).toEqual({ a: "fw-2", c: "fw-0", e: "fw-1", f: "fw-3" });
    const { client } = server.client();
    for (const [tenant, slots] of [
      ["t1", 2],
      ["t3", 4],
      ["t5", 2],
      ["t6", 2],
    ] as const)
      expect(await client.usages(projectId(tenant), fleetUserId("crash"))).toEqual({
        SERVICEVM: { CUSTOM_SERVICE_SLOT: slots, consumer_count: 1 },
      });
    for (const tenant of ["t2", "t4"])
      expect(await client.usages(projectId(tenant), fleetUserId("crash"))).toEqual({});
  });
});

describe("fleets claiming from a pool a third fleet owns", () => {
  /** The owner: pool `fw` of 2 devices with 4 slots each (8 slots), no allocations of its own. */
  const owner = (): FleetArgs => ({ ...edge({}, 2), allocations: {} });
  /** A claiming fleet: pool `fw` is `fleet`'s, and 2-slot allocations of one tenant. */
  const claimer = (owner: string, names: string[]): FleetSpec => ({
    templates: {},
    pools: { fw: { external: { fleet: owner } } },
    allocations: Object.fromEntries(
      names.map((n) => [n, { tenant: `tenant-${n}`, pools: ["fw"], demand: { CUSTOM_SERVICE_SLOT: 2 } }]),
    ),
    backend: { kind: "placement", endpoint: server.url },
  });
  /** Slots the owner's devices have granted, summed over its providers. */
  async function usedSlots(fleet: string): Promise<number> {
    const { client } = server.client();
    let used = 0;
    for (const p of await client.listProviders()) {
      if (ownedDevice(fleet, p) === null) continue;
      for (const a of Object.values((await client.getProviderAllocations(p.uuid)).allocations))
        used += a.resources.CUSTOM_SERVICE_SLOT ?? 0;
    }
    return used;
  }

  it("two stacks never over-commit it: the refused update fails with the reason and keeps its previous state; the owner outlives its claimers", async () => {
    const rec = recordingDeps();
    const infra = newEngine(undefined, {}, rec.deps).engine;
    expect((await infra.up(() => void new Fleet("infra1", owner(), UNPROTECTED))).errors).toEqual([]);

    const teamA = newEngine(undefined, {}, rec.deps).engine;
    const a = await teamA.up(
      () => void new Fleet("team-a", claimer("infra1", ["a1", "a2", "a3"]), UNPROTECTED),
    );
    expect(a.errors).toEqual([]);
    expect(Object.keys(ledgerOf(teamA).placement!.claims)).toEqual(["a1", "a2", "a3"]);
    expect(Object.values(ledgerOf(teamA).placement!.claims).map((c) => c.fleet)).toEqual([
      "infra1",
      "infra1",
      "infra1",
    ]);

    const teamB = newEngine(undefined, {}, rec.deps).engine;
    const b = await teamB.up(() => void new Fleet("team-b", claimer("infra1", ["b1"]), UNPROTECTED));
    expect(b.errors).toEqual([]);
    expect(await usedSlots("infra1")).toBe(8);
    const before = teamB.exportState();

    // Team b wants two more. Its preview plans offline and cannot know the pool is full...
    const preview = await teamB.preview(
      () => void new Fleet("team-b", claimer("infra1", ["b1", "b2", "b3"]), UNPROTECTED),
    );
    expect(preview.errors).toEqual([]);
    expect(ledgerOp(preview)).toBe("update");
    // ...the update asks Placement, fails, names why, and changes nothing.
    const refused = await teamB.up(
      () => void new Fleet("team-b", claimer("infra1", ["b1", "b2", "b3"]), UNPROTECTED),
    );
    expect(refused.ok).toBe(false);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toContain(
      "Ledger of fleet `team-b` (backend placement): Placement refused 2 claim(s); nothing was recorded: the previous ledger stays in state",
    );
    expect(refused.errors[0]).toContain(
      "  b2: allocation `b2` needs 2 CUSTOM_SERVICE_SLOT from pool `fw` (fleet `infra1`); Placement has no provider there with that much free capacity",
    );
    expect(refused.errors[0]).toContain("  b3: allocation `b3` needs 2 CUSTOM_SERVICE_SLOT");
    expect(teamB.exportState()).toBe(before);
    expect(await usedSlots("infra1")).toBe(8);

    // Team a lets one go; team b's retry now gets it.
    expect(
      (await teamA.up(() => void new Fleet("team-a", claimer("infra1", ["a1", "a2"]), UNPROTECTED))).errors,
    ).toEqual([]);
    expect(ledgerOf(teamA).placement!.lastApply.claims).toEqual({ granted: 0, kept: 2, released: 1 });
    const retry = await teamB.up(
      () => void new Fleet("team-b", claimer("infra1", ["b1", "b2"]), UNPROTECTED),
    );
    expect(retry.errors).toEqual([]);
    expect(Object.keys(ledgerOf(teamB).placement!.claims)).toEqual(["b1", "b2"]);
    expect(await usedSlots("infra1")).toBe(8);

    // The owner cannot be destroyed while others claim from it: the delete fails and names them.
    const early = await infra.up(() => undefined);
    expect(early.ok).toBe(false);
    expect(early.errors).toHaveLength(1);
    expect(early.errors[0]).toContain(
      "Ledger of fleet `infra1` (backend placement): removing the fleet from Placement failed; the Ledger stays in state, run the command again: ",
    );
    expect(early.errors[0]).toContain(
      `still has allocations on its provider ${providerUuid("infra1", "fw-0")} from consumer(s) `,
    );
    expect(ledgerOf(infra).placement!.fleet).toBe("infra1");
    expect(await usedSlots("infra1")).toBe(8);
    // Once the claimers are gone, it goes too, and nothing is left.
    expect((await teamA.up(() => undefined)).errors).toEqual([]);
    expect((await teamB.up(() => undefined)).errors).toEqual([]);
    expect(await usedSlots("infra1")).toBe(0);
    expect((await infra.up(() => undefined)).errors).toEqual([]);
    expect(await placementOf("infra1", [])).toEqual({});
  });

  it("reports where Placement put a claim elsewhere than the previous ledger, in the outputs and the log", async () => {
    const rec = recordingDeps();
    const infra = newEngine(undefined, {}, rec.deps).engine;
    expect((await infra.up(() => void new Fleet("infra3", owner()))).errors).toEqual([]);
    const teamC = newEngine(undefined, {}, rec.deps).engine;
    const teamD = newEngine(undefined, {}, rec.deps).engine;
    expect((await teamC.up(() => void new Fleet("team-c", claimer("infra3", ["c1"])))).errors).toEqual([]);
    expect((await teamD.up(() => void new Fleet("team-d", claimer("infra3", ["d1"])))).errors).toEqual([]);
    expect(ledgerOf(teamC).placement!.claims).toEqual({
      c1: { fleet: "infra3", pool: "fw", device: "fw-0" },
    });
    expect(ledgerOf(teamD).placement!.claims).toEqual({
      d1: { fleet: "infra3", pool: "fw", device: "fw-0" },
    });

    // `c1` grows to 3 slots: `fw-0` has 4 and `d1` holds 2 of them, so Placement moves it.
    const bigger = claimer("infra3", ["c1"]);
    bigger.allocations!.c1.demand = { CUSTOM_SERVICE_SLOT: 3 };
    const up = await teamC.up(() => void new Fleet("team-c", bigger));
    expect(up.errors).toEqual([]);
    const placement = ledgerOf(teamC).placement!;
    expect(placement.claims).toEqual({ c1: { fleet: "infra3", pool: "fw", device: "fw-1" } });
    const reason =
      "the claim was on `fw-0` of fleet `infra3` at the last apply; Placement granted `fw-1` of fleet `infra3` " +
      "(the demand changed, or the claim was gone and `fw-0` had no room left)";
    expect(placement.differences).toEqual([{ allocation: "c1", planned: "fw-0", placed: "fw-1", reason }]);
    expect(rec.warnings).toEqual([
      "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::team-c-ledger: " +
        `Ledger of fleet \`team-c\` (backend placement): allocation \`c1\`: ${reason}`,
    ]);
    expect(await usedSlots("infra3")).toBe(5);
  });

  it("concurrent ledgers of six stacks get exactly the pool's capacity; the others fail and hold nothing", async () => {
    const rec = recordingDeps();
    const infra = newEngine(undefined, {}, rec.deps).engine;
    expect((await infra.up(() => void new Fleet("infra2", owner()))).errors).toEqual([]);
    const methods = makeLedgerMethods(rec.deps);
    const teams = ["s1", "s2", "s3", "s4", "s5", "s6"];
    const outcomes = await Promise.all(
      teams.map(async (team) => {
        const checked = await check({}, { spec: claimer("infra2", [`${team}-fw`]), fleet: team });
        expect(checked.failures ?? []).toEqual([]);
        const inputs = (checked.inputs ?? {}) as Record<string, unknown>;
        return methods.create(inputs).then(
          () => "granted",
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        );
      }),
    );
    expect(outcomes.filter((o) => o === "granted")).toHaveLength(4);
    for (const o of outcomes.filter((x) => x !== "granted"))
      expect(o).toMatch(/^Ledger of fleet `s\d` \(backend placement\): Placement refused 1 claim\(s\)/);
    expect(await usedSlots("infra2")).toBe(8);
    // A refused ledger holds no claim: the one it was granted before the refusal is released again.
    const { client } = server.client();
    const held: string[] = [];
    for (const team of teams)
      if (
        Object.keys((await client.getConsumerAllocations(consumerUuid(team, `${team}-fw`))).allocations)
          .length
      )
        held.push(team);
    expect(held).toEqual(teams.filter((_, i) => outcomes[i] === "granted"));
  });
});
