/** Canonical JSON: object keys sorted at every depth, 2-space indent, newline-terminated. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortDeep(value), null, 2)}\n`;
}

/** A deep copy of `value` with every object's keys in sorted order. */
export function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) out[key] = sortDeep(record[key]);
    }
    return out;
  }
  return value;
}
