import * as pulumi from "@pulumi/pulumi";
import { checkedPlanView, checkFleetSpec } from "../core/specCheck";
import type { FleetSpec, FleetSpecOf, HealthMap, Ledger, PlacementResult } from "../core/types";
import { EMPTY_LEDGER, isLedger, upgradeLedger } from "../core/ledger";
import { resolveHealth } from "../core/model";
import { plan as planFleet } from "../core/plan";
import { type AnyLedger, LedgerResource, ProviderLedger } from "../provider/ledger";
import { DevicePool, type FleetResources } from "./devicePool";
import { DeviceTemplate } from "./deviceTemplate";
import { type FleetCapacity, ledgerView } from "../core/ledgerView";
import { templateSources } from "./templateSources";
import { type PoolFacts, ServiceAllocation } from "./serviceAllocation";
import { COMPONENT_TOKENS } from "../tokens";

/**
 * A fleet spec as the `Fleet` takes it: `FleetSpec` where values only passed through to child
 * resources (networks, subnets, fixed IPs, image and flavor names or ids, key pair, user data,
 * management URLs, user names) may be `pulumi.Input`s. Everything the planner reads stays plain.
 */
export type FleetArgs = FleetSpecOf<pulumi.Input<string>>;

export interface FleetOptions extends pulumi.ComponentResourceOptions {
  /**
   * Reads a Pulumi secret config value by key: physical appliances' passwords
   * (`credentials.passwordConfig`).
   * @default `new pulumi.Config().requireSecret(key)`
   */
  secretConfig?: (key: string) => pulumi.Output<string>;
  /**
   * Which provider serves the Ledger and the appliance registrations: `dynamic` (nodejs dynamic
   * resources) or `provider` (the servicevm provider plugin, which must then be installed: see
   * README "Languages"). Switching an existing stack from `dynamic` to `provider` keeps every
   * placement (the resources are aliased; the switch is an update). @default "dynamic"
   */
  resources?: FleetResources;
  /**
   * Protect the Ledger (Pulumi's `protect`): the engine then refuses to replace it (`pulumi up
   * --replace`, a `replaceWith` trigger) or to delete it (`pulumi destroy`, `pulumi state delete`),
   * each with an error that says how to unprotect. A targeted replace gives the new Ledger no old
   * inputs, so it would be planned from an empty ledger, moving allocations (a replacement the engine
   * decides itself plans from the ledger it replaces). Set `false` before tearing a fleet down.
   * @default true
   */
  protectLedger?: boolean;
}

/**
 * A fleet of service-hosting devices (`servicevm:index:Fleet`), built from one spec:
 * a `DeviceTemplate` per template, a `DevicePool` per pool, the Ledger, and a `ServiceAllocation`
 * per allocation.
 *
 * **The Ledger is the single source of truth for devices and placements.** Devices cannot be
 * computed from the spec alone: placements are sticky, and a fresh pack of today's allocations
 * often needs fewer devices than their history occupies (3, 3, 5 and 5 slots added over time on
 * 8-slot devices occupy 3 devices; a fresh pack needs 2), so a spec-only size would delete a busy
 * device; and a device keeps the zone it was created in when the pool's `zones` change. The
 * Ledger's `check` plans with the previous ledger and the Fleet creates servers, containers and
 * attachments from its outputs, inside `apply`. This is safe because those outputs are fully known
 * during `pulumi preview` (dynamic providers hand checked inputs back as outputs in a preview, and
 * unknown appliance health counts as healthy), so previews list every child. Physical appliances
 * come from the spec, and their health flows into the Ledger.
 *
 * The Ledger also gets what each template's devices are created from (`templateSources`: a digest
 * per driver field, computed from the Inputs), so a plan names every device an image, network or
 * container change replaces, and a preview warns about those that host allocations.
 *
 * Every created device `dependsOn` the Ledger, so the engine refuses a `pulumi destroy --target`
 * or `pulumi state delete` of the Ledger while devices exist (physical appliances cannot: the
 * Ledger takes their health, so it depends on them).
 *
 * **Under Pulumi's mock runtime** a mock that returns a resource's inputs as its outputs gives the
 * Ledger no `ledger` output (its provider's `check` never runs). The Fleet then plans in-process from
 * the spec (`core/plan`, no previous ledger: what a first `pulumi up` would record), so a unit test
 * sees every device and allocation the spec implies (in a mocked preview the outputs a mock leaves
 * out are unknown, so no device is registered). With the real engine the output is always
 * there (the checked inputs in a preview, the provider's outputs otherwise), so this never replaces
 * the Ledger's sticky plan. An infeasible spec is one error logged on the Fleet (the run fails, as
 * the Ledger's `check` would fail it) and a fleet without devices or placements.
 *
 * Outputs: `placements` (allocation -> device, pool, tenant, isolation), `capacity` (per pool and
 * per device: total/used/free per resource class, standby idle devices), and `ledger`, the Ledger
 * resource's own output. Only `capacity` is registered as the component's outputs: the placements
 * are the ledger's, which the Ledger's state holds once.
 */
