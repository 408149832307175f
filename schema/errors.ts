/**
 * Spec errors with positions: every problem of a spec, each pointing at the offending key or value.
 */

/** One problem in a spec, at a 1-based line and column (0 when the input had no text, e.g. an object). */
export interface SpecIssue {
  /** Dotted JSON path with bracket indices, e.g. `pools.edge.devices[0].name`; `""` for the whole spec. */
  path: string;
  line: number;
  col: number;
  message: string;
  file: string;
}

/** `file:line:col: path: message`; the position is left out when unknown, the path when it is the whole spec. */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Thrown by `loadSpec` and `parseSpec` with every problem found, in text order. */
export class SpecError extends Error {
  readonly errors: SpecIssue[];

  constructor(errors: SpecIssue[]) {
    const lines = errors.map(formatIssue);
    super(`${errors.length} error${errors.length === 1 ? "" : "s"} in fleet spec:\n${lines.join("\n")}`);
    this.name = "SpecError";
    this.errors = errors;
  }
}

/** Orders issues by file position, then path, then message, and drops exact duplicates. */
export function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => a.line - b.line || a.col - b.col || cmp(a.path, b.path) || cmp(a.message, b.message))
    .filter((i) => {
      const k = `${i.line}:${i.col}:${i.path}:${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
