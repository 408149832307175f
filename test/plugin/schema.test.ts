/**
 * The Pulumi package schema: the committed `plugin/schema.json` is what the generator makes of
 * fleet.schema.json, it follows Pulumi's package schema format, and it says what the resources
 * take and give.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as sdk from "@pulumi/pulumi/provider/experimental/schema";
import type { SchemaValidateFunction } from "ajv";
import Ajv2020, { type ErrorObject } from "ajv/dist/2020";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  packageSchema,
  renderSchema,
  SCHEMA_FILE,
  type ObjectTypeSpec,
  type PackageSpec,
  type UnionTypeSpec,
} from "../../plugin/schema";
import { fleetSchema } from "../../schema/schemaErrors";

const ROOT = join(__dirname, "..", "..");
const committed = readFileSync(join(ROOT, SCHEMA_FILE), "utf8");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
// Its type is the generator's: the first test proves the file is the generator's output.
const parsed = JSON.parse(committed) as PackageSpec;

const token = (name: string) => `servicevm:index:${name}`;
const objectType = (spec: PackageSpec, name: string) => spec.types[token(name)] as ObjectTypeSpec;
const resource = (name: string) => parsed.resources[token(name)];

describe("plugin/schema.json", () => {
  it("is byte for byte what the generator makes of fleet.schema.json and package.json's version", async () => {
    const generated = await renderSchema(packageSchema(fleetSchema, version), join(ROOT, SCHEMA_FILE));
    expect(committed, "plugin/schema.json is out of date: run `npm run schema` and commit it").toBe(
      generated,
    );
  });

  it("keeps every description of fleet.schema.json, except the editor-only `if`/`then` overlay", () => {
    const missing: string[] = [];
    const visit = (node: unknown, pointer: string): void => {
      if (Array.isArray(node)) node.forEach((sub, i) => visit(sub, `${pointer}/${i}`));
      if (node === null || typeof node !== "object" || Array.isArray(node)) return;
      const n = node as Record<string, unknown>;
      if (
        typeof n.description === "string" &&
        !committed.includes(JSON.stringify(n.description).slice(1, -1))
      )
        missing.push(pointer);
      for (const [k, v] of Object.entries(n))
        if (!["examples", "default", "const", "enum"].includes(k)) visit(v, `${pointer}/${k}`);
    };
    visit(fleetSchema, "#");
    expect(missing).toEqual(["#/$defs/template/properties/tenancy/then/properties/mode"]);
  });
});

/**
 * Type-level (checked by `npm run typecheck`, not at run time): the generator's `PackageSpec` is
 * the SDK's, apart from Pulumi's union form, which the SDK's types leave out. With the drift test,
 * this types the committed file; it proves nothing about values, which the validator below checks.
 */
type SdkView<T> = T extends UnionTypeSpec
  ? sdk.Type
  : T extends object
    ? { [K in keyof T]: SdkView<T[K]> }
    : T;

describe("the schema's shape", () => {
  it("is assignable to the SDK's PackageSpec, unions aside (a compile-time check)", () => {
    expectTypeOf<SdkView<PackageSpec>>().toExtend<sdk.PackageSpec>();
    expectTypeOf<UnionTypeSpec>().not.toExtend<sdk.Type>();
    expectTypeOf(packageSchema).returns.toEqualTypeOf<PackageSpec>();
  });
});

/** Pulumi's token pattern, as the brief for this schema states it (a type name never starts with a digit). */
const TOKEN = "^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/]*$";

/**
 * The rules of Pulumi's package schema format this schema relies on (a subset of Pulumi's
 * metaschema, which is not installable here): tokens, the type reference forms (primitive, array
 * with `items`, map with `additionalProperties`, `$ref`, union of at least two), primitive
 * `const`s, enum types of strings, and two cross-references JSON Schema cannot state alone: every
 * `#/types/...` reference names a type of the document (`resolvesToType`), and `required` names
 * only properties of its object (`namesProperties`).
 */
