/**
 * The one spec check every entry point runs: the JSON Schema (`specSchema.ts`, worded by
 * `specMessages/`), then the semantic checks (`validate.ts`), and a {@link CheckedSpec} when
 * there is no problem. `plan()`, the `Fleet`, the CLI (through `schema/loader.ts`, which adds
 * file:line:col) and the provider plugin's `Construct` all come here, so they refuse the same
 * specs with the same messages.
 *
 * A spec is checked once: a CheckedSpec is recorded (by identity) and passes every later check as
 * it is, so the CLI's `plan(checked.spec)` and the Fleet's plan of a checked spec do not check
 * again. The record is of the object as it was checked: a caller that changes a CheckedSpec
 * afterwards has a spec nobody checked, and must check the changed copy again.
 */
import { formatPath } from "./paths";
import { plainCopy } from "./plainCopy";
import { planSpec } from "./planSpec";
import { GOT, show, toRawIssues, type Anchor, type RawIssue, type Segment } from "./specMessages";
import { schemaErrors, schemaOf, type SpecView } from "./specSchema";
import type { FleetSpec, FleetSpecOf, PlanError } from "./types";
import { semanticIssues } from "./validate";

export type { SpecView } from "./specSchema";
export { UNKNOWN_VALUE } from "./plainCopy";

declare const CHECKED: unique symbol;

/** A spec that passed {@link checkFleetSpec}: only this module makes one. */
export type Checked<T> = T & { readonly [CHECKED]: true };

/** A FleetSpec that passed the schema and the semantic checks. */
export type CheckedSpec = Checked<FleetSpec>;

/** What {@link checkFleetSpec} found: the checked spec, or every problem (never both). */
export type SpecCheck<T = FleetSpec> =
  { ok: true; spec: Checked<T>; errors: [] } | { ok: false; errors: PlanError[] };

/** Specs checked so far, and as which view (`spec` is the stricter: it passes a `plan` check too). */
const checkedAs = new WeakMap<object, SpecView>();

function brand<T>(spec: T, view: SpecView): Checked<T> {
  if (typeof spec === "object" && spec !== null && checkedAs.get(spec) !== "spec") checkedAs.set(spec, view);
  return spec as Checked<T>;
}

/** Whether `spec` passed a check at least as strict as `view` (and is still the same object). */
export function isChecked<T>(spec: T, view: SpecView = "plan"): spec is Checked<T> {
  if (typeof spec !== "object" || spec === null) return false;
  const as = checkedAs.get(spec);
  return as === "spec" || (as !== undefined && as === view);
}

/** Options of {@link checkFleetSpec}. */
export interface SpecCheckOptions {
  /**
   * `spec` for a spec as written (the published schema), `plan` for the planner's view, whose
   * driver blocks may be empty (see `SpecView`). @default "spec"
   */
  view?: SpecView;
  /**
   * Values not known yet (a Pulumi Output, a promise) that may stand in pass-through fields: the
   * spec is then checked as a plain copy in which they are {@link UNKNOWN_VALUE}, and one of them
   * in a field the planner reads is an error. Without it the spec is checked as it is (ajv and the
   * semantic checks read a field that is `undefined` as absent).
   */
  unknown?: (value: unknown) => boolean;
  /**
   * Remember the spec as checked, so a later check lets the same object through. `plan()` checks a
   * caller's object without remembering it (the caller may change it and plan again); the loader
   * and the Fleet remember the objects they made (the loader's are frozen). @default true
   */
  remember?: boolean;
}

/** The message for a value not known yet where the planner needs one. */
const UNKNOWN_MESSAGE =
  "is not known when the program runs (an Output or a promise), but the planner reads it to decide how many devices exist and where allocations go: give a plain value";

/**
 * Checks a spec (or the planner's view of one, see {@link SpecCheckOptions}) against the schema
 * and the semantic rules. Returns the same object, now a {@link CheckedSpec}, or every error: the
 * schema's first, then the semantic ones that do not repeat a schema error at or above their
 * path, each `{ path, message }` with the offending value quoted. A spec checked before passes as
 * it is. Pure: never throws, never mutates its input.
 */
