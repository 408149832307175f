/**
 * servicevm's Pulumi package schema (`plugin/schema.json`, what the plugin's `GetSchema` returns),
 * generated from `schema/fleet.schema.json` so that Pulumi YAML, Python and Go type-check a fleet
 * spec against the same shapes the loader validates. `packageSchema` is pure; run as a script
 * (`npm run schema`) this module writes the file, which a test keeps in step.
 *
 * **From JSON Schema to Pulumi types.** Objects with `properties` become object types; string
 * `enum`s become enum types; a map (`additionalProperties` or `patternProperties` holding a schema)
 * is `{ type: object, additionalProperties }`; an array is `{ type: array, items }`; a `const` is a
 * property's `const`. A `oneOf`/`anyOf` (or `type: [integer, object]`) is Pulumi's union
 * `{ oneOf: [...] }`, each object alternative lifted into a type of its own, with a `discriminator`
 * when every alternative has a `const` under one property name; an alternative that is neither an
 * object, a primitive nor a `$ref` (an array, a map, a nested union) makes the whole union
 * `pulumi.json#/Any`, its description saying what it accepts. Primitive, array and map `$defs`
 * (`name`, `traits`, `capacity`, ...) are inlined where they are used: Pulumi has no type aliases.
 * Descriptions are kept verbatim. One that no Pulumi type can carry (an inlined `$defs` entry's, an
 * array's items', a map's keys' and values') is appended to the enclosing property's, after "Each
 * item:", "Each key:" or "Each value:"; only the editor-only `if`/`then` overlay of `tenancy` is
 * left out. A `default` is appended to its description as "Default: `json`." and never emitted as
 * Pulumi's `default`, which generated SDKs would fill in client-side: the core
 * applies the defaults, and an explicit `diskFormat: qcow2` where the spec left it out would change
 * a template's source digest, so a device would be replaced. Validation keywords (`pattern`,
 * `minimum`, `uniqueItems`, `propertyNames`, `additionalProperties: false`, ...) have no Pulumi
 * form: the provider's `check` (the loader's schema) enforces them.
 *
 * **Type names** (tokens `servicevm:index:<Name>`) derive from `$defs` keys and property paths, so
 * the same fleet.schema.json always gives the same names, and a name changes only when the path it
 * comes from does:
 * - the root is `FleetSpec`; a `$defs` entry `k` is `Pascal(k)` wherever it is referenced;
 * - an inline object or enum at property `p` of a type named `T` is `T` + `Pascal(p)`; under the
 *   root it is `Pascal(p)` alone (the root's name would only repeat on every type);
 * - array items append `Item`, map values `Value`;
 * - an object alternative of a union appends `Pascal` of its discriminator value (`BackendState`),
 *   else of its first required property (`OpenstackImageName`); the object member of
 *   `type: [integer, object]` keeps the position's name (`Inventory`);
 * - enum value names are `Pascal(value)`.
 * `Pascal` splits at every character that is not an ASCII letter or digit and upper-cases the first
 * letter of each part, keeping the rest (`antiAffinity` -> `AntiAffinity`, `fw-large` -> `FwLarge`).
 * Two positions deriving one name for different shapes are an error, never an overwrite.
 *
 * The resources' outputs and their types (`Placement`, `FleetCapacity`, `PoolCapacity`, ...) are
 * written here from the TypeScript interfaces they describe; each property map is typed with the
 * interface's keys, so the compiler fails when a field is added to one and not the other.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Fleet, FleetOptions } from "../components/fleet";
import { canonicalJson } from "../core/canonical";
import type { ClassUsage } from "../core/capacity";
import type { DeviceCapacity, FleetCapacity, PoolCapacityView } from "../core/ledgerView";
import type { HeadroomCount, PoolHeadroom, ShapeHeadroom, ZoneHeadroom } from "../core/headroom";
import type { Isolation, PlacementResult } from "../core/types";
import type { ApplianceRegistrationArgs } from "../provider/appliance";
import type { ApplianceOutputs } from "../provider/applianceImpl";
import type { LedgerInputs, LedgerState, PoolCapacity } from "../provider/ledgerImpl";
import { COMPONENT_TOKENS, PACKAGE, PROVIDER_TOKENS } from "../tokens";

/** Pulumi's built-in "any value" type. */
export const ANY = "pulumi.json#/Any";

