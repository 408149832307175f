// Type-aware linting. Data flows one way (DESIGN §1): text -> schema/ -> core/ -> cli/ | provider/ |
// components/ -> plugin/. `core/` stays pure: no Pulumi, no I/O (STYLE point 1); `schema/` reads text into
// the core's types; `provider/` never imports `components/`; only tests import `plugin/` (the provider
// plugin serves the components and providers); type tokens live in the root `tokens.ts`.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

const ioModules = ["fs", "node:fs", "fs/promises", "node:fs/promises", "http", "node:http", "https", "node:https",
  "net", "node:net", "child_process", "node:child_process", "execa", "process", "node:process"];

/** core/'s import rule; `allow` lists the package files one core module may import despite it. */
function coreImports(allow = []) {
  return ["error", {
    paths: ioModules.map((name) => ({ name, message: "core/ is pure: no I/O. Do it in an adapter." })),
    patterns: [
      { group: ["@pulumi/*"], message: "core/ is pure: no Pulumi imports. Put it in components/ or provider/." },
      {
        group: ["../schema/*", "../provider/*", "../components/*", "../cli/*", ...allow.map((a) => `!${a}`)],
        message: "core/ depends on nothing else in the package.",
      },
    ],
  }];
}

export default tseslint.config(
  { ignores: ["dist/**", ".bench/**", "node_modules/**", "examples/**/node_modules/**", "bin/**", "coverage/**", "eslint.config.mjs", "examples/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: {
      "no-restricted-imports": coreImports(),
      "no-restricted-globals": ["error", { name: "process", message: "core/ is pure: take values as arguments." }],
    },
  },
  {
    // The one exception: the spec check reads the published JSON Schema (data, no code) where the
    // package publishes it, so editors, `npm run schema` and the core share one file.
    files: ["core/specSchema.ts"],
    rules: { "no-restricted-imports": coreImports(["../schema/fleet.schema.json"]) },
  },
  {
    files: ["schema/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["../provider/*", "../components/*", "../cli/*", "@pulumi/*"], message: "schema/ reads text into the core's types: it imports only core/ and libraries." }],
      }],
    },
  },
  {
    files: ["provider/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/components/*", "**/components", "**/cli/*", "**/plugin/*"], message: "provider/ never imports components/, cli/ or plugin/ (DESIGN §1): move what both need to core/ or the root tokens.ts." }],
      }],
    },
  },
  {
    files: ["components/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/cli/*", "**/plugin/*"], message: "components/ never imports cli/ or plugin/ (DESIGN §1)." }],
      }],
    },
  },
  {
    files: ["plugin/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/cli/*"], message: "plugin/ serves the components and providers to the engine; it never imports cli/ (DESIGN §1)." }],
      }],
    },
  },
);
