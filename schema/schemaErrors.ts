/**
 * Data against `fleet.schema.json`: the schema, the keywords it uses beyond JSON Schema's, and
 * ajv's errors for a spec (all of them, each with the schema node it failed, for the messages).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction, type Vocabulary } from "ajv/dist/2020";
import schemaJson from "./fleet.schema.json";
import { PATTERN_KINDS } from "./messages";

/** The fleet JSON Schema, as an object. */
export const fleetSchema: Record<string, unknown> = schemaJson;

/**
 * Annotations the schema carries for editors only (yaml-language-server shows `markdownDescription`
 * in hover and completion); ajv's strict mode refuses keywords it was not told about.
 */
export const EDITOR_KEYWORDS = ["markdownDescription"];

/**
 * Annotations the schema carries for servicevm's own error messages: `patternMessage` names the
 * message for a string that fails the `pattern` next to it (`name`, `resourceClass`, ...; see
 * `messages/patterns.ts`). Compiling the schema checks each value against those messages.
 */
export const MESSAGE_KEYWORDS: Vocabulary = [
  { keyword: "patternMessage", schemaType: "string", metaSchema: { enum: PATTERN_KINDS } },
];

/** Every keyword fleet.schema.json uses beyond JSON Schema's, for an ajv in strict mode. */
export const SCHEMA_KEYWORDS: Vocabulary = [...EDITOR_KEYWORDS, ...MESSAGE_KEYWORDS];

interface Validators {
  /** The spec without the allocations' contents (their names are checked). */
  shell: ValidateFunction;
  /** One allocation. */
  allocation: ValidateFunction;
}

let fastValidators: Validators | undefined;
let verboseValidators: Validators | undefined;

/**
 * Allocations are validated one by one: ajv with `allErrors` concatenates the error list of
 * each referenced schema into its caller's, which is quadratic when 100,000 allocations fail.
 */
function compileValidators(verbose: boolean): Validators {
  const shellSchema = structuredClone(fleetSchema) as {
    properties: { allocations: Record<string, unknown> };
  };
  shellSchema.properties.allocations.additionalProperties = true;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    verbose,
    keywords: SCHEMA_KEYWORDS,
  });
  const shell = ajv.compile(shellSchema);
  const allocation = ajv.getSchema(`${String(fleetSchema.$id)}#/$defs/allocation`)!;
  return { shell, allocation };
}

/** The fast validators (no error details) for the common, valid case; the verbose ones explain failures. */
function validators(verbose: boolean): Validators {
  if (verbose) return (verboseValidators ??= compileValidators(true));
  return (fastValidators ??= compileValidators(false));
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** All schema errors of `data`, or `[]` when it is valid. */
export function schemaErrors(data: unknown): ErrorObject[] {
  const allocations =
    typeof data === "object" && data !== null ? (data as { allocations?: unknown }).allocations : undefined;
  const entries =
    typeof allocations === "object" && allocations !== null && !Array.isArray(allocations)
      ? Object.entries(allocations)
      : [];
  const fast = validators(false);
  if (fast.shell(data) && entries.every(([, a]) => fast.allocation(a))) return [];
  const verbose = validators(true);
  const errors: ErrorObject[] = [];
  if (!verbose.shell(data)) for (const e of verbose.shell.errors ?? []) errors.push(e);
  for (const [name, a] of entries) {
    if (verbose.allocation(a)) continue;
    const prefix = `/allocations/${escapePointer(name)}`;
    for (const e of verbose.allocation.errors ?? [])
      errors.push({ ...e, instancePath: prefix + e.instancePath });
  }
  return errors;
}