// Pulumi package schema format (https://www.pulumi.com/docs/iac/extending-pulumi/schema/). The
// SDK's `PackageSpec` types lack unions, `const`, `secret` and the package metadata; these add them.

export interface PrimitiveTypeSpec {
  type: "string" | "integer" | "number" | "boolean";
}
export interface ArrayTypeSpec {
  type: "array";
  items: TypeSpec;
}
export interface MapTypeSpec {
  type: "object";
  additionalProperties: TypeSpec;
}
export interface NamedTypeSpec {
  $ref: string;
}
export interface DiscriminatorSpec {
  propertyName: string;
  mapping: Record<string, string>;
}
export interface UnionTypeSpec {
  oneOf: TypeSpec[];
  discriminator?: DiscriminatorSpec;
}
export type TypeSpec = PrimitiveTypeSpec | ArrayTypeSpec | MapTypeSpec | NamedTypeSpec | UnionTypeSpec;

export type PropertySpec = TypeSpec & {
  description?: string;
  const?: string | number | boolean;
  secret?: boolean;
};

export interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}
export interface EnumValueSpec {
  name: string;
  value: string;
  description?: string;
}
export interface EnumTypeSpec {
  type: "string";
  description?: string;
  enum: EnumValueSpec[];
}
export type ComplexTypeSpec = ObjectTypeSpec | EnumTypeSpec;

export interface ResourceSpec extends ObjectTypeSpec {
  isComponent?: boolean;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs?: string[];
}

export interface PackageSpec {
  name: string;
  displayName: string;
  version: string;
  description: string;
  license: string;
  meta: { moduleFormat: string };
  language: {
    nodejs: { packageName: string };
    python: { packageName: string };
    go: { importBasePath: string };
    csharp: { rootNamespace: string };
  };
  config: Record<string, never>;
  provider: { description: string };
  types: Record<string, ComplexTypeSpec>;
  resources: Record<string, ResourceSpec>;
}

type JsonSchema = Record<string, unknown>;

/** A type token of this package. */
export function typeToken(name: string): string {
  return `${PACKAGE}:index:${name}`;
}

/** A `$ref` to a type of this package. */
export function typeRef(name: string): NamedTypeSpec {
  return { $ref: `#/types/${typeToken(name)}` };
}

