/**
 * The fleet spec's JSON Schema translated to Pulumi package types (schema.ts puts them in the
 * package schema).
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
 */
import { canonicalJson } from "../core/canonical";
import {
  ANY,
  type ComplexTypeSpec,
  type EnumTypeSpec,
  type NamedTypeSpec,
  type ObjectTypeSpec,
  type PrimitiveTypeSpec,
  type UnionTypeSpec,
  type PropertySpec,
  type TypeSpec,
  typeRef,
  typeToken,
} from "./schemaTypes";
import { SPEC_ROOT } from "./schemaResources";

/** A JSON Schema node of fleet.schema.json. */
export type JsonSchema = Record<string, unknown>;

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

/** Every shape fleet.schema.json defines, as Pulumi types; throws with every problem found. */
export function specTypes(fleetSchema: JsonSchema): Map<string, { spec: ComplexTypeSpec; at: string }> {
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
