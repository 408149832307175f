/**
 * The resources of servicevm's Pulumi package schema (the Fleet component, the Ledger and
 * ApplianceRegistration) and the output types they use, written from the TypeScript interfaces
 * they describe: each property map is typed with the interface's keys, so the compiler fails when a
 * field is added to one and not the other. `schema.ts` puts them with the types it derives from
 * fleet.schema.json.
 */
import type { Fleet, FleetOptions } from "../components/fleet";
import type { ClassUsage } from "../core/capacity";
import type { DeviceCapacity, FleetCapacity, PoolCapacityView } from "../core/ledgerView";
import type { HeadroomCount, PoolHeadroom, ShapeHeadroom, ZoneHeadroom } from "../core/headroom";
import type { Isolation, PlacementResult } from "../core/types";
import type { ApplianceRegistrationArgs } from "../provider/appliance";
import type { ApplianceOutputs } from "../provider/applianceImpl";
import type { LedgerInputs, LedgerState, PoolCapacity } from "../provider/ledgerImpl";
import {
  ANY,
  type ObjectTypeSpec,
  type PropertySpec,
  type ResourceSpec,
  type TypeSpec,
  typeRef,
} from "./schemaTypes";
/** Object-type properties for the interface `T`: one entry per key, no more, no fewer. */
type PropertiesOf<T> = { [K in keyof T]-?: PropertySpec };

/** Described properties of each kind, for the hand-written types below. */
const prop = {
  string: (description: string): PropertySpec => ({ type: "string", description }),
  integer: (description: string): PropertySpec => ({ type: "integer", description }),
  number: (description: string): PropertySpec => ({ type: "number", description }),
  boolean: (description: string): PropertySpec => ({ type: "boolean", description }),
  ref: (name: string, description: string): PropertySpec => ({ ...typeRef(name), description }),
  any: (description: string): PropertySpec => ({ $ref: ANY, description }),
  map: (values: TypeSpec, description: string): PropertySpec => ({
    type: "object",
    additionalProperties: values,
    description,
  }),
  list: (items: TypeSpec, description: string): PropertySpec => ({ type: "array", items, description }),
};

function objectOf<T>(
  description: string,
  properties: PropertiesOf<T>,
  required: (keyof T & string)[],
): ObjectTypeSpec {
  return { type: "object", description, properties, required };
}

const LEDGER_DESCRIPTION = "The compact ledger (version 2), the next plan's previous.";

/**
 * The enum of isolation kinds, as the spec's shared `tenancy` declares it (its name by the rule
 * above); the format test fails on a dangling reference if that path changes.
 */
const ISOLATION_KIND = "TemplateTenancySharedIsolation";

const CLASS_USAGE: PropertiesOf<ClassUsage> = {
  total: prop.number(
    "Capacity, `(total - reserved) * allocationRatio`, rounded to 1e-6; a pool sums its devices' before rounding.",
  ),
  used: prop.number("Amount allocated."),
  free: prop.number("`total - used`."),
};

const zoneHeadroom: PropertiesOf<ZoneHeadroom> = {
  devices: prop.integer("Devices now."),
  maxDevices: prop.integer("Devices at `max` (or `size`, or the declared devices)."),
  existing: prop.ref(
    "HeadroomCount",
    "On the devices that exist, standby included; the limit that stops the most of them.",
  ),
  upToMax: prop.ref(
    "HeadroomCount",
    "On every device the pool may have; the limit is `max` (`size`, `devices`) unless a new device would take none.",
  ),
};