export class Fleet extends pulumi.ComponentResource {
  readonly placements: pulumi.Output<Record<string, PlacementResult>>;
  readonly capacity: pulumi.Output<FleetCapacity>;
  readonly ledger: pulumi.Output<Ledger>;
  readonly templates: Record<string, DeviceTemplate> = {};
  readonly pools: Record<string, DevicePool> = {};
  readonly allocations: Record<string, ServiceAllocation> = {};
  readonly ledgerResource: AnyLedger;

  constructor(name: string, args: FleetArgs, opts: FleetOptions = {}) {
    const { secretConfig, resources = "dynamic", protectLedger = true, ...componentOpts } = opts;
    super(COMPONENT_TOKENS.fleet, name, {}, componentOpts);
    // The one spec check (schema and semantic rules), which passes a spec the plugin's Construct or
    // the loader checked as it is; values not known yet may stand only where they are passed through.
    const checked = checkFleetSpec<FleetArgs>(args, { view: "spec", unknown: notKnownYet });
    if (!checked.ok) {
      const { errors } = checked;
      throw new Error(
        `fleet \`${name}\` has ${errors.length} error(s) in its spec:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`,
      );
    }
    const plan = checkedPlanView(checked.spec);
    const childOpts = { parent: this };

    for (const t of Object.keys(args.templates).sort()) {
      this.templates[t] = new DeviceTemplate(
        `${name}-${t}`,
        { fleet: name, template: t, spec: args.templates[t] },
        childOpts,
      );
    }
    // Pools other fleets own have no devices here: nothing to create, their claims go to Placement.
    const owned: Record<string, string> = {};
    for (const p of Object.keys(args.pools).sort()) {
      const template = args.pools[p].template;
      if (template !== undefined) owned[p] = template;
    }
    const poolNames = Object.keys(owned);
    const health = this.addDeclaredPools(name, args, plan, owned, secretConfig, resources);
    const Ledger = resources === "provider" ? ProviderLedger : LedgerResource;
    this.ledgerResource = new Ledger(
      `${name}-ledger`,
      { spec: plan, health, fleet: name, sources: templateSources(args.templates) },
      { ...childOpts, protect: protectLedger },
    );
    // The Ledger's outputs as recorded, or planned here when a mock runtime returned none.
    const ledgerHealth = this.ledgerResource.health.apply(resolveHealth);
    const ledger = pulumi.all([this.ledgerResource.ledger, ledgerHealth]).apply(([l, h]) => {
      const { ledger: current, error } = ledgerOrPlan(name, plan, l, h);
      if (error !== undefined) void pulumi.log.error(error, this);
      return current;
    });
    // Created pools take their devices (names and the zones they were created in) from the Ledger.
    const ledgerPools = ledger.apply((l) => l.pools);
    for (const p of poolNames) {
      if (this.pools[p] !== undefined) continue;
      this.pools[p] = new DevicePool(
        `${name}-${p}`,
        {
          fleet: name,
          pool: p,
          spec: args,
          template: this.templates[owned[p]],
          devices: ledgerPools.apply((pools) => pools[p]?.devices ?? {}),
          ledger: this.ledgerResource,
        },
        childOpts,
      );
    }

    const view = pulumi.all([ledger, ledgerHealth]).apply(([l, h]) => ledgerView(plan, l, h));
    this.ledger = ledger;
    this.placements = view.apply((v) => v.placements);
    this.capacity = view.apply((v) => v.capacity);

    this.addAllocations(name, args, owned);
    // The ledger is stored once, in the Ledger's own state (`servicevm plan --previous` reads it
    // there): registering it, or the placements derived from it, here too would store it again.
    // `placements` stays a property of the Fleet (and an output of `Construct`).
    this.registerOutputs({ capacity: this.capacity });
  }

