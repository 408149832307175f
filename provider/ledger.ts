/**
 * The allocation ledger (`pulumi-nodejs:dynamic/servicevm:Ledger`), the single source of truth for
 * pools' devices (names and the zones they were created in) and placements.
 *
 * Its `check` runs the core planner with the previous ledger, so placements stay sticky across
 * `pulumi up`s and are known during `pulumi preview` (the engine returns checked inputs as outputs
 * for providers without preview support, which nodejs dynamic providers are). The `Fleet` reads the
 * `ledger` output to decide which devices and attachments exist. During a preview, `check` warns
 * on the Ledger (the engine's log, with its URN) about every busy device the plan deletes or restarts.
 *
 * An infeasible plan is a `CheckFailure` carrying the core's messages: the update stops and the
 * previous ledger stays in state untouched.
 *
 * With `backend: { kind: placement }`, `create`/`update` also reconcile an OpenStack Placement (the
 * ledger shared by many stacks) and `delete` removes the fleet from it; see `ledgerPlacement.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_MODULE, DYNAMIC_TOKENS, DYNAMIC_TYPES, PROVIDER_TOKENS } from "../tokens";
import type { FleetSpec, HealthMap, Ledger } from "../core/types";
import type * as impl from "./ledgerImpl";
import type { LedgerInputs, PoolCapacity } from "./ledgerImpl";
import type { LedgerPlacementState } from "./ledgerPlacement";

type LedgerImpl = typeof impl;

/**
 * The provider the engine runs. Each method loads the implementation from the installed package
 * (`servicevm/dist/...` through the package's `exports` map), so the serialized closure captures
 * nothing: no modules, no values, no credentials.
 */
export const ledgerProvider: pulumi.dynamic.ResourceProvider = {
  check(olds: Record<string, unknown>, news: LedgerInputs) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).check(olds, news);
  },
  diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).diff(id, olds, news);
  },
  create(inputs: Record<string, unknown>) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).create(inputs);
  },
  update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).update(id, olds, news);
  },
  read(id: string, props: Record<string, unknown>) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).read(id, props);
  },
  delete(id: string, props: Record<string, unknown>) {
    return (require("servicevm/dist/provider/ledgerImpl.js") as LedgerImpl).remove(id, props);
  },
};

export interface LedgerResourceArgs {
  /** The planner's view of the spec: plain values only (`planSpec` strips pass-through values). */
  spec: FleetSpec;
  /**
   * Health of declared devices by name (usually ApplianceRegistration `healthy` outputs). A value
   * not known yet counts as healthy. @default {} (every device healthy)
   */
  health?: pulumi.Input<Record<string, pulumi.Input<boolean>>>;
  /**
   * The fleet's name; Placement identities derive from it. Required with
   * `backend: { kind: placement }` (the `Fleet` passes its name). @default undefined
   */
  fleet?: string;
  /**
   * What each template's devices are created from: template name -> field -> `digest` of the
   * field's value (`templateSource` in `core/sources.ts`; the `Fleet` computes it from its Inputs).
   * A plain record of Outputs, so each field is resolved, or unknown in a preview, on its own; an
   * Output resolving to `undefined` is a field the template leaves out. Digests reveal nothing, so
   * pass them unsecret. @default the planner computes them from `spec`'s driver blocks
   */
  sources?: Record<string, Record<string, pulumi.Input<string | undefined>>>;
}

/**
 * The Ledger's own URN, as an input: its provider's warnings name it, and the dynamic-provider host
 * does not tell a provider the URN. Taken out of the Output it is computed from, because that one
 * depends on the parent, and a dependency on a component is a dependency on all its children (the
 * Fleet's devices, which wait for the Ledger). URNs are known in previews too, so it always resolves.
 */
function ownUrn(name: string, parent: pulumi.Resource | undefined): pulumi.Output<string> {
  const urn = pulumi.createUrn(name, DYNAMIC_TOKENS.ledger, parent);
  return pulumi.output(new Promise<string>((resolve) => void urn.apply(resolve)));
}

