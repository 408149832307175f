/**
 * What `servicevm plan` writes on stdout, for a plan and for a plan that could not be made. With
 * `--format markdown` or `json` stdout is always one complete document — a CI job posts it as it
 * is and reads the exit code for the verdict.
 *
 * The JSON document is a `PlanResult` with sorted keys (`canonicalJson`), ending in one newline,
 * plus `warnings`: one per change that deletes or restarts a busy device, naming its allocations
 * and tenants (`changeWarnings`, `core/warnings.ts`; the reports and the Ledger's preview say the
 * same). `--previous` and `applyChanges` read neither it nor the changes' warning fields.
 * Every error in it carries where it is: `{ path, message, file, line, col }` — the spec path (`""`
 * when the error is about a whole file), the file (the spec, the `--previous` document, or
 * `<command line>` for a flag that needs another), and the 1-based line and column (0 when not
 * known). When no plan could be made (the spec or `--previous` cannot be read, the spec is
 * invalid), the document is
 * `{ changes: [], claims: {}, devices: {}, errors, ledger, ok: false, placements: {}, pools: {},
 * warnings: [] }`,
 * where `ledger` is the previous ledger as read (a version 1 ledger stays version 1: upgrading it
 * needs the spec) or the empty version 2 ledger. Applied to nothing, it changes nothing.
 */
import { canonicalJson } from "../core/canonical";
import { renderMarkdown, renderText, type ReportError, type ReportResult } from "../core/report";
import type { Ledger, LedgerV1, PlanResult, PlanWarning } from "../core/types";
import { changeWarnings } from "../core/warnings";
import type { SpecIssue } from "../schema/errors";
import type { CliContext } from "./context";

export type Format = "text" | "markdown" | "json";

/** The plan output with located errors; its ledger may be a version 1 ledger when no plan was made. */
export type PlanDocument = Omit<PlanResult, "errors" | "ledger"> & {
  errors: ReportError[];
  ledger: Ledger | LedgerV1;
  warnings: PlanWarning[];
};

/** The ledger a plan without a previous ledger starts from. */
export const EMPTY_V2_LEDGER: Ledger = Object.freeze({ version: 2, pools: {}, placements: {} });

/** The file named in errors about a flag that needs another flag. */
export const COMMAND_LINE = "<command line>";

/** `{ path, message, file, line, col }` of a spec issue. */
export function issueError(issue: SpecIssue): ReportError {
  return { path: issue.path, message: issue.message, file: issue.file, line: issue.line, col: issue.col };
}

/** An error about a whole file (or the command line), at no position. */
export function fileError(file: string, message: string, line = 0, col = 0): ReportError {
  return { path: "", message, file, line, col };
}

/** The document of a plan that could not be made: the errors, no changes, the previous ledger. */
export function failedDocument(errors: ReportError[], previous?: Ledger | LedgerV1): PlanDocument {
  return {
    ok: false,
    errors,
    changes: [],
    claims: {},
    devices: {},
    placements: {},
    pools: {},
    ledger: previous ?? EMPTY_V2_LEDGER,
    warnings: [],
  };
}

/** A plan result with each error placed in the spec file, and its warnings. */
export function locate(
  result: PlanResult,
  file: string,
  position: (path: string) => { line: number; col: number },
): PlanDocument {
  return {
    ...result,
    errors: result.errors.map((e) => ({ ...e, file, ...position(e.path) })),
    warnings: changeWarnings(result.changes),
  };
}

export interface DocumentOptions {
  format: Format;
  /** The spec's name in the heading. */
  title: string;
  /** The `--previous` file name, when one was given. */
  previous?: string;
}

/** Writes the document in its format. Text leaves the errors to stderr and says so. */
export function writeDocument(ctx: CliContext, doc: PlanDocument, opts: DocumentOptions): void {
  const report: ReportResult = doc;
  const render = { title: opts.title, previous: opts.previous };
  const out =
    opts.format === "json"
      ? canonicalJson(doc)
      : opts.format === "markdown"
        ? renderMarkdown(report, render)
        : renderText(report, { ...render, color: ctx.color, errorsElsewhere: "stderr" });
  ctx.io.stdout.write(out);
}