  /** The pools of declared (physical) devices, which need no Ledger; returns their health Outputs. */
  private addDeclaredPools(
    name: string,
    args: FleetArgs,
    plan: FleetSpec,
    owned: Record<string, string>,
    secretConfig: FleetOptions["secretConfig"],
    resources: FleetResources,
  ): Record<string, pulumi.Output<boolean>> {
    const health: Record<string, pulumi.Output<boolean>> = {};
    for (const p of Object.keys(owned)) {
      if (plan.templates[owned[p]].driver !== "physical" && plan.pools[p].devices === undefined) continue;
      const pool = new DevicePool(
        `${name}-${p}`,
        {
          fleet: name,
          pool: p,
          spec: args,
          template: this.templates[owned[p]],
          ...(secretConfig ? { secretConfig } : {}),
          resources,
        },
        { parent: this },
      );
      this.pools[p] = pool;
      Object.assign(health, pool.health);
    }
    return health;
  }

  /** One ServiceAllocation per allocation, on the device the Ledger placed it. */
  private addAllocations(name: string, args: FleetArgs, owned: Record<string, string>): void {
    const facts: Record<string, PoolFacts> = {};
    for (const p of Object.keys(owned)) {
      const template = args.templates[owned[p]];
      facts[p] = {
        driver: template.driver,
        template: owned[p],
        networks: template.docker?.networks ?? [],
      };
    }
    const deviceId = (pool: string, device: string): pulumi.Output<string> =>
      this.pools[pool].deviceId(device);
    for (const a of Object.keys(args.allocations ?? {}).sort()) {
      this.allocations[a] = new ServiceAllocation(
        `${name}-${a}`,
        {
          fleet: name,
          allocation: a,
          spec: args.allocations![a],
          placement: this.placements.apply((ps) => ps[a]),
          pools: facts,
          deviceId,
        },
        { parent: this },
      );
    }
  }
}

/** An Input whose value is not known when the program runs: an Output or a promise. */
export function notKnownYet(value: unknown): boolean {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * The Ledger's `ledger` output (a servicevm 0.1 ledger upgraded, as the planner would); otherwise, which only a
 * mock runtime returning the inputs as outputs gives, the plan of the spec with no previous ledger,
 * as the Ledger's first `check` would make it. An infeasible plan is the empty ledger (no devices,
 * no placements) and an `error` with the planner's messages, which the Fleet logs on itself: one
 * error that fails the run, instead of a rejected Output in every child.
 */
function ledgerOrPlan(
  fleet: string,
  spec: FleetSpec,
  output: unknown,
  health: HealthMap,
): { ledger: Ledger; error?: string } {
  // A servicevm 0.1 ledger (a stack whose Ledger a targeted update skipped) is upgraded, never replanned.
  if (isLedger(output)) return { ledger: upgradeLedger(output, spec) };
  const result = planFleet(spec, { health });
  if (result.ok) return { ledger: result.ledger };
  return {
    ledger: EMPTY_LEDGER,
    error: `fleet \`${fleet}\` cannot be planned, so it has no devices and no placements:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`,
  };
}