export function checkFleetSpec<T = FleetSpec>(data: unknown, opts: SpecCheckOptions = {}): SpecCheck<T> {
  const view = opts.view ?? "spec";
  if (isChecked(data, view)) return { ok: true, spec: data as Checked<T>, errors: [] };
  const mark = (spec: T): Checked<T> => (opts.remember === false ? (spec as Checked<T>) : brand(spec, view));
  if (opts.unknown === undefined) {
    const issues = specIssues(data, view);
    if (issues.length === 0) return { ok: true, spec: mark(data as T), errors: [] };
    return { ok: false, errors: inDocumentOrder(data, issues).map(planError) };
  }
  const copy = plainCopy(data, opts.unknown);
  if ("error" in copy) return { ok: false, errors: [{ path: formatPath(copy.at), message: copy.error }] };
  const unknowns = new Set(copy.unknowns.map(formatPath));
  const { issues } = inspectSpec(copy.value, view);
  if (issues.length === 0) return { ok: true, spec: mark(data as T), errors: [] };
  const errors: PlanError[] = [];
  const seen = new Set<string>();
  for (const issue of inDocumentOrder(copy.value, issues)) {
    const path = formatPath(issue.segments);
    if (!unknowns.has(path)) errors.push(planError(issue));
    else if (!seen.has(path)) {
      seen.add(path);
      errors.push({ path, message: UNKNOWN_MESSAGE });
    }
  }
  return { ok: false, errors };
}

/**
 * The planner's view (`planSpec.ts`: pass-through values removed, keys sorted) of a checked spec,
 * checked as such: it keeps only fields that passed the check.
 */
export function checkedPlanView<S>(spec: Checked<FleetSpecOf<S>>): CheckedSpec {
  return brand(planSpec(spec), "plan");
}

/** The text's loader works on these: each problem before it has a position, and the spec when there is none. */
export interface SpecInspection {
  issues: RawIssue[];
  /** The data itself, checked, when there is no issue. */
  spec?: CheckedSpec;
}

/**
 * Every problem of `data` as `view`, with what a text position needs (the path's segments, the
 * key or the value to point at, the value to quote in place of {@link GOT}): the schema's, then
 * the semantic ones that do not repeat a schema error at or above their path.
 */
export function inspectSpec(data: unknown, view: SpecView): SpecInspection {
  const issues = specIssues(data, view);
  return issues.length === 0 ? { issues, spec: brand(data as FleetSpec, view) } : { issues };
}

function specIssues(data: unknown, view: SpecView): RawIssue[] {
  if (data === null || data === undefined) {
    return [
      {
        segments: [],
        anchor: "value",
        message:
          "the spec is empty: a fleet needs `templates` and `pools`, e.g. `templates: {}` and `pools: {}`",
      },
    ];
  }
  const errors = schemaErrors(data, view);
  const issues = errors.length > 0 ? toRawIssues(schemaOf(view), data, errors) : [];
  if (typeof data !== "object" || Array.isArray(data)) return issues;
  const schemaPaths = new Set(issues.filter((i) => i.segments.length > 0).map((i) => formatPath(i.segments)));
  for (const e of semanticIssues(data)) {
    const segments = e.segments;
    if (
      schemaPaths.size > 0 &&
      segments.some((_, n) => schemaPaths.has(formatPath(segments.slice(0, n + 1))))
    )
      continue;
    issues.push({ segments, anchor: anchorFor(valueAt(data, segments)), message: e.message });
  }
  return issues;
}

/**
 * Issues in the order of their paths in the data (keys in their own order, as a text lists them),
 * so an object's errors read as the loader lists a file's; ties keep their order (schema first).
 */
function inDocumentOrder(data: unknown, issues: RawIssue[]): RawIssue[] {
  const keyIndexes = new Map<object, Map<string, number>>();
  const keyIndex = (node: object): Map<string, number> => {
    let index = keyIndexes.get(node);
    if (index === undefined) keyIndexes.set(node, (index = new Map(Object.keys(node).map((k, i) => [k, i]))));
    return index;
  };
  const rank = (segments: readonly Segment[]): number[] => {
    const out: number[] = [];
    let node = data;
    for (const s of segments) {
      if (typeof node !== "object" || node === null) break;
      const i = Array.isArray(node) ? Number(s) : (keyIndex(node).get(String(s)) ?? Number.MAX_SAFE_INTEGER);
      out.push(i);
      node = (node as Record<string | number, unknown>)[s];
    }
    return out;
  };
  const ranked = issues.map((issue) => ({ issue, at: rank(issue.segments) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < Math.min(a.at.length, b.at.length); i++)
      if (a.at[i] !== b.at[i]) return a.at[i] - b.at[i];
    return a.at.length - b.at.length;
  });
  return ranked.map((r) => r.issue);
}

function planError(issue: RawIssue): PlanError {
  return { path: formatPath(issue.segments), message: issue.message.split(GOT).join(show(issue.value)) };
}

/** Scalars are pointed at by value; mappings, lists and missing fields by their key. */
export function anchorFor(value: unknown): Anchor {
  return value === undefined || (typeof value === "object" && value !== null) ? "key" : "value";
}

/** The value at `segments` in `data` (own fields only), or `undefined`. */
export function valueAt(data: unknown, segments: readonly Segment[]): unknown {
  let node = data;
  for (const s of segments) {
    if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, s))
      return undefined;
    node = (node as Record<string | number, unknown>)[s];
  }
  return node;
}
