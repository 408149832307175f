/**
 * Data against `schema/fleet.schema.json`: the schema, the keywords it uses beyond JSON Schema's,
 * and ajv's errors for a spec (all of them, each with the schema node it failed, for the messages
 * in `specMessages/`). Pure: the schema is data, compiled once per view on first use.
 *
 * The schema stays where it is published (`schema/fleet.schema.json`, the package's
 * `./schema/fleet.schema.json` export, read by editors, `npm run schema` and the plugin's schema);
 * this is the one core module allowed to import it (a narrow exception in `eslint.config.mjs`).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction, type Vocabulary } from "ajv/dist/2020";
import schemaJson from "../schema/fleet.schema.json";
import { PATTERN_KINDS } from "./specMessages";

/** The fleet JSON Schema, as an object. */
export const fleetSchema: Record<string, unknown> = schemaJson;

/**
 * Which document a spec is checked as:
 * - `spec`: a spec as users write it (files, `Fleet` arguments, the plugin's `spec`), against the
 *   published schema exactly;
 * - `plan`: the planner's view of a spec (`planSpec.ts`: what `plan()` and the Ledger take), whose
 *   driver blocks may be empty because what devices are created from is not the planner's to read.
 *   Everything else is the published schema; a driver block's fields, when present, are checked.
 */
export type SpecView = "spec" | "plan";

/**
 * Annotations the schema carries for editors only (yaml-language-server shows `markdownDescription`
 * in hover and completion); ajv's strict mode refuses keywords it was not told about.
 */
export const EDITOR_KEYWORDS = ["markdownDescription"];

/**
 * Annotations the schema carries for servicevm's own error messages: `patternMessage` names the
 * message for a string that fails the `pattern` next to it (`name`, `resourceClass`, ...; see
 * `specMessages/patterns.ts`). Compiling the schema checks each value against those messages.
 */
export const MESSAGE_KEYWORDS: Vocabulary = [
  { keyword: "patternMessage", schemaType: "string", metaSchema: { enum: PATTERN_KINDS } },
];

/** Every keyword fleet.schema.json uses beyond JSON Schema's, for an ajv in strict mode. */
export const SCHEMA_KEYWORDS: Vocabulary = [...EDITOR_KEYWORDS, ...MESSAGE_KEYWORDS];

/** The driver blocks `planSpec` empties: their `required` fields are not the planner's. */
const DRIVER_DEFS = ["openstack", "docker"] as const;

let planSchema: Record<string, unknown> | undefined;

/** The schema a view is checked against (the messages read its `examples` and `properties`). */
export function schemaOf(view: SpecView): Record<string, unknown> {
  if (view === "spec") return fleetSchema;
  if (planSchema === undefined) {
    const copy = structuredClone(fleetSchema) as { $defs: Record<string, Record<string, unknown>> };
    for (const d of DRIVER_DEFS) delete copy.$defs[d].required;
    planSchema = copy;
  }
  return planSchema;
}

interface Validators {
  /** The spec without the allocations' contents (their names are checked). */
  shell: ValidateFunction;
  /** One allocation. */
  allocation: ValidateFunction;
}

const compiled = new Map<string, Validators>();

/**
 * Allocations are validated one by one: ajv with `allErrors` concatenates the error list of
 * each referenced schema into its caller's, which is quadratic when 100,000 allocations fail.
 */
function compileValidators(view: SpecView, verbose: boolean): Validators {
  const root = schemaOf(view);
  const shellSchema = structuredClone(root) as { properties: { allocations: Record<string, unknown> } };
  shellSchema.properties.allocations.additionalProperties = true;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    verbose,
    keywords: SCHEMA_KEYWORDS,
  });
  const shell = ajv.compile(shellSchema);
  const allocation = ajv.getSchema(`${String(root.$id)}#/$defs/allocation`)!;
  return { shell, allocation };
}

/** The fast validators (no error details) for the common, valid case; the verbose ones explain failures. */
function validators(view: SpecView, verbose: boolean): Validators {
  const key = `${view}:${verbose ? "verbose" : "fast"}`;
  let v = compiled.get(key);
  if (v === undefined) compiled.set(key, (v = compileValidators(view, verbose)));
  return v;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** All schema errors of `data` checked as `view`, or `[]` when it is valid. */
export function schemaErrors(data: unknown, view: SpecView = "spec"): ErrorObject[] {
  const allocations =
    typeof data === "object" && data !== null ? (data as { allocations?: unknown }).allocations : undefined;
  const entries =
    typeof allocations === "object" && allocations !== null && !Array.isArray(allocations)
      ? Object.entries(allocations).filter(([, a]) => a !== undefined)
      : [];
  const fast = validators(view, false);
  if (fast.shell(data) && entries.every(([, a]) => fast.allocation(a))) return [];
  const verbose = validators(view, true);
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