/** Types of the resources' outputs, from the TypeScript interfaces named in each comment. */
export function outputTypes(): Record<string, ObjectTypeSpec> {
  const classes = prop.map(
    typeRef("ClassUsage"),
    "Total, used and free per resource class (classes sorted).",
  );
  return {
    // core/types.ts Isolation
    Isolation: objectOf<Isolation>(
      "Isolation context of a tenant on a shared device.",
      {
        kind: prop.ref(ISOLATION_KIND, "Kind of isolation context."),
        id: prop.integer(
          "Context id (VRF id, VLAN id, namespace number), from the template's `contexts` range.",
        ),
      },
      ["kind", "id"],
    ),
    // core/types.ts PlacementResult
    Placement: objectOf<PlacementResult>(
      "Where an allocation is placed.",
      {
        device: prop.string("Device the allocation is placed on."),
        pool: prop.string("Pool of that device."),
        tenant: prop.string("Tenant the allocation belongs to."),
        isolation: prop.ref(
          "Isolation",
          "The tenant's isolation context on a shared device; absent (null) on a dedicated one.",
        ),
      },
      ["device", "pool", "tenant"],
    ),
    // core/capacity.ts ClassUsage
    ClassUsage: objectOf<ClassUsage>("Total, used and free of one resource class.", CLASS_USAGE, [
      "total",
      "used",
      "free",
    ]),
    // core/ledgerView.ts FleetCapacity
    FleetCapacity: objectOf<FleetCapacity>(
      "Capacity per pool and per device: total/used/free per resource class, standby idle devices.",
      {
        pools: prop.map(typeRef("PoolCapacityView"), "Per pool: its devices and its summary."),
        devices: prop.map(
          typeRef("DeviceCapacity"),
          "Per device: its pool, zone, health, capacity and what it hosts.",
        ),
        headroom: prop.list(
          typeRef("ShapeHeadroom"),
          "Per distinct demand of the spec's allocations: how many more fit per pool and zone, now and up to `max`.",
        ),
      },
      ["pools", "devices", "headroom"],
    ),
    // core/headroom.ts ShapeHeadroom
    ShapeHeadroom: objectOf<ShapeHeadroom>(
      "Headroom of one shape (a demand; each new allocation a new tenant's unless `tenant` is set), per pool.",
      {
        demand: prop.map({ type: "integer" }, "Amount per resource class."),
        tenant: prop.string("The tenant of the new allocations; absent (null): each a new tenant."),
        allocations: prop.integer("How many of the spec's allocations have this demand."),
        pools: prop.map(typeRef("PoolHeadroom"), "Per owned pool with an inventory of every demanded class."),
      },
      ["demand", "allocations", "pools"],
    ),
    // core/headroom.ts PoolHeadroom
    PoolHeadroom: objectOf<PoolHeadroom>(
      "Headroom of a shape in one pool, and in each of its zones.",
      {
        ...zoneHeadroom,
        template: prop.string("Template of the pool."),
        zones: prop.map(typeRef("ZoneHeadroom"), "Per zone; devices without a zone count in the pool only."),
      },
      ["template", "devices", "maxDevices", "existing", "upToMax", "zones"],
    ),
    // core/headroom.ts ZoneHeadroom
    ZoneHeadroom: objectOf<ZoneHeadroom>("Headroom of a shape in one zone of a pool.", zoneHeadroom, [
      "devices",
      "maxDevices",
      "existing",
      "upToMax",
    ]),
    // core/headroom.ts HeadroomCount
    HeadroomCount: objectOf<HeadroomCount>(
      "How many more allocations of a shape fit, and what stops the next one.",
      {
        fits: prop.integer("How many more fit."),
        limit: prop.string(
          "What binds first: a resource class, `contexts`, `dedicated`, `<CLASS>:minUnit|maxUnit|stepSize|missing`, `unhealthy`, `zone`, `max`, `size`, `devices` or `none`.",
        ),
      },
      ["fits", "limit"],
    ),
    // core/ledgerView.ts PoolCapacityView (PoolSummary in core/capacity.ts, plus device names)
    PoolCapacityView: objectOf<PoolCapacityView>(
      "A pool in the Fleet's `capacity` output: its device names and the pool summary.",
      {
        devices: prop.list({ type: "string" }, "Device names, in index order."),
        busy: prop.integer("Devices hosting at least one allocation."),
        standby: prop.integer("Healthy devices hosting nothing: booted and waiting."),
        unhealthy: prop.integer("Unhealthy devices."),
        classes,
      },
      ["devices", "busy", "standby", "unhealthy", "classes"],
    ),
    // core/ledgerView.ts DeviceCapacity
    DeviceCapacity: objectOf<DeviceCapacity>(
      "One device in the Fleet's `capacity` output.",
      {
        pool: prop.string("Pool of the device."),
        zone: prop.string("Zone the device was created in; absent (null) without a zone."),
        healthy: prop.boolean(
          "Whether the device is healthy; the planner places nothing new on an unhealthy one.",
        ),
        classes: prop.map(typeRef("ClassUsage"), "Total, used and free per resource class."),
        tenants: prop.list({ type: "string" }, "Tenants with allocations on the device (sorted)."),
        allocations: prop.list({ type: "string" }, "Allocations placed on the device."),
      },
      ["pool", "healthy", "classes", "tenants", "allocations"],
    ),
    // provider/ledgerImpl.ts PoolCapacity (PoolSummary in core/capacity.ts, plus a device count)
    PoolCapacity: objectOf<PoolCapacity>(
      "A pool's summary in the Ledger's state: its device count and the core's pool summary.",
      {
        devices: prop.integer("Number of devices."),
        busy: prop.integer("Devices hosting at least one allocation."),
        standby: prop.integer("Healthy devices hosting nothing: booted and waiting."),
        unhealthy: prop.integer("Unhealthy devices."),
        classes,
      },
      ["devices", "busy", "standby", "unhealthy", "classes"],
    ),
  };
}

