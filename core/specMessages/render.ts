/** How messages quote what the user wrote and list what is allowed. */
import { GOT } from "./issue";

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

/** What a value is, for "must be X, not <kind>"; scalars quote the value through {@link GOT}. */
export function kindOf(value: unknown): string {
  if (value === null) return "`null`";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return `the number ${GOT}`;
  if (typeof value === "string") return `the string ${GOT}`;
  if (typeof value === "boolean") return `\`${String(value)}\``;
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** JSON Schema `type` names as a message says them. */
export const TYPE_NAMES: Record<string, string> = {
  integer: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "`true` or `false`",
  object: "a mapping",
  array: "a list",
  null: "`null`",
};

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** `` `a`, `b` `` : each item in backticks, comma-separated, all of them. */
export function backticked(items: readonly string[]): string {
  return items.map((a) => `\`${a}\``).join(", ");
}

/**
 * A small YAML flow rendering of an example value. A string is written bare when it has only
 * characters that cannot end or open anything in a flow collection (no space, `,`, `#` or
 * brackets) and is not `true`, `false`, `null` or digits and dots; otherwise it is quoted as JSON,
 * which YAML also reads. That is enough for the schema's examples, which are words, names and
 * URLs; a string like `-1` or `0x1F` would come out bare and read back as a number.
 */
export function flow(value: unknown): string {
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
