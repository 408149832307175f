/**
 * Renderers of a plan result: text for terminals (fits 80 columns) and Markdown for pull-request
 * comments (fits GitHub's comment limit). Pure functions of the result and the options.
 */
export { renderText, errorLine } from "./report/text";
export { renderMarkdown, richMarkdown } from "./report/markdown";
export { codeSpan, messageText, plainText, tableCell } from "./report/markdownText";
export { summarize } from "./report/summary";
export { poolUsage, usageBar } from "./report/usage";
export type { PoolUsage } from "./report/usage";
export { CHANGE_ORDER, DESTRUCTIVE, orderChanges, viewChange } from "./report/changes";
export type { ChangeView, Part, Rich } from "./report/changes";
export { GITHUB_COMMENT_LIMIT } from "./report/options";
export type { RenderOptions, ReportError, ReportResult } from "./report/options";
