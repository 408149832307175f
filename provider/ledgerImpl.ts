/**
 * The Ledger provider's logic, loaded by the dynamic-provider process through
 * `require("servicevm/dist/provider/ledgerImpl.js")`.
 *
 * `check` is where the planning happens: it runs the core `plan` with the previous ledger (the
 * old inputs, which are what the previous `check` returned) and returns the new ledger as the
 * inputs. The nodejs dynamic provider does not implement provider previews, so during
 * `pulumi preview` the engine hands these checked inputs back as the resource's outputs: the
 * placements and devices of a preview are exactly those `pulumi up` will record.
 *
 * What each template's devices are created from comes in as `sources` (one digest per field, see
 * `core/sources.ts`); a field the engine does not know yet in a preview arrives as {@link UNKNOWN}
 * and is planned as unknown (`null`). `check` warns, on the Ledger's URN, about every device the
 * plan deletes or restarts while it hosts allocations (replaced, its pool removed, re-racked,
 * resized: `core/warnings.ts`), so a preview names the tenants an apply would disturb.
 *
 * The spec itself is not kept in state (only its plan is), which keeps the Ledger's state small.
 * With `backend: { kind: placement }` the planner's spec, the sources, the fleet's name and the
 * backend block are passed on too, and `create`/`update`/`delete` reconcile Placement (see
 * `ledgerPlacement.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../core/canonical";
import { plan } from "../core/plan";
import type { ClassUsage, PoolSummary } from "../core/capacity";
import { poolUsage } from "../core/report";
import type { FleetSpec, HealthMap, Ledger, LedgerV1, PlanResult, TemplateSources } from "../core/types";
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

import {
  ledgerPoolDevices,
  missingSpecFailure,
  planFailure,
  previousLedger,
  resolveSources,
  UNKNOWN,
} from "./ledgerInputs";
import { EMPTY_LEDGER, isLedger } from "../core/ledger";
import { changeWarnings } from "../core/warnings";
import { resolveHealth } from "../core/model";
import { NAME } from "../core/names";

/** What the program passes in. */
export interface LedgerInputs {
  /** The planner's view of the fleet spec: plain values only (see `planSpec`). */
  spec: FleetSpec;
  /** Health of declared devices; an unknown value (a new appliance in preview) counts as healthy. */
  health?: Record<string, unknown>;
  /** The fleet's name: Placement identities derive from it (needed with `backend: { kind: placement }`). */
  fleet?: string;
  /**
   * Template name -> field -> digest of what the template's devices are created from
   * (`templateSource`), each field resolved on its own; {@link UNKNOWN} for a value not known yet.
   * Absent: the planner computes them from `spec`'s driver blocks.
   */
  sources?: Record<string, unknown>;
  /** The Ledger's own URN, which its warnings name (the provider host does not tell it). */
  resourceUrn?: string;
}

/** Capacity of one resource class summed over a pool's devices. */
export type ClassCapacity = ClassUsage;

