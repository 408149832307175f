/** The fleet spec language: JSON Schema, loader with exact positions, errors. */
export { checkSpec, loadSpec, parseSpec } from "./loader";
export { fleetSchema } from "./schemaErrors";
export type { CheckResult } from "./loader";
export { formatIssue, SpecError } from "./errors";
export type { SpecIssue } from "./errors";
export { decodeUtf8 } from "./text";