const PULUMI_FORMAT = {
  type: "object",
  required: ["name", "version", "types", "resources"],
  additionalProperties: false,
  properties: {
    name: { type: "string", pattern: "^[a-zA-Z][-a-zA-Z0-9_]*$" },
    displayName: { type: "string" },
    version: { type: "string", pattern: "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?$" },
    description: { type: "string" },
    license: { type: "string" },
    meta: { type: "object", additionalProperties: false, properties: { moduleFormat: { type: "string" } } },
    language: { type: "object" },
    config: {
      type: "object",
      additionalProperties: false,
      properties: {
        variables: { type: "object", additionalProperties: { $ref: "#/$defs/property" } },
        defaults: { type: "array", items: { type: "string" } },
      },
    },
    provider: {
      type: "object",
      additionalProperties: false,
      properties: { description: { type: "string" } },
    },
    types: {
      type: "object",
      propertyNames: { pattern: TOKEN },
      additionalProperties: {
        type: "object",
        if: { required: ["enum"] },
        then: { $ref: "#/$defs/enumType" },
        else: { $ref: "#/$defs/objectType" },
      },
    },
    resources: {
      type: "object",
      propertyNames: { pattern: TOKEN },
      additionalProperties: { $ref: "#/$defs/resource" },
    },
  },
  $defs: {
    primitiveValue: { type: ["string", "number", "boolean"] },
    property: {
      type: "object",
      additionalProperties: false,
      properties: {
        type: { enum: ["string", "integer", "number", "boolean", "array", "object"] },
        $ref: {
          type: "string",
          pattern: `^(#/types/${TOKEN.slice(1, -1)}|pulumi\\.json#/(Any|Archive|Asset))$`,
          resolvesToType: true,
        },
        items: { $ref: "#/$defs/property" },
        additionalProperties: { $ref: "#/$defs/property" },
        oneOf: { type: "array", minItems: 2, items: { $ref: "#/$defs/property" } },
        discriminator: {
          type: "object",
          required: ["propertyName", "mapping"],
          additionalProperties: false,
          properties: {
            propertyName: { type: "string", minLength: 1 },
            mapping: { type: "object", additionalProperties: { type: "string", resolvesToType: true } },
          },
        },
        plain: { type: "boolean" },
        description: { type: "string" },
        const: { $ref: "#/$defs/primitiveValue" },
        default: { $ref: "#/$defs/primitiveValue" },
        secret: { type: "boolean" },
      },
      oneOf: [{ required: ["type"] }, { required: ["$ref"] }, { required: ["oneOf"] }],
      allOf: [
        {
          if: { required: ["type"], properties: { type: { const: "array" } } },
          then: { required: ["items"] },
          else: { not: { required: ["items"] } },
        },
        {
          if: { required: ["type"], properties: { type: { const: "object" } } },
          then: { required: ["additionalProperties"] },
          else: { not: { required: ["additionalProperties"] } },
        },
      ],
    },
    properties: { type: "object", additionalProperties: { $ref: "#/$defs/property" } },
    objectType: {
      type: "object",
      required: ["type", "properties"],
      additionalProperties: false,
      properties: {
        type: { const: "object" },
        description: { type: "string" },
        properties: { $ref: "#/$defs/properties" },
        required: { type: "array", items: { type: "string" }, namesProperties: "properties" },
      },
    },
    enumType: {
      type: "object",
      required: ["type", "enum"],
      additionalProperties: false,
      properties: {
        type: { const: "string" },
        description: { type: "string" },
        enum: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            required: ["name", "value"],
            additionalProperties: false,
            properties: {
              name: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9]*$" },
              value: { type: "string" },
              description: { type: "string" },
            },
          },
        },
      },
    },
    resource: {
      type: "object",
      required: ["inputProperties", "properties"],
      additionalProperties: false,
      properties: {
        type: { const: "object" },
        description: { type: "string" },
        isComponent: { type: "boolean" },
        inputProperties: { $ref: "#/$defs/properties" },
        requiredInputs: { type: "array", items: { type: "string" }, namesProperties: "inputProperties" },
        properties: { $ref: "#/$defs/properties" },
        required: { type: "array", items: { type: "string" }, namesProperties: "properties" },
      },
    },
  },
};

