/**
 * Spec paths: the dotted form with bracket indices that every error carries
 * (`pools.edge.devices[0].name`), and back to segments. Pure string work.
 */

/** A segment of a spec path: a mapping key or a list index. */
export type PathSegment = string | number;

/**
 * A key written bare after a dot. It must not contain `.`, `[`, `]` or `"` (those would split or
 * quote it when parsed back), and must not start with a digit, so that `a.0` can never be confused
 * with the index `a[0]`; every other key is written `["..."]` as a JSON string, which
 * {@link parsePath} reads back exactly.
 */
const BARE_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Formats path segments as `a.b[0].c`; keys that are not plain identifiers are quoted: `a["x.y"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (BARE_SEGMENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Splits a dotted path with bracket indices into segments: `pools.edge.devices[0].name` ->
 * `["pools", "edge", "devices", 0, "name"]`. Quoted keys (`a["x.y"]`) come back as strings.
 * The inverse of {@link formatPath}; never throws (a malformed tail is kept as one segment).
 */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  let bare = "";
  const flush = (): void => {
    if (bare !== "") out.push(bare);
    bare = "";
  };
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      flush();
      i++;
    } else if (c === "[") {
      flush();
      const close = path[i + 1] === '"' ? findQuotedEnd(path, i + 1) : path.indexOf("]", i);
      if (close < 0) {
        bare = path.slice(i);
        break;
      }
      out.push(bracketSegment(path.slice(i + 1, close)));
      i = close + 1;
    } else {
      bare += c;
      i++;
    }
  }
  flush();
  return out;
}

/** What is between `[` and `]`: an index (`0`), a quoted key (`"x.y"`) or, leniently, a bare key. */
function bracketSegment(inner: string): PathSegment {
  if (/^\d+$/.test(inner)) return Number(inner);
  if (inner.startsWith('"')) return unquote(inner);
  return inner;
}

/** Index of the `]` after a JSON string starting at `start`, or -1. */
function findQuotedEnd(path: string, start: number): number {
  let i = start + 1;
  while (i < path.length) {
    if (path[i] === "\\") i += 2;
    else if (path[i] === '"') return path[i + 1] === "]" ? i + 1 : -1;
    else i++;
  }
  return -1;
}

function unquote(quoted: string): string {
  try {
    const v: unknown = JSON.parse(quoted);
    return typeof v === "string" ? v : quoted;
  } catch {
    return quoted;
  }
}
