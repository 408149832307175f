/**
 * Turns ajv's errors into servicevm's: one per problem, pointing at the key or value at fault,
 * saying the rule with the actual value, then the fix (STYLE point 4). `oneOf` failures are
 * reduced to the branch the user evidently meant, or to one summary when no branch fits.
 */
import type { ErrorObject } from "ajv";
import { closest } from "../core/validate";
import type { Anchor, Segment } from "./locate";

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

type SchemaNode = Record<string, unknown>;

const NAME_PATTERN = "^[a-z][a-z0-9-]{0,62}$";
const URL_PATTERN = "^https?://";
const MAX_INT = 2147483647;

/** Renders a value the way a user wrote it, short. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    const s = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `\`${s.replace(/`/g, "'").replace(/[\u0000-\u001f]/g, "?")}\``;
  }
  if (typeof value === "number")
    return Number.isFinite(value)
      ? String(value)
      : value > 0
        ? "an infinite number"
        : value < 0
          ? "a negative infinite number"
          : "NaN";
  if (typeof value === "boolean" || value === null) return `\`${String(value)}\``;
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

function kindOf(value: unknown): string {
  if (value === null) return "`null`";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return `the number ${GOT}`;
  if (typeof value === "string") return `the string ${GOT}`;
  if (typeof value === "boolean") return `\`${String(value)}\``;
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

const TYPE_NAMES: Record<string, string> = {
  integer: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "`true` or `false`",
  object: "a mapping",
  array: "a list",
  null: "`null`",
};

function orList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

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

function valueAt(data: unknown, segments: Segment[]): unknown {
  let node = data;
  for (const s of segments) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[s];
  }
  return node;
}

/** Resolves a local `$ref` (`#/$defs/x`) against the root schema. */
function deref(root: SchemaNode, node: unknown): SchemaNode | undefined {
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

function propertiesOf(root: SchemaNode, schema: unknown): Record<string, unknown> {
  const s = deref(root, schema);
  const props = s?.properties;
  return typeof props === "object" && props !== null ? (props as Record<string, unknown>) : {};
}

/** A small YAML flow rendering of an example value. */
function flow(value: unknown): string {
  if (typeof value === "string")
    return /^[A-Za-z0-9_./:-]+$/.test(value) && !/^(true|false|null|[0-9.]+)$/.test(value)
      ? value
      : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(", ")} }`;
  }
  return String(value);
}

function exampleOf(root: SchemaNode, schema: unknown): unknown {
  const s = deref(root, schema);
  const ex = s?.examples;
  return Array.isArray(ex) && ex.length > 0 ? ex[0] : undefined;
}

/** `fw_Large` -> `fw-large`, when that makes a valid name. */
function nameFix(bad: string): string | undefined {
  const fixed = bad
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return new RegExp(NAME_PATTERN).test(fixed) && fixed !== bad ? fixed : undefined;
}

/** `custom_slot` -> `CUSTOM_SLOT`, when that makes a valid Placement name. */
function placementFix(bad: string): string | undefined {
  const fixed = bad.toUpperCase().replace(/[^A-Z0-9_]+/g, "_");
  return /^CUSTOM_[A-Z0-9_]+$/.test(fixed) ||
    (/^[A-Z][A-Z0-9_]*$/.test(fixed) && !fixed.startsWith("CUSTOM_"))
    ? fixed !== bad
      ? fixed
      : undefined
    : undefined;
}

function patternMessage(e: ErrorObject, value: unknown, isKey: boolean): string {
  const pattern = String((e.params as { pattern?: string }).pattern);
  const what = isKey ? `the key ${show(value)}` : GOT;
  const text = typeof value === "string" ? value : "";
  if (pattern === NAME_PATTERN) {
    const fix = nameFix(text);
    return `${what} is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or \`-\`${fix ? `: use \`${fix}\`` : ""}`;
  }
  if (e.schemaPath.includes("resourceClass") || e.schemaPath.includes("trait")) {
    const kind = e.schemaPath.includes("resourceClass") ? "resource class" : "trait";
    const fix = placementFix(text);
    const standard = kind === "trait" ? "`HW_NIC_SRIOV`" : "`VCPU`";
    return `${what} is not a Placement ${kind}: use a standard name like ${standard} or \`CUSTOM_\` followed by upper-case letters, digits or \`_\`${fix ? `, like \`${fix}\`` : ""}`;
  }
  if (pattern === URL_PATTERN)
    return `${what} is not an http:// or https:// URL: write the full URL, like \`https://192.0.2.10/health\``;
  if (e.schemaPath.includes("passwordConfig") || pattern.startsWith("^[A-Za-z][A-Za-z0-9_.:-]")) {
    return `${what} is not a Pulumi config key: give the name of the secret config value that holds the password (letters, digits, \`_\`, \`.\`, \`:\`, \`-\`), like \`rack1Password\`, never the password itself`;
  }
  return `${what} does not match the pattern \`${pattern}\``;
}

