/**
 * The message for one ajv error that is not a choice (`oneOf`/`anyOf`): one small function per
 * JSON Schema keyword, each pointing at the key or value at fault, saying the rule with the actual
 * value, then the fix.
 */
import type { ErrorObject } from "ajv";
import { PLACEMENT_MAX_INT } from "../inventory";
import { closest } from "../suggest";
import type { Segment } from "./issue";
import { GOT, type Ctx, type RawIssue } from "./issue";
import { patternMessage } from "./patterns";
import { backticked, flow, kindOf, orList, show, TYPE_NAMES } from "./render";
import { exampleOf, pointerToSegments, propertiesOf } from "./schemaNodes";

/** What every keyword's message reads: the error, where it is, and the value there. */
interface At {
  ctx: Ctx;
  e: ErrorObject;
  segments: Segment[];
  value: unknown;
}

type KeywordMessage = (at: At) => RawIssue | undefined;

function limitOf(e: ErrorObject): number {
  return (e.params as { limit: number }).limit;
}

/** An issue at the value, quoting it. */
function atValue(at: At, message: string): RawIssue {
  return { segments: at.segments, anchor: "value", message, value: at.value };
}

function additionalProperties({ ctx, e, segments }: At): RawIssue {
  const key = String((e.params as { additionalProperty: string }).additionalProperty);
  const allowed = Object.keys(propertiesOf(ctx.root, e.parentSchema));
  const near = closest(key, allowed);
  const fix =
    near !== undefined
      ? `did you mean \`${near}\`?`
      : allowed.length > 0
        ? `the fields here are ${backticked(allowed)}`
        : "this mapping takes no fields: leave it `{}`";
  return { segments: [...segments, key], anchor: "key", message: `unknown field \`${key}\`: ${fix}` };
}

function required({ ctx, e, segments }: At): RawIssue {
  const key = String((e.params as { missingProperty: string }).missingProperty);
  const example = exampleOf(ctx.root, propertiesOf(ctx.root, e.parentSchema)[key]);
  const fix = example !== undefined ? `add \`${key}: ${flow(example)}\`` : `add \`${key}\``;
  return { segments, anchor: "key", message: `missing required field \`${key}\`: ${fix}` };
}

/** A key that fails `propertyNames` arrives as its own `pattern` error, with `propertyName` set. */
function pattern(at: At): RawIssue {
  const prop = (at.e as ErrorObject & { propertyName?: string }).propertyName;
  if (prop !== undefined)
    return { segments: [...at.segments, prop], anchor: "key", message: patternMessage(at.e, prop, true) };
  return atValue(at, patternMessage(at.e, at.value, false));
}

function type(at: At): RawIssue {
  const { ctx, e, segments, value } = at;
  const t = (e.params as { type: string | string[] }).type;
  const types = Array.isArray(t) ? t : [t];
  if (segments.length === 0)
    return atValue(at, `the spec must be a mapping with \`templates\` and \`pools\`, not ${kindOf(value)}`);
  const want = orList(types.map((x) => TYPE_NAMES[x] ?? x));
  const tooBig =
    typeof value === "number" && !Number.isFinite(value) ? ", which is too large to be a number" : "";
  const example = exampleOf(ctx.root, e.parentSchema);
  const numeric = typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value));
  const fix =
    numeric && (types.includes("integer") || types.includes("number"))
      ? ": remove the quotes"
      : example !== undefined
        ? `: write it like \`${flow(example)}\``
        : "";
  return atValue(at, `must be ${want}, not ${kindOf(value)}${tooBig}${fix}`);
}

function minimum(at: At): RawIssue {
  const limit = limitOf(at.e);
  return atValue(at, `must be at least ${limit}, not ${GOT}: use ${limit} or more`);
}

function exclusiveMinimum(at: At): RawIssue {
  const limit = limitOf(at.e);
  return atValue(at, `must be more than ${limit}, not ${GOT}: use a value above ${limit}`);
}

function maximum(at: At): RawIssue {
  const limit = limitOf(at.e);
  const why = limit === PLACEMENT_MAX_INT ? " (Placement's largest integer)" : "";
  return atValue(at, `must be at most ${limit}${why}, not ${GOT}: use ${limit} or less`);
}

/** "must be one of `a`, `b`, not <value>", with a suggestion when the value is a near miss. */
export function oneOfValues(allowed: readonly string[], value: unknown): string {
  const near = typeof value === "string" ? closest(value, allowed) : undefined;
  return `must be one of ${backticked(allowed)}, not ${GOT}${near !== undefined ? `: did you mean \`${near}\`?` : ""}`;
}

function enumMessage(at: At): RawIssue {
  const allowed = ((at.e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
  return atValue(at, oneOfValues(allowed, at.value));
}

function constMessage(at: At): RawIssue {
  return atValue(
    at,
    `must be \`${String((at.e.params as { allowedValue: unknown }).allowedValue)}\`, not ${GOT}`,
  );
}

function maxLength(at: At): RawIssue {
  const length = typeof at.value === "string" ? at.value.length : "?";
  return atValue(at, `is ${length} characters long; at most ${limitOf(at.e)} are allowed: shorten it`);
}

function minProperties(at: At): RawIssue {
  const example = exampleOf(at.ctx.root, at.e.parentSchema);
  return atValue(
    at,
    `must not be empty${example !== undefined ? `: add at least one entry, like \`${flow(example)}\`` : ": add at least one entry"}`,
  );
}

function maxProperties({ segments, value }: At): RawIssue {
  const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
  return {
    segments,
    anchor: "key",
    message: `must be empty (\`{}\`), but has ${backticked(keys)}: remove ${keys.length > 1 ? "them" : "it"}`,
  };
}

function uniqueItems({ e, segments, value }: At): RawIssue {
  const { i, j } = e.params as { i: number; j: number };
  const [first, later] = i < j ? [i, j] : [j, i];
  const item = Array.isArray(value) ? (value as unknown[])[later] : undefined;
  return {
    segments: [...segments, later],
    anchor: "value",
    message: `lists ${show(item)} twice (items ${first} and ${later}): remove one`,
  };
}

const KEYWORD_MESSAGES: Record<string, KeywordMessage> = {
  additionalProperties,
  required,
  // A key that breaks `propertyNames` is reported by the `pattern` (or other) error under it.
  propertyNames: () => undefined,
  pattern,
  type,
  minimum,
  exclusiveMinimum,
  maximum,
  enum: enumMessage,
  const: constMessage,
  minLength: (at) => atValue(at, "must not be empty: give a value or remove the field"),
  maxLength,
  minItems: (at) => atValue(at, `must list at least ${limitOf(at.e)}: add an entry or remove the field`),
  minProperties,
  maxProperties,
  uniqueItems,
};

/** The message for one ajv error that is not a `oneOf`, or `undefined` when another error says it. */
export function keywordIssue(ctx: Ctx, e: ErrorObject): RawIssue | undefined {
  const segments = pointerToSegments(e.instancePath, ctx.data);
  const at: At = { ctx, e, segments, value: e.data };
  const message = Object.prototype.hasOwnProperty.call(KEYWORD_MESSAGES, e.keyword)
    ? KEYWORD_MESSAGES[e.keyword]
    : undefined;
  if (message) return message(at);
  return { segments, anchor: "value", message: e.message ?? e.keyword };
}
