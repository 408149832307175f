/**
 * The fleet JSON Schema and ajv's errors for a spec now live in the core (`core/specSchema.ts`),
 * where `plan()` and the Fleet check specs too; re-exported here for the schema's own tests and
 * the plugin's schema generator.
 */
export {
  EDITOR_KEYWORDS,
  MESSAGE_KEYWORDS,
  SCHEMA_KEYWORDS,
  fleetSchema,
  schemaErrors,
} from "../core/specSchema";