/** The Ledger's outputs, whichever provider serves it. */
export interface LedgerOutputs {
  /** The compact ledger (pools' devices with their zones and sources, placements), the next plan's `previous`. */
  readonly ledger: pulumi.Output<Ledger>;
  /** Device names per pool. */
  readonly pools: pulumi.Output<Record<string, string[]>>;
  /** The health the plan used. */
  readonly health: pulumi.Output<HealthMap>;
  /** Per pool: devices, busy, standby, unhealthy and total/used/free per resource class. */
  readonly capacity: pulumi.Output<Record<string, PoolCapacity>>;
  /** With `backend: { kind: placement }`: sync state, claims and differences; else `undefined`. */
  readonly placement: pulumi.Output<LedgerPlacementState | undefined>;
}

/** A Ledger resource of either kind: the dynamic one or the provider plugin's. */
export type AnyLedger = pulumi.CustomResource & LedgerOutputs;

export class LedgerResource extends pulumi.dynamic.Resource implements LedgerOutputs {
  /** The compact ledger (pools' devices with their zones and sources, placements), the next plan's `previous`. */
  declare readonly ledger: pulumi.Output<Ledger>;
  /** Device names per pool. */
  declare readonly pools: pulumi.Output<Record<string, string[]>>;
  /** The health the plan used. */
  declare readonly health: pulumi.Output<HealthMap>;
  /** Per pool: devices, busy, standby, unhealthy and total/used/free per resource class. */
  declare readonly capacity: pulumi.Output<Record<string, PoolCapacity>>;
  /**
   * With `backend: { kind: placement }`: the sync state, the claims granted on other fleets' pools
   * and the differences from the plan. `undefined` with the state backend.
   */
  declare readonly placement: pulumi.Output<LedgerPlacementState | undefined>;

  constructor(name: string, args: LedgerResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      spec: args.spec,
      health: args.health ?? {},
      ...(args.fleet !== undefined ? { fleet: args.fleet } : {}),
      ...(args.sources !== undefined ? { sources: args.sources } : {}),
      resourceUrn: ownUrn(name, opts?.parent),
      ledger: undefined,
      pools: undefined,
      capacity: undefined,
      placement: undefined,
    };
    super(ledgerProvider, name, props, opts, DYNAMIC_MODULE, DYNAMIC_TYPES.ledger);
  }
}

/**
 * The Ledger as a custom resource of the servicevm provider plugin (`servicevm:index:Ledger`): the
 * same planning and state as {@link LedgerResource}, run by the plugin (no serialized closure), so
 * Pulumi YAML, Python and Go programs can have one, and its `check` gets its URN from the engine.
 *
 * It is aliased to the dynamic Ledger's type: a TypeScript stack that switches a Fleet to
 * `resources: "provider"` moves its Ledger to the plugin by an update that plans from the ledger
 * in state (the engine asks the new provider whether its configuration differs from the dynamic
 * provider's; the plugin does not implement `DiffConfig`, which the engine reads as "no
 * replacement"), so every placement is kept.
 */
export class ProviderLedger extends pulumi.CustomResource implements LedgerOutputs {
  declare readonly ledger: pulumi.Output<Ledger>;
  declare readonly pools: pulumi.Output<Record<string, string[]>>;
  declare readonly health: pulumi.Output<HealthMap>;
  declare readonly capacity: pulumi.Output<Record<string, PoolCapacity>>;
  declare readonly placement: pulumi.Output<LedgerPlacementState | undefined>;

  constructor(name: string, args: LedgerResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      spec: args.spec,
      health: args.health ?? {},
      ...(args.fleet !== undefined ? { fleet: args.fleet } : {}),
      ...(args.sources !== undefined ? { sources: args.sources } : {}),
      ledger: undefined,
      pools: undefined,
      capacity: undefined,
      placement: undefined,
    };
    const aliases = [...(opts?.aliases ?? []), { type: DYNAMIC_TOKENS.ledger }];
    super(PROVIDER_TOKENS.ledger, name, props, { ...opts, aliases });
  }
}
