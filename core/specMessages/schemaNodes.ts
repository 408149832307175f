/** Reading the schema and the data at an ajv error: `$ref`s, properties, examples, JSON pointers. */
import type { Segment } from "./issue";
import type { SchemaNode } from "./issue";

/** Converts a JSON pointer to path segments, using the data to tell list indices from keys. */
export function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === "") return [];
  const out: Segment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const i = Number(key);
      out.push(i);
      node = node[i];
    } else {
      out.push(key);
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** The value at `segments` in `data`, or `undefined`. */
export function valueAt(data: unknown, segments: Segment[]): unknown {
  let node = data;
  for (const s of segments) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[s];
  }
  return node;
}

/**
 * Resolves a local `$ref` (`#/$defs/x`) against the root schema; the node's own keywords win over
 * the target's, as editors merge them. Follows at most 8 `$ref`s in a row.
 */
export function deref(root: SchemaNode, node: unknown): SchemaNode | undefined {
  let cur = node as SchemaNode | undefined;
  for (let i = 0; i < 8 && cur && typeof cur.$ref === "string"; i++) {
    const ref = cur.$ref;
    const parts = ref.replace(/^#\//, "").split("/");
    let target: unknown = root;
    for (const p of parts) target = (target as SchemaNode | undefined)?.[p];
    cur = {
      ...(target as SchemaNode),
      ...Object.fromEntries(Object.entries(cur).filter(([k]) => k !== "$ref")),
    };
  }
  return cur;
}

/** The `properties` of a schema node (after `$ref`), or `{}`. */
export function propertiesOf(root: SchemaNode, schema: unknown): Record<string, unknown> {
  const s = deref(root, schema);
  const props = s?.properties;
  return typeof props === "object" && props !== null ? (props as Record<string, unknown>) : {};
}

/** The first of a schema node's `examples`, or `undefined`. */
export function exampleOf(root: SchemaNode, schema: unknown): unknown {
  const s = deref(root, schema);
  const ex = s?.examples;
  return Array.isArray(ex) && ex.length > 0 ? ex[0] : undefined;
}