interface Ctx {
  root: SchemaNode;
  data: unknown;
}

/** The message for one ajv error that is not a `oneOf`. */
function single(ctx: Ctx, e: ErrorObject): RawIssue | undefined {
  const segments = pointerToSegments(e.instancePath, ctx.data);
  const value: unknown = e.data;
  const parent = e.parentSchema;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(propertiesOf(ctx.root, parent));
      const near = closest(key, allowed);
      const fix =
        near !== undefined
          ? `did you mean \`${near}\`?`
          : allowed.length > 0
            ? `the fields here are ${allowed.map((k) => `\`${k}\``).join(", ")}`
            : "this mapping takes no fields: leave it `{}`";
      return { segments: [...segments, key], anchor: "key", message: `unknown field \`${key}\`: ${fix}` };
    }
    case "required": {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const example = exampleOf(ctx.root, propertiesOf(ctx.root, parent)[key]);
      const fix = example !== undefined ? `add \`${key}: ${flow(example)}\`` : `add \`${key}\``;
      return { segments, anchor: "key", message: `missing required field \`${key}\`: ${fix}` };
    }
    case "propertyNames":
      return undefined;
    case "pattern": {
      const prop = (e as ErrorObject & { propertyName?: string }).propertyName;
      if (prop !== undefined)
        return { segments: [...segments, prop], anchor: "key", message: patternMessage(e, prop, true) };
      return { segments, anchor: "value", message: patternMessage(e, value, false), value };
    }
    case "type": {
      const t = (e.params as { type: string | string[] }).type;
      const want = orList((Array.isArray(t) ? t : [t]).map((x) => TYPE_NAMES[x] ?? x));
      if (segments.length === 0)
        return {
          segments,
          anchor: "value",
          message: `the spec must be a mapping with \`templates\` and \`pools\`, not ${kindOf(value)}`,
          value,
        };
      const types = Array.isArray(t) ? t : [t];
      const tooBig =
        typeof value === "number" && !Number.isFinite(value) ? ", which is too large to be a number" : "";
      const example = exampleOf(ctx.root, parent);
      const numeric = typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value));
      const fix =
        numeric && (types.includes("integer") || types.includes("number"))
          ? ": remove the quotes"
          : example !== undefined
            ? `: write it like \`${flow(example)}\``
            : "";
      return {
        segments,
        anchor: "value",
        message: `must be ${want}, not ${kindOf(value)}${tooBig}${fix}`,
        value,
      };
    }
    case "minimum":
    case "exclusiveMinimum":
    case "maximum": {
      const limit = (e.params as { limit: number }).limit;
      const rule =
        e.keyword === "minimum"
          ? `at least ${limit}`
          : e.keyword === "exclusiveMinimum"
            ? `more than ${limit}`
            : `at most ${limit}${limit === MAX_INT ? " (Placement's largest integer)" : ""}`;
      const fix =
        e.keyword === "minimum"
          ? `use ${limit} or more`
          : e.keyword === "exclusiveMinimum"
            ? `use a value above ${limit}`
            : `use ${limit} or less`;
      return { segments, anchor: "value", message: `must be ${rule}, not ${GOT}: ${fix}`, value };
    }
    case "enum": {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const near = typeof value === "string" ? closest(value, allowed) : undefined;
      return {
        segments,
        anchor: "value",
        message: `must be one of ${allowed.map((a) => `\`${a}\``).join(", ")}, not ${GOT}${near !== undefined ? `: did you mean \`${near}\`?` : ""}`,
        value,
      };
    }
    case "const":
      return {
        segments,
        anchor: "value",
        message: `must be \`${String((e.params as { allowedValue: unknown }).allowedValue)}\`, not ${GOT}`,
        value,
      };
    case "minLength":
      return {
        segments,
        anchor: "value",
        message: "must not be empty: give a value or remove the field",
        value,
      };
    case "maxLength": {
      const limit = (e.params as { limit: number }).limit;
      return {
        segments,
        anchor: "value",
        message: `is ${typeof value === "string" ? value.length : "?"} characters long; at most ${limit} are allowed: shorten it`,
        value,
      };
    }
    case "minItems":
      return {
        segments,
        anchor: "value",
        message: `must list at least ${(e.params as { limit: number }).limit}: add an entry or remove the field`,
        value,
      };
    case "minProperties": {
      const example = exampleOf(ctx.root, parent);
      return {
        segments,
        anchor: "value",
        message: `must not be empty${example !== undefined ? `: add at least one entry, like \`${flow(example)}\`` : ": add at least one entry"}`,
        value,
      };
    }
    case "maxProperties": {
      const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
      return {
        segments,
        anchor: "key",
        message: `must be empty (\`{}\`), but has ${keys.map((k) => `\`${k}\``).join(", ")}: remove ${keys.length > 1 ? "them" : "it"}`,
      };
    }
    case "uniqueItems": {
      const { i, j } = e.params as { i: number; j: number };
      const [first, later] = i < j ? [i, j] : [j, i];
      const item = Array.isArray(value) ? (value as unknown[])[later] : undefined;
      return {
        segments: [...segments, later],
        anchor: "value",
        message: `lists ${show(item)} twice (items ${first} and ${later}): remove one`,
      };
    }
    default:
      return { segments, anchor: "value", message: e.message ?? e.keyword };
  }
}

/** Where the `k`-th branch of a oneOf at `schemaPath` starts: `<schemaPath>/<k>/`. */
function branchOf(oneOf: ErrorObject, e: ErrorObject): number | undefined {
  const prefix = `${oneOf.schemaPath}/`;
  if (!e.schemaPath.startsWith(prefix)) return undefined;
  if (e.instancePath !== oneOf.instancePath && !e.instancePath.startsWith(`${oneOf.instancePath}/`))
    return undefined;
  const k = Number(e.schemaPath.slice(prefix.length).split("/")[0]);
  return Number.isInteger(k) ? k : undefined;
}

/** `{ mode: shared, isolation, contexts }` for one branch. */
function formOf(root: SchemaNode, branch: unknown): string {
  const props = propertiesOf(root, branch);
  const parts = Object.entries(props).map(([k, v]) => {
    const c = (deref(root, v) ?? {}).const;
    return c === undefined ? k : `${k}: ${typeof c === "string" ? c : JSON.stringify(c)}`;
  });
  return `\`{ ${parts.join(", ")} }\``;
}