export const SPEC_ROOT = "FleetSpec";

/** What `plugin/construct.ts` reads from a Fleet's inputs: the spec, and the one option it passes on. */
type FleetInputs = { spec: unknown; specText: unknown; specFile: unknown } & Pick<
  FleetOptions,
  "protectLedger"
>;
/** The Fleet's outputs (the `Fleet` class's `placements`, `capacity` and `ledger`). */
type FleetOutputs = Pick<Fleet, "placements" | "capacity" | "ledger">;

export function fleetResource(): ResourceSpec {
  const inputs: PropertiesOf<FleetInputs> = {
    spec: prop.ref(
      SPEC_ROOT,
      "The fleet spec as an object following schema/fleet.schema.json. Give exactly one of `spec` and `specText`.",
    ),
    specText: prop.string(
      "The fleet spec as YAML or JSON text, e.g. `fn::readFile: ./fleet.yaml`. Give exactly one of `spec` and `specText`.",
    ),
    specFile: prop.string("The file name `specText` came from; errors then name file:line:col."),
    protectLedger: prop.boolean(
      "Protect the Ledger (Pulumi's `protect`): the engine then refuses to replace or delete it, each with an error that says how to unprotect. Set `false` before tearing a fleet down. Default: `true`.",
    ),
  };
  const outputs: PropertiesOf<FleetOutputs> = {
    placements: prop.map(
      typeRef("Placement"),
      "Allocation name -> device, pool, tenant and isolation context.",
    ),
    capacity: prop.ref(
      "FleetCapacity",
      "Capacity per pool and per device: total/used/free per resource class, standby idle devices.",
    ),
    ledger: prop.any(LEDGER_DESCRIPTION),
  };
  return {
    type: "object",
    description:
      "A fleet: device templates, pools of devices built from them, and tenant service allocations placed on those devices. It creates the devices, their attachments and the Ledger that keeps placements sticky from one update to the next.",
    isComponent: true,
    inputProperties: inputs,
    properties: outputs,
    required: ["placements", "capacity", "ledger"],
  };
}

