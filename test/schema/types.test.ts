import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { fleetSchema } from "../../schema/schemaErrors";
import { schemaToTs } from "./schema-to-ts";

const TYPES = resolve(__dirname, "../../core/types");

/**
 * Type-level checks: the generated `Root` and `FleetSpec` are mutually assignable, and their
 * sets of property paths (with `?` on optional ones, `*` for index signatures, `[]` for list
 * items) are equal. A path in one and not the other is named in the compiler error. Properties
 * typed \`never\` (\`template?: never\` on an external pool, which marks what it excludes) are no paths.
 */
function checkerSource(generated: string): string {
  return `${generated}
import type { FleetSpec } from ${JSON.stringify(TYPES)};

type Opt<T, K extends keyof T> = {} extends Pick<T, K> ? "?" : "";
type Paths<T, P extends string = ""> = T extends readonly (infer U)[]
  ? Paths<U, \`\${P}[]\`>
  : T extends object
    ? {
        [K in keyof T & string]-?: [NonNullable<T[K]>] extends [never]
          ? never
          : (string extends K ? \`\${P}.*\` : \`\${P}.\${K}\${Opt<T, K>}\`) | Paths<NonNullable<T[K]>, string extends K ? \`\${P}.*\` : \`\${P}.\${K}\`>;
      }[keyof T & string]
    : never;
type NoExtra<T extends never> = T;

type SchemaPaths = Paths<Root>;
type TypePaths = Paths<FleetSpec>;
export type OnlyInSchema = NoExtra<Exclude<SchemaPaths, TypePaths>>;
export type OnlyInTypes = NoExtra<Exclude<TypePaths, SchemaPaths>>;

export const schemaToTypes = (x: Root): FleetSpec => x;
export const typesToSchema = (x: FleetSpec): Root => x;
`;
}

function compile(source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "svm-types-"));
  const file = join(dir, "check.ts");
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n")[0]);
}

describe("fleet.schema.json and core/types.ts", () => {
  it("describe the same spec: mutually assignable, with the same property paths", () => {
    expect(compile(checkerSource(schemaToTs(fleetSchema)))).toEqual([]);
  });

  it("would notice a property missing from the schema", () => {
    const schema = structuredClone(fleetSchema) as {
      $defs: { pool: { oneOf: { properties: Record<string, unknown> }[] } };
    };
    delete schema.$defs.pool.oneOf[0].properties.standby;
    const errors = compile(checkerSource(schemaToTs(schema)));
    expect(errors.join("\n")).toContain(
      "Type '\".pools.*.standby?\"' does not satisfy the constraint 'never'",
    );
  });

  it("would notice a property the types do not have", () => {
    const schema = structuredClone(fleetSchema) as {
      $defs: { allocation: { properties: Record<string, unknown> } };
    };
    schema.$defs.allocation.properties.priority = { type: "integer", description: "x" };
    const errors = compile(checkerSource(schemaToTs(schema)));
    expect(errors.join("\n")).toContain(
      "Type '\".allocations.*.priority?\"' does not satisfy the constraint 'never'",
    );
  });

  it("would notice a field whose type differs", () => {
    const schema = structuredClone(fleetSchema) as { $defs: { count: { type: string } } };
    schema.$defs.count.type = "string";
    const errors = compile(checkerSource(schemaToTs(schema)));
    expect(errors).toEqual([
      "Type 'Root' is not assignable to type 'FleetSpec'.",
      "Type 'FleetSpec' is not assignable to type 'Root'.",
    ]);
  });
});