/** Errors of the branch the user meant, or one summary error when none fits. */
function reduceOneOf(
  ctx: Ctx,
  oneOf: ErrorObject,
  branchErrors: Map<number, ErrorObject[]>,
): { keep: ErrorObject[]; issues: RawIssue[] } {
  const branches = (Array.isArray(oneOf.schema) ? oneOf.schema : []) as unknown[];
  const segments = pointerToSegments(oneOf.instancePath, ctx.data);
  const value = valueAt(ctx.data, segments);
  const present =
    typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  // A discriminator (`mode`, `kind`) whose value names a branch: that branch is the one meant.
  const tags = branches.map((b) =>
    Object.entries(propertiesOf(ctx.root, b)).find(([, v]) => (deref(ctx.root, v) ?? {}).const !== undefined),
  );
  const tagName = tags[0]?.[0];
  if (tagName !== undefined && tags.every((t) => t?.[0] === tagName) && present.includes(tagName)) {
    const got = (value as Record<string, unknown>)[tagName];
    const k = tags.findIndex((t) => (deref(ctx.root, t![1]) ?? {}).const === got);
    if (k >= 0) return { keep: branchErrors.get(k) ?? [], issues: [] };
  }
  // Exactly one branch has every field it requires (`template` of an owned pool, not `external`):
  // that branch is the one meant, and its errors (a misspelt field, a bad value) are the ones to report.
  const complete = branches
    .map((b, k) => {
      const required = (deref(ctx.root, b) ?? {}).required;
      return Array.isArray(required) &&
        required.length > 0 &&
        required.every((r) => present.includes(String(r)))
        ? k
        : -1;
    })
    .filter((k) => k >= 0);
  if (complete.length === 1 && branchErrors.has(complete[0]))
    return { keep: branchErrors.get(complete[0]) ?? [], issues: [] };
  const scores = branches.map((_, k) => {
    const errs = branchErrors.get(k) ?? [];
    let score = errs.length;
    for (const e of errs) {
      if (e.keyword === "const") score += 1000;
      else if (
        e.instancePath === oneOf.instancePath &&
        (e.keyword === "additionalProperties" || e.keyword === "type")
      )
        score += 100;
    }
    return score;
  });
  const best = scores.reduce((b, s, k) => (s < scores[b] ? k : b), 0);
  if (branches.length > 0 && scores[best] < 100) return { keep: branchErrors.get(best) ?? [], issues: [] };

  const forms = branches.map((b) => formOf(ctx.root, b));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      keep: [],
      issues: [
        {
          segments,
          anchor: "value",
          message: `must be a mapping, one of ${orList(forms)}; not ${kindOf(value)}`,
          value,
        },
      ],
    };
  }
  // A discriminator (`mode`, `kind`) with a value no branch accepts.
  const consts = branches.map((b) =>
    Object.entries(propertiesOf(ctx.root, b)).find(([, v]) => (deref(ctx.root, v) ?? {}).const !== undefined),
  );
  const tag = consts[0]?.[0];
  if (tag !== undefined && consts.every((c) => c?.[0] === tag)) {
    const allowed = consts.map((c) => String((deref(ctx.root, c![1]) ?? {}).const as string));
    const got = (value as Record<string, unknown>)[tag];
    if (got === undefined) {
      return {
        keep: [],
        issues: [
          {
            segments,
            anchor: "key",
            message: `missing required field \`${tag}\`: add \`${tag}: ${allowed[0]}\` (or ${allowed
              .slice(1)
              .map((a) => `\`${a}\``)
              .join(", ")})`,
          },
        ],
      };
    }
    const near = typeof got === "string" ? closest(got, allowed) : undefined;
    return {
      keep: [],
      issues: [
        {
          segments: [...segments, tag],
          anchor: "value",
          message: `must be one of ${allowed.map((a) => `\`${a}\``).join(", ")}, not ${GOT}${near !== undefined ? `: did you mean \`${near}\`?` : ""}`,
          value: got,
        },
      ],
    };
  }
  // Fields no branch knows: report them with a suggestion from every branch's fields.
  const known = new Set(branches.flatMap((b) => Object.keys(propertiesOf(ctx.root, b))));
  const unknown = present.filter((k) => !known.has(k));
  if (unknown.length > 0) {
    return {
      keep: [],
      issues: unknown.map((k) => {
        const near = closest(k, [...known]);
        return {
          segments: [...segments, k],
          anchor: "key" as const,
          message: `unknown field \`${k}\`: ${near !== undefined ? `did you mean \`${near}\`?` : `this takes one of ${orList(forms)}`}`,
        };
      }),
    };
  }
  const fields = present.map((k) => `\`${k}\``);
  return {
    keep: [],
    issues: [
      {
        segments,
        anchor: "key",
        message:
          present.length === 0
            ? `must not be empty: give one of ${orList(forms)}`
            : `has ${orList(fields).replace(/ or /, " and ")}, which do not make one of ${orList(forms)}: keep the fields of exactly one`,
      },
    ],
  };
}

