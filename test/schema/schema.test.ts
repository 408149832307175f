import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { fleetSchema, SCHEMA_KEYWORDS } from "../../schema/schemaErrors";

type Node = Record<string, unknown>;

/** Every schema node with its JSON pointer, and whether it is a property (an entry of `properties`). */
function walk(
  node: unknown,
  pointer = "",
  property = false,
  out: { pointer: string; node: Node; property: boolean }[] = [],
) {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return out;
  const n = node as Node;
  out.push({ pointer, node: n, property });
  for (const [k, v] of Object.entries(n)) {
    if (k === "properties" || k === "$defs") {
      for (const [name, sub] of Object.entries(v as Node))
        walk(sub, `${pointer}/${k}/${name}`, k === "properties", out);
    } else if (k === "items" || k === "additionalProperties" || k === "propertyNames") {
      walk(v, `${pointer}/${k}`, false, out);
    } else if (k === "oneOf") {
      (v as unknown[]).forEach((sub, i) => walk(sub, `${pointer}/oneOf/${i}`, false, out));
    }
  }
  return out;
}

/** Every schema object anywhere (also under `if`, `then`, `allOf`), with its JSON pointer; not inside values. */
function everySchema(node: unknown, pointer = "", out: { pointer: string; node: Node }[] = []) {
  if (Array.isArray(node)) node.forEach((sub, i) => everySchema(sub, `${pointer}/${i}`, out));
  if (typeof node !== "object" || node === null || Array.isArray(node)) return out;
  out.push({ pointer, node: node as Node });
  for (const [k, v] of Object.entries(node))
    if (!["examples", "default", "const", "enum"].includes(k)) everySchema(v, `${pointer}/${k}`, out);
  return out;
}

/** Markdown in a description: a code span, emphasis, a link or a list item. */
const MARKDOWN =
  /`[^`]+`|\*\*?[^\s*][^*]*\*|(?<!\w)_[^\s_][^_]*_(?!\w)|\[[^\]]+\]\([^)]+\)|^\s*(?:[-*+]|\d+\.)\s/m;

const nodes = walk(fleetSchema);
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, keywords: SCHEMA_KEYWORDS });
ajv.addSchema(fleetSchema);
const at = (pointer: string) => ajv.getSchema(`${String(fleetSchema.$id)}#${pointer}`)!;

