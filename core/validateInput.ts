/**
 * Defensive reading of a spec for the semantic checks. The input is typed, but plain JavaScript
 * callers and half-valid documents (the loader runs these checks next to the schema's) reach the
 * checks too: nothing here throws, and a value of the wrong type reads as absent.
 */
import type { PathSegment } from "./paths";

export type Rec = Record<string, unknown>;

/** Reports one problem at a path; the checks call it once per problem, in spec order. */
export type Add = (segments: PathSegment[], message: string) => void;

export function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The mapping, or `{}` for anything else. */
export function rec(v: unknown): Rec {
  return isRec(v) ? v : {};
}

/** An own field only: `constructor` or `__proto__` as a spec key must not reach the prototype. */
export function own(r: Rec, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(r, key) ? r[key] : undefined;
}

/** The list, or `[]` for anything else. */
export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The strings of a list, skipping anything else. */
export function strings(v: unknown): string[] {
  return list(v).filter((x): x is string => typeof x === "string");
}

/** A finite number, or `undefined`. */
export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