/** All ajv errors of one validation (run with `allErrors` and `verbose`) as servicevm issues. */
export function toRawIssues(root: SchemaNode, data: unknown, errors: ErrorObject[]): RawIssue[] {
  const ctx: Ctx = { root, data };
  const isChoice = (e: ErrorObject): boolean => e.keyword === "oneOf" || e.keyword === "anyOf";
  const choices = new Map<string, ErrorObject>();
  for (const e of errors) if (isChoice(e)) choices.set(`${e.instancePath}\u0000${e.schemaPath}`, e);

  // Each error belongs to its nearest enclosing oneOf (found by path prefixes, so this stays linear).
  const members = new Map<ErrorObject | undefined, ErrorObject[]>();
  for (const e of errors) {
    const parent = choices.size === 0 ? undefined : enclosingChoice(e, choices);
    let list = members.get(parent);
    if (!list) members.set(parent, (list = []));
    list.push(e);
  }

  const issues: RawIssue[] = [];
  const emit = (e: ErrorObject): void => {
    if (!isChoice(e)) {
      const issue = single(ctx, e);
      if (issue) issues.push(issue);
      return;
    }
    const byBranch = new Map<number, ErrorObject[]>();
    for (const m of members.get(e) ?? []) {
      const k = branchOf(e, m);
      if (k === undefined) continue;
      let list = byBranch.get(k);
      if (!list) byBranch.set(k, (list = []));
      list.push(m);
    }
    const { keep, issues: summary } = reduceOneOf(ctx, e, byBranch);
    for (const issue of summary) issues.push(issue);
    for (const m of keep) emit(m);
  };
  for (const e of members.get(undefined) ?? []) emit(e);
  return issues;
}

/** The deepest oneOf/anyOf error whose instance and schema paths both enclose `e`'s. */
function enclosingChoice(e: ErrorObject, choices: Map<string, ErrorObject>): ErrorObject | undefined {
  const schemaPrefixes: string[] = [];
  const re = /\/(oneOf|anyOf)(?=\/)/g;
  for (let m = re.exec(e.schemaPath); m; m = re.exec(e.schemaPath))
    schemaPrefixes.push(e.schemaPath.slice(0, m.index + m[0].length));
  if (schemaPrefixes.length === 0) return undefined;
  const instancePrefixes = [e.instancePath];
  for (let i = e.instancePath.lastIndexOf("/"); i >= 0; i = e.instancePath.lastIndexOf("/", i - 1)) {
    instancePrefixes.push(e.instancePath.slice(0, i));
    if (i === 0) break;
  }
  for (let s = schemaPrefixes.length - 1; s >= 0; s--) {
    for (const ip of instancePrefixes) {
      const hit = choices.get(`${ip}\u0000${schemaPrefixes[s]}`);
      if (hit && hit !== e) return hit;
    }
  }
  return undefined;
}