/** A `$ref` into `#/types/` names a type of the document being validated. */
const resolvesToType: SchemaValidateFunction = (_enabled: boolean, ref: string, _parent, cxt) => {
  const types = (cxt?.rootData as { types?: Record<string, unknown> }).types ?? {};
  const ok = !ref.startsWith("#/types/") || Object.hasOwn(types, ref.slice("#/types/".length));
  resolvesToType.errors = ok
    ? []
    : [{ keyword: "resolvesToType", message: `\`${ref}\` names no type of this package` }];
  return ok;
};

/** Every name of a `required` list is a key of the sibling map it names (`properties`, `inputProperties`). */
const namesProperties: SchemaValidateFunction = (sibling: string, names: string[], _parent, cxt) => {
  const map = ((cxt?.parentData as Record<string, unknown>)[sibling] ?? {}) as Record<string, unknown>;
  const unknown = names.filter((n) => !Object.hasOwn(map, n));
  namesProperties.errors = unknown.map((n) => ({
    keyword: "namesProperties",
    message: `names \`${n}\`, which is not in \`${sibling}\``,
  }));
  return unknown.length === 0;
};

// `strictRequired` off: the `oneOf` of `required` lists names properties declared beside it.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addKeyword({
  keyword: "resolvesToType",
  type: "string",
  schemaType: "boolean",
  validate: resolvesToType,
  errors: true,
});
ajv.addKeyword({
  keyword: "namesProperties",
  type: "array",
  schemaType: "string",
  validate: namesProperties,
  errors: true,
});
const validatePulumiFormat = ajv.compile(PULUMI_FORMAT);

/** Every way `doc` breaks the format, one line each: where, then what. */
function formatProblems(doc: unknown): string[] {
  if (validatePulumiFormat(doc)) return [];
  // An `if` error only says that its `then`/`else` failed, which the errors before it tell.
  const errors = (validatePulumiFormat.errors ?? []).filter((e) => e.keyword !== "if");
  return errors.map((e: ErrorObject) => {
    const name = e.propertyName ?? (e.params as { propertyName?: string } | undefined)?.propertyName;
    return `${e.instancePath}${name !== undefined ? ` key \`${name}\`` : ""}: ${e.message ?? e.keyword}`;
  });
}

/** A deep copy of the committed schema to break. */
const copy = () => JSON.parse(committed) as PackageSpec;

describe("Pulumi's package schema format", () => {
  it("holds for the committed schema", () => {
    expect(formatProblems(parsed)).toEqual([]);
  });

  it("fails a `$ref` to a type that does not exist", () => {
    const broken = copy();
    delete broken.types[token("TemplateDriver")];
    expect(formatProblems(broken)).toEqual([
      "/types/servicevm:index:Template/properties/driver/$ref: `#/types/servicevm:index:TemplateDriver` names no type of this package",
    ]);
  });

  it("fails a type token whose name starts with a digit", () => {
    const broken = copy();
    broken.types[token("2Fast")] = objectType(broken, "Isolation");
    expect(formatProblems(broken)).toEqual([
      `/types key \`servicevm:index:2Fast\`: must match pattern "${TOKEN}"`,
      "/types key `servicevm:index:2Fast`: property name must be valid",
    ]);
  });

  it("fails a `required` name that is not a property, on types and resources alike", () => {
    const broken = copy();
    objectType(broken, "FleetSpec").required!.push("fleet");
    broken.resources[token("Ledger")].requiredInputs!.push("ledger");
    expect(formatProblems(broken)).toEqual([
      "/types/servicevm:index:FleetSpec/required: names `fleet`, which is not in `properties`",
      "/resources/servicevm:index:Ledger/requiredInputs: names `ledger`, which is not in `inputProperties`",
    ]);
  });
});

