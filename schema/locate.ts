/**
 * Finds where a JSON path is in a parsed YAML (or JSON) document, so errors point at the
 * offending key or value; and the other way round, the path of the node at a text offset.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import type { Anchor, Segment } from "../core/specMessages";

export type { Anchor, Segment } from "../core/specMessages";

/** Paths of error positions are cut at this depth (deep nesting is itself the error). */
const MAX_PATH = 24;

export interface Located {
  /** Character offset in the text. */
  offset: number;
  /** The scalar's source text when the value is a scalar (e.g. `1e400`, not `Infinity`). */
  source?: string;
}

function keyText(pair: Pair): string | undefined {
  const k = pair.key;
  if (!isScalar(k)) return undefined;
  const v = k.value;
  if (v === null) return "";
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint"
    ? String(v)
    : undefined;
}

function start(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/** Key -> pair of one mapping (the last pair wins, as in `toJS`), built once per mapping. */
function keyIndex(map: YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const k = keyText(pair);
      if (k !== undefined) index.set(k, pair);
    }
    keyIndexes.set(map, index);
  }
  return index;
}

/**
 * The offset of `segments` in `doc`: the key or the value of the last segment. When the path does
 * not exist in the text (a missing field), the deepest existing ancestor's key is used instead.
 */
export function locate(doc: Document, segments: readonly Segment[], anchor: Anchor): Located {
  let node: unknown = doc.contents;
  let fallback = start(node) ?? 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (isMap(node)) {
      const found = keyIndex(node).get(String(seg));
      if (!found) return { offset: fallback };
      fallback = start(found.key) ?? fallback;
      if (i === segments.length - 1 && anchor === "key") return { offset: fallback };
      node = found.value;
      if (node === null || node === undefined) return { offset: fallback };
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return { offset: fallback };
      node = item;
      fallback = start(item) ?? fallback;
    } else {
      return { offset: fallback };
    }
  }
  const offset = start(node) ?? fallback;
  return isScalar(node) && typeof node.source === "string" ? { offset, source: node.source } : { offset };
}

/** The path of the innermost key or value containing `offset`. */
export function pathAt(doc: Document, offset: number): Segment[] {
  const out: Segment[] = [];
  let node: unknown = doc.contents;
  while (out.length < MAX_PATH) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => contains(p.key, offset) || contains(p.value, offset) || between(p, offset),
      );
      if (!pair) return out;
      const k = keyText(pair);
      if (k === undefined) return out;
      out.push(k);
      if (contains(pair.key, offset)) return out;
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = node.items.findIndex((it) => contains(it, offset));
      if (idx < 0) return out;
      out.push(idx);
      node = node.items[idx];
    } else {
      return out;
    }
  }
  return out;
}

function contains(node: unknown, offset: number): boolean {
  const r = (node as Node | null)?.range;
  return r !== undefined && r !== null && offset >= r[0] && offset < Math.max(r[2], r[0] + 1);
}

function between(pair: unknown, offset: number): boolean {
  if (!isPair(pair)) return false;
  const a = start(pair.key);
  const r = (pair.value as Node | null)?.range;
  return a !== undefined && r !== undefined && r !== null && offset >= a && offset < r[2];
}

/** A key that appears twice in one mapping: where the second one is, and its path. */
export interface DuplicateKey {
  offset: number;
  key: string;
  path: Segment[];
}

/**
 * Duplicate keys of every mapping, found with one set per mapping. (yaml's own `uniqueKeys`
 * check compares each key with all earlier ones, which is quadratic in a mapping's size and
 * takes minutes for 100,000 allocations.) Iterative, so deep nesting cannot overflow the stack.
 */
export function duplicateKeys(doc: Document): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const stack: { node: unknown; path: Segment[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = keyText(pair);
        if (k !== undefined) {
          if (seen.has(k))
            out.push({
              offset: start(pair.key) ?? 0,
              key: k,
              path: path.length < MAX_PATH ? [...path, k] : path,
            });
          seen.add(k);
        }
        if (pair.value !== null && typeof pair.value === "object")
          stack.push({
            node: pair.value,
            path: path.length < MAX_PATH && k !== undefined ? [...path, k] : path,
          });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (item !== null && typeof item === "object")
          stack.push({ node: item, path: path.length < MAX_PATH ? [...path, i] : path });
      });
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
