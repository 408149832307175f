/** What the renderers take: a plan result (its errors may carry spec positions) and options. */
import type { PlanError, PlanResult } from "../types";

/**
 * A plan error with the place in a file it refers to, as the CLI reports it (`file:line:col`).
 * `line` and `col` are 1-based; 0 means the position is not known. Without `file` the error is
 * shown by its path alone.
 */
export interface ReportError extends PlanError {
  file?: string;
  line?: number;
  col?: number;
}

/**
 * What the renderers read of a plan result: everything but the ledger, with errors that may carry
 * positions. Every `PlanResult` is one.
 */
export type ReportResult = Omit<PlanResult, "errors" | "ledger"> & { errors: readonly ReportError[] };

export interface RenderOptions {
  /** ANSI colours in text (the CLI turns them off for NO_COLOR and non-terminals). @default false */
  color?: boolean;
  /** Shown in the heading, e.g. the spec's file name. */
  title?: string;
  /**
   * What the plan was compared with, e.g. the `--previous` file name; shown in the summary.
   * @default undefined: "no previous ledger (first plan)"
   */
  previous?: string;
  /**
   * Where the errors are listed instead of in a text report (e.g. `"stderr"`): the report then
   * counts them and says where they are, so each error is printed once. Markdown always lists them.
   * @default undefined: the text report lists them
   */
  errorsElsewhere?: string;
  /** Text: most rows per list (changes, placements, claims). @default 200 */
  maxRows?: number;
  /** Text: the width to fit, in columns. @default 80 */
  width?: number;
  /**
   * Markdown: most characters of the whole comment (GitHub refuses comments over 65,536). Rows that
   * do not fit are left out, destructive changes last, and counted. @default 60000
   */
  maxChars?: number;
}

export const DEFAULT_MAX_ROWS = 200;
export const DEFAULT_WIDTH = 80;
export const DEFAULT_MAX_CHARS = 60_000;
/** GitHub's limit on the body of an issue or pull-request comment, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** "1 error", "2 errors". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${grouped(n)} ${n === 1 ? one : many}`;
}

/** 1234567 -> "1,234,567" (locale-independent). */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** What the plan was compared with, as the summary says it. */
export function comparedWith(previous: string | undefined): { label: string; known: boolean } {
  return previous === undefined
    ? { label: "no previous ledger (first plan)", known: false }
    : { label: previous, known: true };
}
