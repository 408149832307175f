/** An object spec (as the Pulumi components pass it) as plain JSON-like data, or where it is not. */
import type { PathSegment } from "./paths";

type Segment = PathSegment;

/** The copy, with the paths of the values it stood in for (see `unknown`), or the first problem. */
export type Copied = { value: unknown; unknowns: Segment[][] } | { error: string; at: Segment[] };

/**
 * What a value not known yet (a Pulumi Output, a promise) stands as in the copy: a string every
 * pass-through field of the schema accepts (not empty, an http(s) URL), so only a field the
 * planner reads, where no string is right, fails on it.
 */
export const UNKNOWN_VALUE = "https://unknown.invalid/";

const MAX_DEPTH = 64;

/**
 * A JSON-like deep copy of an object spec: `undefined` fields are dropped (as JSON would), and
 * what JSON cannot hold (functions, cycles, class instances such as Pulumi Outputs) is an error,
 * except the values `unknown` accepts, which are copied as {@link UNKNOWN_VALUE} and listed.
 */
export function plainCopy(input: unknown, unknown?: (value: unknown) => boolean): Copied {
  const seen = new Set<object>();
  const unknowns: Segment[][] = [];
  type Walked = { value: unknown } | { error: string; at: Segment[] };
  const walk = (v: unknown, at: Segment[]): Walked => {
    if (unknown !== undefined && unknown(v)) {
      unknowns.push(at);
      return { value: UNKNOWN_VALUE };
    }
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
  const copied = walk(input, []);
  return "error" in copied ? copied : { value: copied.value, unknowns };
}
