/**
 * The spec loader: YAML 1.2 or JSON text (or a plain object) -> a checked FleetSpec, with every problem
 * reported at once and pointing at the offending key or value (`file:line:col: path: message`).
 *
 * Order: bytes must be UTF-8; the YAML must parse (duplicate keys are errors); then the core's one
 * spec check (`core/specCheck.ts`: `fleet.schema.json` through ajv with every error worded, then the
 * semantic checks), whose issues this module places in the text. Object specs are first copied to
 * plain data (`core/plainCopy.ts`). A spec without errors comes back as the core's `CheckedSpec`,
 * which `plan()` takes without checking it again.
 */
import { readFileSync } from "node:fs";
import { parseDocument, type Document } from "yaml";
import { formatPath, parsePath } from "../core/paths";
import { plainCopy } from "../core/plainCopy";
import { anchorFor, inspectSpec, type CheckedSpec } from "../core/specCheck";
import { GOT, show } from "../core/specMessages";
import { SpecError, sortIssues, type SpecIssue } from "./errors";
import { duplicateKeys, locate, pathAt, type Segment } from "./locate";
import { decodeUtf8, LineIndex } from "./text";

export { fleetSchema } from "../core/specSchema";

/** What `checkSpec` found: the spec when there are no errors, and a way to place any spec path in the text. */
export interface CheckResult {
  /** The spec, checked (schema and semantic rules): `plan()` takes it without checking it again. */
  spec?: CheckedSpec;
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
export function parseSpec(text: string, filename = "<spec>"): CheckedSpec {
  const result = checkText(text, filename);
  if (result.errors.length > 0 || !result.spec) throw new SpecError(result.errors);
  return result.spec;
}

/** Reads a spec file (UTF-8 YAML or JSON) into a valid FleetSpec, or throws a SpecError. */
export function loadSpec(path: string): CheckedSpec {
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
  const at: At = (offset, path, message) => ({
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

  const syntax = yamlProblems(doc, at, offset0);
  if (syntax.length > 0) return { errors: sortIssues(syntax), position };
  const errors: SpecIssue[] = [];
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
  const inspection = inspectSpec(data, "spec");
  for (const issue of inspection.issues) {
    const located = locate(doc, issue.segments, issue.anchor);
    const got =
      located.source !== undefined
        ? `\`${located.source.length > 40 ? `${located.source.slice(0, 37)}...` : located.source}\``
        : show(issue.value);
    errors.push(at(located.offset + offset0, formatPath(issue.segments), issue.message.split(GOT).join(got)));
  }
  const sorted = sortIssues(errors);
  return sorted.length === 0 && inspection.spec !== undefined
    ? { spec: frozen(inspection.spec), errors: [], position }
    : { errors: sorted, position };
}

/** An issue at a text offset. */
type At = (offset: number, path: string, message: string) => SpecIssue;

/**
 * The parser's errors and warnings, each at its offset in the text (`offset0` is 1 after a BOM,
 * which the parser did not see); when it ran out of stack, only that, since the rest follows from it.
 */
function yamlProblems(doc: Document, at: At, offset0: number): SpecIssue[] {
  const errors: SpecIssue[] = [];
  const problems = [...doc.errors, ...doc.warnings];
  const overflow = problems.find((p) => /call stack/i.test(p.message));
  if (overflow) {
    // The parser ran out of stack; whatever else it says is a consequence.
    const offset = overflow.pos[0];
    return [
      at(
        offset + offset0,
        formatPath(pathAt(doc, offset)),
        crashMessage(new RangeError(overflow.message), "parse"),
      ),
    ];
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
  return errors;
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
  const inspection = inspectSpec(cleaned.value, "spec");
  const errors = sortIssues(
    inspection.issues.map((i) => ({
      path: formatPath(i.segments),
      line: 0,
      col: 0,
      file,
      message: i.message.split(GOT).join(show(i.value)),
    })),
  );
  return inspection.spec !== undefined
    ? { spec: frozen(inspection.spec), errors, position }
    : { errors, position };
}

/**
 * A checked spec is passed on as checked (the planner does not check it again), so it must stay as
 * it was checked: the loader's spec, a fresh object, is frozen all the way down. A caller that
 * wants another spec edits a copy (`structuredClone`) and plans that, which is checked.
 */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) frozen(v);
  }
  return value;
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
