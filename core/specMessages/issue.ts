/** What the message modules share: the issue they produce and what they read to produce it. */
import type { PathSegment } from "../paths";

/** A mapping key or a list index, as in every spec path. */
export type Segment = PathSegment;

/** Where an error should point in the text: the key that names the field, or its value. */
export type Anchor = "key" | "value";

/** A message before positions are known; `GOT` in it is replaced by the offending value as written. */
export interface RawIssue {
  segments: Segment[];
  anchor: Anchor;
  message: string;
  /** The value the message quotes, used when the text has no source for it. */
  value?: unknown;
}

/** Placeholder in messages for the offending value, filled in from the source text when possible. */
export const GOT = "\u0000GOT\u0000";

/** A JSON Schema node, read loosely. */
export type SchemaNode = Record<string, unknown>;

/** The root schema (for `$ref`s) and the data that failed it. */
export interface Ctx {
  root: SchemaNode;
  data: unknown;
}