/** A pool's summary in the Ledger's state: its device count and the core's pool summary. */
export interface PoolCapacity extends PoolSummary {
  devices: number;
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

/** The state recorded for a successful plan. */
export function stateOf(result: PlanResult, health: HealthMap): LedgerState {
  const pools: Record<string, string[]> = {};
  for (const p of Object.keys(result.pools).sort()) pools[p] = [...result.pools[p].devices];
  const capacity: Record<string, PoolCapacity> = {};
  for (const u of poolUsage(result)) {
    const { busy, classes, devices, standby, unhealthy } = u;
    capacity[u.pool] = { devices, busy, standby, unhealthy, classes };
  }
  return { ledger: result.ledger, pools, health, capacity };
}

function domain(state: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const k of STATE_FIELDS) picked[k] = state[k];
  return canonicalJson(picked);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Outputs with every state field present, from a state that may lack some (written by an older
 * servicevm, or edited by hand): the engine cannot encode a missing (`undefined`) field and fails
 * the refresh with "Unexpected struct type". A missing or foreign `ledger` is the empty one; a
 * version 1 ledger stays as it is (the next `check` upgrades it, which needs the spec); missing
 * `pools` are the ledger's devices; missing `health` is `{}` (every device healthy); missing
 * `capacity` is `{}`, since totals need the spec, which the state does not hold: the next `check`
 * records them again.
 */
export function completeOutputs(state: Record<string, unknown>): LedgerState {
  const ledger = isLedger(state.ledger) ? state.ledger : EMPTY_LEDGER;
  const pools = isRecord(state.pools) ? state.pools : ledgerPoolDevices(ledger);
  const out: Record<string, unknown> = {
    ledger,
    pools,
    health: isRecord(state.health) ? resolveHealth(state.health) : {},
    capacity: isRecord(state.capacity) ? state.capacity : {},
  };
  if (isPlacementState(state.placement)) out.placement = state.placement;
  return out as unknown as LedgerState;
}

function complete(state: Record<string, unknown>): LedgerState {
  const out: Record<string, unknown> = {};
  for (const k of STATE_FIELDS) out[k] = state[k];
  if (isPlacementState(state.placement)) out.placement = state.placement;
  return out as unknown as LedgerState;
}

const FLEET_NAME = NAME;

/** The Ledger's URN from its inputs; `""` (a global log) when it is absent or not known. */
function urnOf(inputs: Record<string, unknown>): string {
  const urn = inputs.resourceUrn;
  return typeof urn === "string" && urn !== UNKNOWN ? urn : "";
}

/**
 * The Ledger provider's methods with the given dependencies (Placement, warnings). Longer than 80
 * lines because it is the provider: a closure over `deps` holding `check`, `create`, `update`,
 * `read` and `delete`, each short on its own.
 */
export function makeLedgerMethods(deps: PlacementDeps = DEFAULT_PLACEMENT_DEPS) {
  /**
   * Plans from the previous ledger (the old inputs) and returns the state as the new inputs, or
   * the planner's errors as failures (nothing changes). Warns about busy devices it deletes or restarts.
   * The engine calls it in previews and updates alike (a dynamic provider cannot tell them apart),
   * so the warnings show in `pulumi preview` and again in `pulumi up`.
   */
  /**
   * The ledger each Ledger (by URN) had in its old inputs, as this process saw them: what a
   * replacement plans from. When the engine replaces a resource it calls `check` with the old
   * inputs first, then, having decided to replace, again without them (and on a re-creation after
   * a delete-before-replace, the same); planning that second call from empty would move
   * allocations and drop busy devices. A provider process serves one deployment, so the memory
   * never outlives the old state it came from.
   */
  const replaced = new Map<string, Ledger | LedgerV1>();

  /** The previous ledger: the old inputs', else the one this Ledger had before a replacement. */
  const previousOf = async (olds: Record<string, unknown>, urn: string): Promise<Ledger | LedgerV1> => {
    if (isLedger(olds.ledger)) {
      if (urn !== "") replaced.set(urn, olds.ledger);
      return olds.ledger;
    }
    const before = urn !== "" ? replaced.get(urn) : undefined;
    if (before === undefined) return EMPTY_LEDGER;
    const kept = Object.keys(before.placements).length;
    await deps.warn(
      urn,
      `the Ledger is being replaced: the new one plans from the ledger it replaces (${kept} placement(s) kept)`,
    );
    return before;
  };

  const check = async (
    olds: Record<string, unknown>,
    news: LedgerInputs,
    resourceUrn?: string,
  ): Promise<pulumi.dynamic.CheckResult> => {
    if (!isRecord(news.spec)) return { inputs: news, failures: [missingSpecFailure(news.spec)] };
    const health = resolveHealth(news.health);
    const { sources, failures } = resolveSources(news.sources, news.spec);
    if (failures.length > 0) return { inputs: news, failures };
    const urn = resourceUrn ?? urnOf(news as unknown as Record<string, unknown>);
    const previous = await previousOf(olds, urn);
    const result = plan(news.spec, { previous, health, ...(sources !== undefined ? { sources } : {}) });
    if (!result.ok) {
      return {
        inputs: news,
        failures: result.errors.map(planFailure),
      };
    }
    const own = news.resourceUrn !== undefined ? { resourceUrn: news.resourceUrn } : {};
    const backend = backendOf(news.spec);
    let inputs: Record<string, unknown>;
    if (backend === null) inputs = { ...stateOf(result, health), ...own };
    else {
      if (typeof news.fleet !== "string" || !FLEET_NAME.test(news.fleet)) {
        const reason =
          `\`fleet\` must be the fleet's name (${FLEET_NAME.source}) with \`backend: { kind: placement }\`, ` +
          `got ${JSON.stringify(news.fleet ?? null)}; Placement identities derive from it (\`new Fleet(name, ...)\` passes it)`;
        return { inputs: news, failures: [{ property: "fleet", reason }] };
      }
      const extra: PlacementInputs = {
        fleet: news.fleet,
        backend,
        spec: news.spec,
        ...(sources !== undefined ? { sources } : {}),
      };
      inputs = { ...stateOf(result, health), ...extra, ...own };
    }
    for (const warning of changeWarnings(result.changes)) await deps.warn(urn, warning.message);
    return { inputs };
  };

  /** The outputs for checked inputs `news`; in placement mode after reconciling Placement. */
  const apply = async (
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
    urn: string,
  ): Promise<LedgerState> => {
    const outs = complete(news);
    delete (outs as unknown as Record<string, unknown>).placement;
    const oldPlacement = isPlacementState(olds?.placement) ? olds.placement : undefined;
    const backend = backendOf(news.spec as FleetSpec | undefined);
    if (backend === null) {
      // Back to the state backend: the fleet leaves Placement.
      if (oldPlacement !== undefined) await removePlacement(deps, oldPlacement, urn);
      return outs;
    }
    const sources = news.sources as TemplateSources | undefined;
    const inputs: PlacementInputs = {
      fleet: news.fleet as string,
      backend,
      spec: news.spec as FleetSpec,
      ...(sources !== undefined ? { sources } : {}),
    };
    // The plan `check` made, made again (plan is deterministic): sync needs the full result.
    const health = resolveHealth(news.health);
    const result = plan(inputs.spec, {
      previous: olds !== undefined ? previousLedger(olds) : (replaced.get(urn) ?? EMPTY_LEDGER),
      health,
      ...(sources !== undefined ? { sources } : {}),
    });
    if (!result.ok || canonicalJson(result.ledger) !== canonicalJson(news.ledger)) {
      throw new Error(
        `Ledger of fleet \`${inputs.fleet}\`: re-planning for Placement did not give the checked ledger; nothing was recorded`,
      );
    }
    const placement = await applyPlacement(deps, inputs, result, oldPlacement, urn);
    // Renamed (an alias kept the resource): the old name's providers and consumers go.
    if (oldPlacement !== undefined && oldPlacement.fleet !== inputs.fleet)
      await removePlacement(deps, oldPlacement, urn);
    return { ...outs, placement };
  };
  return {
    check,
    /** `urn`: the Ledger's, when the host tells it (the provider plugin); else its `resourceUrn` input. */
    async create(inputs: Record<string, unknown>, urn?: string): Promise<pulumi.dynamic.CreateResult> {
      return { id: LEDGER_ID, outs: await apply(undefined, inputs, urn ?? urnOf(inputs)) };
    },
    async update(
      _id: string,
      olds: Record<string, unknown>,
      news: Record<string, unknown>,
      urn?: string,
    ): Promise<pulumi.dynamic.UpdateResult> {
      return { outs: await apply(olds, news, urn ?? urnOf(news)) };
    },
    /**
     * Refresh: the ledger lives in state (and Placement mirrors it), so what is recorded is what
     * exists; a field the state lacks is filled in (`completeOutputs`).
     */
    read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
      return Promise.resolve({ id, props: completeOutputs(props) });
    },
    /**
     * Deleting the Ledger forgets the placements; the devices are separate resources. With the
     * placement backend, the fleet's claims, consumers and providers are removed from Placement.
     */
    /** `urn`: the plugin's host tells it; the dynamic host does not (its warnings are then global). */
    async remove(_id?: string, props?: Record<string, unknown>, urn?: string): Promise<void> {
      if (isPlacementState(props?.placement))
        await removePlacement(deps, props.placement, urn ?? urnOf(props ?? {}));
    },
  };
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

const DEFAULT_METHODS = makeLedgerMethods();

export function check(
  olds: Record<string, unknown>,
  news: LedgerInputs,
): Promise<pulumi.dynamic.CheckResult> {
  return DEFAULT_METHODS.check(olds, news);
}

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