/** `antiAffinity` -> `AntiAffinity`, `fw-large` -> `FwLarge` (see the naming rule above). */
export function pascal(key: string): string {
  return key
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

const PRIMITIVES = new Set(["string", "integer", "number", "boolean"]);

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isPrimitiveName(value: unknown): value is PrimitiveTypeSpec["type"] {
  return typeof value === "string" && PRIMITIVES.has(value);
}

/** The translation's state: the types named so far, where each came from, and every problem found. */
interface Translation {
  defs: Record<string, JsonSchema>;
  types: Map<string, { spec: ComplexTypeSpec; at: string }>;
  problems: Set<string>;
  /**
   * Descriptions of the property being translated that no Pulumi type will carry (its items', its
   * map values', its `$ref`'s when that is inlined), appended to the property's own.
   */
  notes: string[];
}

/** Names a type; the same name for a different shape is a problem, never an overwrite. */
function register(t: Translation, name: string, spec: ComplexTypeSpec, at: string): NamedTypeSpec {
  const token = typeToken(name);
  const seen = t.types.get(token);
  if (seen === undefined) t.types.set(token, { spec, at });
  else if (canonicalJson(seen.spec) !== canonicalJson(spec)) {
    t.problems.add(
      `\`${at}\` and \`${seen.at}\` both derive the type name \`${name}\` for different shapes; rename one of them in fleet.schema.json`,
    );
  }
  return typeRef(name);
}

/** The `$defs` key a `$ref` names, or undefined (a problem) for any other reference. */
function defKey(t: Translation, ref: string, at: string): string | undefined {
  const match = /^#\/\$defs\/([^/]+)$/.exec(ref);
  if (match !== null && isSchema(t.defs[match[1]])) return match[1];
  t.problems.add(
    `\`${at}\`: \`$ref\` ${ref} is not a \`#/$defs/<name>\` of fleet.schema.json; only those are translated`,
  );
  return undefined;
}

/** A property: its type, its description (with what no type carries, and its default) and its `const`. */
function property(t: Translation, node: JsonSchema, name: string, at: string): PropertySpec {
  const outer = t.notes;
  t.notes = [];
  const out: PropertySpec = { ...typeOf(t, node, name, at) };
  const nested = t.notes;
  t.notes = outer;
  const own = typeof node.description === "string" ? node.description : undefined;
  const alternatives = node.oneOf ?? node.anyOf;
  const notes = [
    own,
    typeof node.$ref === "string" ? looseDescription(t, { $ref: node.$ref }, out) : undefined,
    ...nested,
    "default" in node ? `Default: \`${JSON.stringify(node.default)}\`.` : undefined,
    "$ref" in out && out.$ref === ANY && Array.isArray(alternatives)
      ? `Accepts ${accepts(alternatives)}; Pulumi's schema cannot type this union.`
      : undefined,
  ].filter((n): n is string => n !== undefined);
  if (notes.length > 0) out.description = [...new Set(notes)].join(" ");
  const value = node.const;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out.const = value;
  return out;
}

/**
 * The description of `node` (or of the definition its `$ref` names) when no Pulumi type carries it:
 * when it did not become a named type (`#/types/...`), only the enclosing property can.
 */
function looseDescription(t: Translation, node: JsonSchema, translated: TypeSpec): string | undefined {
  if ("$ref" in translated && translated.$ref.startsWith("#/types/")) return undefined;
  const target = typeof node.$ref === "string" ? t.defs[node.$ref.replace("#/$defs/", "")] : undefined;
  const description = node.description ?? target?.description;
  return typeof description === "string" ? description : undefined;
}

/**
 * Translates an array's items or a map's values, keeping a description no type carries as a note
 * (before the notes of its own parts, so an outer description reads first).
 */
function part(t: Translation, node: JsonSchema, label: string, name: string, at: string): TypeSpec {
  const index = t.notes.length;
  const translated = typeOf(t, node, name, at);
  const loose = looseDescription(t, node, translated);
  if (loose !== undefined) t.notes.splice(index, 0, `${label} ${loose}`);
  return translated;
}

/** What a union's alternatives accept, in words, for the description of an untyped (`Any`) union. */
function accepts(alternatives: unknown[]): string {
  const words = alternatives.map((alt) => {
    if (!isSchema(alt)) return "a value";
    if (typeof alt.$ref === "string") return `\`${pascal(alt.$ref.replace("#/$defs/", ""))}\``;
    if (alt.oneOf !== undefined || alt.anyOf !== undefined) return "a nested union";
    if (alt.type === "array") return "a list";
    if (alt.type === "object") return isSchema(alt.properties) ? "an object" : "a map";
    if (alt.type === "integer") return "an integer";
    return isPrimitiveName(alt.type) ? `a ${alt.type}` : "a value";
  });
  return words.join(" or ");
}

/** The Pulumi type of a JSON Schema node at a position named `name`. */
function typeOf(t: Translation, node: JsonSchema, name: string, at: string): TypeSpec {
  if (typeof node.$ref === "string") {
    const key = defKey(t, node.$ref, at);
    return key === undefined ? { $ref: ANY } : typeOf(t, t.defs[key], pascal(key), `#/$defs/${key}`);
  }
  if (Array.isArray(node.oneOf)) return union(t, node.oneOf, name, `${at}/oneOf`);
  if (Array.isArray(node.anyOf)) return union(t, node.anyOf, name, `${at}/anyOf`);
  if (Array.isArray(node.type)) return typeUnion(t, node, name, at);
  if (Array.isArray(node.enum)) return enumType(t, node, name, at);
  if (node.const !== undefined && node.type === undefined) {
    const kind = typeof node.const;
    if (kind === "string" || kind === "boolean") return { type: kind };
    if (kind === "number") return { type: Number.isInteger(node.const) ? "integer" : "number" };
  }
  if (node.type === "object") return objectOrMap(t, node, name, at);
  if (node.type === "array") {
    if (isSchema(node.items))
      return { type: "array", items: part(t, node.items, "Each item:", `${name}Item`, `${at}/items`) };
    t.problems.add(`\`${at}\`: an array without an \`items\` schema has no Pulumi type`);
    return { $ref: ANY };
  }
  if (isPrimitiveName(node.type)) return { type: node.type };
  t.problems.add(`\`${at}\`: no \`type\`, \`$ref\`, \`enum\`, \`const\` or \`oneOf\` to translate`);
  return { $ref: ANY };
}

/** An object type named `name` (its inline children named under it), or a map. */
function objectOrMap(t: Translation, node: JsonSchema, name: string, at: string): TypeSpec {
  if (isSchema(node.properties)) return register(t, name, objectType(t, node, name, at), at);
  const values = [
    ...(isSchema(node.patternProperties) ? Object.values(node.patternProperties) : []),
    ...(isSchema(node.additionalProperties) ? [node.additionalProperties] : []),
  ].filter(isSchema);
  if (isSchema(node.propertyNames)) {
    const keys = looseDescription(t, node.propertyNames, { type: "string" });
    if (keys !== undefined) t.notes.push(`Each key: ${keys}`);
  }
  if (values.length === 1) {
    return {
      type: "object",
      additionalProperties: part(t, values[0], "Each value:", `${name}Value`, `${at}/additionalProperties`),
    };
  }
  if (values.length > 1)
    return {
      type: "object",
      additionalProperties: union(t, values, `${name}Value`, `${at}/patternProperties`),
    };
  if (node.additionalProperties === false || node.maxProperties === 0) {
    const spec: ObjectTypeSpec = { type: "object", properties: {} };
    if (typeof node.description === "string") spec.description = node.description;
    return register(t, name, spec, at);
  }
  return { type: "object", additionalProperties: { $ref: ANY } };
}

/** An object type's body; children are named `prefix` + `Pascal(property)`. */
function objectType(t: Translation, node: JsonSchema, prefix: string, at: string): ObjectTypeSpec {
  const spec: ObjectTypeSpec = { type: "object", properties: {} };
  if (typeof node.description === "string") spec.description = node.description;
  const properties = node.properties as Record<string, unknown>;
  for (const [key, sub] of Object.entries(properties)) {
    if (!isSchema(sub)) {
      t.problems.add(`\`${at}/properties/${key}\`: a boolean schema has no Pulumi type`);
      continue;
    }
    spec.properties[key] = property(t, sub, `${prefix}${pascal(key)}`, `${at}/properties/${key}`);
  }
  const required = Array.isArray(node.required) ? node.required.filter((r) => typeof r === "string") : [];
  for (const r of required.filter((r) => !(r in properties)))
    t.problems.add(`\`${at}\`: \`required\` names \`${r}\`, which is not one of its \`properties\``);
  if (required.length > 0) spec.required = required;
  return spec;
}

/**
 * The property name whose `const` tells a union's object alternatives apart (`kind`, `mode`), when
 * every alternative has one with a distinct string value.
 */
function discriminatorOf(alternatives: JsonSchema[]): string | undefined {
  const first = alternatives[0]?.properties;
  if (!isSchema(first)) return undefined;
  return Object.keys(first).find((key) => {
    const values = alternatives.map((alt) =>
      isSchema(alt.properties) && isSchema(alt.properties[key]) ? alt.properties[key].const : undefined,
    );
    return values.every((v) => typeof v === "string") && new Set(values).size === values.length;
  });
}

/** The name suffix of a union's object alternative: its discriminator value, else its first required property. */
function alternativeSuffix(alt: JsonSchema, discriminator: string | undefined): string | undefined {
  const properties = alt.properties as Record<string, JsonSchema>;
  if (discriminator !== undefined) return pascal(String(properties[discriminator].const));
  const required = Array.isArray(alt.required) ? alt.required : [];
  return typeof required[0] === "string" ? pascal(required[0]) : undefined;
}

/**
 * A `oneOf`/`anyOf` (its alternatives at `listAt/<i>`): Pulumi's union of the alternatives, or `Any`
 * when one of them (an array, a map, a nested union) has no place in one.
 */
function union(t: Translation, alternatives: unknown[], name: string, listAt: string): TypeSpec {
  const schemas = alternatives.filter(isSchema);
  const objects = schemas.filter((alt) => alt.$ref === undefined && isSchema(alt.properties));
  const simple = (alt: JsonSchema) =>
    typeof alt.$ref === "string" || (isPrimitiveName(alt.type) && alt.enum === undefined);
  if (schemas.length !== alternatives.length || !schemas.every((alt) => simple(alt) || objects.includes(alt)))
    return { $ref: ANY };
  const discriminator = objects.length === schemas.length ? discriminatorOf(objects) : undefined;
  const members: TypeSpec[] = [];
  for (const [i, alt] of schemas.entries()) {
    const where = `${listAt}/${i}`;
    if (simple(alt)) {
      members.push(typeOf(t, alt, name, where));
      continue;
    }
    const suffix = alternativeSuffix(alt, discriminator);
    if (suffix === undefined) {
      t.problems.add(
        `\`${where}\`: an object alternative needs a \`const\` discriminator or a \`required\` property to be named by`,
      );
      return { $ref: ANY };
    }
    members.push(objectOrMap(t, alt, `${name}${suffix}`, where));
  }
  if (members.length === 1) return members[0];
  const out: UnionTypeSpec = { oneOf: members };
  if (discriminator !== undefined) {
    const mapping: Record<string, string> = {};
    objects.forEach((alt, i) => {
      const value = String((alt.properties as Record<string, JsonSchema>)[discriminator].const);
      mapping[value] = (members[i] as NamedTypeSpec).$ref;
    });
    out.discriminator = { propertyName: discriminator, mapping };
  }
  return out;
}

/** `type: [integer, object]` and the like: a union whose object member keeps the position's name. */
function typeUnion(t: Translation, node: JsonSchema, name: string, at: string): TypeSpec {
  const kinds = node.type as unknown[];
  const members: TypeSpec[] = [];
  for (const kind of kinds) {
    if (isPrimitiveName(kind)) members.push({ type: kind });
    else if (kind === "object") members.push(objectOrMap(t, node, name, at));
    else {
      t.problems.add(
        `\`${at}\`: \`type\` ${JSON.stringify(kinds)} has a member (${String(kind)}) with no place in a Pulumi union`,
      );
      return { $ref: ANY };
    }
  }
  return members.length === 1 ? members[0] : { oneOf: members };
}

/** A string `enum` as an enum type named `name`. */
function enumType(t: Translation, node: JsonSchema, name: string, at: string): TypeSpec {
  const values = node.enum as unknown[];
  if (!values.every((v): v is string => typeof v === "string")) {
    t.problems.add(`\`${at}\`: only string enums are translated; ${JSON.stringify(values)} has other values`);
    return { $ref: ANY };
  }
  const spec: EnumTypeSpec = {
    type: "string",
    enum: values.map((value) => ({ name: pascal(value), value })),
  };
  if (typeof node.description === "string") spec.description = node.description;
  return register(t, name, spec, at);
}

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
function outputTypes(): Record<string, ObjectTypeSpec> {
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

const SPEC_ROOT = "FleetSpec";

/** What `plugin/construct.ts` reads from a Fleet's inputs: the spec, and the one option it passes on. */
type FleetInputs = { spec: unknown; specText: unknown; specFile: unknown } & Pick<
  FleetOptions,
  "protectLedger"
>;
/** The Fleet's outputs (the `Fleet` class's `placements`, `capacity` and `ledger`). */
type FleetOutputs = Pick<Fleet, "placements" | "capacity" | "ledger">;

function fleetResource(): ResourceSpec {
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

function ledgerResource(): ResourceSpec {
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

function applianceResource(): ResourceSpec {
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

/** Every shape fleet.schema.json defines, as Pulumi types; throws with every problem found. */
function specTypes(fleetSchema: JsonSchema): Map<string, { spec: ComplexTypeSpec; at: string }> {
  const defs = isSchema(fleetSchema.$defs) ? (fleetSchema.$defs as Record<string, JsonSchema>) : {};
  const t: Translation = { defs, types: new Map(), problems: new Set(), notes: [] };
  register(t, SPEC_ROOT, objectType(t, fleetSchema, "", "#"), "#");
  // Every definition, also one nothing references yet, so each `$defs` entry has its type.
  for (const key of Object.keys(defs).sort()) typeOf(t, defs[key], pascal(key), `#/$defs/${key}`);
  if (t.problems.size > 0) {
    throw new Error(
      `fleet.schema.json cannot be translated to Pulumi types (${t.problems.size} problem(s)):\n${[...t.problems].map((p) => `  ${p}`).join("\n")}`,
    );
  }
  return t.types;
}

/** servicevm's Pulumi package schema for the given fleet JSON Schema and package version. */
export function packageSchema(fleetSchema: object, version: string): PackageSpec {
  const specs = specTypes(fleetSchema as JsonSchema);
  const types: Record<string, ComplexTypeSpec> = {};
  for (const [token, { spec }] of specs) types[token] = spec;
  for (const [name, spec] of Object.entries(outputTypes())) {
    const token = typeToken(name);
    if (token in types)
      throw new Error(
        `output type \`${name}\` has the name of a type derived from fleet.schema.json; rename it`,
      );
    types[token] = spec;
  }
  return {
    name: PACKAGE,
    displayName: "servicevm",
    version,
    description:
      "Service-hosting devices as code: device templates, standby pools and tenant-isolated allocations, with Placement-exact capacity arithmetic.",
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    language: {
      nodejs: { packageName: "servicevm" },
      python: { packageName: "pulumi_servicevm" },
      go: { importBasePath: "github.com/servicevm/servicevm/sdk/go/servicevm" },
      csharp: { rootNamespace: "ServiceVM" },
    },
    config: {},
    provider: {
      description:
        "The servicevm provider: serves the Fleet component and the Ledger and ApplianceRegistration resources.",
    },
    types,
    resources: {
      [COMPONENT_TOKENS.fleet]: fleetResource(),
      [PROVIDER_TOKENS.ledger]: ledgerResource(),
      [PROVIDER_TOKENS.appliance]: applianceResource(),
    },
  };
}

/** The generated file, relative to the package root. */
export const SCHEMA_FILE = join("plugin", "schema.json");

/**
 * The text of the schema file at `file`: canonical JSON (keys sorted at every depth, 2-space
 * indent, newline-terminated) laid out as prettier lays out the repository's JSON, so that
 * `npm run format` leaves the generated file as it is. Reads prettier's configuration for `file`.
 */
export async function renderSchema(spec: PackageSpec, file: string): Promise<string> {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(canonicalJson(spec), { ...options, filepath: file });
}

/** Writes `plugin/schema.json` from `schema/fleet.schema.json` and the version in `package.json`. */
export async function main(): Promise<void> {
  // The package's own root, through its `exports` map (as the dynamic providers load their code).
  const root = dirname(require.resolve("servicevm/package.json"));
  const fleetSchema = JSON.parse(readFileSync(join(root, "schema", "fleet.schema.json"), "utf8")) as object;
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const file = join(root, SCHEMA_FILE);
  writeFileSync(file, await renderSchema(packageSchema(fleetSchema, version), file));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
