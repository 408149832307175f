/**
 * A small JSON Schema -> TypeScript translator, enough for fleet.schema.json: $ref to $defs,
 * oneOf, enum, const, type lists, objects (properties, required, additionalProperties,
 * maxProperties 0) and arrays. The types test compiles its output against core/types.ts.
 */
type Schema = Record<string, unknown>;

function lit(v: unknown): string {
  return JSON.stringify(v);
}

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k);
}

export function defName(name: string): string {
  return `Def_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function objectType(s: Schema): string {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  const members = Object.entries(props).map(
    ([k, v]) => `${key(k)}${required.has(k) ? "" : "?"}: ${toTs(v)};`,
  );
  const extra = s.additionalProperties;
  if (s.maxProperties === 0 && members.length === 0) return "Record<string, never>";
  if (extra !== undefined && extra !== false && typeof extra === "object")
    members.push(`[key: string]: ${toTs(extra as Schema)};`);
  else if (extra === undefined && members.length === 0) members.push("[key: string]: unknown;");
  return `{ ${members.join(" ")} }`;
}

function ofType(s: Schema, t: string): string {
  switch (t) {
    case "integer":
    case "number":
      return "number";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `(${toTs((s.items ?? {}) as Schema)})[]`;
    case "object":
      return objectType(s);
    default:
      throw new Error(`schema-to-ts: unsupported type ${t}`);
  }
}

/** The TypeScript type of one schema node. */
export function toTs(s: Schema): string {
  if (typeof s.$ref === "string") return defName(s.$ref.replace("#/$defs/", ""));
  if (Array.isArray(s.oneOf)) return (s.oneOf as Schema[]).map((b) => `(${toTs(b)})`).join(" | ");
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map(lit).join(" | ");
  if (s.const !== undefined) return lit(s.const);
  if (Array.isArray(s.type)) return (s.type as string[]).map((t) => `(${ofType(s, t)})`).join(" | ");
  if (typeof s.type === "string") return ofType(s, s.type);
  if (s.properties !== undefined) return objectType(s);
  return "unknown";
}

/** A module declaring `Root` and every `$defs` entry. */
export function schemaToTs(schema: Schema): string {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  const lines = Object.entries(defs).map(([name, def]) => `export type ${defName(name)} = ${toTs(def)};`);
  lines.push(`export type Root = ${toTs(schema)};`);
  return `${lines.join("\n")}\n`;
}