describe("the resources", () => {
  it("Fleet is a component taking `spec` or `specText` (+ `specFile`) and `protectLedger`, none required", () => {
    const fleet = resource("Fleet");
    expect(fleet.isComponent).toBe(true);
    expect(Object.keys(fleet.inputProperties)).toEqual(["protectLedger", "spec", "specFile", "specText"]);
    expect(fleet.requiredInputs).toBeUndefined();
    expect(fleet.inputProperties.spec).toMatchObject({ $ref: `#/types/${token("FleetSpec")}` });
    expect(fleet.properties).toEqual({
      capacity: expect.objectContaining({ $ref: `#/types/${token("FleetCapacity")}` }) as unknown,
      ledger: expect.objectContaining({ $ref: "pulumi.json#/Any" }) as unknown,
      placements: expect.objectContaining({
        type: "object",
        additionalProperties: { $ref: `#/types/${token("Placement")}` },
      }) as unknown,
    });
    expect(fleet.required).toEqual(["placements", "capacity", "ledger"]);
  });

  it("Ledger requires only `spec` and always gives the ledger, pools, health and capacity", () => {
    const ledger = resource("Ledger");
    expect(ledger.isComponent).toBeUndefined();
    expect(Object.keys(ledger.inputProperties)).toEqual([
      "fleet",
      "health",
      "resourceUrn",
      "sources",
      "spec",
    ]);
    expect(ledger.requiredInputs).toEqual(["spec"]);
    expect(ledger.required).toEqual(["ledger", "pools", "health", "capacity"]);
    expect(ledger.properties.capacity).toMatchObject({
      type: "object",
      additionalProperties: { $ref: `#/types/${token("PoolCapacity")}` },
    });
  });

  it("ApplianceRegistration keeps `username` and `password` secret, as inputs and as outputs", () => {
    const appliance = resource("ApplianceRegistration");
    const secret = (props: Record<string, { secret?: boolean }>) =>
      Object.keys(props).filter((k) => props[k].secret === true);
    expect(secret(appliance.inputProperties)).toEqual(["password", "username"]);
    expect(secret(appliance.properties)).toEqual(["password", "username"]);
    expect(appliance.requiredInputs).toEqual(["fleet", "pool", "device"]);
    expect(Object.keys(appliance.properties).filter((k) => !(k in appliance.inputProperties))).toEqual([
      "healthy",
      "lastSeen",
      "latencyMs",
      "reachable",
      "status",
    ]);
  });
});

