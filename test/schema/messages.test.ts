/**
 * The schema error messages on their own, with small schemas: how the schema chooses a message.
 * The fleet schema's messages, with positions, are tested through the loader in `loader.test.ts`.
 */
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { SCHEMA_KEYWORDS } from "../../schema/schemaErrors";
import { GOT, toRawIssues } from "../../core/specMessages";

function issues(schema: Record<string, unknown>, data: unknown): string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, keywords: SCHEMA_KEYWORDS });
  const validate = ajv.compile(schema);
  expect(validate(data)).toBe(false);
  return toRawIssues(schema, data, validate.errors ?? []).map((i) => i.message.split(GOT).join("<got>"));
}

describe("pattern messages", () => {
  it.each([
    [
      "name",
      "<got> is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or `-`",
    ],
    [
      "resourceClass",
      "<got> is not a Placement resource class: use a standard name like `VCPU` or `CUSTOM_` followed by upper-case letters, digits or `_`",
    ],
    [
      "trait",
      "<got> is not a Placement trait: use a standard name like `HW_NIC_SRIOV` or `CUSTOM_` followed by upper-case letters, digits or `_`",
    ],
    ["url", "<got> is not an http:// or https:// URL: write the full URL, like `https://192.0.2.10/health`"],
    [
      "configKey",
      "<got> is not a Pulumi config key: give the name of the secret config value that holds the password (letters, digits, `_`, `.`, `:`, `-`), like `rack1Password`, never the password itself",
    ],
  ])("are chosen by `patternMessage: %s`, whatever the pattern", (kind, message) => {
    expect(issues({ type: "string", pattern: "^never$", patternMessage: kind }, "ab")).toEqual([message]);
  });

  it("propose a fix only when it matches the schema's own pattern", () => {
    const pattern = "^[a-z][a-z0-9-]{0,62}$";
    expect(issues({ type: "string", pattern, patternMessage: "name" }, "Fw_Pool")).toEqual([
      "<got> is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or `-`: use `fw-pool`",
    ]);
    const placement = "^(CUSTOM_[A-Z0-9_]+|(?!CUSTOM_)[A-Z][A-Z0-9_]*)$";
    expect(issues({ type: "string", pattern: placement, patternMessage: "trait" }, "hw-nic")).toEqual([
      "<got> is not a Placement trait: use a standard name like `HW_NIC_SRIOV` or `CUSTOM_` followed by upper-case letters, digits or `_`, like `HW_NIC`",
    ]);
  });

  it("name the key when a key fails `propertyNames`", () => {
    const schema = {
      type: "object",
      propertyNames: { type: "string", pattern: "^[A-Z]+$", patternMessage: "resourceClass" },
    };
    expect(issues(schema, { vcpu: 1 })).toEqual([
      "the key `vcpu` is not a Placement resource class: use a standard name like `VCPU` or `CUSTOM_` followed by upper-case letters, digits or `_`, like `VCPU`",
    ]);
  });

  it("fall back to the pattern itself without `patternMessage`", () => {
    expect(issues({ type: "string", pattern: "^[a-z][a-z0-9-]{0,62}$" }, "Fw_Pool")).toEqual([
      "<got> does not match the pattern `^[a-z][a-z0-9-]{0,62}$`",
    ]);
  });
});

describe("oneOf messages", () => {
  const tenancy = {
    oneOf: [
      {
        type: "object",
        additionalProperties: false,
        required: ["mode"],
        properties: { mode: { const: "dedicated" } },
      },
      {
        type: "object",
        additionalProperties: false,
        required: ["mode"],
        properties: { mode: { const: "shared" }, contexts: { type: "integer" } },
      },
    ],
  };

  it("report the errors of the branch the discriminator names", () => {
    expect(issues(tenancy, { mode: "shared", contexts: "x" })).toEqual([
      "must be a whole number, not the string <got>",
    ]);
  });

  it("report a discriminator value no branch takes, with a suggestion", () => {
    expect(issues(tenancy, { mode: "sharde" })).toEqual([
      "must be one of `dedicated`, `shared`, not <got>: did you mean `shared`?",
    ]);
  });

  it("report a missing discriminator with every value it can take when no branch fits", () => {
    expect(issues(tenancy, { context: 1 })).toEqual([
      "missing required field `mode`: add `mode: dedicated` (or `shared`)",
    ]);
  });

  it("list the forms when the value is not a mapping", () => {
    expect(issues(tenancy, "shared")).toEqual([
      "must be a mapping, one of `{ mode: dedicated }` or `{ mode: shared, contexts }`; not the string <got>",
    ]);
  });
});
