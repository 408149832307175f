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
 * With `backend: { kind: placement }` the planner's spec, the fleet's name and the backend block
 * are passed on too, and `create`/`update`/`delete` reconcile Placement (see `ledgerPlacement.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../core/canonical";
import { EMPTY_LEDGER, plan } from "../core/plan";
import { poolUsage } from "../core/report";
import type { FleetSpec, HealthMap, Ledger, PlanResult } from "../core/types";
import {
  DEFAULT_PLACEMENT_DEPS,
  applyPlacement,
  backendOf,
  isPlacementState,
  placementChanged,
  removePlacement,
  type LedgerPlacementState,
  type PlacementDeps,
  type PlacementInputs,
} from "./ledgerPlacement";

/** The engine's placeholder for a value that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What the program passes in. */
export interface LedgerInputs {
  /** The planner's view of the fleet spec: plain values only (see `planSpec`). */
  spec: FleetSpec;
  /** Health of declared devices; an unknown value (a new appliance in preview) counts as healthy. */
  health?: Record<string, unknown>;
  /** The fleet's name: Placement identities derive from it (needed with `backend: { kind: placement }`). */
  fleet?: string;
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
  /** With `backend: { kind: placement }`: sync state, claims and differences (never credentials). */
  placement?: LedgerPlacementState;
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
  if (isPlacementState(state.placement)) out.placement = state.placement;
  return out as unknown as LedgerState;
}

const FLEET_NAME = /^[a-z][a-z0-9-]{0,62}$/;

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
  const backend = backendOf(news.spec);
  if (backend === null) return Promise.resolve({ inputs: stateOf(result, health) });
  if (typeof news.fleet !== "string" || !FLEET_NAME.test(news.fleet)) {
    const reason =
      `\`fleet\` must be the fleet's name (${FLEET_NAME.source}) with \`backend: { kind: placement }\`, ` +
      `got ${JSON.stringify(news.fleet ?? null)}; Placement identities derive from it (\`new Fleet(name, ...)\` passes it)`;
    return Promise.resolve({ inputs: news, failures: [{ property: "fleet", reason }] });
  }
  const extra: PlacementInputs = { fleet: news.fleet, backend, spec: news.spec };
  return Promise.resolve({ inputs: { ...stateOf(result, health), ...extra } });
}

export function diff(
  _id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
  const changed = STATE_FIELDS.filter(
    (k) => canonicalJson(olds[k] ?? null) !== canonicalJson(news[k] ?? null),
  );
  const placement = placementChanged(olds.placement, news);
  return Promise.resolve({
    changes: changed.length > 0 || placement,
    replaces: [],
    deleteBeforeReplace: false,
  });
}

/** The Ledger's id: it records state only, so one fixed id per resource is enough. */
export const LEDGER_ID = "ledger";

/** The Ledger provider's `create`/`update`/`read`/`delete` with the given Placement dependencies. */
export function makeLedgerMethods(deps: PlacementDeps = DEFAULT_PLACEMENT_DEPS) {
  /** The outputs for checked inputs `news`; in placement mode after reconciling Placement. */
  const apply = async (
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
  ): Promise<LedgerState> => {
    const outs = complete(news);
    delete (outs as unknown as Record<string, unknown>).placement;
    const oldPlacement = isPlacementState(olds?.placement) ? olds.placement : undefined;
    const backend = backendOf(news.spec as FleetSpec | undefined);
    if (backend === null) {
      // Back to the state backend: the fleet leaves Placement.
      if (oldPlacement !== undefined) await removePlacement(deps, oldPlacement);
      return outs;
    }
    const inputs: PlacementInputs = {
      fleet: news.fleet as string,
      backend,
      spec: news.spec as FleetSpec,
    };
    // The plan `check` made, made again (plan is deterministic): sync needs the full result.
    const health = resolveHealth(news.health);
    const result = plan(inputs.spec, { previous: previousLedger(olds), health });
    if (!result.ok || canonicalJson(result.ledger) !== canonicalJson(news.ledger)) {
      throw new Error(
        `Ledger of fleet \`${inputs.fleet}\`: re-planning for Placement did not give the checked ledger; nothing was recorded`,
      );
    }
    const placement = await applyPlacement(deps, inputs, result, oldPlacement);
    // Renamed (an alias kept the resource): the old name's providers and consumers go.
    if (oldPlacement !== undefined && oldPlacement.fleet !== inputs.fleet)
      await removePlacement(deps, oldPlacement);
    return { ...outs, placement };
  };
  return {
    async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
      return { id: LEDGER_ID, outs: await apply(undefined, inputs) };
    },
    async update(
      _id: string,
      olds: Record<string, unknown>,
      news: Record<string, unknown>,
    ): Promise<pulumi.dynamic.UpdateResult> {
      return { outs: await apply(olds, news) };
    },
    /** Refresh: the ledger lives in state (and Placement mirrors it), so what is recorded is what exists. */
    read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
      return Promise.resolve({ id, props: complete(props) });
    },
    /**
     * Deleting the Ledger forgets the placements; the devices are separate resources. With the
     * placement backend, the fleet's claims, consumers and providers are removed from Placement.
     */
    async remove(_id?: string, props?: Record<string, unknown>): Promise<void> {
      if (isPlacementState(props?.placement)) await removePlacement(deps, props.placement);
    },
  };
}

const DEFAULT_METHODS = makeLedgerMethods();

export function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
  return DEFAULT_METHODS.create(inputs);
}

export function update(
  id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return DEFAULT_METHODS.update(id, olds, news);
}

export function read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
  return DEFAULT_METHODS.read(id, props);
}

export function remove(id?: string, props?: Record<string, unknown>): Promise<void> {
  return DEFAULT_METHODS.remove(id, props);
}

/** True when two states carry the same domain content (used by tests and the harness). */
export function sameState(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return domain(a) === domain(b);
}
