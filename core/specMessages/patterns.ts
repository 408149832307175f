/**
 * Messages for strings that fail a `pattern`. The schema says which message fits where: next to
 * each `pattern` it names one of {@link PATTERN_MESSAGES} in a `patternMessage` keyword (checked
 * against this table when the schema is compiled, see `core/specSchema.ts`), so no message is chosen by
 * recognising a pattern's text or a schema path. A pattern without one gets the generic message.
 */
import type { ErrorObject } from "ajv";
import { GOT } from "./issue";
import { show } from "./render";

/**
 * One pattern message. `what` is the subject (the key, or {@link GOT} for the value), `text` the
 * string that failed (`""` when it is not a string), `pattern` the schema's pattern, which a fix
 * must match before it is proposed.
 */
type PatternMessage = (what: string, text: string, pattern: string) => string;

/**
 * `fw_Large` -> `fw-large`, when that makes a valid name: lower-case, runs of other characters
 * become one `-`, leading non-letters and trailing `-` go, at most 63 characters. The result is
 * proposed only if the schema's own pattern accepts it.
 */
function nameFix(bad: string, pattern: string): string | undefined {
  const fixed = bad
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return new RegExp(pattern, "u").test(fixed) && fixed !== bad ? fixed : undefined;
}

/**
 * `custom_slot` -> `CUSTOM_SLOT`, when that makes a valid Placement name: upper-case, runs of
 * other characters become one `_`; proposed only if the schema's own pattern accepts it.
 */
function placementFix(bad: string, pattern: string): string | undefined {
  const fixed = bad.toUpperCase().replace(/[^A-Z0-9_]+/g, "_");
  return new RegExp(pattern, "u").test(fixed) && fixed !== bad ? fixed : undefined;
}

function placementMessage(kind: "resource class" | "trait", standard: string): PatternMessage {
  return (what, text, pattern) => {
    const fix = placementFix(text, pattern);
    return `${what} is not a Placement ${kind}: use a standard name like ${standard} or \`CUSTOM_\` followed by upper-case letters, digits or \`_\`${fix ? `, like \`${fix}\`` : ""}`;
  };
}

/** The messages a schema's `patternMessage` can name. */
export const PATTERN_MESSAGES = {
  name: (what, text, pattern) => {
    const fix = nameFix(text, pattern);
    return `${what} is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or \`-\`${fix ? `: use \`${fix}\`` : ""}`;
  },
  resourceClass: placementMessage("resource class", "`VCPU`"),
  trait: placementMessage("trait", "`HW_NIC_SRIOV`"),
  url: (what) =>
    `${what} is not an http:// or https:// URL: write the full URL, like \`https://192.0.2.10/health\``,
  configKey: (what) =>
    `${what} is not a Pulumi config key: give the name of the secret config value that holds the password (letters, digits, \`_\`, \`.\`, \`:\`, \`-\`), like \`rack1Password\`, never the password itself`,
} satisfies Record<string, PatternMessage>;

/** The values `patternMessage` may take. */
export const PATTERN_KINDS = Object.keys(PATTERN_MESSAGES) as (keyof typeof PATTERN_MESSAGES)[];

function isKind(kind: unknown): kind is keyof typeof PATTERN_MESSAGES {
  return typeof kind === "string" && Object.prototype.hasOwnProperty.call(PATTERN_MESSAGES, kind);
}

/** The message for a `pattern` error on `value`, a key (`isKey`) or a value. */
export function patternMessage(e: ErrorObject, value: unknown, isKey: boolean): string {
  const pattern = String((e.params as { pattern?: string }).pattern);
  const what = isKey ? `the key ${show(value)}` : GOT;
  const kind: unknown = e.parentSchema?.patternMessage;
  if (isKind(kind)) return PATTERN_MESSAGES[kind](what, typeof value === "string" ? value : "", pattern);
  return `${what} does not match the pattern \`${pattern}\``;
}
