/**
 * servicevm's Pulumi package schema (`plugin/schema.json`, what the plugin's `GetSchema` returns),
 * generated from `schema/fleet.schema.json` so that Pulumi YAML, Python and Go type-check a fleet
 * spec against the same shapes the loader validates. `packageSchema` is pure; run as a script
 * (`npm run schema`) this module writes the file, which a test keeps in step.
 *
 * The resources and their output types (`Placement`, `FleetCapacity`, `PoolCapacity`, ...) are in
 * `schemaResources.ts`, written from the TypeScript interfaces they describe; the format's types are
 * in `schemaTypes.ts` (re-exported here); the translation from JSON Schema to Pulumi types, and
 * how the types are named, in `schemaTranslate.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonicalJson } from "../core/canonical";
import { COMPONENT_TOKENS, PACKAGE, PROVIDER_TOKENS } from "../tokens";
import { applianceResource, fleetResource, ledgerResource, outputTypes } from "./schemaResources";
import { pascal, specTypes, type JsonSchema } from "./schemaTranslate";
import { typeToken, type ComplexTypeSpec, type PackageSpec } from "./schemaTypes";

export * from "./schemaTypes";
export { pascal };

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