describe("types from fleet.schema.json", () => {
  const defs = fleetSchema.$defs as Record<string, Record<string, unknown>>;
  const typeNames = Object.keys(parsed.types).map((t) => t.replace("servicevm:index:", ""));

  it("turns each `$defs` entry into a type, a union of types, or (Pulumi having no aliases) an inlined type", () => {
    const typesOf: Record<string, string[]> = {
      allocation: ["Allocation"],
      capacity: [],
      count: [],
      device: ["Device"],
      docker: ["Docker"],
      inventory: ["Inventory"],
      name: [],
      openstack: ["Openstack"],
      pool: ["PoolTemplate", "PoolExternal"],
      resourceClass: [],
      template: ["Template"],
      trait: [],
      traits: [],
    };
    expect(Object.keys(typesOf)).toEqual(Object.keys(defs).sort());
    const present = (names: string[]) => names.filter((n) => typeNames.includes(n));
    expect(Object.fromEntries(Object.entries(typesOf).map(([k, names]) => [k, present(names)]))).toEqual(
      typesOf,
    );
    const inlined = Object.keys(typesOf).filter((k) => typesOf[k].length === 0);
    expect(present(inlined.map((k) => k[0].toUpperCase() + k.slice(1)))).toEqual([]);
    expect(objectType(parsed, "FleetSpec").properties.pools).toMatchObject({
      additionalProperties: { oneOf: typesOf.pool.map((n) => ({ $ref: `#/types/${token(n)}` })) },
    });
  });

  it("names every type by the rule in plugin/schema.ts", () => {
    expect(typeNames).toEqual([
      "Allocation",
      "AllocationNetworksItem",
      "BackendPlacement",
      "BackendState",
      "ClassUsage",
      "Device",
      "DeviceCapacity",
      "DeviceCredentials",
      "DeviceManagement",
      "Docker",
      "DockerHealthcheck",
      "DockerPortsItem",
      "DockerPortsItemProtocol",
      "DrainItemDevice",
      "FleetCapacity",
      "FleetSpec",
      "HeadroomCount",
      "Inventory",
      "Isolation",
      "Openstack",
      "OpenstackFlavorId",
      "OpenstackFlavorName",
      "OpenstackFlavorVcpus",
      "OpenstackImageId",
      "OpenstackImageName",
      "OpenstackImageSource",
      "Placement",
      "PoolCapacity",
      "PoolCapacityView",
      "PoolExternal",
      "PoolExternalExternal",
      "PoolHeadroom",
      "PoolTemplate",
      "PoolTemplateAntiAffinity",
      "PoolTemplateStrategy",
      "ShapeHeadroom",
      "Template",
      "TemplateDriver",
      "TemplatePhysical",
      "TemplateTenancyDedicated",
      "TemplateTenancyShared",
      "TemplateTenancySharedContexts",
      "TemplateTenancySharedIsolation",
      "ZoneHeadroom",
    ]);
  });

  it("gives the driver enum exactly fleet.schema.json's values", () => {
    const driver = defs.template.properties as Record<string, { enum: string[] }>;
    expect(driver.driver.enum).toEqual(["openstack", "docker", "physical"]);
    expect(parsed.types[token("TemplateDriver")]).toEqual({
      type: "string",
      description: expect.stringMatching(/^How devices are made/) as unknown,
      enum: [
        { name: "Openstack", value: "openstack" },
        { name: "Docker", value: "docker" },
        { name: "Physical", value: "physical" },
      ],
    });
  });

  it("maps a capacity to a map of integer-or-Inventory, and `backend` to a union discriminated by `kind`", () => {
    const capacity = objectType(parsed, "Template").properties.capacity;
    expect(capacity).toMatchObject({
      type: "object",
      additionalProperties: { oneOf: [{ type: "integer" }, { $ref: `#/types/${token("Inventory")}` }] },
    });
    const backend = objectType(parsed, "FleetSpec").properties.backend;
    expect(backend).toMatchObject({
      oneOf: [{ $ref: `#/types/${token("BackendState")}` }, { $ref: `#/types/${token("BackendPlacement")}` }],
      discriminator: {
        propertyName: "kind",
        mapping: {
          state: `#/types/${token("BackendState")}`,
          placement: `#/types/${token("BackendPlacement")}`,
        },
      },
    });
    expect(objectType(parsed, "BackendState").properties.kind).toEqual({
      type: "string",
      const: "state",
      description: "Keep the ledger in Pulumi state and stack outputs.",
    });
  });

  it("appends a default to the description instead of emitting Pulumi's `default`, which SDKs would fill in", () => {
    expect(objectType(parsed, "PoolTemplate").properties.strategy).toEqual({
      $ref: `#/types/${token("PoolTemplateStrategy")}`,
      description:
        '`pack` fills the lowest-numbered device first; `spread` places on the least loaded. Default: `"pack"`.',
    });
    expect(committed).not.toMatch(/"default":/);
  });
});

describe("packageSchema on other JSON Schemas", () => {
  const root = (properties: Record<string, unknown>) => ({ type: "object", properties, $defs: {} });

  it("makes a union with an array or map alternative `Any`, saying what it accepts", () => {
    const spec = packageSchema(
      root({
        x: { description: "X.", oneOf: [{ type: "array", items: { type: "string" } }, { type: "integer" }] },
      }),
      "1.0.0",
    );
    expect(objectType(spec, "FleetSpec").properties.x).toEqual({
      $ref: "pulumi.json#/Any",
      description: "X. Accepts a list or an integer; Pulumi's schema cannot type this union.",
    });
  });

  it("refuses two positions that derive one type name for different shapes, and lists every problem", () => {
    expect(() =>
      packageSchema(
        root({
          "a-b": { type: "object", properties: { x: { type: "string" } } },
          aB: { type: "object", properties: { y: { type: "string" } } },
          c: { $ref: "other.json#/c" },
        }),
        "1.0.0",
      ),
    ).toThrow(
      [
        "fleet.schema.json cannot be translated to Pulumi types (2 problem(s)):",
        "  `#/properties/aB` and `#/properties/a-b` both derive the type name `AB` for different shapes; rename one of them in fleet.schema.json",
        "  `#/properties/c`: `$ref` other.json#/c is not a `#/$defs/<name>` of fleet.schema.json; only those are translated",
      ].join("\n"),
    );
  });
});
