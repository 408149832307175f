/**
 * The spec loader: YAML 1.2 or JSON text (or a plain object) -> FleetSpec, with every problem
 * reported at once and pointing at the offending key or value (`file:line:col: path: message`).
 *
 * Order: bytes must be UTF-8; the YAML must parse (duplicate keys are errors); the data must match
 * `fleet.schema.json` (ajv, all errors); then the semantic checks of `core/validate`.
 */
import { readFileSync } from "node:fs";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import { parseDocument, type Document } from "yaml";
import type { FleetSpec } from "../core/types";
import { formatPath, parsePath, validateSpec } from "../core/validate";
import schemaJson from "./fleet.schema.json";
import { SpecError, sortIssues, type SpecIssue } from "./errors";
import { duplicateKeys, locate, pathAt, type Anchor, type Segment } from "./locate";
import { GOT, show, toRawIssues, type RawIssue } from "./messages";
import { decodeUtf8, LineIndex } from "./text";

/** The fleet JSON Schema, as an object. */
export const fleetSchema: Record<string, unknown> = schemaJson;

/**
 * Annotations the schema carries for editors only (yaml-language-server shows `markdownDescription`
 * in hover and completion); ajv's strict mode refuses keywords it was not told about.
 */
export const EDITOR_KEYWORDS = ["markdownDescription"];

interface Validators {
  /** The spec without the allocations' contents (their names are checked). */
  shell: ValidateFunction;
  /** One allocation. */
  allocation: ValidateFunction;
}

let fastValidators: Validators | undefined;
let verboseValidators: Validators | undefined;

/**
 * Allocations are validated one by one: ajv with `allErrors` concatenates the error list of
 * each referenced schema into its caller's, which is quadratic when 100,000 allocations fail.
 */
function compileValidators(verbose: boolean): Validators {
  const shellSchema = structuredClone(fleetSchema) as {
    properties: { allocations: Record<string, unknown> };
  };
  shellSchema.properties.allocations.additionalProperties = true;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    verbose,
    keywords: EDITOR_KEYWORDS,
  });
  const shell = ajv.compile(shellSchema);
  const allocation = ajv.getSchema(`${String(fleetSchema.$id)}#/$defs/allocation`)!;
  return { shell, allocation };
}

/** The fast validators (no error details) for the common, valid case; the verbose ones explain failures. */
function validators(verbose: boolean): Validators {
  if (verbose) return (verboseValidators ??= compileValidators(true));
  return (fastValidators ??= compileValidators(false));
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** All schema errors of `data`, or `[]` when it is valid. */
function schemaErrors(data: unknown): ErrorObject[] {
  const allocations =
    typeof data === "object" && data !== null ? (data as { allocations?: unknown }).allocations : undefined;
  const entries =
    typeof allocations === "object" && allocations !== null && !Array.isArray(allocations)
      ? Object.entries(allocations)
      : [];
  const fast = validators(false);
  if (fast.shell(data) && entries.every(([, a]) => fast.allocation(a))) return [];
  const verbose = validators(true);
  const errors: ErrorObject[] = [];
  if (!verbose.shell(data)) for (const e of verbose.shell.errors ?? []) errors.push(e);
  for (const [name, a] of entries) {
    if (verbose.allocation(a)) continue;
    const prefix = `/allocations/${escapePointer(name)}`;
    for (const e of verbose.allocation.errors ?? [])
      errors.push({ ...e, instancePath: prefix + e.instancePath });
  }
  return errors;
}

/** What `checkSpec` found: the spec when there are no errors, and a way to place any spec path in the text. */
export interface CheckResult {
  spec?: FleetSpec;
  errors: SpecIssue[];
  /** Line and column (1-based; 0 when the input was an object) of a spec path such as a plan error's. */
  position(path: string): { line: number; col: number };
}

const NO_POSITION = { line: 0, col: 0 };

/**
 * Checks a spec without throwing: YAML/JSON text, UTF-8 bytes, or an already-parsed object
 * (as the Pulumi components get it). `filename` is used in the errors.
 */
export function checkSpec(input: unknown, filename = "<spec>"): CheckResult {
  if (input instanceof Uint8Array) {
    const decoded = decodeUtf8(input);
    if (!decoded.ok) {
      return {
        errors: [
          { path: "", line: decoded.line, col: decoded.col, message: decoded.message, file: filename },
        ],
        position: () => NO_POSITION,
      };
    }
    return checkText(decoded.text, filename);
  }
  if (typeof input === "string") return checkText(input, filename);
  return checkObject(input, filename);
}

/** Parses YAML or JSON text into a valid FleetSpec, or throws a SpecError with every problem. */
export function parseSpec(text: string, filename = "<spec>"): FleetSpec {
  const result = checkText(text, filename);
  if (result.errors.length > 0 || !result.spec) throw new SpecError(result.errors);
  return result.spec;
}

/** Reads a spec file (UTF-8 YAML or JSON) into a valid FleetSpec, or throws a SpecError. */
export function loadSpec(path: string): FleetSpec {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SpecError([
      {
        path: "",
        line: 0,
        col: 0,
        file: path,
        message: `cannot read the spec file (${reason}): check the path`,
      },
    ]);
  }
  const result = checkSpec(bytes, path);
  if (result.errors.length > 0 || !result.spec) throw new SpecError(result.errors);
  return result.spec;
}

// ---------------------------------------------------------------------------------------------