export function ledgerResource(): ResourceSpec {
  const inputs: PropertiesOf<LedgerInputs> = {
    spec: prop.ref(SPEC_ROOT, "The planner's view of the fleet spec: plain values only."),
    health: prop.map(
      { type: "boolean" },
      "Health of declared devices by name (usually ApplianceRegistration `healthy` outputs); a value not known yet counts as healthy. Default: every device healthy.",
    ),
    fleet: prop.string(
      "The fleet's name; Placement identities derive from it. Required with `backend: { kind: placement }`.",
    ),
    sources: prop.map(
      { type: "object", additionalProperties: { type: "string" } },
      "Template name -> field -> digest of what the template's devices are created from, each field resolved on its own. Default: the planner computes them from `spec`'s driver blocks.",
    ),
    resourceUrn: prop.string("The Ledger's own URN, which its warnings name."),
  };
  const outputs: PropertiesOf<LedgerState> = {
    ledger: prop.any(`${LEDGER_DESCRIPTION} The CLI's \`--previous\` reads it from \`pulumi stack export\`.`),
    pools: prop.map({ type: "array", items: { type: "string" } }, "Device names per pool, in index order."),
    health: prop.map({ type: "boolean" }, "The health the plan used, for declared devices."),
    capacity: prop.map(
      typeRef("PoolCapacity"),
      "Per pool: devices, busy, standby, unhealthy, and total/used/free per resource class.",
    ),
    placement: prop.any(
      "With `backend: { kind: placement }`: the sync state, the claims granted on other fleets' pools and the differences from the plan (never credentials). Absent with the state backend.",
    ),
  };
  return {
    type: "object",
    description:
      "The allocation ledger, the single source of truth for pools' devices (names and the zones they were created in) and placements. Its `check` runs the planner with the previous ledger, so placements stay sticky across updates and are known in a preview; an infeasible plan fails `check` and leaves the previous ledger untouched.",
    inputProperties: inputs,
    requiredInputs: ["spec"],
    properties: outputs,
    required: ["ledger", "pools", "health", "capacity"],
  };
}

export function applianceResource(): ResourceSpec {
  const inputs: PropertiesOf<ApplianceRegistrationArgs> = {
    fleet: prop.string("Name of the fleet the appliance belongs to."),
    pool: prop.string("Pool the appliance is declared in."),
    device: prop.string("Device name, unique in the fleet."),
    serial: prop.string("Serial number, recorded as given."),
    zone: prop.string("Zone of the appliance."),
    managementUrl: prop.string(
      "Management URL probed on create and refresh (`http://` or `https://`). Default: none: not probed, counted healthy.",
    ),
    caFile: prop.string(
      "PEM CA bundle trusted for the management URL, a path relative to the project. Default: the system CAs.",
    ),
    insecure: prop.boolean("Skip TLS verification; credentials are then not sent. Default: `false`."),
    timeoutMs: prop.integer("Probe timeout in milliseconds. Default: `5000`."),
    username: { ...prop.string("Management user name."), secret: true },
    passwordConfig: prop.string(
      "Name of the Pulumi secret config key holding the password (recorded; the value is not).",
    ),
    password: {
      ...prop.string(
        "The password, from the secret config key `passwordConfig`; used to probe, kept only as a secret output.",
      ),
      secret: true,
    },
  };
  const outputs: PropertiesOf<ApplianceOutputs> = {
    ...inputs,
    reachable: prop.boolean("Whether the last probe got an answer."),
    healthy: prop.boolean(
      "Reachable and not refusing the credentials the probe sent (401, 403), or nothing to probe: the Ledger places services only on healthy appliances.",
    ),
    latencyMs: prop.number("Round trip of the last probe in milliseconds; absent when it got no answer."),
    lastSeen: prop.string(
      "ISO time of the last probe that got an answer; kept from earlier probes while unreachable.",
    ),
    status: prop.string(
      "`HTTP <code>`, `timeout`, a socket or TLS error code, a CA file that cannot be read, or `unmanaged` when there is no URL.",
    ),
  };
  return {
    type: "object",
    description:
      "One physical appliance of a fleet. On create, update and refresh it probes the management URL and records `reachable`, `healthy`, `latencyMs`, `lastSeen` and `status`; an unhealthy appliance makes the Ledger move its services away and place nothing new on it.",
    inputProperties: inputs,
    requiredInputs: ["fleet", "pool", "device"],
    properties: outputs,
    required: ["fleet", "pool", "device", "reachable", "healthy", "status"],
  };
}