describe("fleet.schema.json", () => {
  it("is a JSON Schema 2020-12 document with an $id", () => {
    expect(fleetSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(fleetSchema.$id).toBe("https://servicevm.dev/schema/fleet.schema.json");
  });

  it("describes every property, and gives every described property an example", () => {
    const properties = nodes.filter((n) => n.property);
    expect(properties.length).toBeGreaterThan(80);
    expect(properties.filter((p) => typeof p.node.description !== "string").map((p) => p.pointer)).toEqual(
      [],
    );
    const withoutExample = properties.filter(
      (p) => p.node.examples === undefined && p.node.$ref === undefined && p.node.const === undefined,
    );
    expect(withoutExample.map((p) => p.pointer)).toEqual([]);
  });

  it("repeats a description as markdownDescription where it uses Markdown or a $ref's would shadow it, and nowhere else", () => {
    const defs = fleetSchema.$defs as Record<string, Node>;
    const target = (n: Node) =>
      typeof n.$ref === "string" ? defs[n.$ref.replace("#/$defs/", "")] : undefined;
    const described = everySchema(fleetSchema).filter(
      (n) => n.node.description !== undefined || n.node.markdownDescription !== undefined,
    );
    const markdown = described.filter((n) => MARKDOWN.test(String(n.node.description)));
    expect(markdown.length).toBeGreaterThanOrEqual(20);
    // Editors merge a $ref's target into the node, and prefer its markdownDescription to the node's description.
    const shadowed = described.filter(
      (n) => n.node.description !== undefined && target(n.node)?.markdownDescription !== undefined,
    );
    const wrong = described.filter(
      (n) =>
        n.node.markdownDescription !==
        (markdown.includes(n) || shadowed.includes(n) ? n.node.description : undefined),
    );
    expect(wrong.map((n) => n.pointer)).toEqual([]);
  });

  it("names the message for every `pattern` with `patternMessage`", () => {
    const patterns = everySchema(fleetSchema).filter((n) => n.node.pattern !== undefined);
    expect(patterns.length).toBeGreaterThanOrEqual(6);
    expect(patterns.filter((n) => typeof n.node.patternMessage !== "string").map((n) => n.pointer)).toEqual(
      [],
    );
  });

  it("refuses a `patternMessage` that names no message", () => {
    const strict = new Ajv2020({ strict: true, keywords: SCHEMA_KEYWORDS });
    expect(() => strict.compile({ type: "string", pattern: "^a", patternMessage: "nmae" })).toThrow(
      'keyword "patternMessage" value is invalid',
    );
  });

  it("closes every object it defines", () => {
    const open = nodes.filter(
      (n) =>
        n.node.type === "object" && n.node.additionalProperties === undefined && n.node.maxProperties !== 0,
    );
    expect(open.map((n) => n.pointer)).toEqual([]);
  });

  it("has examples and defaults that its own rules accept", () => {
    const failures: string[] = [];
    for (const { pointer, node } of nodes) {
      const validate = at(pointer);
      for (const value of [
        ...((node.examples as unknown[] | undefined) ?? []),
        ...("default" in node ? [node.default] : []),
      ]) {
        if (!validate(value)) failures.push(`${pointer}: ${JSON.stringify(value)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each([
    ["fw-large", true],
    ["a", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["Fw", false],
    ["1fw", false],
    ["fw_large", false],
    ["", false],
  ])("accepts the name %j: %s", (name, ok) => {
    expect(at("/$defs/name")(name)).toBe(ok);
  });

  it.each([
    ["VCPU", true],
    ["MEMORY_MB", true],
    ["HW_NIC_SRIOV", true],
    ["CUSTOM_SERVICE_SLOT", true],
    ["CUSTOM_", false],
    ["custom_slot", false],
    ["CUSTOM_a", false],
    ["_VCPU", false],
    [`CUSTOM_${"X".repeat(249)}`, false],
  ])("accepts the resource class or trait %j: %s", (name, ok) => {
    expect(at("/$defs/resourceClass")(name)).toBe(ok);
    expect(at("/$defs/trait")(name)).toBe(ok);
  });

  it.each([
    [{ total: 1 }, true],
    [
      {
        total: 2147483647,
        reserved: 2147483647,
        minUnit: 2147483647,
        maxUnit: 2147483647,
        stepSize: 2147483647,
      },
      true,
    ],
    [{ total: 0 }, false],
    [{ total: 2147483648 }, false],
    [{ total: 8, reserved: -1 }, false],
    [{ total: 8, minUnit: 0 }, false],
    [{ total: 8, maxUnit: 0 }, false],
    [{ total: 8, stepSize: 0 }, false],
    [{ total: 8, allocationRatio: 0 }, true],
    [{ total: 8, allocationRatio: 3.4028234663852886e38 }, true],
    [{ total: 8, allocationRatio: 3.5e38 }, false],
    [{ total: 8, allocationRatio: -0.5 }, false],
    [{ total: 8.5 }, false],
    [8, true],
    [0, false],
    [{ reserved: 1 }, false],
  ])("takes Placement's inventory ranges: %j is %s", (inventory, ok) => {
    expect(at("/$defs/inventory")(inventory)).toBe(ok);
  });

  it.each([
    [{ CUSTOM_SERVICE_SLOT: 1 }, true],
    [{ CUSTOM_SERVICE_SLOT: 0 }, false],
    [{ CUSTOM_SERVICE_SLOT: 1.5 }, false],
    [{}, false],
  ])("takes demand %j: %s", (demand, ok) => {
    expect(at("/$defs/allocation/properties/demand")(demand)).toBe(ok);
  });
});