function checkText(text: string, file: string): CheckResult {
  const lines = new LineIndex(text);
  const at = (offset: number, path: string, message: string): SpecIssue => ({
    path,
    ...lines.position(offset),
    message,
    file,
  });
  let doc: Document;
  try {
    doc = parseDocument(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, {
      uniqueKeys: false,
      prettyErrors: false,
    });
  } catch (e) {
    return { errors: [at(0, "", crashMessage(e, "parse"))], position: () => NO_POSITION };
  }
  const offset0 = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const position = (path: string): { line: number; col: number } => {
    const segs = parsePath(path);
    return lines.position(locate(doc, segs, anchorFor(docValue(doc, segs))).offset + offset0);
  };

  const errors: SpecIssue[] = [];
  const problems = [...doc.errors, ...doc.warnings];
  const overflow = problems.find((p) => /call stack/i.test(p.message));
  if (overflow) {
    // The parser ran out of stack; whatever else it says is a consequence.
    const offset = overflow.pos[0];
    return {
      errors: [
        at(
          offset + offset0,
          formatPath(pathAt(doc, offset)),
          crashMessage(new RangeError(overflow.message), "parse"),
        ),
      ],
      position,
    };
  }
  for (const problem of problems) {
    const offset = problem.pos[0];
    if (problem.code === "MULTIPLE_DOCS") {
      errors.push(
        at(
          offset + offset0,
          "",
          "the file holds more than one YAML document (a `---` line): a fleet spec is one document: remove the `---` and what follows, or split the file",
        ),
      );
      continue;
    }
    const first = problem.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    errors.push(
      at(
        offset + offset0,
        formatPath(pathAt(doc, offset)),
        `YAML ${problem.name === "YAMLWarning" ? "warning" : "syntax error"}: ${first}`,
      ),
    );
  }
  if (errors.length > 0) return { errors: sortIssues(errors), position };
  for (const dup of duplicateKeys(doc)) {
    errors.push(
      at(
        dup.offset + offset0,
        formatPath(dup.path),
        `duplicate key \`${dup.key}\`: a key may appear once in a mapping: remove or rename one of them`,
      ),
    );
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    errors.push(at(offset0, "", crashMessage(e, "read")));
    return { errors: sortIssues(errors), position };
  }
  const raw = analyze(data);
  for (const issue of raw) {
    const located = locate(doc, issue.segments, issue.anchor);
    const got =
      located.source !== undefined
        ? `\`${located.source.length > 40 ? `${located.source.slice(0, 37)}...` : located.source}\``
        : show(issue.value);
    errors.push(at(located.offset + offset0, formatPath(issue.segments), issue.message.split(GOT).join(got)));
  }
  const sorted = sortIssues(errors);
  return sorted.length === 0
    ? { spec: data as FleetSpec, errors: [], position }
    : { errors: sorted, position };
}

function checkObject(input: unknown, file: string): CheckResult {
  const position = (): { line: number; col: number } => NO_POSITION;
  const cleaned = plainCopy(input);
  if ("error" in cleaned) {
    return {
      errors: [{ path: formatPath(cleaned.at), line: 0, col: 0, file, message: cleaned.error }],
      position,
    };
  }
  const errors = sortIssues(
    analyze(cleaned.value).map((i) => ({
      path: formatPath(i.segments),
      line: 0,
      col: 0,
      file,
      message: i.message.split(GOT).join(show(i.value)),
    })),
  );
  return errors.length === 0 ? { spec: cleaned.value as FleetSpec, errors, position } : { errors, position };
}

/** Schema errors, then the semantic errors that do not repeat a schema error at or under the same path. */
function analyze(data: unknown): RawIssue[] {
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
  const issues: RawIssue[] = [];
  const errors = schemaErrors(data);
  if (errors.length > 0) for (const issue of toRawIssues(fleetSchema, data, errors)) issues.push(issue);
  if (typeof data !== "object" || Array.isArray(data)) return issues;
  const schemaPaths = new Set(issues.filter((i) => i.segments.length > 0).map((i) => formatPath(i.segments)));
  for (const e of validateSpec(data as FleetSpec)) {
    const segments = parsePath(e.path);
    if (
      schemaPaths.size > 0 &&
      segments.some((_, n) => schemaPaths.has(formatPath(segments.slice(0, n + 1))))
    )
      continue;
    issues.push({ segments, anchor: anchorFor(valueAtPath(data, segments)), message: e.message });
  }
  return issues;
}

/** Scalars are pointed at by value; mappings, lists and missing fields by their key. */
function anchorFor(value: unknown): Anchor {
  return value === undefined || (typeof value === "object" && value !== null) ? "key" : "value";
}

function valueAtPath(data: unknown, segments: Segment[]): unknown {
  let node = data;
  for (const s of segments) {
    if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, s))
      return undefined;
    node = (node as Record<string | number, unknown>)[s];
  }
  return node;
}

function docValue(doc: Document, segments: Segment[]): unknown {
  try {
    const node = doc.getIn(segments, true);
    return node && typeof node === "object" && "value" in node ? node.value : node;
  } catch {
    return undefined;
  }
}

function crashMessage(e: unknown, what: "parse" | "read"): string {
  if (e instanceof RangeError) {
    return `the spec is nested too deeply to ${what} (${e.message}); a fleet spec is only a few levels deep: look for runaway brackets or indentation`;
  }
  const reason = e instanceof Error ? e.message : String(e);
  if (/alias count/i.test(reason)) {
    return "the spec expands YAML aliases (`*name`) more than 100 times, which looks like a resource exhaustion attack: write the values out instead";
  }
  return `the spec could not be ${what === "parse" ? "parsed" : "read"}: ${reason.split("\n")[0]}`;
}

type Copied = { value: unknown } | { error: string; at: Segment[] };

const MAX_DEPTH = 64;

/**
 * A JSON-like deep copy of an object spec: `undefined` fields are dropped (as JSON would), and
 * what JSON cannot hold (functions, cycles, class instances such as Pulumi Outputs) is an error.
 */
function plainCopy(input: unknown): Copied {
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
