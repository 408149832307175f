/** An object spec (as the Pulumi components pass it) as plain JSON-like data, or where it is not. */
import type { Segment } from "./locate";

type Copied = { value: unknown } | { error: string; at: Segment[] };

const MAX_DEPTH = 64;

/**
 * A JSON-like deep copy of an object spec: `undefined` fields are dropped (as JSON would), and
 * what JSON cannot hold (functions, cycles, class instances such as Pulumi Outputs) is an error.
 */
export function plainCopy(input: unknown): Copied {
  const seen = new Set<object>();
  const walk = (v: unknown, at: Segment[]): Copied => {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      return { value: v };
    if (typeof v !== "object")
      return {
        error: `must be plain data, not a ${typeof v}: pass strings, numbers, booleans, lists and mappings`,
        at,
      };
    if (at.length > MAX_DEPTH)
      return {
        error: `is nested more than ${MAX_DEPTH} levels deep: a fleet spec is only a few levels deep`,
        at,
      };
    if (seen.has(v)) return { error: "refers back to itself (a cycle): pass a tree of plain values", at };
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) {
          const r = walk(v[i], [...at, i]);
          if ("error" in r) return r;
          out.push(r.value);
        }
        return { value: out };
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "object";
        return {
          error: `must be plain data, not a \`${name}\` instance (a Pulumi Output or class object?): pass plain values`,
          at,
        };
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const child = (v as Record<string, unknown>)[k];
        if (child === undefined) continue;
        const r = walk(child, [...at, k]);
        if ("error" in r) return r;
        Object.defineProperty(out, k, {
          value: r.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return { value: out };
    } finally {
      seen.delete(v);
    }
  };
  return walk(input, []);
}
