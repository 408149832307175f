/**
 * The layering rules of eslint.config.mjs hold: a deliberate violation in each folder is reported
 * with the rule's message (DESIGN §1: text -> schema/ -> core/ -> cli/ | provider/ | components/ -> plugin/).
 * The code is linted as if it were the named file, with the project's own configuration.
 */
import { ESLint } from "eslint";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layering lint rules", () => {
  it.each([
    [
      "provider/ledger.ts",
      'import { Fleet } from "../components/fleet";\nexport const f = Fleet;\n',
      "'../components/fleet' import is restricted from being used by a pattern. provider/ never imports components/, cli/ or plugin/ (DESIGN §1): move what both need to core/ or the root tokens.ts.",
    ],
    [
      "core/plan.ts",
      'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
      "'node:fs' import is restricted from being used. core/ is pure: no I/O. Do it in an adapter.",
    ],
    [
      "core/plan.ts",
      'import { Fleet } from "../components/fleet";\nexport const f = Fleet;\n',
      "'../components/fleet' import is restricted from being used by a pattern. core/ depends on nothing else in the package.",
    ],
    [
      "schema/loader.ts",
      'import { LedgerResource } from "../provider/ledger";\nexport const l = LedgerResource;\n',
      "'../provider/ledger' import is restricted from being used by a pattern. schema/ reads text into the core's types: it imports only core/ and libraries.",
    ],
    [
      "components/fleet.ts",
      'import { main } from "../cli/main";\nexport const m = main;\n',
      "'../cli/main' import is restricted from being used by a pattern. components/ never imports cli/ or plugin/ (DESIGN §1).",
    ],
    [
      "components/fleet.ts",
      'import { makeProvider } from "../plugin/provider";\nexport const m = makeProvider;\n',
      "'../plugin/provider' import is restricted from being used by a pattern. components/ never imports cli/ or plugin/ (DESIGN §1).",
    ],
    [
      "plugin/provider.ts",
      'import { main } from "../cli/main";\nexport const m = main;\n',
      "'../cli/main' import is restricted from being used by a pattern. plugin/ serves the components and providers to the engine; it never imports cli/ (DESIGN §1).",
    ],
  ])("%s: a forbidden import is reported", async (file, code, message) => {
    expect(await restricted(file, code)).toEqual([message]);
  });

  it("lets core/specSchema.ts, and only it, import the published JSON Schema", async () => {
    const code = 'import schema from "../schema/fleet.schema.json";\nexport const s = schema;\n';
    expect(await restricted("core/specSchema.ts", code)).toEqual([]);
    expect(await restricted("core/plan.ts", code)).toEqual([
      "'../schema/fleet.schema.json' import is restricted from being used by a pattern. core/ depends on nothing else in the package.",
    ]);
  });

  it.each([
    ["'../schema/loader'", 'import { loadSpec } from "../schema/loader";\nexport const l = loadSpec;\n'],
    ["'../components/fleet'", 'import { Fleet } from "../components/fleet";\nexport const f = Fleet;\n'],
    ["'node:fs'", 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n'],
    ["'@pulumi/pulumi'", 'import * as pulumi from "@pulumi/pulumi";\nexport const p = pulumi;\n'],
  ])("core/specSchema.ts keeps every other rule of core/: %s is refused", async (name, code) => {
    const messages = await restricted("core/specSchema.ts", code);
    expect(messages).toHaveLength(1);
    expect(messages[0].startsWith(`${name} import is restricted`)).toBe(true);
  });

  it("lets components/ import provider/ and the root tokens", async () => {
    const code =
      'import { LedgerResource } from "../provider/ledger";\nimport { COMPONENT_TOKENS } from "../tokens";\nexport const x = [LedgerResource, COMPONENT_TOKENS];\n';
    expect(await restricted("components/fleet.ts", code)).toEqual([]);
  });
});
