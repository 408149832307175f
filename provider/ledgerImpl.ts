/**
 * The Ledger provider's logic, loaded by the dynamic-provider process through
 * `require("servicevm/dist/provider/ledgerImpl.js")`.
 *
 * `check` is where the planning happens: it runs the core `plan` with the previous ledger (the
 * old inputs, which are what the previous `check` returned) and returns the new ledger as the
 * inputs. The nodejs dynamic provider does not implement provider previews, so during
 * `pulumi preview` the engine hands these checked inputs back as the resource's outputs: the
 * placements and pool sizes of a preview are exactly those `pulumi up` will record.
 *
 * The spec itself is not kept in state (only its plan is), which keeps the Ledger's state small.
 */
import type * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../core/canonical";
import { EMPTY_LEDGER, plan } from "../core/plan";
import { poolUsage } from "../core/report";
import type { FleetSpec, HealthMap, Ledger, PlanResult } from "../core/types";

/** The engine's placeholder for a value that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What the program passes in. */
export interface LedgerInputs {
  /** The planner's view of the fleet spec: plain values only (see `planSpec`). */
  spec: FleetSpec;
  /** Health of declared devices; an unknown value (a new appliance in preview) counts as healthy. */
  health?: Record<string, unknown>;
}

/** Capacity of one resource class summed over a pool's devices. */
export interface ClassCapacity {
  total: number;
  used: number;
  free: number;
}

/** A pool's summary in the Ledger's state. */
export interface PoolCapacity {
  devices: number;
  busy: number;
  /** Healthy devices hosting nothing. */
  standby: number;
  unhealthy: number;
  classes: Record<string, ClassCapacity>;
}

/** The Ledger's state: what `check` returns, `create`/`update` record, and the outputs. */
export interface LedgerState {
  /** The compact core ledger; the CLI's `--previous` reads `outputs.ledger` from `pulumi stack export`. */
  ledger: Ledger;
  /** Device names per pool, in index order. */
  pools: Record<string, string[]>;
  /** Health the plan used, for declared devices. */
  health: HealthMap;
  /** Per pool: devices, busy, standby, unhealthy, and total/used/free per resource class. */
  capacity: Record<string, PoolCapacity>;
}

/** Fields that make up the Ledger's identity of content; `__provider` is never one of them. */
export const STATE_FIELDS = ["ledger", "pools", "health", "capacity"] as const;

/** Resolves the health inputs: booleans stay, anything else (unknown in preview) is healthy. */
export function resolveHealth(health: unknown): HealthMap {
  const out: HealthMap = {};
  if (health === null || typeof health !== "object") return out;
  const record = health as Record<string, unknown>;
  for (const device of Object.keys(record).sort()) out[device] = record[device] !== false;
  return out;
}

function isLedger(value: unknown): value is Ledger {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    typeof v.pools === "object" &&
    v.pools !== null &&
    typeof v.placements === "object" &&
    v.placements !== null
  );
}

/** The previous ledger from the old inputs; empty on create. */
export function previousLedger(olds: Record<string, unknown> | undefined): Ledger {
  const candidate = olds?.ledger;
  return isLedger(candidate) ? candidate : EMPTY_LEDGER;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** The state recorded for a successful plan. */
export function stateOf(result: PlanResult, health: HealthMap): LedgerState {
  const pools: Record<string, string[]> = {};
  for (const p of Object.keys(result.pools).sort()) pools[p] = [...result.pools[p].devices];
  const capacity: Record<string, PoolCapacity> = {};
  for (const u of poolUsage(result)) {
    const classes: Record<string, ClassCapacity> = {};
    for (const rc of Object.keys(u.classes)) {
      const c = u.classes[rc];
      classes[rc] = { total: round(c.capacity), used: round(c.used), free: round(c.capacity - c.used) };
    }
    capacity[u.pool] = {
      devices: u.devices,
      busy: u.busy,
      standby: u.standby,
      unhealthy: u.unhealthy,
      classes,
    };
  }
  return { ledger: result.ledger, pools, health, capacity };
}

function domain(state: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const k of STATE_FIELDS) picked[k] = state[k];
  return canonicalJson(picked);
}

function complete(state: Record<string, unknown>): LedgerState {
  const out: Record<string, unknown> = {};
  for (const k of STATE_FIELDS) out[k] = state[k];
  return out as unknown as LedgerState;
}

export function check(
  olds: Record<string, unknown>,
  news: LedgerInputs,
): Promise<pulumi.dynamic.CheckResult> {
  const health = resolveHealth(news.health);
  const previous = previousLedger(olds);
  const result = plan(news.spec, { previous, health });
  if (!result.ok) {
    const failures = result.errors.map((e) => ({ property: "spec", reason: `${e.path}: ${e.message}` }));
    return Promise.resolve({ inputs: news, failures });
  }
  return Promise.resolve({ inputs: stateOf(result, health) });
}

export function diff(
  _id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
  const changed = STATE_FIELDS.filter(
    (k) => canonicalJson(olds[k] ?? null) !== canonicalJson(news[k] ?? null),
  );
  return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: false });
}

/** The Ledger's id: it records state only, so one fixed id per resource is enough. */
export const LEDGER_ID = "ledger";

export function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
  return Promise.resolve({ id: LEDGER_ID, outs: complete(inputs) });
}

export function update(
  _id: string,
  _olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return Promise.resolve({ outs: complete(news) });
}

/** Refresh: the ledger lives in state only, so what is recorded is what exists. */
export function read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
  return Promise.resolve({ id, props: complete(props) });
}

/** Deleting the Ledger forgets the placements; the devices are separate resources. */
export function remove(): Promise<void> {
  return Promise.resolve();
}

/** True when two states carry the same domain content (used by tests and the harness). */
export function sameState(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return domain(a) === domain(b);
}
