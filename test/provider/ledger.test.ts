import { describe, expect, it } from "vitest";
import type { FleetSpec } from "../../core/types";
import * as ledger from "../../provider/ledgerImpl";

function spec(allocations: FleetSpec["allocations"]): FleetSpec {
  return {
    templates: { box: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 8 }, docker: {} as never } },
    pools: { box: { template: "box", standby: 1, max: 3 } },
    allocations,
  };
}

/** The checked inputs of a successful check. */
async function checked(
  olds: Record<string, unknown>,
  news: ledger.LedgerInputs,
): Promise<Record<string, unknown>> {
  const res = await ledger.check(olds, news);
  return res.inputs as Record<string, unknown>;
}

const TWO = {
  a: { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 3 } },
  b: { tenant: "t2", demand: { CUSTOM_SERVICE_SLOT: 3 } },
};

describe("Ledger provider", () => {
  it("plans on create and returns the ledger, pools, health and capacity as the inputs", async () => {
    const res = await ledger.check({}, { spec: spec(TWO), health: {} });
    expect(res.failures).toBeUndefined();
    expect(res.inputs).toEqual({
      ledger: {
        version: 1,
        pools: { box: 3 },
        placements: {
          a: { device: "box-0", tenant: "t1", context: null },
          b: { device: "box-1", tenant: "t2", context: null },
        },
      },
      pools: { box: ["box-0", "box-1", "box-2"] },
      health: {},
      capacity: {
        box: {
          devices: 3,
          busy: 2,
          standby: 1,
          unhealthy: 0,
          classes: { CUSTOM_SERVICE_SLOT: { total: 24, used: 6, free: 18 } },
        },
      },
    });
  });

  it("keeps placements sticky: the previous ledger comes from the old inputs", async () => {
    const first = await checked({}, { spec: spec({ b: TWO.b }), health: {} });
    const second = (await checked(first, { spec: spec(TWO), health: {} })) as unknown as ledger.LedgerState;
    expect(second.ledger.placements).toEqual({
      a: { device: "box-1", tenant: "t1", context: null },
      b: { device: "box-0", tenant: "t2", context: null },
    });
  });

  it("turns an infeasible plan into check failures with the core's messages and leaves the inputs as given", async () => {
    const news = { spec: spec({ big: { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 9 } } }), health: {} };
    const res = await ledger.check({}, news);
    expect(res.inputs).toBe(news);
    expect(res.failures!.length).toBe(1);
    expect(res.failures![0].property).toBe("spec");
    expect(res.failures![0].reason.startsWith("allocations.big: ")).toBe(true);
  });

  it("counts an unknown health value (a new appliance in preview) as healthy", () => {
    expect(ledger.resolveHealth({ a: true, b: false, c: ledger.UNKNOWN })).toEqual({
      a: true,
      b: false,
      c: true,
    });
    expect(ledger.resolveHealth(ledger.UNKNOWN)).toEqual({});
  });

  it("reads an empty previous ledger from missing or foreign old inputs", () => {
    expect(ledger.previousLedger({})).toEqual({ version: 1, pools: {}, placements: {} });
    expect(ledger.previousLedger({ ledger: { version: 2 } })).toEqual({
      version: 1,
      pools: {},
      placements: {},
    });
  });

  it("diffs domain fields only and never the serialized provider", async () => {
    const state = await checked({}, { spec: spec(TWO), health: {} });
    expect(
      await ledger.diff("ledger", { ...state, __provider: "old code" }, { ...state, __provider: "new code" }),
    ).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const moved = { ...state, health: { "box-0": false } };
    expect((await ledger.diff("ledger", state, moved)).changes).toBe(true);
  });

  it("returns complete outputs from create, update and read", async () => {
    const state = await checked({}, { spec: spec(TWO), health: {} });
    const withProvider = { ...state, __provider: "text" };
    expect(await ledger.create(withProvider)).toEqual({ id: "ledger", outs: state });
    expect(await ledger.update("ledger", {}, withProvider)).toEqual({ outs: state });
    expect(await ledger.read("ledger", withProvider)).toEqual({ id: "ledger", props: state });
  });
});
